/**
 * Records as the store accepts them: validation with messages that name the record, and the
 * encoding into column values (times as epoch ms, tags and ATT&CK ids as a sorted JSON set,
 * empty JSON as NULL).
 */
import { STORED_TYPES } from '../../indicators/types.ts';
import { THREAT_TYPES } from '../../model.ts';
import type { SightingRecord } from '../../model.ts';
import { IngestError } from '../types.ts';
import type { IngestOptions } from '../types.ts';
import { parseCidrRange } from './ranges.ts';

const MAX_VALUE_LENGTH = 65_536;
const STORED_TYPE_SET: ReadonlySet<string> = new Set(STORED_TYPES);
const THREAT_TYPE_SET: ReadonlySet<string> = new Set(THREAT_TYPES);
const INGEST_MODES: ReadonlySet<string> = new Set(['snapshot', 'incremental']);

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
    const json = setJson(list);
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
  return v;
}

/** A validated record in column order: what the statements bind. */
export type Encoded = [
  type: string,
  value: string,
  statedFirst: number | null,
  statedLast: number | null,
  threatType: string | null,
  family: string | null,
  tags: string | null,
  confidence: number | null,
  reference: string | null,
  attackIds: string | null,
  attributes: string | null,
];

export function encode(r: SightingRecord, n: number): Encoded {
  if (r === null || typeof r !== 'object') throw fail(`record ${n}: not an object`);
  const { type, value } = r;
  if (!STORED_TYPE_SET.has(type)) throw fail(`record ${n}: unknown indicator type ${JSON.stringify(type)}`);
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_VALUE_LENGTH) {
    throw fail(`record ${n}: value must be a non-empty string of at most ${MAX_VALUE_LENGTH} characters`);
  }
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
      if (attributes === '{}') attributes = null;
    }
  }
  if (type === 'cidr' && parseCidrRange(value) === null) throw fail(`record ${n}: ${JSON.stringify(value)} is not a CIDR range`);
  const family = optionalString(r.malwareFamily, 'malwareFamily', n);
  const reference = optionalString(r.referenceUrl, 'referenceUrl', n);
  const tags = tagsJson.encode(checkStringList(r.tags, 'tags', n));
  const attackIds = attackIdsJson.encode(checkStringList(r.attackIds, 'attackIds', n));
  return [type, value, checkTime(r.firstSeen, 'firstSeen', n), checkTime(r.lastSeen, 'lastSeen', n), threatType, family, tags, confidence, reference, attackIds, attributes];
}
