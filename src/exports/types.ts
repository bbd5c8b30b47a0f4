/**
 * What every export format reads: one indicator's verdict, as a lookup answers it (the fields of
 * LookupResponse an export needs), so a single lookup's result, a bulk answer and the catalogue's
 * stream all export the same way. Formats are pure: items and options in, text out.
 */
import type { LookupResponse } from '../enrich.ts';
import type { StoredType } from '../indicators/types.ts';
import type { TlpLevel } from './tlp.ts';

export type ExportItem = Pick<
  LookupResponse,
  'value' | 'risk' | 'confidence' | 'mitre_techniques' | 'sources' | 'found' | 'first_seen' | 'last_seen' | 'threat_types' | 'malware_families' | 'tags'
> & { type: StoredType };

/** Items as a list or a stream (the catalogue's async iterator). */
export type ExportItems = Iterable<ExportItem> | AsyncIterable<ExportItem>;

export const EXPORT_FORMATS = ['stix', 'misp', 'cef', 'syslog', 'openioc', 'sigma'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  /** The export's time: `modified` of what Verdict writes, CEF's `rt`, syslog's timestamp. */
  now: Date;
  /** The TLP the caller asked for; each indicator is marked with this or its feeds' TLP, whichever is stricter. */
  tlp?: TlpLevel;
  /** Days an indicator of a type stays valid after it was last seen (data/scoring.json decay); null: no end. */
  lifetimeDays(type: StoredType): number | null;
  /** Id of the STIX bundle or MISP event (random by default: one export is one document). */
  documentId?: string;
  /** Host name written in syslog lines (`-` when absent). */
  hostname?: string;
  /** Verdict's version, written in CEF headers. */
  version?: string;
}

/** Items one at a time, whichever form they come in. */
export async function* eachItem(items: ExportItems): AsyncIterable<ExportItem> {
  yield* items as AsyncIterable<ExportItem>;
}
