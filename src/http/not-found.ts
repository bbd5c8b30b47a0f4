/**
 * 404 or 405: an unmatched request whose path exists under another method is a 405 with `Allow`;
 * one whose route exists for its method but found nothing (a wildcard route's missing file) is a 404.
 * The route table is collected as routes register (call before registering any route).
 */
import type { FastifyInstance } from 'fastify';
import { sendError } from './error-handler.ts';

const REGEX_SPECIALS = /[.+?^${}()|[\]\\]/g;
const PARAM = /:[A-Za-z0-9_]+/g;
const TRAILING_SLASHES = /\/+$/;

export function registerNotFound(app: FastifyInstance): void {
  const routes: { pattern: RegExp; methods: Set<string> }[] = [];
  app.addHook('onRoute', (r) => {
    const methods = (Array.isArray(r.method) ? r.method : [r.method]).map((m) => m.toUpperCase());
    const source = '^' + r.url.replace(REGEX_SPECIALS, '\\$&').replace(PARAM, '[^/]+').replace(/\*/g, '.*') + '/?$';
    const existing = routes.find((x) => x.pattern.source === source);
    if (existing) methods.forEach((m) => existing.methods.add(m));
    else routes.push({ pattern: new RegExp(source), methods: new Set(methods) });
  });

  app.setNotFoundHandler(async (req, reply) => {
    const path = (req.url.split('?')[0] ?? '/').replace(TRAILING_SLASHES, '') || '/';
    const allowed = [...new Set(routes.filter((r) => r.pattern.test(path)).flatMap((r) => [...r.methods]))];
    // A route of this method matched and found nothing (a missing file under /docs/static/):
    // a 404, not a 405 naming the very method used.
    if (allowed.length > 0 && !allowed.includes(req.method)) {
      const allow = allowed.join(', ');
      return sendError(reply, 'method_not_allowed', `Method ${req.method} is not allowed here. Allowed: ${allow}.`, undefined, { allow });
    }
    return sendError(reply, 'not_found', 'No such route.');
  });
}
