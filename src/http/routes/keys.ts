/** Admin key management: GET/POST /api/v1/keys, GET/PATCH/DELETE /api/v1/keys/{id}. */
import { Type } from '../typebox.ts';
import type { FastifyInstance } from 'fastify';
import { SCOPES, TIERS, type Scope, type Tier } from '../../store/types.ts';
import { checkAllowedIps, checkKeyInput, checkKeyUpdate, keyView, LastAdminKeyError, type KeyService, type KeyUpdateInput } from '../../keys/service.ts';
import { MAX_ALLOWED_IPS } from '../../keys/allowed-ips.ts';
import { usageReport, utcDay } from '../../keys/usage.ts';
import type { ApiKeyRepository } from '../../store/types.ts';
import type { TierLimits } from '../../config.ts';
import { ApiError } from '../errors.ts';
import { AUTH_ERRORS, KEY_SECURITY, KeyView, errorResponses } from '../schemas.ts';

const admin = { scope: 'admin' as const };
const security = KEY_SECURITY;
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

const CreateBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  tier: Type.Enum([...TIERS]),
  scopes: Type.Optional(Type.Array(Type.Enum([...SCOPES]), { minItems: 1, maxItems: SCOPES.length })),
  expires_in_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
  allowed_ips: Type.Optional(
    Type.Array(Type.String({ maxLength: 64 }), { maxItems: MAX_ALLOWED_IPS, description: 'CIDR ranges or single addresses the key may be used from; absent or empty: any address' }),
  ),
});

const UpdateBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    tier: Type.Optional(Type.Enum([...TIERS])),
    scopes: Type.Optional(Type.Array(Type.Enum([...SCOPES]), { minItems: 1, maxItems: SCOPES.length })),
    allowed_ips: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: MAX_ALLOWED_IPS, description: 'Replaces the allow-list; empty: any address' })),
    expires_at: Type.Optional(Type.Unsafe<string | null>({ type: ['string', 'null'], maxLength: 40, description: 'RFC 3339 time in the future, or null: never expires' })),
  },
  { additionalProperties: false, minProperties: 1, description: "The fields to change; the others keep their values. A key's secret never changes: create a new key instead." },
);

const UsageQuery = Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 90, default: 30, description: 'UTC days to report, today included' })) });

const Counts = Type.Record(Type.String(), Type.Integer());
const KeyUsage = Type.Object({
  key_id: Type.String(),
  last_used_at: Type.Union([Type.String(), Type.Null()]),
  days: Type.Array(Type.Object({ day: Type.String(), requests: Type.Integer(), routes: Counts }), { description: 'Days with requests, newest first' }),
  routes: Counts,
  quota: Type.Object({ per_day: Type.Integer(), used_today: Type.Integer(), remaining_today: Type.Integer(), resets_at: Type.String() }),
});

const CreatedKey = Type.Object({ ...KeyView.properties, key: Type.String({ description: 'The key itself: shown this once, never again' }) });

export interface KeyRouteHooks {
  /** Lets the auth layer drop a revoked key from its short-lived cache at once. */
  /** Awaited before the answer: the key's sessions have ended when the caller hears it is revoked. */
  onRevoked?: (id: string) => void | Promise<void>;
  /** Lets the auth layer drop its cached record of a changed key at once, so the change applies to the next request. */
  onUpdated?: (id: string) => void;
  /** Lets the auth layer forget a "no such key" it remembered for the new key's hash. */
  onCreated?: (keyHash: string) => void;
  /** Where GET /api/v1/keys/{id}/usage reads: the stored counts, after the pending ones were flushed. */
  usage?: { store: ApiKeyRepository; flush: () => Promise<void>; tiers: Readonly<Record<Tier, Readonly<TierLimits>>>; clock: () => Date };
}

/** The last admin key kept: a 409 saying what to do instead. */
function lastAdminConflict(err: unknown): never {
  if (err instanceof LastAdminKeyError) throw new ApiError('conflict', err.message, { reason: 'last_admin_key', key_id: err.keyId });
  throw err;
}

export function registerKeyRoutes(app: FastifyInstance, keys: KeyService, hooks: KeyRouteHooks = {}): void {
  app.get(
    '/api/v1/keys',
    {
      config: admin,
      schema: { summary: 'List API keys', tags: ['keys'], security, response: { 200: Type.Object({ keys: Type.Array(KeyView) }), ...errorResponses(...AUTH_ERRORS) } },
    },
    async () => ({ keys: (await keys.list()).map(keyView) }),
  );

  app.post(
    '/api/v1/keys',
    {
      config: admin,
      schema: {
        summary: 'Create an API key',
        description: 'Returns the new key once, in `key`; only its hash is kept.',
        tags: ['keys'],
        security,
        body: CreateBody,
        response: { 201: CreatedKey, ...errorResponses(400, 413, 415, ...AUTH_ERRORS) },
      },
    },
    async (req, reply) => {
      const body = req.body as { name: string; tier: Tier; scopes?: Scope[]; expires_in_days?: number; allowed_ips?: string[] };
      const problem = checkKeyInput({ name: body.name, tier: body.tier, scopes: body.scopes, expiresInDays: body.expires_in_days });
      if (problem) throw new ApiError('invalid_parameter', `Field "${problem.field}" ${problem.reason}.`, { parameter: problem.field });
      const allowed = checkAllowedIps(body.allowed_ips ?? []);
      if (!allowed.ok) throw new ApiError('invalid_parameter', `Field "allowed_ips" ${allowed.problem.reason}.`, { parameter: 'allowed_ips' });
      const { key, record } = await keys.create({
        name: body.name,
        tier: body.tier,
        ...(body.scopes ? { scopes: body.scopes } : {}),
        expiresInDays: body.expires_in_days ?? null,
        allowedIps: allowed.ranges,
      });
      hooks.onCreated?.(record.keyHash);
      reply.code(201);
      return { ...keyView(record), key };
    },
  );

  app.get(
    '/api/v1/keys/:id',
    {
      config: admin,
      schema: { summary: 'Show one API key', tags: ['keys'], security, params: IdParams, response: { 200: KeyView, ...errorResponses(404, ...AUTH_ERRORS) } },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const record = await keys.get(id);
      if (record === null) throw new ApiError('not_found', `No API key with id "${id}".`);
      return keyView(record);
    },
  );

  const usage = hooks.usage;
  if (usage !== undefined) {
    app.get(
      '/api/v1/keys/:id/usage',
      {
        // an admin key, or the key named in the path asking about itself
        config: { ...admin, ownKey: 'id' },
        schema: {
          summary: "An API key's usage",
          description: 'Requests per UTC day and per route (its pattern), the last use and what is left of the daily quota today. An admin key may ask about any key; any key about itself.',
          tags: ['keys'],
          security,
          params: IdParams,
          querystring: UsageQuery,
          response: { 200: KeyUsage, ...errorResponses(400, 404, ...AUTH_ERRORS) },
        },
      },
      async (req) => {
        const { id } = req.params as { id: string };
        const days = (req.query as { days?: number }).days ?? 30;
        const record = await keys.get(id);
        if (record === null) throw new ApiError('not_found', `No API key with id "${id}".`);
        await usage.flush();
        const nowMs = usage.clock().getTime();
        const counts = await usage.store.usage(id, utcDay(nowMs - (days - 1) * 86_400_000));
        return usageReport(id, counts, record.lastUsedAt, usage.tiers[record.tier].perDay, nowMs);
      },
    );
  }

  app.patch(
    '/api/v1/keys/:id',
    {
      config: admin,
      schema: {
        summary: 'Change an API key',
        description:
          'Changes the name, tier, scopes, allowed addresses or expiry of an active key; its secret stays. The change applies to the next request on this instance and within a second on the others (docs/api.md).',
        tags: ['keys'],
        security,
        params: IdParams,
        body: UpdateBody,
        response: { 200: KeyView, ...errorResponses(400, 404, 409, 413, 415, ...AUTH_ERRORS) },
      },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const checked = checkKeyUpdate(req.body as KeyUpdateInput, keys.now());
      if (!checked.ok) throw new ApiError('invalid_parameter', `Field "${checked.problem.field}" ${checked.problem.reason}.`, { parameter: checked.problem.field });
      const result = await keys.update(id, checked.changes).catch(lastAdminConflict);
      if (result === null) throw new ApiError('not_found', `No active API key with id "${id}".`);
      hooks.onUpdated?.(id);
      // what changed, from what to what (names, tiers, scopes, ranges and times only: nothing secret)
      const { before, after } = result;
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      const fields = [['name', before.name, after.name], ['tier', before.tier, after.tier], ['scopes', before.scopes, after.scopes], ['allowed_ips', before.allowedIps, after.allowedIps], ['expires_at', before.expiresAt, after.expiresAt]] as const;
      for (const [field, from, to] of fields) if (JSON.stringify(from) !== JSON.stringify(to)) changes[field] = { from, to };
      req.log.info({ event: 'api_key_updated', key_id: id, by_key_id: req.apiKey?.id ?? null, changes }, 'api key updated');
      return keyView(after);
    },
  );

  app.delete(
    '/api/v1/keys/:id',
    {
      config: admin,
      schema: { summary: 'Revoke an API key', description: 'The last active admin key cannot be revoked (409): create another admin key first.', tags: ['keys'], security, params: IdParams, response: { 200: KeyView, ...errorResponses(404, 409, ...AUTH_ERRORS) } },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const record = await keys.revoke(id).catch(lastAdminConflict);
      if (record === null) throw new ApiError('not_found', `No active API key with id "${id}".`);
      await hooks.onRevoked?.(id);
      return keyView(record);
    },
  );
}
