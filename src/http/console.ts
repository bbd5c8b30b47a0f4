/**
 * The analyst console: the static app built from console/ into dist/console/ (scripts/build.mjs),
 * served by the same process at `/`. Its built files are routes of their own (found once, at
 * start-up); the app's pages (deep links such as /lookup/ipv4/1.2.3.4) answer its index.html and
 * the app routes itself. Everything the console serves carries a strict Content-Security-Policy:
 * scripts, styles and connections from this origin only, no inline script, no framing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import { sendError } from './error-handler.ts';

/** dist/console/ beside the compiled modules; src/http and dist/http are both two levels down. */
export const DEFAULT_CONSOLE_ROOT = fileURLToPath(new URL('../../dist/console/', import.meta.url));

/** The console's client-side pages: each serves the app, which shows the page its path names. */
export const CONSOLE_PAGES = ['/', '/signin', '/lookup', '/lookup/*', '/analyze', '/catalogue', '/feeds', '/reports', '/reports/*', '/keys'] as const;

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

export async function registerConsole(app: FastifyInstance, root: string = DEFAULT_CONSOLE_ROOT): Promise<void> {
  const built = existsSync(join(root, 'index.html'));
  await app.register(async (scope) => {
    scope.addHook('onSend', (_req, reply, payload, done) => {
      reply.headers(SECURITY_HEADERS);
      done(null, payload);
    });
    if (!built) {
      for (const page of CONSOLE_PAGES) {
        scope.get(page, { schema: { hide: true } }, (_req, reply) =>
          sendError(reply, 'not_found', 'The console is not built: run `npm run build` (npm ci and npm start run it).'),
        );
      }
      return;
    }
    await scope.register(fastifyStatic, {
      root,
      prefix: '/',
      wildcard: false,
      index: false,
      schemaHide: true,
      // Cache-Control is set below, per file
      cacheControl: false,
      setHeaders(res, path) {
        // file names under assets/ carry their content hash: cached for good; the rest revalidated
        res.setHeader('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
    const page = (reply: FastifyReply) => reply.header('cache-control', 'no-cache').sendFile('index.html');
    for (const p of CONSOLE_PAGES) scope.get(p, { schema: { hide: true } }, (_req, reply) => page(reply));
  });
}
