/**
 * GET /api/v1/feeds (catalog with health), POST /api/v1/feeds/{id}/sync (admin: run a feed now)
 * and DELETE /api/v1/feeds/{id}/data (admin: purge what a feed reported).
 */
import { Type, type Static } from '../typebox.ts';
import type { FastifyInstance } from 'fastify';
import { FeedBusyError } from '../../feeds/index.ts';
import { feedRunView, storeStatuses, readerFeedStatus, type FeedRunView, type FeedStatusView, type ReaderFeedStatusView } from '../../feeds/status.ts';
import type { OrphanedFeed } from '../../feeds/stored-definitions.ts';
import { hasScope } from '../../keys/keys.ts';
import type { FeedDefinition } from '../../feeds/types.ts';
import type { FeedRunRecord, Store } from '../../store/types.ts';
import { ApiError } from '../errors.ts';
import { AUTH_ERRORS, KEY_SECURITY, errorResponses } from '../schemas.ts';

export interface FeedRoutesDeps {
  store: Store;
  catalog: { list(): FeedDefinition[]; get(id: string): FeedDefinition | undefined; orphans?(): readonly OrphanedFeed[]; refreshAt?(dataVersion: number): Promise<number> };
  scheduler: { runNow(feedId: string): Promise<FeedRunRecord>; purge(feedId: string): Promise<{ feedId: string; removed: number }> };
  clock: () => Date;
}

const security = KEY_SECURITY;
const NullableString = Type.Union([Type.String(), Type.Null()]);

// The schemas of the views in src/feeds/status.ts (which `verdict feeds list --json` prints too)
const RunView = Type.Object({
  feed_id: Type.String(),
  started_at: Type.String(),
  finished_at: NullableString,
  status: Type.Enum(['success', 'failure', 'not_modified', 'running']),
  result: Type.Union([
    Type.Object({ received: Type.Integer(), added: Type.Integer(), updated: Type.Integer(), unchanged: Type.Integer(), delisted: Type.Integer() }),
    Type.Null(),
  ]),
  rejected: Type.Integer({ description: 'malformed rows skipped' }),
  rejected_samples: Type.Optional(Type.Array(Type.String(), { description: 'the first few of them (admin keys only)' })),
  skipped: Type.Optional(
    Type.Record(Type.String(), Type.Integer(), { description: "entries of kinds Verdict does not hold (an OTX pulse's FilePath, Mutex, YARA …), by the source's name for the kind; absent when none" }),
  ),
  error: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: "the failure's message (admin keys only)" })),
});

const FeedView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  category: Type.String(),
  reliability: Type.String(),
  format: Type.String(),
  url: Type.Union([Type.String(), Type.Null()], { description: 'null for import-only feeds; without credentials, query or fragment for keys without the admin scope' }),
  interval_seconds: Type.Integer(),
  mode: Type.String(),
  enabled: Type.Boolean(),
  license: Type.String(),
  orphaned: Type.Boolean({
    description:
      'true for a feed no longer defined (its definition left the catalog and VERDICT_FEEDS_FILE) whose data the store keeps: labelled as before from its stored definition, never run',
  }),
  health: Type.Object({
    last_run: Type.Union([RunView, Type.Null()]),
    last_success_at: NullableString,
    last_error_at: NullableString,
    last_error: Type.Optional(
      Type.Union([Type.String(), Type.Null()], { description: 'admin keys only: kept after a later success; current when last_error_at is after last_success_at' }),
    ),
    listed_count: Type.Integer({ description: 'sightings the feed lists now' }),
    total_count: Type.Integer({ description: 'sightings kept from the feed, listed or not' }),
    data_as_of: Type.Union([Type.String(), Type.Null()], {
      description: "how old the feed's data is: the newest date its runs brought (the source's own dates, a list's header date, the HTTP Last-Modified, else the fetch time)",
    }),
    next_run_at: Type.Union([Type.String(), Type.Null()], { description: 'when the scheduler runs it next; null for import-only or disabled feeds' }),
  }),
});

// the views fit their schemas (a field the schema lacked would be dropped from the response)
const asRunView = (v: FeedRunView): Static<typeof RunView> => v;
const asFeedView = (v: FeedStatusView | ReaderFeedStatusView): Static<typeof FeedView> => v;

export function registerFeedRoutes(app: FastifyInstance, deps: FeedRoutesDeps): void {
  app.get(
    '/api/v1/feeds',
    {
      config: { scope: 'read:lookup' },
      schema: {
        summary: 'The feed catalog with health',
        description:
          "Every defined feed, then the orphaned ones (no longer defined, their data kept). Admin keys see every run's rejected rows and error texts; other keys see the counts and statuses, and URLs without credentials or query.",
        tags: ['feeds'],
        security,
        response: { 200: Type.Object({ feeds: Type.Array(FeedView) }), ...errorResponses(...AUTH_ERRORS) },
      },
    },
    async (req) => {
      const all = await storeStatuses(deps.catalog, deps.store, deps.clock());
      const admin = req.apiKey !== null && hasScope(req.apiKey, 'admin');
      return { feeds: admin ? all.map(asFeedView) : all.map((f) => asFeedView(readerFeedStatus(f))) };
    },
  );

  app.post(
    '/api/v1/feeds/:id/sync',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Run one feed now',
        tags: ['feeds'],
        security,
        params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
        response: { 200: RunView, ...errorResponses(404, ...AUTH_ERRORS) },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      if (deps.catalog.get(id) === undefined) {
        const orphaned = deps.catalog.orphans?.().some((o) => o.id === id) === true;
        throw new ApiError('not_found', orphaned ? `Feed "${id}" is orphaned: its definition is no longer in the catalog or VERDICT_FEEDS_FILE, so it cannot run.` : `No feed with id "${id}".`);
      }
      return asRunView(feedRunView(await deps.scheduler.runNow(id)));
    },
  );

  app.delete(
    '/api/v1/feeds/:id/data',
    {
      config: { scope: 'admin' },
      schema: {
        summary: "Remove everything a feed reported",
        description:
          "In one transaction; the data version moves, so no cached lookup serves the removed sightings. The feed's validators and cursor are forgotten: its next run reads it whole. Works for a feed no longer in the catalog too. 409 while a run of the feed is in progress.",
        tags: ['feeds'],
        security,
        params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
        response: { 200: Type.Object({ feed_id: Type.String(), removed: Type.Integer({ description: 'sightings removed' }) }), ...errorResponses(404, 409, ...AUTH_ERRORS) },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      if (deps.catalog.get(id) === undefined && (await deps.store.feedState(id)) === null) throw new ApiError('not_found', `No feed with id "${id}".`);
      try {
        const r = await deps.scheduler.purge(id);
        return { feed_id: r.feedId, removed: r.removed };
      } catch (err) {
        if (err instanceof FeedBusyError) throw new ApiError('conflict', err.message, { feed_id: id }, { 'retry-after': '30' });
        throw err;
      }
    },
  );
}
