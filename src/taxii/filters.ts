/**
 * The filters of TAXII 2.1 §3.4 as the objects, manifest and versions endpoints read them:
 * `added_after`, `limit`, `next`, `match[type]`, `match[id]`, `match[version]` and
 * `match[spec_version]` (several values comma-separated, or the parameter repeated). Parsing is
 * pure and returns what is wrong instead of throwing; the route turns that into a 400.
 */
import { createHash } from 'node:crypto';
import { isStoredType, type StoredType } from '../indicators/types.ts';
import type { AddedKey } from '../store/types.ts';
import { parseMicros } from './time.ts';

/** Objects per page when the client asks for no limit, and the most it may ask for (more is capped, as §3.4.1 allows). */
export const DEFAULT_PAGE = 1_000;
export const MAX_PAGE = 10_000;
/** At most this many ids in one match[id]. */
export const MAX_MATCH_IDS = 1_000;

export interface TaxiiFilter {
  addedAfterUs: number | null;
  limit: number;
  /** The keyset position the `next` cursor names, or null for the first page. */
  cursor: TaxiiCursor | null;
  /** STIX object types (null: any). */
  types: string[] | null;
  ids: string[] | null;
  /** Versions as epoch µs; null: every version (first, last and all are the same here: one version is kept). */
  versions: number[] | null;
  /** Whether STIX 2.1 objects are asked for (every object is 2.1). */
  specVersion21: boolean;
}

/** Where the next page starts: within the reference objects (their count served), or after a catalogue row. */
export type TaxiiCursor = { refs: number } | { after: AddedKey };

export type FilterResult = { ok: true; filter: TaxiiFilter } | { ok: false; parameter: string; message: string };

type Raw = Record<string, unknown>;

/** A parameter's values: comma-separated, possibly repeated; undefined when absent. */
function values(q: Raw, name: string): string[] | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  const parts = (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(','));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function single(q: Raw, name: string): string | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? String(v[v.length - 1]) : String(v);
}

const STIX_ID = /^[a-z0-9][a-z0-9-]*--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STIX_TYPE = /^[a-z0-9][a-z0-9-]{0,249}$/;

/** What a cursor is bound to: the collection and the match filters (not added_after or limit, which may change between pages). */
export function fingerprint(collectionId: string, objectId: string | null, f: Pick<TaxiiFilter, 'types' | 'ids' | 'versions' | 'specVersion21'>): string {
  const key = JSON.stringify([collectionId, objectId, f.types, f.ids, f.versions, f.specVersion21]);
  return createHash('sha256').update(key).digest('base64url').slice(0, 12);
}

export function encodeCursor(print: string, c: TaxiiCursor): string {
  const body = 'refs' in c ? [print, 'r', c.refs] : [print, 'a', c.after.addedUs, c.after.type, c.after.value];
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

function decodeCursor(print: string, s: string): TaxiiCursor | null {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(v) || v[0] !== print) return null;
  if (v[1] === 'r' && v.length === 3 && Number.isInteger(v[2]) && (v[2] as number) >= 0) return { refs: v[2] as number };
  if (v[1] === 'a' && v.length === 5 && Number.isSafeInteger(v[2]) && typeof v[3] === 'string' && isStoredType(v[3]) && typeof v[4] === 'string') {
    return { after: { addedUs: v[2] as number, type: v[3] as StoredType, value: v[4] } };
  }
  return null;
}

/**
 * The filters of one request. `objectId` is the object of a per-object endpoint (it binds the
 * cursor too).
 */
export function parseFilter(q: Raw, collectionId: string, objectId: string | null = null): FilterResult {
  const bad = (parameter: string, message: string): FilterResult => ({ ok: false, parameter, message });
  let addedAfterUs: number | null = null;
  const after = single(q, 'added_after');
  if (after !== undefined) {
    addedAfterUs = parseMicros(after);
    if (addedAfterUs === null) return bad('added_after', `added_after must be an RFC 3339 timestamp (e.g. 2026-01-01T00:00:00.000Z), not "${after.slice(0, 60)}".`);
  }
  let limit = DEFAULT_PAGE;
  const rawLimit = single(q, 'limit');
  if (rawLimit !== undefined) {
    if (!/^\d{1,9}$/.test(rawLimit.trim()) || Number(rawLimit) < 1) return bad('limit', `limit must be a whole number of 1 or more, not "${rawLimit.slice(0, 20)}".`);
    limit = Math.min(Number(rawLimit), MAX_PAGE);
  }
  const types = values(q, 'match[type]') ?? null;
  if (types !== null) {
    const wrong = types.find((t) => !STIX_TYPE.test(t));
    if (wrong !== undefined) return bad('match[type]', `"${wrong.slice(0, 60)}" is not a STIX object type.`);
  }
  const ids = values(q, 'match[id]') ?? null;
  if (ids !== null) {
    if (ids.length > MAX_MATCH_IDS) return bad('match[id]', `match[id] may name at most ${MAX_MATCH_IDS} ids.`);
    const wrong = ids.find((i) => !STIX_ID.test(i));
    if (wrong !== undefined) return bad('match[id]', `"${wrong.slice(0, 80)}" is not a STIX identifier (type--UUID).`);
  }
  let versions: number[] | null = null;
  const rawVersions = values(q, 'match[version]');
  if (rawVersions !== undefined) {
    const stamps: number[] = [];
    let every = false;
    for (const v of rawVersions) {
      if (v === 'first' || v === 'last' || v === 'all') every = true;
      else {
        const us = parseMicros(v);
        if (us === null) return bad('match[version]', `match[version] takes first, last, all or an RFC 3339 timestamp, not "${v.slice(0, 60)}".`);
        stamps.push(us);
      }
    }
    versions = every ? null : [...new Set(stamps)].sort((a, b) => a - b);
  }
  const specs = values(q, 'match[spec_version]');
  const specVersion21 = specs === undefined || specs.includes('2.1');
  const filter: TaxiiFilter = { addedAfterUs, limit, cursor: null, types, ids, versions, specVersion21 };
  const next = single(q, 'next');
  if (next !== undefined && next !== '') {
    const cursor = decodeCursor(fingerprint(collectionId, objectId, filter), next);
    if (cursor === null) return bad('next', 'next is not a cursor this server gave for this collection and these filters.');
    filter.cursor = cursor;
  }
  return { ok: true, filter };
}
