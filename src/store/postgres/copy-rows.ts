/**
 * Turns feed records into lines of PostgreSQL's COPY text format. Records are checked and
 * encoded by the same code as the SQLite store's (src/store/sqlite/records.ts), so both stores
 * accept and refuse exactly the same runs, with the same messages.
 */
import ipaddr from 'ipaddr.js';
import type { SightingRecord } from '../../model.ts';
import { encode, fail, toMillis, type Fallback } from '../sqlite/records.ts';

export { fallbackOf, type Fallback } from '../sqlite/records.ts';
export { toMillis };
export const ingestFailure = fail;

/** COPY text format: backslash, tab, newline and carriage return must be escaped; NULL is \N. */
const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_SPECIAL_ALL = /[\\\t\n\r]/g;
const COPY_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function field(v: string | number | null): string {
  if (v === null) return '\\N';
  if (typeof v === 'number') return String(v);
  return COPY_SPECIAL.test(v) ? v.replace(COPY_SPECIAL_ALL, (c) => COPY_ESCAPES[c] ?? c) : v;
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** The network a CIDR value denotes, in PostgreSQL `cidr` input form (host bits cleared), or null. */
export function cidrNetwork(value: string): string | null {
  // Fast path for dotted-quad IPv4 (most ranges in feeds); ipaddr.js tries IPv6 first and is slow.
  const m = IPV4_CIDR.exec(value);
  // leading zeros are left to ipaddr.js, which the SQLite store also uses, so both read them alike
  if (m !== null && !/(^|\.)0\d/.test(value)) {
    const prefix = Number(m[5]);
    const octets = [m[1], m[2], m[3], m[4]].map(Number);
    if (prefix > 32 || octets.some((o) => o > 255)) return null;
    const n = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
    const net = prefix === 0 ? 0 : (n & (0xffffffff << (32 - prefix))) >>> 0;
    return `${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.${net & 255}/${prefix}`;
  }
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(value);
  } catch {
    return null;
  }
  const [addr, prefix] = parsed;
  const bytes = addr.toByteArray();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    bytes[i] = (bytes[i] ?? 0) & ~(0xff >> keep) & 0xff;
  }
  return `${ipaddr.fromByteArray(bytes).toString()}/${prefix}`;
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
