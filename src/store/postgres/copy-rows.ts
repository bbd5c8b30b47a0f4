/**
 * Turns feed records into lines of PostgreSQL's COPY text format, checking each record the way
 * the SQLite store does (same rules, same messages), so both stores refuse the same runs.
 */
import ipaddr from 'ipaddr.js';
import { STORED_TYPES } from '../../indicators/types.ts';
import { THREAT_TYPES } from '../../model.ts';
import type { SightingRecord } from '../../model.ts';
import { IngestError } from '../types.ts';

const MAX_VALUE_LENGTH = 65_536;
const STORED_TYPE_SET: ReadonlySet<string> = new Set(STORED_TYPES);
const THREAT_TYPE_SET: ReadonlySet<string> = new Set(THREAT_TYPES);

export function ingestFailure(message: string, cause?: unknown): IngestError {
  return new IngestError(cause === undefined ? { kind: 'aborted', message } : { kind: 'aborted', message, cause });
}

/** COPY text format: backslash, tab, newline and carriage return must be escaped; NULL is \N. */
const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_SPECIAL_ALL = /[\\\t\n\r]/g;
const COPY_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function field(v: string | number | null): string {
  if (v === null) return '\\N';
  if (typeof v === 'number') return String(v);
  return COPY_SPECIAL.test(v) ? v.replace(COPY_SPECIAL_ALL, (c) => COPY_ESCAPES[c] ?? c) : v;
}

/** Sorted, de-duplicated JSON array: the stored form of tags and ATT&CK ids (as in SQLite). */
function setJson(list: readonly string[] | undefined): string {
  if (list === undefined || list.length === 0) return '[]';
  if (list.length === 1) return JSON.stringify(list);
  // feeds usually send tags already sorted and unique: skip the Set and the sort then
  let ordered = true;
  for (let i = 1; i < list.length && ordered; i++) ordered = list[i - 1]! < list[i]!;
  return JSON.stringify(ordered ? list : [...new Set(list)].sort());
}

// RFC 3339 date-time (as the SQLite store checks it); tested before Date.parse, which takes looser forms
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/** Epoch ms of an RFC 3339 time, or null when it is not one. */
export function toMillis(v: unknown): number | null {
  if (typeof v !== 'string' || !RFC3339.test(v)) return null;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? null : ms;
}

function checkTime(v: unknown, name: string, n: number): number | null {
  if (v === undefined || v === null) return null;
  const ms = toMillis(v);
  if (ms === null) throw ingestFailure(`record ${n}: ${name} must be an RFC 3339 time, got ${JSON.stringify(v)}`);
  return ms;
}

function checkStringList(v: unknown, name: string, n: number): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((t) => typeof t !== 'string')) throw ingestFailure(`record ${n}: ${name} must be an array of strings`);
  return v as string[];
}

function optionalString(v: unknown, name: string, n: number): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw ingestFailure(`record ${n}: ${name} must be a string or null`);
  return v;
}

/** The network a CIDR value denotes, in PostgreSQL `cidr` input form (host bits cleared), or null. */
const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

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
  'seq, type, value, first_seen, last_seen, threat_type, malware_family, tags, confidence, reference_url, attack_ids, attributes, range';

/** One COPY line for record number `n` (1-based); throws IngestError for a malformed record. */
export function copyLine(r: SightingRecord, n: number): string {
  if (r === null || typeof r !== 'object') throw ingestFailure(`record ${n}: not an object`);
  const { type, value } = r;
  if (!STORED_TYPE_SET.has(type)) throw ingestFailure(`record ${n}: unknown indicator type ${JSON.stringify(type)}`);
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_VALUE_LENGTH) {
    throw ingestFailure(`record ${n}: value must be a non-empty string of at most ${MAX_VALUE_LENGTH} characters`);
  }
  const threatType = r.threatType ?? null;
  if (threatType !== null && !THREAT_TYPE_SET.has(threatType)) throw ingestFailure(`record ${n}: unknown threat type ${JSON.stringify(threatType)}`);
  const confidence = r.confidence ?? null;
  if (confidence !== null && !(typeof confidence === 'number' && confidence >= 0 && confidence <= 100)) {
    throw ingestFailure(`record ${n}: confidence must be a number from 0 to 100`);
  }
  const firstSeen = checkTime(r.firstSeen, 'firstSeen', n);
  const lastSeen = checkTime(r.lastSeen, 'lastSeen', n);
  const family = optionalString(r.malwareFamily, 'malwareFamily', n);
  const reference = optionalString(r.referenceUrl, 'referenceUrl', n);
  const tags = setJson(checkStringList(r.tags, 'tags', n));
  const attackIds = setJson(checkStringList(r.attackIds, 'attackIds', n));
  let attributes = '{}';
  if (r.attributes !== undefined && r.attributes !== null) {
    if (typeof r.attributes !== 'object' || Array.isArray(r.attributes)) throw ingestFailure(`record ${n}: attributes must be an object`);
    attributes = JSON.stringify(r.attributes);
  }
  let range: string | null = null;
  if (type === 'cidr') {
    range = cidrNetwork(value);
    if (range === null) throw ingestFailure(`record ${n}: ${JSON.stringify(value)} is not a CIDR range`);
  }
  // plain concatenation: this runs once per record of million-line feeds
  return (
    n + '\t' + type + '\t' + field(value) + '\t' + field(firstSeen) + '\t' + field(lastSeen) + '\t' + field(threatType) + '\t' +
    field(family) + '\t' + field(tags) + '\t' + field(confidence) + '\t' + field(reference) + '\t' + field(attackIds) + '\t' +
    field(attributes) + '\t' + field(range) + '\n'
  );
}
