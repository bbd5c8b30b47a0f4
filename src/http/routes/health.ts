/** GET /api/v1/health — no auth: is the store reachable, how fresh is the data. */
import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
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
      last_ingest_at: Type.Union([Type.String(), Type.Null()]),
      age_seconds: Type.Union([Type.Integer(), Type.Null()]),
    }),
    Type.Null(),
  ]),
});

export function registerHealthRoute(app: FastifyInstance, deps: { store: Store; clock: () => Date }): void {
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
        const age = s.lastIngestAt === null ? null : Math.max(0, Math.floor((now.getTime() - Date.parse(s.lastIngestAt)) / 1000));
        return {
          status: 'ok',
          time,
          store: { kind: deps.store.kind, reachable: true },
          data: { indicators: s.indicators, sightings: s.sightings, last_ingest_at: s.lastIngestAt, age_seconds: age },
        };
      } catch (err) {
        reply.log.warn({ err }, 'health: store unreachable');
        reply.code(503).header('retry-after', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
        return { status: 'unavailable', time, store: { kind: deps.store.kind, reachable: false }, data: null };
      }
    },
  );
}
