/**
 * Checking a presented API key on the request path and recording its use, whatever the store:
 * the one place that caches verified keys (and remembers, for a few seconds, keys the store did
 * not hold, so a wrong key asked again costs no lookup) and the one place that throttles
 * last-use stamps.
 *
 * No constant-time comparison is made: a key is found by the SHA-256 of what the client sent,
 * and the key itself is never compared with anything. What a timing difference in that lookup
 * could reveal is whether some hash is stored, which does not help to find a key that has it.
 */
import type { ApiKeyRecord, ApiKeyRepository } from '../store/types.ts';
import { hashKey, isWellFormedKey, toRfc3339 } from './keys.ts';

/** Why a presented key is refused (the HTTP error codes of the same names). */
export type KeyRefusal = 'invalid_api_key' | 'expired_api_key';

/** The key was not looked up: the caller asked only for keys known to exist, and this one is not. */
export const UNCHECKED = 'unchecked';
export type KeyVerdict = ApiKeyRecord | KeyRefusal | typeof UNCHECKED;

/**
 * Hashes remembered for a while, at most `maxEntries` of them: past that the oldest is
 * forgotten first (a flood of new hashes cannot empty it at a stroke).
 */
export class RecentHashes {
  readonly #at = new Map<string, number>();
  constructor(
    readonly ttlMs: number,
    readonly maxEntries: number,
    readonly monotonicMs: () => number = () => performance.now(),
  ) {}
  has(hash: string): boolean {
    const at = this.#at.get(hash);
    if (at === undefined) return false;
    if (this.monotonicMs() - at > this.ttlMs) {
      this.#at.delete(hash);
      return false;
    }
    return true;
  }
  add(hash: string): void {
    // re-inserted, so the Map's order stays oldest first
    this.#at.delete(hash);
    if (this.#at.size >= this.maxEntries) this.#at.delete(this.#at.keys().next().value as string);
    this.#at.set(hash, this.monotonicMs());
  }
  delete(hash: string): void {
    this.#at.delete(hash);
  }
  get size(): number {
    return this.#at.size;
  }
}

/**
 * How long the store's "no such key" is believed (ms). A key created through this process is
 * known at once; one created elsewhere (the CLI, another instance) works here within this time
 * even if it was tried, and refused, just before it existed.
 */
export const UNKNOWN_KEY_TTL_MS = 5_000;
const UNKNOWN_KEYS_MAX = 10_000;
/** Keys found in the store are remembered this long as "known to exist" (see KeyVerifier.verify). */
export const KNOWN_KEY_TTL_MS = 3_600_000;
const KNOWN_KEYS_MAX = 100_000;

/**
 * Recently verified keys, by hash, for a second: most requests then skip the store. Only keys
 * found are kept (a flood of wrong keys cannot fill it). A revoke through this process forgets
 * the key at once; a revoke elsewhere (CLI, another instance) takes effect within the TTL.
 * Expiry and revocation stamps are still checked on every request.
 */
export class VerifiedKeys {
  readonly #byHash = new Map<string, { record: ApiKeyRecord; at: number }>();
  constructor(
    readonly ttlMs = 1_000,
    readonly maxEntries = 10_000,
    readonly monotonicMs: () => number = () => performance.now(),
  ) {}
  get(hash: string): ApiKeyRecord | undefined {
    const hit = this.#byHash.get(hash);
    if (hit === undefined) return undefined;
    if (this.monotonicMs() - hit.at > this.ttlMs) {
      this.#byHash.delete(hash);
      return undefined;
    }
    return hit.record;
  }
  set(hash: string, record: ApiKeyRecord): void {
    if (this.#byHash.size >= this.maxEntries) this.#byHash.clear();
    this.#byHash.set(hash, { record, at: this.monotonicMs() });
  }
  forget(id: string): void {
    for (const [hash, v] of this.#byHash) if (v.record.id === id) this.#byHash.delete(hash);
  }
}

/** A key's last use is written at most this often, so reads do not turn into a write each. */
export const TOUCH_INTERVAL_MS = 60_000;
/** Keys whose last stamp is remembered; past this the memory starts afresh (a stamp more, no harm). */
const TOUCHED_MAX = 100_000;

export interface KeyVerifierDeps {
  keys: ApiKeyRepository;
  verified?: VerifiedKeys;
  /** Hashes the store did not hold, recently: refused without asking it again. */
  unknown?: RecentHashes;
  /** Hashes the store held within the last hour. */
  known?: RecentHashes;
  touchIntervalMs?: number;
  /** Told when a last-use stamp could not be written (the request goes on: a lost stamp is harmless). */
  onTouchError?: (err: unknown, keyId: string) => void;
}

export interface KeyVerifier {
  /**
   * The key's record, or why it is refused. Synchronous when the key was verified recently
   * (most requests) or was not in the store a moment ago: no promise to wait for. With
   * `onlyKnown` (the client's address failed too often), a key the store has not held within
   * the last hour is not looked up at all: the answer is `unchecked`.
   */
  verify(key: string, now: Date, onlyKnown?: boolean): KeyVerdict | Promise<ApiKeyRecord | KeyRefusal>;
  /** The same, from the key's hash (a console session keeps the hash, never the key). */
  verifyHash(hash: string, now: Date, onlyKnown?: boolean): KeyVerdict | Promise<ApiKeyRecord | KeyRefusal>;
  /** A key was just created through this process: a "no such key" remembered for it is forgotten. */
  created(keyHash: string): void;
  /** Records that the key was used at `now`: written at most once per interval per key, never backwards. */
  touch(record: ApiKeyRecord, now: Date): void;
  /** Forgets a verified key at once (it was revoked through this process). */
  forget(id: string): void;
}

export function createKeyVerifier(d: KeyVerifierDeps): KeyVerifier {
  const verified = d.verified ?? new VerifiedKeys();
  const unknown = d.unknown ?? new RecentHashes(UNKNOWN_KEY_TTL_MS, UNKNOWN_KEYS_MAX);
  const known = d.known ?? new RecentHashes(KNOWN_KEY_TTL_MS, KNOWN_KEYS_MAX);
  const interval = d.touchIntervalMs ?? TOUCH_INTERVAL_MS;
  const lastTouched = new Map<string, number>();

  function check(record: ApiKeyRecord, now: Date): ApiKeyRecord | KeyRefusal {
    if (record.revokedAt !== null) return 'invalid_api_key';
    if (record.expiresAt !== null && Date.parse(record.expiresAt) <= now.getTime()) return 'expired_api_key';
    return record;
  }

  function verifyHash(hash: string, now: Date, onlyKnown = false): KeyVerdict | Promise<ApiKeyRecord | KeyRefusal> {
    const hit = verified.get(hash);
    if (hit !== undefined) return check(hit, now);
    if (unknown.has(hash)) return 'invalid_api_key';
    if (onlyKnown && !known.has(hash)) return UNCHECKED;
    return d.keys.findByHash(hash).then((found) => {
      if (found === null) {
        unknown.add(hash);
        return 'invalid_api_key';
      }
      verified.set(hash, found);
      known.add(hash);
      return check(found, now);
    });
  }

  return {
    verify(key, now, onlyKnown = false) {
      if (!isWellFormedKey(key)) return 'invalid_api_key';
      return verifyHash(hashKey(key), now, onlyKnown);
    },
    verifyHash,
    created(keyHash) {
      unknown.delete(keyHash);
    },
    touch(record, now) {
      const at = now.getTime();
      const last = lastTouched.get(record.id) ?? (record.lastUsedAt === null ? 0 : Date.parse(record.lastUsedAt));
      // a clock that moved back stamps again; the store keeps the later stamp
      if (at - last < interval && at >= last) return;
      if (lastTouched.size >= TOUCHED_MAX) lastTouched.clear();
      lastTouched.set(record.id, at);
      d.keys.touch(record.id, toRfc3339(now)).catch((err: unknown) => {
        // not written: the next request of this key tries again
        if (lastTouched.get(record.id) === at) lastTouched.delete(record.id);
        d.onTouchError?.(err, record.id);
      });
    },
    forget(id) {
      verified.forget(id);
    },
  };
}
