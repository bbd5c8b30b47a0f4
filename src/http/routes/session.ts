/**
 * Console sign-in: POST /api/v1/session exchanges an API key for a session cookie (HttpOnly,
 * SameSite=Strict, expiring) and a CSRF token; GET /api/v1/session says who is signed in;
 * DELETE /api/v1/session signs out (the session is revoked server-side). The routes are public
 * as far as the auth hook goes: each reads its own credential. A refused key counts against the
 * client address's failed authentications, as on every keyed route.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '../typebox.ts';
import { keyView } from '../../keys/service.ts';
import { UNCHECKED, type KeyVerifier } from '../../keys/verify.ts';
import type { AuthFailureLimiter } from '../../ratelimit/auth-failures.ts';
import type { ApiKeyRecord } from '../../store/types.ts';
import { ApiError } from '../errors.ts';
import { KeyView, errorResponses } from '../schemas.ts';
import { CSRF_HEADER, SESSION_COOKIE, csrfMatches, sessionToken, type Session, type SessionStore } from '../sessions.ts';

export interface SessionRouteDeps {
  sessions: SessionStore;
  keys: KeyVerifier;
  failures: AuthFailureLimiter;
  clock: () => Date;
  ttlMs: number;
}

const SignInBody = Type.Object({ api_key: Type.String({ minLength: 1, maxLength: 256, description: 'The API key to sign in with; it is not kept' }) });
const SessionView = Type.Object({
  csrf_token: Type.String({ description: 'Send it in the X-CSRF-Token header with every request that changes data' }),
  expires_at: Type.String({ description: 'RFC 3339 UTC time the session ends' }),
  key: KeyView,
});
const tags = ['session'];

function view(session: Session, record: ApiKeyRecord) {
  return { csrf_token: session.csrfToken, expires_at: new Date(session.expiresAt).toISOString(), key: keyView(record) };
}

export function registerSessionRoutes(app: FastifyInstance, d: SessionRouteDeps): void {
  /** A refused credential: counted for the address; past its limit the answer is 429. */
  async function refused(req: FastifyRequest, code: 'invalid_api_key' | 'expired_api_key', nowMs: number): Promise<ApiError> {
    const wait = await d.failures.failed(req.ip ?? '', nowMs);
    return wait > 0 ? tooMany(wait) : new ApiError(code);
  }
  function tooMany(seconds: number): ApiError {
    const retryAfter = Math.max(1, Math.ceil(seconds));
    return new ApiError(
      'rate_limit_exceeded',
      'Too many failed authentications from this address. Retry after the time given in Retry-After.',
      { retry_after: retryAfter, limit: d.failures.perMinute, window: 'minute', per: 'address' },
      { 'retry-after': String(retryAfter) },
    );
  }
  function clearCookie(req: FastifyRequest, reply: FastifyReply): void {
    reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure: req.protocol === 'https' });
  }
  /** The live session of the request's cookie and its key's record, or the refusal. */
  async function current(req: FastifyRequest, reply: FastifyReply): Promise<{ token: string; session: Session; record: ApiKeyRecord }> {
    const now = d.clock();
    const token = sessionToken(req.headers.cookie);
    if (token === undefined) throw new ApiError('missing_api_key', 'Not signed in: sign in with an API key (POST /api/v1/session) or send one in the Authorization header.');
    const session = await d.sessions.get(token, now.getTime());
    if (session === undefined) {
      clearCookie(req, reply);
      throw await refused(req, 'invalid_api_key', now.getTime());
    }
    const verdict = await d.keys.verifyHash(session.keyHash, now);
    if (verdict === UNCHECKED || typeof verdict === 'string') {
      await d.sessions.revoke(token);
      clearCookie(req, reply);
      throw await refused(req, verdict === UNCHECKED ? 'invalid_api_key' : verdict, now.getTime());
    }
    return { token, session, record: verdict };
  }

  app.post(
    '/api/v1/session',
    {
      config: { scope: null },
      schema: {
        summary: 'Sign in to the console',
        description:
          'Exchanges an API key for a session cookie (HttpOnly, SameSite=Strict, expiring) standing for that key, with its scopes and limits, and a CSRF token for writes. The key itself is not kept.',
        tags,
        body: SignInBody,
        response: { 201: SessionView, ...errorResponses(400, 401, 413, 415, 429, 500, 503) },
      },
    },
    async (req, reply) => {
      const now = d.clock();
      const nowMs = now.getTime();
      const wait = d.failures.counting ? await d.failures.refusedFor(req.ip ?? '', nowMs) : 0;
      const verdict = await d.keys.verify((req.body as { api_key: string }).api_key.trim(), now, wait > 0);
      if (verdict === UNCHECKED) throw tooMany(wait);
      if (typeof verdict === 'string') throw await refused(req, verdict, nowMs);
      const { token, session } = await d.sessions.create(verdict.id, verdict.keyHash, nowMs);
      reply.setCookie(SESSION_COOKIE, token, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: req.protocol === 'https',
        maxAge: Math.floor(d.ttlMs / 1000),
      });
      reply.header('cache-control', 'no-store');
      reply.code(201);
      return view(session, verdict);
    },
  );

  app.get(
    '/api/v1/session',
    {
      config: { scope: null },
      schema: { summary: 'The signed-in session', description: 'The key behind the session cookie, its CSRF token and when it ends.', tags, response: { 200: SessionView, ...errorResponses(401, 429, 500, 503) } },
    },
    async (req, reply) => {
      const { session, record } = await current(req, reply);
      reply.header('cache-control', 'no-store');
      return view(session, record);
    },
  );

  app.delete(
    '/api/v1/session',
    {
      config: { scope: null },
      schema: {
        summary: 'Sign out of the console',
        description: 'Revokes the session of the cookie (with its CSRF token in X-CSRF-Token) and clears the cookie. Without a live session there is nothing to revoke: still 204.',
        tags,
        response: { 204: Type.Null(), ...errorResponses(403, 500) },
      },
    },
    async (req, reply) => {
      const token = sessionToken(req.headers.cookie);
      const session = token === undefined ? undefined : await d.sessions.get(token, d.clock().getTime());
      if (token !== undefined && session !== undefined) {
        if (!csrfMatches(session, req.headers[CSRF_HEADER])) throw new ApiError('csrf_token_invalid');
        await d.sessions.revoke(token);
      }
      clearCookie(req, reply);
      reply.code(204);
      return null;
    },
  );
}
