/**
 * Console sessions: an API key exchanged once (POST /api/v1/session) for a random session token
 * carried in an HttpOnly, SameSite=Strict cookie. The server keeps, per session, only the hash of
 * the token, the hash of the key (never the key: each request re-verifies the key's record, so a
 * revoked or expired key ends its sessions at once), a CSRF token and the expiry.
 *
 * Sessions live in this process's memory, or — with VERDICT_REDIS_URL, as several instances behind
 * one address run — in Redis (sessions-redis.ts), where every instance finds them and a restart
 * keeps them (docs/console.md).
 */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'verdict_session';
export const CSRF_HEADER = 'x-csrf-token';
/** A session lasts a working day, then the key is asked for again. */
export const SESSION_TTL_MS = 8 * 3_600_000;
/** Past this many live sessions, the oldest are dropped (a flood of sign-ins cannot fill memory). */
const MAX_SESSIONS = 10_000;

export interface Session {
  keyId: string;
  keyHash: string;
  csrfToken: string;
  expiresAt: number;
}

export interface SessionStore {
  /** A new session for the key; the token goes in the cookie and is never kept. */
  create(keyId: string, keyHash: string, nowMs: number): Promise<{ token: string; session: Session }>;
  /** The live session of a cookie's token, or undefined (unknown or expired: then forgotten). */
  get(token: string, nowMs: number): Promise<Session | undefined>;
  /** Ends one session; whether it was live. */
  revoke(token: string): Promise<boolean>;
  /** Ends every session of a key (the key was revoked). */
  revokeKey(keyId: string): Promise<void>;
  close?(): Promise<void>;
}

export const tokenHash = (token: string): string => hash('sha256', token, 'hex');

/** A new session's token (for the cookie) and record. */
export function newSession(keyId: string, keyHash: string, expiresAt: number): { token: string; session: Session } {
  return { token: randomBytes(32).toString('base64url'), session: { keyId, keyHash, csrfToken: randomBytes(32).toString('base64url'), expiresAt } };
}

export interface MemorySessionStore extends SessionStore {
  /** Live sessions held (tests look). */
  readonly size: number;
}

export function createMemorySessionStore(ttlMs = SESSION_TTL_MS): MemorySessionStore {
  // insertion order is creation order: the first entries are the oldest
  const byHash = new Map<string, Session>();
  function sweep(nowMs: number): void {
    for (const [h, s] of byHash) if (s.expiresAt <= nowMs) byHash.delete(h);
    while (byHash.size >= MAX_SESSIONS) {
      const oldest = byHash.keys().next();
      if (oldest.done === true) break;
      byHash.delete(oldest.value);
    }
  }
  return {
    async create(keyId, keyHash, nowMs) {
      sweep(nowMs);
      const made = newSession(keyId, keyHash, nowMs + ttlMs);
      byHash.set(tokenHash(made.token), made.session);
      return made;
    },
    async get(token, nowMs) {
      const h = tokenHash(token);
      const s = byHash.get(h);
      if (s === undefined) return undefined;
      if (s.expiresAt <= nowMs) {
        byHash.delete(h);
        return undefined;
      }
      return s;
    },
    async revoke(token) {
      return byHash.delete(tokenHash(token));
    },
    async revokeKey(keyId) {
      for (const [h, s] of byHash) if (s.keyId === keyId) byHash.delete(h);
    },
    get size() {
      return byHash.size;
    },
  };
}

/** Whether the request's CSRF header is the session's token (constant time). */
export function csrfMatches(session: Session, header: unknown): boolean {
  if (typeof header !== 'string') return false;
  const a = Buffer.from(header);
  const b = Buffer.from(session.csrfToken);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Methods that change nothing: no CSRF token needed. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The session token in a Cookie header, if any (the cookie is ours alone: a plain scan suffices). */
export function sessionToken(cookieHeader: string | undefined): string | undefined {
  if (cookieHeader === undefined || !cookieHeader.includes(SESSION_COOKIE)) return undefined;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === SESSION_COOKIE) {
      const v = part.slice(eq + 1).trim();
      return v === '' ? undefined : v;
    }
  }
  return undefined;
}
