/**
 * Records as every engine accepts them: validation with messages that name the record, and the
 * encoding into column values (times as epoch ms, tags and ATT&CK ids as a sorted JSON set,
 * empty JSON as NULL). SQLite binds the encoded values, PostgreSQL copies them, so both stores
 * accept and refuse exactly the same runs, with the same messages.
 *
 * NUL characters: PostgreSQL's text and jsonb refuse them where SQLite keeps them. A value with
 * one is refused (an indicator with a NUL in it is not that indicator); in the text around it —
 * tags, family, reference, attribute names and strings — they are removed, so that a stray byte
 * in a feed's comment does not fail its run on one engine only.
 */
import { STORED_TYPES } from '../indicators/types.ts';
import { DATE_SOURCES, THREAT_TYPES } from '../model.ts';
import type { DateSource, SightingRecord } from '../model.ts';
import { parseCidrRange } from './cidr.ts';
import { DATE_SOURCE_CODES } from './rows.ts';
import { IngestError, isAsyncIterable } from './types.ts';
import type { IngestOptions } from './types.ts';

const MAX_VALUE_LENGTH = 65_536;
const STORED_TYPE_SET: ReadonlySet<string> = new Set(STORED_TYPES);
const THREAT_TYPE_SET: ReadonlySet<string> = new Set(THREAT_TYPES);
const INGEST_MODES: ReadonlySet<string> = new Set(['snapshot', 'incremental']);
const DATE_SOURCE_SET: ReadonlySet<string> = new Set(DATE_SOURCES);

export function fail(message: string, cause?: unknown): IngestError {
  return new IngestError(cause === undefined ? { kind: 'aborted', message } : { kind: 'aborted', message, cause });
}

export function validateOptions(o: IngestOptions): void {
  if (o === null || typeof o !== 'object') throw fail('ingest options are required');
  if (typeof o.feedId !== 'string' || o.feedId.length === 0) throw fail('ingest options: feedId must be a non-empty string');
  if (!INGEST_MODES.has(o.mode)) throw fail(`ingest options: mode must be 'snapshot' or 'incremental', got ${JSON.stringify(o.mode)}`);
  if (toMillis(o.runAt) === null) throw fail(`ingest options: runAt must be an RFC 3339 time, got ${JSON.stringify(o.runAt)}`);
  if (o.maxDropShare !== undefined && !(typeof o.maxDropShare === 'number' && o.maxDropShare >= 0 && o.maxDropShare <= 1)) {
    throw fail(`ingest options: maxDropShare must be a number between 0 and 1, got ${JSON.stringify(o.maxDropShare)}`);
  }
  if (o.fallbackDate !== undefined) {
    const f = o.fallbackDate as unknown as Record<string, unknown> | null;
    if (f === null || typeof f !== 'object' || toMillis(f['at']) === null || !DATE_SOURCE_SET.has(f['source'] as string)) {
      throw fail(`ingest options: fallbackDate must be { at: RFC 3339 time, source: ${DATE_SOURCES.join('|')} }, got ${JSON.stringify(o.fallbackDate)}`);
    }
  }
}

/** What `ingest` is handed must be records, in an iterable or an async iterable. */
export function checkRecordSource(records: unknown): void {
  const ok =
    records !== null &&
    typeof records === 'object' &&
    (isAsyncIterable(records as AsyncIterable<unknown>) || typeof (records as Iterable<unknown>)[Symbol.iterator] === 'function');
  if (!ok) throw fail('ingest records must be an iterable or async iterable');
}

/** The dates a record without any takes in this run, as epoch ms and stored code. */
export interface Fallback {
  at: number;
  code: number;
}

export function fallbackOf(o: IngestOptions): Fallback {
  const f = o.fallbackDate;
  if (f !== undefined) return { at: toMillis(f.at) as number, code: DATE_SOURCE_CODES[f.source] };
  return { at: toMillis(o.runAt) as number, code: DATE_SOURCE_CODES.fetched };
}

/** Sorted, de-duplicated JSON array (NULL when empty): the stored form of tags and ATT&CK ids. */
function setJson(list: readonly string[] | undefined): string | null {
  if (list === undefined || list.length === 0) return null;
  if (list.length === 1) return JSON.stringify(list);
  let ordered = true;
  for (let i = 1; i < list.length && ordered; i++) ordered = (list[i - 1] as string) < (list[i] as string);
  // already a sorted set (the common case): skip the Set and the sort
  return JSON.stringify(ordered ? list : [...new Set(list)].sort());
}

/**
 * The last list encoded, by identity and content: parsers hand the same tags array to many
 * records (a list's catalog tags, a CSV tag cell repeated on every row), and sorting and
 * serializing it again is most of what encoding a record costs. Checked element by element,
 * so a list changed in place is encoded afresh.
 */
class SetJsonMemo {
  private list: readonly string[] | null = null;
  private copy: string[] = [];
  private json: string | null = null;

  encode(list: readonly string[] | undefined): string | null {
    if (list === undefined || list.length === 0) return null;
    if (list === this.list && this.unchanged(list)) return this.json;
    const raw = setJson(list);
    // a NUL removed can make two entries equal: the set is made again from the cleaned list
    const json = raw !== null && raw.includes(JSON_NUL) ? setJson([...new Set(list.map(withoutNul))].filter((t) => t !== '').sort()) : raw;
    this.list = list;
    this.copy = list.slice();
    this.json = json;
    return json;
  }

  private unchanged(list: readonly string[]): boolean {
    const copy = this.copy;
    if (copy.length !== list.length) return false;
    for (let i = 0; i < copy.length; i++) if (copy[i] !== list[i]) return false;
    return true;
  }
}

const NUL = '\u0000';
/** How JSON.stringify writes a NUL. */
const JSON_NUL = '\\u0000';

function withoutNul(s: string): string {
  return s.includes(NUL) ? s.split(NUL).join('') : s;
}

/** A JSON value with the NULs of its strings and names removed. */
function jsonWithoutNul(v: unknown): unknown {
  if (typeof v === 'string') return withoutNul(v);
  if (Array.isArray(v)) return v.map(jsonWithoutNul);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[withoutNul(k)] = jsonWithoutNul(x);
    return out;
  }
  return v;
}

/** `json` (a JSON text), with NULs removed from its strings if it has any (rarely: only then is it parsed again). */
function jsonTextWithoutNul(json: string): string {
  return json.includes(JSON_NUL) ? JSON.stringify(jsonWithoutNul(JSON.parse(json))) : json;
}

const tagsJson = new SetJsonMemo();
const attackIdsJson = new SetJsonMemo();

export function mergeSetJson(storedJson: string | null, incomingJson: string | null): string | null {
  if (storedJson === null || storedJson === incomingJson) return incomingJson;
  if (incomingJson === null) return storedJson;
  const merged = new Set<string>([...(JSON.parse(storedJson) as string[]), ...(JSON.parse(incomingJson) as string[])]);
  return JSON.stringify([...merged].sort());
}

// RFC 3339 date-time; checked before Date.parse, which also takes looser forms
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

export function toMillis(v: unknown): number | null {
  if (typeof v !== 'string') return null;
  // feeds repeat the same few times across many rows (a day's date, a batch's timestamp)
  const hit = millisMemo.get(v);
  if (hit !== undefined) return hit;
  const ms = RFC3339.test(v) ? Date.parse(v) : Number.NaN;
  const out = Number.isNaN(ms) ? null : ms;
  if (millisMemo.size >= MILLIS_MEMO_SIZE) millisMemo.clear();
  millisMemo.set(v, out);
  return out;
}

const MILLIS_MEMO_SIZE = 4096;
const millisMemo = new Map<string, number | null>();

function checkTime(v: unknown, field: string, n: number): number | null {
  if (v === undefined || v === null) return null;
  const ms = toMillis(v);
  if (ms === null) throw fail(`record ${n}: ${field} must be an RFC 3339 time, got ${JSON.stringify(v)}`);
  return ms;
}

function checkStringList(v: unknown, field: string, n: number): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw fail(`record ${n}: ${field} must be an array of strings`);
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') throw fail(`record ${n}: ${field} must be an array of strings`);
  return v as string[];
}

/** A plain object with no enumerable property: stored as NULL without serializing it. */
function isEmptyPlainObject(o: object): boolean {
  const proto = Object.getPrototypeOf(o) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  for (const _key in o) return false;
  return true;
}

function optionalString(v: unknown, field: string, n: number): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw fail(`record ${n}: ${field} must be a string or null`);
  return withoutNul(v);
}

/**
 * A validated record in column order: what the statements bind. Its dates are final for the
 * record: one stated date sets both, `last ≥ first`, and a record that states none has the run's
 * fallback (with that fallback's source).
 */
export type Encoded = [
  type: string,
  value: string,
  firstSeen: number,
  lastSeen: number,
  dateSource: number,
  threatType: string | null,
  family: string | null,
  tags: string | null,
  confidence: number | null,
  reference: string | null,
  attackIds: string | null,
  attributes: string | null,
];

function dateSourceCode(v: unknown, n: number): number {
  if (v === undefined || v === null) return DATE_SOURCE_CODES.feed;
  if (!DATE_SOURCE_SET.has(v as string)) throw fail(`record ${n}: dateSource must be one of ${DATE_SOURCES.join(', ')}, got ${JSON.stringify(v)}`);
  return DATE_SOURCE_CODES[v as DateSource];
}

export function encode(r: SightingRecord, n: number, fallback: Fallback): Encoded {
  if (r === null || typeof r !== 'object') throw fail(`record ${n}: not an object`);
  const { type, value } = r;
  if (!STORED_TYPE_SET.has(type)) throw fail(`record ${n}: unknown indicator type ${JSON.stringify(type)}`);
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_VALUE_LENGTH) {
    throw fail(`record ${n}: value must be a non-empty string of at most ${MAX_VALUE_LENGTH} characters`);
  }
  if (value.includes(NUL)) throw fail(`record ${n}: value contains a NUL character (${JSON.stringify(value)})`);
  const threatType = r.threatType ?? null;
  if (threatType !== null && !THREAT_TYPE_SET.has(threatType)) throw fail(`record ${n}: unknown threat type ${JSON.stringify(threatType)}`);
  const confidence = r.confidence ?? null;
  if (confidence !== null && !(typeof confidence === 'number' && confidence >= 0 && confidence <= 100)) {
    throw fail(`record ${n}: confidence must be a number from 0 to 100`);
  }
  let attributes: string | null = null;
  if (r.attributes !== undefined && r.attributes !== null) {
    if (typeof r.attributes !== 'object' || Array.isArray(r.attributes)) throw fail(`record ${n}: attributes must be an object`);
    if (!isEmptyPlainObject(r.attributes)) {
      try {
        attributes = JSON.stringify(r.attributes);
      } catch (err) {
        throw fail(`record ${n}: attributes are not JSON (${(err as Error).message})`, err);
      }
      attributes = jsonTextWithoutNul(attributes);
      if (attributes === '{}') attributes = null;
    }
  }
  if (type === 'cidr' && parseCidrRange(value) === null) throw fail(`record ${n}: ${JSON.stringify(value)} is not a CIDR range`);
  const family = optionalString(r.malwareFamily, 'malwareFamily', n);
  const reference = optionalString(r.referenceUrl, 'referenceUrl', n);
  const tags = tagsJson.encode(checkStringList(r.tags, 'tags', n));
  const attackIds = attackIdsJson.encode(checkStringList(r.attackIds, 'attackIds', n));
  const stated = dates(checkTime(r.firstSeen, 'firstSeen', n), checkTime(r.lastSeen, 'lastSeen', n));
  const [first, last] = stated ?? [fallback.at, fallback.at];
  const source = stated === null ? fallback.code : dateSourceCode(r.dateSource, n);
  return [type, value, first, last, source, threatType, family, tags, confidence, reference, attackIds, attributes];
}

/**
 * A record's own dates: one sets both; a last seen before the first seen is read as the first
 * (the source saw it then, so it was seen then). Null when it states neither.
 */
function dates(first: number | null, last: number | null): [number, number] | null {
  if (first === null) return last === null ? null : [last, last];
  if (last === null || last < first) return [first, first];
  return [first, last];
}
