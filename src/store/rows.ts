/** Row shapes that read the same from every engine. */
import type { IndicatorType } from '../indicators/types.ts';
import type { DateSource, Override } from '../model.ts';
import type { ApiKeyRecord, Scope, Tier } from './types.ts';

export const OVERRIDE_COLUMNS = 'type, value, verdict, reason, created_at, created_by';

export interface OverrideRow {
  type: string;
  value: string;
  verdict: string;
  reason: string;
  created_at: string;
  created_by: string | null;
}

export function toOverride(r: OverrideRow): Override {
  return {
    type: r.type as IndicatorType,
    value: r.value,
    verdict: r.verdict as 'allow' | 'deny',
    reason: r.reason,
    createdAt: r.created_at,
    createdBy: r.created_by,
  };
}

export const KEY_COLUMNS = 'id, key_prefix, key_hash, name, tier, scopes, created_at, last_used_at, expires_at, revoked_at';

/** An api_keys row with its scopes decoded (PostgreSQL returns an array; SQLite keeps JSON text). */
export interface ApiKeyRow {
  id: string;
  key_prefix: string;
  key_hash: string;
  name: string;
  tier: string;
  scopes: string[];
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

export function toApiKey(r: ApiKeyRow): ApiKeyRecord {
  return {
    id: r.id,
    keyPrefix: r.key_prefix,
    keyHash: r.key_hash,
    name: r.name,
    tier: r.tier as Tier,
    scopes: r.scopes as Scope[],
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
  };
}

/**
 * How both engines store a sighting's date source: a small integer per row (the column is on
 * every sighting of million-row feeds). NULL: stored before date sources were recorded.
 */
export const DATE_SOURCE_CODES: Readonly<Record<DateSource, number>> = { feed: 1, file: 2, http: 3, fetched: 4 };
const SOURCE_BY_CODE: readonly (DateSource | null)[] = [null, 'feed', 'file', 'http', 'fetched'];

export function dateSourceOf(code: number | string | null | undefined): DateSource | null {
  return code === null || code === undefined ? null : (SOURCE_BY_CODE[Number(code)] ?? null);
}
