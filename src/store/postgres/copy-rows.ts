/**
 * Turns feed records into lines of PostgreSQL's COPY text format. Records are checked and
 * encoded by the code every engine uses (../records.ts), so both stores accept and refuse
 * exactly the same runs, with the same messages.
 */
import type { SightingRecord } from '../../model.ts';
import { cidrNetwork } from '../cidr.ts';
import { encode, fail, type Fallback } from '../records.ts';

/** COPY text format: backslash, tab, newline and carriage return must be escaped; NULL is \N. */
const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_SPECIAL_ALL = /[\\\t\n\r]/g;
const COPY_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function field(v: string | number | null): string {
  if (v === null) return '\\N';
  if (typeof v === 'number') return String(v);
  return COPY_SPECIAL.test(v) ? v.replace(COPY_SPECIAL_ALL, (c) => COPY_ESCAPES[c] ?? c) : v;
}

/** Staging table columns, in COPY order. */
export const STAGING_COLUMNS =
  'seq, type, value, first_seen, last_seen, date_source, threat_type, malware_family, tags, confidence, reference_url, attack_ids, attributes, range';

/**
 * One COPY line for record number `n` (1-based), with the record's final dates (`fallback` for
 * one that states none); throws IngestError for a malformed record.
 */
export function copyLine(r: SightingRecord, n: number, fallback: Fallback, seen: { newest: number }): string {
  const [type, value, firstSeen, lastSeen, dateSource, threatType, family, tags, confidence, reference, attackIds, attributes] = encode(r, n, fallback);
  if (lastSeen > seen.newest) seen.newest = lastSeen;
  let range: string | null = null;
  if (type === 'cidr') {
    range = cidrNetwork(value);
    if (range === null) throw fail(`record ${n}: ${JSON.stringify(value)} is not a CIDR range`);
  }
  // plain concatenation: this runs once per record of million-line feeds
  return (
    n + '\t' + type + '\t' + field(value) + '\t' + firstSeen + '\t' + lastSeen + '\t' + dateSource + '\t' + field(threatType) + '\t' +
    field(family) + '\t' + field(tags ?? '[]') + '\t' + field(confidence) + '\t' + field(reference) + '\t' + field(attackIds ?? '[]') + '\t' +
    field(attributes ?? '{}') + '\t' + field(range) + '\n'
  );
}
