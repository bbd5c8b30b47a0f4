/**
 * Checking a presented API key on the request path and recording its use, whatever the store:
 * the one place that caches verified keys and the one place that throttles last-use stamps.
 *
 * No constant-time comparison is made: a key is found by the SHA-256 of what the client sent,
 * and the key itself is never compared with anything. What a timing difference in that lookup
 * could reveal is whether some hash is stored, which does not help to find a key that has it.
 */
import type { ApiKeyRecord, ApiKeyRepository } from '../store/types.ts';
import { hashKey, isWellFormedKey, toRfc3339 } from './keys.ts';

/** Why a presented key is refused (the HTTP error codes of the same names). */
export type KeyRefusal = 'invalid_api_key' | 'expired_api_key';

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
  touchIntervalMs?: number;
  /** Told when a last-use stamp could not be written (the request goes on: a lost stamp is harmless). */
  onTouchError?: (err: unknown, keyId: string) => void;
}

export interface KeyVerifier {
  /**
   * The key's record, or why it is refused. Synchronous when the key was verified recently
   * (most requests): no promise to wait for.
   */
  verify(key: string, now: Date): ApiKeyRecord | KeyRefusal | Promise<ApiKeyRecord | KeyRefusal>;
  /** Records that the key was used at `now`: written at most once per interval per key, never backwards. */
  touch(record: ApiKeyRecord, now: Date): void;
  /** Forgets a verified key at once (it was revoked through this process). */
  forget(id: string): void;
}

export function createKeyVerifier(d: KeyVerifierDeps): KeyVerifier {
  const verified = d.verified ?? new VerifiedKeys();
  const interval = d.touchIntervalMs ?? TOUCH_INTERVAL_MS;
  const lastTouched = new Map<string, number>();

  function check(record: ApiKeyRecord, now: Date): ApiKeyRecord | KeyRefusal {
    if (record.revokedAt !== null) return 'invalid_api_key';
    if (record.expiresAt !== null && Date.parse(record.expiresAt) <= now.getTime()) return 'expired_api_key';
    return record;
  }

  return {
    verify(key, now) {
      if (!isWellFormedKey(key)) return 'invalid_api_key';
      const hash = hashKey(key);
      const hit = verified.get(hash);
      if (hit !== undefined) return check(hit, now);
      return d.keys.findByHash(hash).then((found) => {
        if (found === null) return 'invalid_api_key';
        verified.set(hash, found);
        return check(found, now);
      });
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
