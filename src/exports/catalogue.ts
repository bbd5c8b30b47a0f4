/**
 * Catalogue entries (the IOC catalogue's rows: one per indicator, its risk as a lookup computes it,
 * its feeds, threat types, families, techniques and CVEs) as export items, so the catalogue's
 * stream exports through the same formats as a lookup's result. An entry names its feeds but
 * not each feed's own dates: every feed's source carries the entry's first and last seen.
 */
import type { StoredType } from '../indicators/types.ts';
import type { ExportItem } from './types.ts';

/** The fields of a catalogue entry an export reads (the store's CatalogueEntry has them). */
export interface CatalogueEntryLike {
  type: StoredType;
  value: string;
  firstSeen: string;
  lastSeen: string;
  score: number;
  level: string;
  confidence: string;
  feeds: readonly string[];
  threatTypes: readonly string[];
  families: readonly string[];
  techniques: readonly string[];
}

export interface CatalogueLabels {
  /** A feed's name and category by its id (the feed catalog). */
  feed(id: string): { name: string; category: string } | undefined;
  /** An ATT&CK technique's name by its id, when known. */
  technique?(id: string): string | undefined;
}

export function catalogueItem(e: CatalogueEntryLike, labels: CatalogueLabels): ExportItem {
  return {
    type: e.type,
    value: e.value,
    found: true,
    first_seen: e.firstSeen,
    last_seen: e.lastSeen,
    risk: { score: e.score, level: e.level, factors: [] },
    confidence: e.confidence,
    mitre_techniques: e.techniques.map((id) => ({ id, name: labels.technique?.(id) ?? id, derived_from: 'catalogue' })),
    sources: e.feeds.map((id) => {
      const f = labels.feed(id);
      return {
        feed_name: f?.name ?? id,
        category: f?.category ?? 'unknown',
        first_seen: e.firstSeen,
        last_seen: e.lastSeen,
        threat_type: null,
        malware_family: null,
        confidence: null,
        reference_url: null,
        match: 'exact' as const,
        matched_value: e.value,
        date_source: null,
        listed: true,
        details: {},
      };
    }),
    threat_types: [...e.threatTypes],
    malware_families: [...e.families],
    tags: [],
  };
}

/** A stream of entries as a stream of export items. */
export async function* catalogueItems(entries: AsyncIterable<CatalogueEntryLike>, labels: CatalogueLabels): AsyncIterable<ExportItem> {
  for await (const e of entries) yield catalogueItem(e, labels);
}
