/**
 * Row shapes that read the same from every engine. The two engines store the same columns;
 * they differ only in how a value comes back: SQLite gives JSON as text and numbers as numbers,
 * PostgreSQL gives jsonb as objects and bigint as strings. Each reader here takes either.
 */
import type { IndicatorType, StoredType } from '../indicators/types.ts';
import type { DateSource, Override, Sighting, ThreatType } from '../model.ts';
import type { ApiKeyRecord, FeedRunRecord, FeedState, Scope, Tier } from './types.ts';

/** JSON as stored: text (SQLite, NULL for empty) or already decoded (PostgreSQL jsonb). */
type Json<T> = T | string | null;
/** An integer column: a number (SQLite) or a bigint's decimal string (PostgreSQL). */
type Int = number | string;
/** Epoch milliseconds, in an integer column. */
type Millis = Int;

function decoded<T>(v: Json<T>, empty: T): T {
  if (v === null) return empty;
  return typeof v === 'string' ? (JSON.parse(v) as T) : v;
}

/**
 * Epoch milliseconds as ISO 8601. Rows repeat their times (every sighting of a feed run shares
 * its run's time), and formatting a date costs more than a map lookup: the last few thousand are kept.
 */
const ISO_MEMO = new Map<number, string>();
const ISO_MEMO_MAX = 4_096;
function iso(ms: Millis): string {
  const n = Number(ms);
  let text = ISO_MEMO.get(n);
  if (text === undefined) {
    if (ISO_MEMO.size >= ISO_MEMO_MAX) ISO_MEMO.clear();
    text = new Date(n).toISOString();
    ISO_MEMO.set(n, text);
  }
  return text;
}

/**
 * One shared, internalized copy of each word of a small vocabulary (types, feed ids, threat types,
 * malware families), as property keys are. A row's strings are new each read, and V8 turns a new
 * string into a forwarding "thin" string the first time it is used as a key (scoring and the
 * ATT&CK mapper look these words up in tables). Text joined with a thin string can then be held
 * two bytes a character, and an answer holding such text is written out character by character
 * instead of copied (some 5 µs an answer). The words a row names are few, so each is kept once.
 */
const WORDS = new Map<string, string>();
const WORDS_MAX = 16_384;
function word<T extends string | null>(s: T): T {
  if (s === null) return s;
  let shared = WORDS.get(s);
  if (shared === undefined) {
    if (WORDS.size >= WORDS_MAX) WORDS.clear();
    // a key of an object is the internalized string (an index-like word comes back as the same text)
    shared = Object.keys({ [s]: 0 })[0] ?? s;
    WORDS.set(s, shared);
  }
  return shared as T;
}

export const SIGHTING_COLUMNS =
  'type, value, feed_id, first_seen, last_seen, date_source, threat_type, malware_family, tags, confidence, reference_url, attack_ids, attributes, listed, updated_at';

export interface SightingRow {
  type: string;
  value: string;
  feed_id: string;
  first_seen: Millis;
  last_seen: Millis;
  date_source: number | null;
  threat_type: string | null;
  malware_family: string | null;
  tags: Json<string[]>;
  confidence: number | null;
  reference_url: string | null;
  attack_ids: Json<string[]>;
  attributes: Json<Record<string, unknown>>;
  /** 1/0 in SQLite, a boolean in PostgreSQL. */
  listed: number | boolean;
  updated_at: Millis;
}

export function toSighting(r: SightingRow): Sighting {
  return {
    type: word(r.type) as StoredType,
    value: r.value,
    feedId: word(r.feed_id),
    firstSeen: iso(r.first_seen),
    lastSeen: iso(r.last_seen),
    threatType: word(r.threat_type) as ThreatType | null,
    malwareFamily: word(r.malware_family),
    tags: decoded(r.tags, []),
    confidence: r.confidence,
    referenceUrl: r.reference_url,
    attackIds: decoded(r.attack_ids, []),
    attributes: decoded(r.attributes, {}),
    dateSource: dateSourceOf(r.date_source),
    listed: r.listed === true || r.listed === 1,
    updatedAt: iso(r.updated_at),
  };
}

/**
 * A sighting from a row read as an array (better-sqlite3's raw mode), its values in
 * SIGHTING_COLUMNS' order: some 1.3 µs a row cheaper than a row read as an object of 15 fields.
 */
export function toSightingFromValues(v: readonly unknown[]): Sighting {
  return toSighting({
    type: v[0] as string,
    value: v[1] as string,
    feed_id: v[2] as string,
    first_seen: v[3] as Millis,
    last_seen: v[4] as Millis,
    date_source: v[5] as number | null,
    threat_type: v[6] as string | null,
    malware_family: v[7] as string | null,
    tags: v[8] as Json<string[]>,
    confidence: v[9] as number | null,
    reference_url: v[10] as string | null,
    attack_ids: v[11] as Json<string[]>,
    attributes: v[12] as Json<Record<string, unknown>>,
    listed: v[13] as number | boolean,
    updated_at: v[14] as Millis,
  });
}

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

export const KEY_COLUMNS = 'id, key_prefix, key_hash, name, tier, scopes, created_at, last_used_at, expires_at, revoked_at, allowed_ips';

export interface ApiKeyRow {
  id: string;
  key_prefix: string;
  key_hash: string;
  name: string;
  tier: string;
  scopes: Json<string[]>;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  allowed_ips: Json<string[]>;
}

export function toApiKey(r: ApiKeyRow): ApiKeyRecord {
  return {
    id: r.id,
    keyPrefix: r.key_prefix,
    keyHash: r.key_hash,
    name: r.name,
    tier: r.tier as Tier,
    scopes: decoded(r.scopes, []) as Scope[],
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    allowedIps: decoded(r.allowed_ips, []),
  };
}

/** The key columns in KEY_COLUMNS order, scopes as JSON: what an insert binds. */
export function apiKeyParams(k: ApiKeyRecord): unknown[] {
  return [k.id, k.keyPrefix, k.keyHash, k.name, k.tier, JSON.stringify(k.scopes), k.createdAt, k.lastUsedAt ?? null, k.expiresAt ?? null, k.revokedAt ?? null, JSON.stringify(k.allowedIps ?? [])];
}

export const STATE_COLUMNS = 'feed_id, last_run, last_success_at, last_error_at, last_error, etag, last_modified, listed_count, total_count, data_as_of';

export interface StateRow {
  feed_id: string;
  last_run: Json<FeedRunRecord>;
  last_success_at: string | null;
  last_error_at: string | null;
  last_error: string | null;
  etag: string | null;
  last_modified: string | null;
  listed_count: Int;
  total_count: Int;
  data_as_of: Millis | null;
}

export function toState(r: StateRow): FeedState {
  return {
    feedId: r.feed_id,
    lastRun: r.last_run === null ? null : decoded(r.last_run, null),
    lastSuccessAt: r.last_success_at,
    lastErrorAt: r.last_error_at,
    lastError: r.last_error,
    etag: r.etag,
    lastModified: r.last_modified,
    listedCount: Number(r.listed_count),
    totalCount: Number(r.total_count),
    dataAsOf: r.data_as_of === null ? null : iso(r.data_as_of),
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
