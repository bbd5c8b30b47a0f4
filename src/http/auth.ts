/**
 * Authentication, scope check and rate limiting for keyed routes, run as each route's onRequest
 * hook so that nothing else (body parsing, validation) happens for a refused request. A route
 * states its scope in `config.scope`; `null` marks a public route.
 *
 * A presented key that is refused counts against the client address's failed authentications
 * (src/ratelimit/auth-failures.ts); past the limit the address gets 429 instead, and keys it
 * presents are no longer looked up unless they are known to exist.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import type { AuthFailureLimiter } from '../ratelimit/auth-failures.ts';
import type { RateDecision, RateLimiter } from '../ratelimit/types.ts';
import type { ApiKeyRecord, Scope } from '../store/types.ts';
import { hasScope } from '../keys/keys.ts';
import { ipAllowed, parseAllowedIps, type ParsedRange } from '../keys/allowed-ips.ts';
import { UNCHECKED, type KeyRefusal, type KeyVerifier } from '../keys/verify.ts';
import { ApiError } from './errors.ts';
import { CSRF_HEADER, SAFE_METHODS, csrfMatches, sessionToken, type Session, type SessionStore } from './sessions.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope the route needs; null for public routes. Absent: public outside /api, admin inside. */
    scope?: Scope | null;
    /** A route parameter naming a key: that key may use the route without the scope (its own usage). */
    ownKey?: string;
    /** The key may also come as the HTTP Basic password, any user name (TAXII clients send Basic). */
    keyInBasicPassword?: boolean;
  }
  interface FastifyRequest {
    apiKey: ApiKeyRecord | null;
    /** The matched route's pattern (never the path), for metrics labels. */
    routeLabel: string;
  }
}

export interface AuthDeps {
  config: Config;
  rateLimiter: RateLimiter;
  clock: () => Date;
  /** Console sessions: a request without a key may present a session cookie instead (sessions.ts). */
  sessions?: SessionStore;
  /** Counts each admitted request per key, day and route (src/keys/usage.ts). */
  usage?: { record(keyId: string, route: string, nowMs: number): void };
}

/** Each cached key record's parsed allow-list, parsed once per record object. */
const parsedAllowLists = new WeakMap<ApiKeyRecord, ParsedRange[]>();

/** Whether the key may be used from `ip`; an empty list allows any address. */
export function keyAllowsAddress(record: ApiKeyRecord, ip: string | undefined): boolean {
  const list = record.allowedIps;
  if (list === undefined || list.length === 0) return true;
  let ranges = parsedAllowLists.get(record);
  if (ranges === undefined) {
    const parsed = parseAllowedIps(list);
    // a stored list is canonical; one that no longer parses allows nothing rather than everything
    ranges = parsed.ok ? parsed.ranges : [];
    if (!parsed.ok) return false;
    parsedAllowLists.set(record, ranges);
  }
  return ipAllowed(ranges, ip);
}

const BEARER_RE = /^Bearer[ \t]+(\S*)\s*$/i;
const BASIC_RE = /^Basic[ \t]+([A-Za-z0-9+/=_-]*)\s*$/i;

/** The password of `Authorization: Basic …` (what follows the first colon), or null when it holds none. */
export function basicPassword(header: string): string | null {
  const m = BASIC_RE.exec(header);
  if (m === null) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : decoded.slice(colon + 1);
}

export type PresentedKey = { kind: 'none' } | { kind: 'key'; key: string } | { kind: 'other-scheme' };

/** What the client sent: a key from `Authorization: Bearer …` (or Basic's password where the route takes it) or `X-API-Key`, another scheme, or nothing. */
export function presentedKey(req: FastifyRequest): PresentedKey {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.trim() !== '') {
    const m = BEARER_RE.exec(auth);
    if (m === null) {
      if (req.routeOptions.config.keyInBasicPassword !== true) return { kind: 'other-scheme' };
      const password = basicPassword(auth);
      if (password === null) return { kind: 'other-scheme' };
      return password === '' ? { kind: 'none' } : { kind: 'key', key: password };
    }
    return m[1] ? { kind: 'key', key: m[1] } : { kind: 'none' };
  }
  const x = req.headers['x-api-key'];
  const v = Array.isArray(x) ? x[0] : x;
  if (typeof v === 'string' && v.trim() !== '') return { kind: 'key', key: v.trim() };
  return { kind: 'none' };
}

/** Fastify's callback-style hook: no promise per request when nothing needs to wait. */
export type OnRequestHook = (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => void;

/**
 * The scope a route needs, settled once when the route is registered: an `/api` route that
 * forgot to state its scope fails closed (admin only) rather than open; null marks a public route.
 */
export function routeScope(stated: Scope | null | undefined, url: string): Scope | null {
  if (stated !== undefined) return stated;
  return url.startsWith('/api/') ? 'admin' : null;
}

/**
 * Builds the onRequest hook of each route: it puts the request id on the response, and for a
 * route with a scope authenticates the key, counts the request against the key's limits and
 * checks the scope. When the key was verified recently and the limiter can answer at once
 * (most requests), the whole hook runs synchronously. `failures` counts refused credentials per
 * client address.
 */
export function createAuthHooks(deps: AuthDeps, keys: KeyVerifier, failures: AuthFailureLimiter) {
  /** The 429 of an address that failed too often, with the headers of that limit. */
  function tooManyFailures(reply: FastifyReply, seconds: number, nowMs: number): ApiError {
    const retryAfter = String(Math.max(1, Math.ceil(seconds)));
    reply.header('x-ratelimit-limit', String(failures.perMinute));
    reply.header('x-ratelimit-remaining', '0');
    reply.header('x-ratelimit-reset', String(Math.ceil(nowMs / 1000) + Number(retryAfter)));
    return new ApiError(
      'rate_limit_exceeded',
      'Too many failed authentications from this address. Retry after the time given in Retry-After.',
      { retry_after: Number(retryAfter), limit: failures.perMinute, window: 'minute', per: 'address' },
      { 'retry-after': retryAfter },
    );
  }

  /** A presented credential was refused: counted for the address, then a 401 (or 429 past the limit). */
  function refuse(req: FastifyRequest, reply: FastifyReply, code: KeyRefusal, now: Date, done: (err?: Error) => void): void {
    const nowMs = now.getTime();
    let wait: number | Promise<number>;
    try {
      wait = failures.failed(req.ip ?? '', nowMs);
    } catch {
      wait = 0;
    }
    const answer = (seconds: number): void => done(seconds > 0 ? tooManyFailures(reply, seconds, nowMs) : new ApiError(code));
    if (wait instanceof Promise) wait.then(answer, () => answer(0));
    else answer(wait);
  }

  /** The limiter's answer as headers, then the refusals; returns the error to pass on, if any. */
  function admit(req: FastifyRequest, reply: FastifyReply, record: ApiKeyRecord, scope: Scope, decision: RateDecision, now: Date): ApiError | undefined {
    reply.header('x-ratelimit-limit', String(decision.limit));
    reply.header('x-ratelimit-remaining', String(decision.remaining));
    reply.header('x-ratelimit-reset', String(Math.ceil(decision.resetAt)));
    if (!decision.allowed) {
      const code = decision.reason ?? 'rate_limit_exceeded';
      const retryAfter = String(Math.max(1, Math.ceil(decision.retryAfter ?? 1)));
      // `limit` is the limit that refused: the daily quota for quota_exceeded
      const details = { retry_after: Number(retryAfter), limit: decision.limit, window: decision.window, per: 'key' };
      return new ApiError(code, undefined, details, { 'retry-after': retryAfter });
    }
    // counted before the scope check, so every authenticated answer carries the rate-limit headers
    if (!hasScope(record, scope) && !ownKey(req, record)) {
      return new ApiError('insufficient_scope', `This request needs the "${scope}" scope.`, { required: scope });
    }
    keys.touch(record, now);
    deps.usage?.record(record.id, req.routeLabel, now.getTime());
    return undefined;
  }

  /** Whether the route names, in its `ownKey` parameter, the key that called it. */
  function ownKey(req: FastifyRequest, record: ApiKeyRecord): boolean {
    const param = req.routeOptions.config.ownKey;
    return param !== undefined && (req.params as Record<string, unknown> | undefined)?.[param] === record.id;
  }

  /** Counts the request; the decision may need a round trip (Redis without a lease). */
  function limit(req: FastifyRequest, reply: FastifyReply, record: ApiKeyRecord, scope: Scope, now: Date, done: (err?: Error) => void): void {
    let decision: RateDecision | Promise<RateDecision>;
    let allowed: boolean;
    try {
      allowed = keyAllowsAddress(record, req.ip);
    } catch (err) {
      done(err as Error);
      return;
    }
    // refused before it counts against the key's limits: whoever sent it is not the key's holder
    if (!allowed) {
      done(new ApiError('ip_not_allowed'));
      return;
    }
    try {
      req.apiKey = record;
      decision = deps.rateLimiter.consume(record.id, deps.config.tiers[record.tier], now.getTime());
    } catch (err) {
      done(err as Error);
      return;
    }
    if (decision instanceof Promise) decision.then((d) => finish(req, reply, record, scope, d, now, done), done);
    else finish(req, reply, record, scope, decision, now, done);
  }

  function finish(req: FastifyRequest, reply: FastifyReply, record: ApiKeyRecord, scope: Scope, decision: RateDecision, now: Date, done: (err?: Error) => void): void {
    let refusal: Error | undefined;
    try {
      refusal = admit(req, reply, record, scope, decision, now);
    } catch (err) {
      refusal = err as Error;
    }
    done(refusal);
  }

  /** What the store said of the key: on to the limits, or a refusal counted for the address. */
  function verified(req: FastifyRequest, reply: FastifyReply, verdict: ApiKeyRecord | KeyRefusal, scope: Scope, now: Date, done: (err?: Error) => void): void {
    if (typeof verdict === 'string') refuse(req, reply, verdict, now, done);
    else limit(req, reply, verdict, scope, now, done);
  }

  /**
   * No key: the console's session cookie, if any, stands for the key it was made from, with that
   * key's scopes and limits. A write must carry the session's CSRF token; a session that ended
   * (expired, signed out, unknown) counts as a refused credential.
   */
  function bySession(req: FastifyRequest, reply: FastifyReply, scope: Scope, now: Date, done: (err?: Error) => void): void {
    const token = deps.sessions === undefined ? undefined : sessionToken(req.headers.cookie);
    if (token === undefined) {
      done(new ApiError('missing_api_key'));
      return;
    }
    deps.sessions!.get(token, now.getTime()).then((session) => withSession(req, reply, session, scope, now, done), done);
  }

  function withSession(req: FastifyRequest, reply: FastifyReply, session: Session | undefined, scope: Scope, now: Date, done: (err?: Error) => void): void {
    if (session === undefined) {
      refuse(req, reply, 'invalid_api_key', now, done);
      return;
    }
    if (!SAFE_METHODS.has(req.method) && !csrfMatches(session, req.headers[CSRF_HEADER])) {
      done(new ApiError('csrf_token_invalid'));
      return;
    }
    let verdict: ReturnType<KeyVerifier['verifyHash']>;
    try {
      verdict = keys.verifyHash(session.keyHash, now);
    } catch (err) {
      done(err as Error);
      return;
    }
    if (verdict === UNCHECKED) refuse(req, reply, 'invalid_api_key', now, done);
    else if (verdict instanceof Promise) verdict.then((v) => verified(req, reply, v, scope, now, done), done);
    else verified(req, reply, verdict, scope, now, done);
  }

  /**
   * The onRequest hook for a route: `label` is its pattern (for metrics), `scope` what it needs
   * (null: public). Each step catches its own failure and `done` is called exactly once, outside
   * any try: what runs after it (the rest of the request, synchronously) must not land in our
   * catch. No closure is made per request (each would cost an allocation or more).
   */
  return function hookFor(scope: Scope | null, label: string): OnRequestHook {
    if (scope === null) {
      return (req, reply, done) => {
        req.routeLabel = label;
        reply.header('x-request-id', req.id);
        done();
      };
    }
    return (req, reply, done) => {
      req.routeLabel = label;
      reply.header('x-request-id', req.id);
      req.apiKey = null;
      const now = deps.clock();
      const presented = presentedKey(req);
      if (presented.kind === 'none') {
        bySession(req, reply, scope, now, done);
        return;
      }
      // another scheme (Basic, …) is a credential we cannot accept, not a missing one
      if (presented.kind === 'other-scheme') {
        refuse(req, reply, 'invalid_api_key', now, done);
        return;
      }
      let verdict: ReturnType<KeyVerifier['verify']>;
      let waitSeconds = 0;
      try {
        // the client's address is worked out only when some address is being counted
        if (failures.counting) waitSeconds = failures.refusedFor(req.ip ?? '', now.getTime());
        verdict = keys.verify(presented.key, now, waitSeconds > 0);
      } catch (err) {
        done(err as Error);
        return;
      }
      if (verdict === UNCHECKED) done(tooManyFailures(reply, waitSeconds, now.getTime()));
      else if (verdict instanceof Promise) verdict.then((v) => verified(req, reply, v, scope, now, done), done);
      else verified(req, reply, verdict, scope, now, done);
    };
  };
}
