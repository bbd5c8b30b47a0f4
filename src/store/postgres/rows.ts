/** Mapping between PostgreSQL rows and domain records, and checks on what callers hand in. */
import type { StoredType } from '../../indicators/types.ts';
import type { Sighting, ThreatType } from '../../model.ts';
import type { FeedRunRecord, FeedState } from '../types.ts';
import { dateSourceOf } from '../rows.ts';

export const SIGHTING_COLUMNS =
  'type, value, feed_id, first_seen, last_seen, date_source, threat_type, malware_family, tags, confidence, reference_url, attack_ids, attributes, listed, updated_at';

export interface SightingRow {
  type: string;
  value: string;
  feed_id: string;
  /** bigint epoch ms (node-postgres returns int8 as a string) */
  first_seen: string;
  last_seen: string;
  date_source: number | null;
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
    dateSource: dateSourceOf(r.date_source),
    listed: r.listed,
    updatedAt: iso(r.updated_at),
  };
}

export { KEY_COLUMNS, toApiKey, type ApiKeyRow } from '../rows.ts';

export { OVERRIDE_COLUMNS, toOverride, type OverrideRow } from '../rows.ts';

export const STATE_COLUMNS = 'feed_id, last_run, last_success_at, last_error_at, last_error, etag, last_modified, listed_count, total_count, data_as_of';

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
  /** bigint epoch ms, as a string */
  data_as_of: string | null;
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
    dataAsOf: r.data_as_of === null ? null : new Date(Number(r.data_as_of)).toISOString(),
  };
}

export { validateKey, validateOverride, validateRun } from '../validate.ts';
