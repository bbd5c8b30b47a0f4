/**
 * API keys: `sk_live_` + 40 random base62 characters. Only the SHA-256 hash is stored, with a short
 * prefix for display. The key itself exists in memory only between creation and the one print.
 */
import { hash, randomBytes } from 'node:crypto';
import type { ApiKeyRecord, Scope, Tier } from '../store/types.ts';

export const KEY_PREFIX = 'sk_live_';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SECRET_LENGTH = 40;
/** `sk_live_` + four characters: enough to tell keys apart in a list, too little to matter. */
const DISPLAY_LENGTH = KEY_PREFIX.length + 4;
const KEY_RE = /^sk_live_[0-9A-Za-z]{32,128}$/;

/** Base62 by rejection sampling, so every character is equally likely. */
export function generateKey(random: (n: number) => Buffer = randomBytes): string {
  let out = '';
  while (out.length < SECRET_LENGTH) {
    for (const b of random(SECRET_LENGTH)) {
      if (b < 248 && out.length < SECRET_LENGTH) out += BASE62[b % 62];
    }
  }
  return KEY_PREFIX + out;
}

export function isWellFormedKey(key: string): boolean {
  return KEY_RE.test(key);
}

/**
 * SHA-256 of the whole key as the lower-case hex the store keeps. The one-shot hash makes no Hash object and no
 * buffer, which matters on the request path (every authenticated request hashes its key).
 */
export function hashKey(key: string): string {
  return hash('sha256', key, 'hex');
}

export function displayPrefix(key: string): string {
  return key.slice(0, DISPLAY_LENGTH);
}

export interface NewKeyInput {
  name: string;
  tier: Tier;
  scopes: Scope[];
  expiresAt: string | null;
  /** Canonical CIDR ranges (src/keys/allowed-ips.ts); absent or empty: any address. */
  allowedIps?: readonly string[];
}

/** The record to store and the key to show once. */
export function mintKey(id: string, input: NewKeyInput, now: Date, key: string = generateKey()): { key: string; record: ApiKeyRecord } {
  return {
    key,
    record: {
      id,
      keyPrefix: displayPrefix(key),
      keyHash: hashKey(key),
      name: input.name,
      tier: input.tier,
      scopes: [...new Set(input.scopes)],
      createdAt: toRfc3339(now),
      lastUsedAt: null,
      expiresAt: input.expiresAt,
      revokedAt: null,
      allowedIps: [...(input.allowedIps ?? [])],
    },
  };
}

export function toRfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** What a key is allowed to do: admin implies every scope. */
export function hasScope(record: ApiKeyRecord, scope: Scope): boolean {
  return record.scopes.includes('admin') || record.scopes.includes(scope);
}
