/**
 * Service routes: /metrics (Prometheus text; a key with the `read:metrics` scope, or the
 * separate metrics listener, metrics-server.ts) and /openapi.json (public).
 */
import type { FastifyInstance } from 'fastify';
import type { HttpMetrics } from '../metrics.ts';

export function registerServiceRoutes(app: FastifyInstance, metrics: HttpMetrics): void {
  app.get('/metrics', { config: { scope: 'read:metrics' }, schema: { hide: true } }, async (_req, reply) => {
    reply.type('text/plain; version=0.0.4; charset=utf-8');
    return metrics.render();
  });
  app.get('/openapi.json', { config: { scope: null }, schema: { hide: true } }, async () => app.swagger());
}
