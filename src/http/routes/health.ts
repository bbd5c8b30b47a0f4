/**
 * GET /api/v1/health — no auth: is the store reachable, and how old is the data — by the dates
 * the feeds themselves state, not by when Verdict imported them (an offline install loaded
 * today with a months-old file is months old).
 */
import { Type } from '../typebox.ts';
import type { FastifyInstance } from 'fastify';
import type { OutageLog } from '../../ratelimit/outage.ts';
import type { Store } from '../../store/types.ts';
import { UNAVAILABLE_RETRY_AFTER_SECONDS } from '../errors.ts';

const Health = Type.Object({
  status: Type.Enum(['ok', 'unavailable']),
  time: Type.String({ format: 'date-time' }),
  store: Type.Object({ kind: Type.String(), reachable: Type.Boolean() }),
  data: Type.Union([
    Type.Object({
      indicators: Type.Integer(),
      sightings: Type.Integer(),
      last_ingest_at: Type.Union([Type.String(), Type.Null()], { description: 'when Verdict last imported anything' }),
      data_as_of: Type.Union([Type.String(), Type.Null()], { description: 'the newest date any feed\'s data carries' }),
      age_seconds: Type.Union([Type.Integer(), Type.Null()], { description: 'how old that newest data is' }),
      feeds: Type.Array(
        Type.Object({
          id: Type.String(),
          data_as_of: Type.Union([Type.String(), Type.Null()], { description: 'the newest date of this feed\'s data (its own dates when it gives them)' }),
          age_seconds: Type.Union([Type.Integer(), Type.Null()]),
          last_success_at: Type.Union([Type.String(), Type.Null()]),
        }),
        { description: 'every feed that has run, with how old its data is' },
      ),
    }),
    Type.Null(),
  ]),
});

const ageSeconds = (now: Date, at: string | null): number | null => (at === null ? null : Math.max(0, Math.floor((now.getTime() - Date.parse(at)) / 1000)));

export function registerHealthRoute(app: FastifyInstance, deps: { store: Store; clock: () => Date; storeOutage?: OutageLog }): void {
  app.get(
    '/api/v1/health',
    {
      config: { scope: null },
      schema: { summary: 'Service health', description: 'No key needed. 503 when the store cannot be reached.', tags: ['service'], response: { 200: Health, 503: Health } },
    },
    async (_req, reply) => {
      const now = deps.clock();
      const time = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
      try {
        await deps.store.ping();
        const s = await deps.store.stats();
        const states = await deps.store.feedStates();
        const feeds = states
          .filter((f) => f.dataAsOf !== null || f.lastSuccessAt !== null)
          .map((f) => ({ id: f.feedId, data_as_of: f.dataAsOf, age_seconds: ageSeconds(now, f.dataAsOf), last_success_at: f.lastSuccessAt }));
        const newest = states.reduce<string | null>((n, f) => (f.dataAsOf !== null && (n === null || f.dataAsOf > n) ? f.dataAsOf : n), null);
        return {
          status: 'ok',
          time,
          store: { kind: deps.store.kind, reachable: true },
          data: { indicators: s.indicators, sightings: s.sightings, last_ingest_at: s.lastIngestAt, data_as_of: newest, age_seconds: ageSeconds(now, newest), feeds },
        };
      } catch (err) {
        // an outage is logged when it starts and ends (the app's store outage log), not per health check
        if (deps.storeOutage) {
          deps.storeOutage.failed(err);
          deps.storeOutage.skipped();
        } else reply.log.warn({ err }, 'health: store unreachable');
        reply.code(503).header('retry-after', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
        return { status: 'unavailable', time, store: { kind: deps.store.kind, reachable: false }, data: null };
      }
    },
  );
}
