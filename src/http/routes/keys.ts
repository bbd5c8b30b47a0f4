/** Admin key management: GET/POST /api/v1/keys, GET/DELETE /api/v1/keys/{id}. */
import { Type } from '../typebox.ts';
import type { FastifyInstance } from 'fastify';
import { SCOPES, TIERS, type Scope, type Tier } from '../../store/types.ts';
import { checkKeyInput, keyView, type KeyService } from '../../keys/service.ts';
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
});

const CreatedKey = Type.Object({ ...KeyView.properties, key: Type.String({ description: 'The key itself: shown this once, never again' }) });

export interface KeyRouteHooks {
  /** Lets the auth layer drop a revoked key from its short-lived cache at once. */
  onRevoked?: (id: string) => void;
  /** Lets the auth layer forget a "no such key" it remembered for the new key's hash. */
  onCreated?: (keyHash: string) => void;
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
      const body = req.body as { name: string; tier: Tier; scopes?: Scope[]; expires_in_days?: number };
      const problem = checkKeyInput({ name: body.name, tier: body.tier, scopes: body.scopes, expiresInDays: body.expires_in_days });
      if (problem) throw new ApiError('invalid_parameter', `Field "${problem.field}" ${problem.reason}.`, { parameter: problem.field });
      const { key, record } = await keys.create({
        name: body.name,
        tier: body.tier,
        ...(body.scopes ? { scopes: body.scopes } : {}),
        expiresInDays: body.expires_in_days ?? null,
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

  app.delete(
    '/api/v1/keys/:id',
    {
      config: admin,
      schema: { summary: 'Revoke an API key', tags: ['keys'], security, params: IdParams, response: { 200: KeyView, ...errorResponses(404, ...AUTH_ERRORS) } },
    },
    async (req) => {
      const { id } = req.params as { id: string };
      const record = await keys.revoke(id);
      if (record === null) throw new ApiError('not_found', `No active API key with id "${id}".`);
      hooks.onRevoked?.(id);
      return keyView(record);
    },
  );
}
