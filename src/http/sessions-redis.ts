/**
 * Console sessions in Redis, for several API instances behind one address: a session made on one
 * instance is found by every other, signing out on one ends it everywhere, and a restart keeps it.
 *
 * What is kept is what the memory store keeps (sessions.ts): under `<prefix>s:<sha256 of the
 * token>` the key's id and hash, the CSRF token and the expiry, expiring with the session (PX); and
 * under `<prefix>k:<key id>` the set of that key's session hashes, so that revoking the key ends them
 * all. The token itself is never stored.
 *
 * Redis unreachable: a session cannot be checked, so the request is answered 503 (with
 * Retry-After) rather than treated as signed out — the analyst's console says to retry, and no
 * session is lost. The key's own record is checked on every request as well, so a revoked key's
 * sessions are refused even if their removal from Redis failed.
 */
import type { Redis } from 'ioredis';
import { connectRedis, RedisUnavailableError } from '../ratelimit/redis.ts';
import { newSession, SESSION_TTL_MS, tokenHash, type Session, type SessionStore } from './sessions.ts';

export interface RedisSessionOptions {
  url: string;
  ttlMs?: number;
  keyPrefix?: string;
  /** An existing client (tests); not closed by close(). */
  client?: Redis;
}

function isSession(v: unknown): v is Session {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return typeof s['keyId'] === 'string' && typeof s['keyHash'] === 'string' && typeof s['csrfToken'] === 'string' && typeof s['expiresAt'] === 'number';
}

export function createRedisSessionStore(opts: RedisSessionOptions): SessionStore & { close(): Promise<void> } {
  const redis = opts.client ?? connectRedis(opts.url);
  const ttlMs = opts.ttlMs ?? SESSION_TTL_MS;
  const prefix = opts.keyPrefix ?? 'verdict:session:';
  const sessionKey = (h: string): string => `${prefix}s:${h}`;
  const keyIndex = (keyId: string): string => `${prefix}k:${keyId}`;

  async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw new RedisUnavailableError(`Console sessions are kept in Redis, which did not answer (${what}); retry shortly.`, { cause: err });
    }
  }

  return {
    async create(keyId, keyHash, nowMs) {
      const made = newSession(keyId, keyHash, nowMs + ttlMs);
      const h = tokenHash(made.token);
      await call('sign-in', async () => {
        const tx = redis.multi();
        tx.set(sessionKey(h), JSON.stringify(made.session), 'PX', ttlMs);
        tx.sadd(keyIndex(keyId), h);
        // the index lives as long as the key's newest session
        tx.pexpire(keyIndex(keyId), ttlMs);
        const results = await tx.exec();
        const failed = results?.find(([err]) => err !== null);
        if (results === null || failed !== undefined) throw failed?.[0] ?? new Error('transaction aborted');
      });
      return made;
    },
    async get(token, nowMs) {
      const h = tokenHash(token);
      const raw = await call('session check', () => redis.get(sessionKey(h)));
      if (raw === null) return undefined;
      let session: unknown;
      try {
        session = JSON.parse(raw);
      } catch {
        session = null;
      }
      // Redis expires the entry itself; the time is checked too (clocks of the instances, a test's clock)
      if (!isSession(session) || session.expiresAt <= nowMs) {
        await call('session end', () => redis.del(sessionKey(h)));
        return undefined;
      }
      return session;
    },
    async revoke(token) {
      const h = tokenHash(token);
      return call('sign-out', async () => {
        const raw = await redis.get(sessionKey(h));
        const removed = await redis.del(sessionKey(h));
        let keyId: string | null = null;
        try {
          const s: unknown = raw === null ? null : JSON.parse(raw);
          keyId = isSession(s) ? s.keyId : null;
        } catch {
          keyId = null;
        }
        if (keyId !== null) await redis.srem(keyIndex(keyId), h);
        return removed > 0;
      });
    },
    async revokeKey(keyId) {
      await call('ending a key\'s sessions', async () => {
        const hashes = await redis.smembers(keyIndex(keyId));
        const tx = redis.multi();
        for (const h of hashes) tx.del(sessionKey(h));
        tx.del(keyIndex(keyId));
        await tx.exec();
      });
    },
    async close() {
      if (!opts.client) redis.disconnect();
    },
  };
}
