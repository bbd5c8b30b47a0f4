/**
 * Authentication, scope check and rate limiting for `/api/...` routes, run as each route's
 * onRequest hook so that nothing else (body parsing, validation) happens for a refused request.
 * A route states its scope in `config.scope`; `null` marks a public route.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { RateDecision, RateLimiter } from '../ratelimit/types.ts';
import type { ApiKeyRecord, Scope, Store } from '../store/types.ts';
import { timingSafeEqual } from 'node:crypto';
import { hasScope, hashKey, isWellFormedKey, toRfc3339 } from '../keys/keys.ts';
import { ApiError } from './errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope the route needs; null for public routes. Absent: public outside /api, admin inside. */
    scope?: Scope | null;
  }
  interface FastifyRequest {
    apiKey: ApiKeyRecord | null;
    /** The matched route's pattern (never the path), for metrics labels. */
    routeLabel: string;
  }
}

export interface AuthDeps {
  config: Config;
  store: Store;
  rateLimiter: RateLimiter;
  clock: () => Date;
  logger: Logger;
}

/**
 * Recently verified keys, by hash, for a second: most requests then skip the store. Only keys
 * found are kept (a flood of wrong keys cannot fill it). A revoke through this instance forgets
 * the key at once; a revoke elsewhere (CLI, another instance) takes effect within the TTL.
 * Expiry and revocation stamps are still checked on every request.
 */
export class VerifiedKeys {
  readonly #byHash = new Map<string, { record: ApiKeyRecord; digest: Buffer; at: number }>();
  constructor(
    readonly ttlMs = 1_000,
    readonly maxEntries = 10_000,
    readonly monotonicMs: () => number = () => performance.now(),
  ) {}
  /** The record and its stored hash as bytes (decoded once, compared on every request). */
  get(hash: string): { record: ApiKeyRecord; digest: Buffer } | undefined {
    const hit = this.#byHash.get(hash);
    if (hit === undefined) return undefined;
    if (this.monotonicMs() - hit.at > this.ttlMs) {
      this.#byHash.delete(hash);
      return undefined;
    }
    return hit;
  }
  set(hash: string, record: ApiKeyRecord): { record: ApiKeyRecord; digest: Buffer } {
    if (this.#byHash.size >= this.maxEntries) this.#byHash.clear();
    const entry = { record, digest: Buffer.from(record.keyHash, 'hex'), at: this.monotonicMs() };
    this.#byHash.set(hash, entry);
    return entry;
  }
  forget(id: string): void {
    for (const [hash, v] of this.#byHash) if (v.record.id === id) this.#byHash.delete(hash);
  }
}

/** last_used_at is refreshed at most this often, so reads do not turn into a write each. */
const TOUCH_INTERVAL_MS = 60_000;
const BEARER_RE = /^Bearer[ \t]+(\S*)\s*$/i;

export type PresentedKey = { kind: 'none' } | { kind: 'key'; key: string } | { kind: 'other-scheme' };

/** What the client sent: a key from `Authorization: Bearer …` or `X-API-Key`, another scheme, or nothing. */
export function presentedKey(req: FastifyRequest): PresentedKey {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.trim() !== '') {
    const m = BEARER_RE.exec(auth);
    if (m === null) return { kind: 'other-scheme' };
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
 * (most requests), the whole hook runs synchronously.
 */
export function createAuthHooks(deps: AuthDeps, verified: VerifiedKeys = new VerifiedKeys()) {
  const lastTouched = new Map<string, number>();
  // The presented key's digest is decoded into this one buffer for the comparison rather than a
  // new one per request: nothing awaits between the write and the compare, so requests cannot mix.
  const presentedDigest = Buffer.alloc(32);

  /** Synchronous when the key was verified recently (most requests): no promise to wait for. */
  function authenticate(req: FastifyRequest, now: Date): ApiKeyRecord | Promise<ApiKeyRecord> {
    const presented = presentedKey(req);
    if (presented.kind === 'none') throw new ApiError('missing_api_key');
    // another scheme (Basic, …) is a credential we cannot accept, not a missing one
    if (presented.kind === 'other-scheme' || !isWellFormedKey(presented.key)) throw new ApiError('invalid_api_key');
    const hash = hashKey(presented.key);
    const entry = verified.get(hash);
    if (entry !== undefined) return check(entry, hash, now);
    return deps.store.keys.findByHash(hash).then((found) => {
      if (found === null) throw new ApiError('invalid_api_key');
      return check(verified.set(hash, found), hash, now);
    });
  }

  function check(entry: { record: ApiKeyRecord; digest: Buffer }, hash: string, now: Date): ApiKeyRecord {
    // the lookup was by hash; the constant-time comparison is what decides
    const written = presentedDigest.write(hash, 0, 'hex');
    if (written !== presentedDigest.length || entry.digest.length !== written || !timingSafeEqual(entry.digest, presentedDigest)) throw new ApiError('invalid_api_key');
    const record = entry.record;
    if (record.revokedAt !== null) throw new ApiError('invalid_api_key');
    if (record.expiresAt !== null && Date.parse(record.expiresAt) <= now.getTime()) throw new ApiError('expired_api_key');
    return record;
  }

  function touch(record: ApiKeyRecord, now: Date): void {
    const last = lastTouched.get(record.id) ?? (record.lastUsedAt === null ? 0 : Date.parse(record.lastUsedAt));
    if (now.getTime() - last < TOUCH_INTERVAL_MS && now.getTime() >= last) return;
    if (lastTouched.size >= 100_000) lastTouched.clear();
    lastTouched.set(record.id, now.getTime());
    deps.store.keys.touch(record.id, toRfc3339(now)).catch((err: unknown) => deps.logger.warn({ err, keyId: record.id }, 'could not record key use'));
  }

  /** The limiter's answer as headers, then the refusals; returns the error to pass on, if any. */
  function admit(reply: FastifyReply, record: ApiKeyRecord, scope: Scope, decision: RateDecision, now: Date): ApiError | undefined {
    reply.header('x-ratelimit-limit', String(decision.limit));
    reply.header('x-ratelimit-remaining', String(decision.remaining));
    reply.header('x-ratelimit-reset', String(Math.ceil(decision.resetAt)));
    if (!decision.allowed) {
      const code = decision.reason ?? 'rate_limit_exceeded';
      const retryAfter = String(Math.max(1, Math.ceil(decision.retryAfter ?? 1)));
      return new ApiError(code, undefined, { retry_after: Number(retryAfter), limit: decision.limit }, { 'retry-after': retryAfter });
    }
    // counted before the scope check, so every authenticated answer carries the rate-limit headers
    if (!hasScope(record, scope)) {
      return new ApiError('insufficient_scope', `This request needs the "${scope}" scope.`, { required: scope });
    }
    touch(record, now);
    return undefined;
  }

  /** Counts the request; the decision may need a round trip (Redis without a lease). */
  function limit(req: FastifyRequest, reply: FastifyReply, record: ApiKeyRecord, scope: Scope, now: Date, done: (err?: Error) => void): void {
    let decision: RateDecision | Promise<RateDecision>;
    try {
      req.apiKey = record;
      decision = deps.rateLimiter.consume(record.id, deps.config.tiers[record.tier], now.getTime());
    } catch (err) {
      done(err as Error);
      return;
    }
    if (decision instanceof Promise) decision.then((d) => finish(reply, record, scope, d, now, done), done);
    else finish(reply, record, scope, decision, now, done);
  }

  function finish(reply: FastifyReply, record: ApiKeyRecord, scope: Scope, decision: RateDecision, now: Date, done: (err?: Error) => void): void {
    let refusal: Error | undefined;
    try {
      refusal = admit(reply, record, scope, decision, now);
    } catch (err) {
      refusal = err as Error;
    }
    done(refusal);
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
      let found: ApiKeyRecord | Promise<ApiKeyRecord>;
      try {
        found = authenticate(req, now);
      } catch (err) {
        done(err as Error);
        return;
      }
      if (found instanceof Promise) found.then((record) => limit(req, reply, record, scope, now, done), done);
      else limit(req, reply, found, scope, now, done);
    };
  };
}
