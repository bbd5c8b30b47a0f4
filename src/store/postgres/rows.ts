/** Mapping between PostgreSQL rows and domain records, and checks on what callers hand in. */
import type { IndicatorType, StoredType } from '../../indicators/types.ts';
import { isIndicatorType } from '../../indicators/types.ts';
import type { Override, Sighting, ThreatType } from '../../model.ts';
import { SCOPES, TIERS } from '../types.ts';
import type { ApiKeyRecord, FeedRunRecord, FeedRunStatus, FeedState, Scope, Tier } from '../types.ts';

export const SIGHTING_COLUMNS =
  'type, value, feed_id, first_seen, last_seen, threat_type, malware_family, tags, confidence, reference_url, attack_ids, attributes, listed, updated_at';

export interface SightingRow {
  type: string;
  value: string;
  feed_id: string;
  /** bigint epoch ms (node-postgres returns int8 as a string) */
  first_seen: string;
  last_seen: string;
  threat_type: string | null;
  malware_family: string | null;
  tags: string[];
  confidence: number | null;
  reference_url: string | null;
  attack_ids: string[];
  attributes: Record<string, unknown>;
  listed: boolean;
  updated_at: string;
}

const iso = (ms: string): string => new Date(Number(ms)).toISOString();

export function toSighting(r: SightingRow): Sighting {
  return {
    type: r.type as StoredType,
    value: r.value,
    feedId: r.feed_id,
    firstSeen: iso(r.first_seen),
    lastSeen: iso(r.last_seen),
    threatType: r.threat_type as ThreatType | null,
    malwareFamily: r.malware_family,
    tags: r.tags,
    confidence: r.confidence,
    referenceUrl: r.reference_url,
    attackIds: r.attack_ids,
    attributes: r.attributes,
    listed: r.listed,
    updatedAt: iso(r.updated_at),
  };
}

export const KEY_COLUMNS = 'id, key_prefix, key_hash, name, tier, scopes, created_at, last_used_at, expires_at, revoked_at';

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

export const STATE_COLUMNS = 'feed_id, last_run, last_success_at, last_error_at, last_error, etag, last_modified, listed_count, total_count';

export interface StateRow {
  feed_id: string;
  last_run: FeedRunRecord | null;
  last_success_at: string | null;
  last_error_at: string | null;
  last_error: string | null;
  etag: string | null;
  last_modified: string | null;
  listed_count: string;
  total_count: string;
}

export function toState(r: StateRow): FeedState {
  return {
    feedId: r.feed_id,
    lastRun: r.last_run,
    lastSuccessAt: r.last_success_at,
    lastErrorAt: r.last_error_at,
    lastError: r.last_error,
    etag: r.etag,
    lastModified: r.last_modified,
    listedCount: Number(r.listed_count),
    totalCount: Number(r.total_count),
  };
}

const SCOPE_SET: ReadonlySet<string> = new Set(SCOPES);
const TIER_SET: ReadonlySet<string> = new Set(TIERS);
const HASH_RE = /^[0-9a-f]{64}$/;
const RUN_STATUSES: ReadonlySet<string> = new Set<FeedRunStatus>(['success', 'failure', 'not_modified', 'running']);
const isTime = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));

function checker(what: string) {
  return (problem: string): never => {
    throw new TypeError(`${what}: ${problem}`);
  };
}

export function validateKey(k: ApiKeyRecord): void {
  const bad = checker('api key record');
  if (k === null || typeof k !== 'object') bad('missing');
  if (typeof k.id !== 'string' || k.id.length === 0) bad('id must be a non-empty string');
  if (typeof k.keyHash !== 'string' || !HASH_RE.test(k.keyHash)) bad('keyHash must be a lower-case hex SHA-256');
  if (typeof k.keyPrefix !== 'string' || k.keyPrefix.length === 0) bad('keyPrefix must be a non-empty string');
  if (typeof k.name !== 'string') bad('name must be a string');
  if (!TIER_SET.has(k.tier)) bad(`unknown tier ${JSON.stringify(k.tier)}`);
  if (!Array.isArray(k.scopes) || k.scopes.some((s) => !SCOPE_SET.has(s))) bad(`scopes must be a list of ${SCOPES.join(', ')}`);
  if (!isTime(k.createdAt)) bad('createdAt must be an RFC 3339 time');
}

export function validateOverride(o: Override): void {
  const bad = checker('override');
  if (o === null || typeof o !== 'object') bad('missing');
  if (!isIndicatorType(o.type)) bad(`unknown indicator type ${JSON.stringify(o.type)}`);
  if (typeof o.value !== 'string' || o.value.length === 0) bad('value must be a non-empty string');
  if (o.verdict !== 'allow' && o.verdict !== 'deny') bad(`verdict must be 'allow' or 'deny'`);
  if (typeof o.reason !== 'string') bad('reason must be a string');
  if (!isTime(o.createdAt)) bad('createdAt must be an RFC 3339 time');
}

export function validateRun(run: FeedRunRecord): void {
  const bad = checker('feed run record');
  if (run === null || typeof run !== 'object') bad('missing');
  if (typeof run.feedId !== 'string' || run.feedId.length === 0) bad('feedId must be a non-empty string');
  if (!isTime(run.startedAt)) bad('startedAt must be an RFC 3339 time');
  if (!RUN_STATUSES.has(run.status)) bad(`unknown status ${JSON.stringify(run.status)}`);
}
