/** Mapping between table rows and domain records. */
import type { StoredType } from '../../indicators/types.ts';
import type { Sighting, ThreatType } from '../../model.ts';
import type { ApiKeyRecord } from '../types.ts';
import { dateSourceOf, toApiKey as toSharedApiKey, type ApiKeyRow } from '../rows.ts';

export const SIGHTING_COLUMNS =
  'type, value, feed_id, first_seen, last_seen, date_source, threat_type, malware_family, tags, confidence, reference_url, attack_ids, attributes, listed, updated_at';

export interface SightingRow {
  type: string;
  value: string;
  feed_id: string;
  first_seen: number;
  last_seen: number;
  date_source: number | null;
  threat_type: string | null;
  malware_family: string | null;
  tags: string | null;
  confidence: number | null;
  reference_url: string | null;
  attack_ids: string | null;
  attributes: string | null;
  listed: number;
  updated_at: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function toSighting(r: SightingRow): Sighting {
  return {
    type: r.type as StoredType,
    value: r.value,
    feedId: r.feed_id,
    firstSeen: iso(r.first_seen),
    lastSeen: iso(r.last_seen),
    threatType: r.threat_type as ThreatType | null,
    malwareFamily: r.malware_family,
    tags: r.tags === null ? [] : (JSON.parse(r.tags) as string[]),
    confidence: r.confidence,
    referenceUrl: r.reference_url,
    attackIds: r.attack_ids === null ? [] : (JSON.parse(r.attack_ids) as string[]),
    attributes: r.attributes === null ? {} : (JSON.parse(r.attributes) as Record<string, unknown>),
    dateSource: dateSourceOf(r.date_source),
    listed: r.listed === 1,
    updatedAt: iso(r.updated_at),
  };
}

/** SQLite keeps a key's scopes as JSON text. */
export type SqliteApiKeyRow = Omit<ApiKeyRow, 'scopes'> & { scopes: string };

export function toApiKey(r: SqliteApiKeyRow): ApiKeyRecord {
  return toSharedApiKey({ ...r, scopes: JSON.parse(r.scopes) as string[] });
}

export { OVERRIDE_COLUMNS, toOverride, type OverrideRow } from '../rows.ts';
