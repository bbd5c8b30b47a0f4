/**
 * Analyst overrides (admin): PUT/GET/DELETE /api/v1/overrides/{type}/{value}, GET /api/v1/overrides.
 * The value is normalized like a lookup, so an override matches however the indicator is written.
 */
import { Type } from '../typebox.ts';
import type { FastifyInstance } from 'fastify';
import { parseIndicator } from '../../indicators/detect.ts';
import { TYPE_NAMES, parseTypeName } from '../../indicators/type-hint.ts';
import type { IndicatorType } from '../../indicators/types.ts';
import type { Override } from '../../model.ts';
import type { OverrideRepository } from '../../store/types.ts';
import { toRfc3339 } from '../../keys/keys.ts';
import { ApiError, unknownNameError } from '../errors.ts';
import { AUTH_ERRORS, KEY_SECURITY, errorResponses } from '../schemas.ts';

const admin = { scope: 'admin' as const };
const security = KEY_SECURITY;

const Params = Type.Object({
  type: Type.String({ maxLength: 32, description: `One of ${TYPE_NAMES.join(', ')}` }),
  value: Type.String({ maxLength: 2048, description: 'The indicator, percent-encoded' }),
});
const Body = Type.Object({
  verdict: Type.Enum(['allow', 'deny']),
  reason: Type.String({ minLength: 1, maxLength: 1000 }),
});
const OverrideView = Type.Object({
  type: Type.String(),
  value: Type.String(),
  verdict: Type.Enum(['allow', 'deny']),
  reason: Type.String(),
  created_at: Type.String(),
  created_by: Type.Union([Type.String(), Type.Null()]),
});

function view(o: Override) {
  return { type: o.type, value: o.value, verdict: o.verdict, reason: o.reason, created_at: o.createdAt, created_by: o.createdBy };
}

function canonical(params: { type: string; value: string }): { type: IndicatorType; value: string } {
  const named = parseTypeName(params.type);
  if (!named.ok) throw unknownNameError('type', named);
  const { type } = named;
  const parsed = parseIndicator(params.value, type);
  if (!parsed.ok) throw new ApiError('invalid_indicator', `The value is not a valid ${type}.`, { expected_types: [type] });
  return { type, value: parsed.value };
}

export interface OverrideRouteDeps {
  overrides: OverrideRepository;
  clock: () => Date;
  /** Called after an override is set or removed (the lookups of this process then see it at once). */
  onChanged?: () => void;
}

export function registerOverrideRoutes(app: FastifyInstance, deps: OverrideRouteDeps): void {
  app.get(
    '/api/v1/overrides',
    { config: admin, schema: { summary: 'List overrides', tags: ['overrides'], security, response: { 200: Type.Object({ overrides: Type.Array(OverrideView) }), ...errorResponses(...AUTH_ERRORS) } } },
    async () => ({ overrides: (await deps.overrides.list()).map(view) }),
  );

  app.get(
    '/api/v1/overrides/:type/:value',
    { config: admin, schema: { summary: 'Show one override', tags: ['overrides'], security, params: Params, response: { 200: OverrideView, ...errorResponses(400, 404, ...AUTH_ERRORS) } } },
    async (req) => {
      const { type, value } = canonical(req.params as { type: string; value: string });
      const o = await deps.overrides.get(type, value);
      if (o === null) throw new ApiError('not_found', 'No override for this indicator.');
      return view(o);
    },
  );

  app.put(
    '/api/v1/overrides/:type/:value',
    {
      config: admin,
      schema: {
        summary: 'Set an override',
        description: 'Forces the verdict for one indicator: `allow` (known good) or `deny` (known bad), with a reason.',
        tags: ['overrides'],
        security,
        params: Params,
        body: Body,
        response: { 200: OverrideView, ...errorResponses(400, 413, 415, ...AUTH_ERRORS) },
      },
    },
    async (req) => {
      const { type, value } = canonical(req.params as { type: string; value: string });
      const body = req.body as { verdict: 'allow' | 'deny'; reason: string };
      const override: Override = {
        type,
        value,
        verdict: body.verdict,
        reason: body.reason,
        createdAt: toRfc3339(deps.clock()),
        createdBy: req.apiKey?.id ?? null,
      };
      await deps.overrides.put(override);
      deps.onChanged?.();
      return view(override);
    },
  );

  app.delete(
    '/api/v1/overrides/:type/:value',
    { config: admin, schema: { summary: 'Remove an override', tags: ['overrides'], security, params: Params, response: { 204: Type.Null(), ...errorResponses(400, 404, ...AUTH_ERRORS) } } },
    async (req, reply) => {
      const { type, value } = canonical(req.params as { type: string; value: string });
      if (!(await deps.overrides.delete(type, value))) throw new ApiError('not_found', 'No override for this indicator.');
      deps.onChanged?.();
      return reply.code(204).send();
    },
  );
}
