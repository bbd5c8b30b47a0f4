/**
 * Reading the IOC catalogue in bulk (GET /api/v1/iocs with a large page, the exports): rows as
 * tuples in CATALOGUE_COLUMNS order, straight from the engine (better-sqlite3's raw rows,
 * PostgreSQL's COPY text), so that a million rows cost no object per row on the way to the text
 * that is sent. A scan runs in keyset batches from a cursor, optionally down to an `until` cursor
 * (inclusive): a page whose end was fixed before its first byte was sent (the Link header) ends
 * exactly there, whatever was written meanwhile.
 */
import { CONFIDENCE_LEVELS, RISK_LEVELS } from '../model.ts';
import type { StoredType } from '../indicators/types.ts';
import { CATALOGUE_COLUMNS, decodeCursor, encodeCursor, entryColumns, filters } from './catalogue.ts';
import type { CatalogueEntry, CatalogueQuery } from './types.ts';

/**
 * A catalogue row in CATALOGUE_COLUMNS order: type, value, first_seen, last_seen, score, level,
 * confidence, listed, feeds, categories, threat_types, families, techniques, cves, computed_at.
 * Numbers may come as text (PostgreSQL's bigint, COPY); lists are JSON text.
 */
export type CatalogueTuple = [
  type: string,
  value: string,
  firstSeen: number | string,
  lastSeen: number | string,
  score: number | string,
  level: number | string,
  confidence: number | string,
  listed: number | string,
  feeds: string,
  categories: string,
  threatTypes: string,
  families: string,
  techniques: string,
  cves: string,
  computedAt: number | string,
];

export const T = {
  type: 0,
  value: 1,
  firstSeen: 2,
  lastSeen: 3,
  score: 4,
  level: 5,
  confidence: 6,
  listed: 7,
  feeds: 8,
  categories: 9,
  threatTypes: 10,
  families: 11,
  techniques: 12,
  cves: 13,
  computedAt: 14,
} as const;

/** A scan: the query's filters and order, from its cursor (exclusive) down to `until` (inclusive, when given), at most `limit` rows. */
export interface CatalogueScan extends CatalogueQuery {
  until?: string | null;
}

const ORDER_BY = {
  last_seen: 'c.last_seen DESC, c.type DESC, c.value DESC',
  risk: 'c.score DESC, c.last_seen DESC, c.type DESC, c.value DESC',
} as const;
const KEY = { last_seen: '(c.last_seen, c.type, c.value)', risk: '(c.score, c.last_seen, c.type, c.value)' } as const;
const KEY_COLUMNS = { last_seen: 'c.last_seen, c.type, c.value', risk: 'c.score, c.last_seen, c.type, c.value' } as const;

function where(q: CatalogueScan): { where: string[]; params: unknown[] } {
  const order = q.order ?? 'last_seen';
  const w = filters(q);
  const marks = order === 'risk' ? '(?, ?, ?, ?)' : '(?, ?, ?)';
  if (q.cursor !== undefined && q.cursor !== null && q.cursor !== '') {
    w.where.push(`${KEY[order]} < ${marks}`);
    w.params.push(...decodeCursor(q.cursor, order));
  }
  if (q.until !== undefined && q.until !== null && q.until !== '') {
    w.where.push(`${KEY[order]} >= ${marks}`);
    w.params.push(...decodeCursor(q.until, order));
  }
  return w;
}

const whereClause = (w: string[]): string => (w.length > 0 ? ` WHERE ${w.join(' AND ')}` : '');

/** One batch of a scan: `limit` rows at most, exactly (no extra row). */
export function scanQuery(q: CatalogueScan): { sql: string; params: unknown[] } {
  const w = where(q);
  w.params.push(q.limit);
  return { sql: `SELECT ${CATALOGUE_COLUMNS} FROM catalogue c${whereClause(w.where)} ORDER BY ${ORDER_BY[q.order ?? 'last_seen']} LIMIT ?`, params: w.params };
}

/**
 * Where a page of `limit` rows from the query's cursor ends: the sort keys of its last row and of
 * the row after it (two rows when another page follows). Reads the sort keys only.
 */
export function boundaryQuery(q: CatalogueQuery): { sql: string; params: unknown[] } {
  const w = where({ ...q, until: null });
  w.params.push(Math.max(0, q.limit - 1));
  return { sql: `SELECT ${KEY_COLUMNS[q.order ?? 'last_seen']} FROM catalogue c${whereClause(w.where)} ORDER BY ${ORDER_BY[q.order ?? 'last_seen']} LIMIT 2 OFFSET ?`, params: w.params };
}

/** The cursor of a boundary row (as boundaryQuery returns it, an array of its key columns). */
export function boundaryCursor(key: readonly unknown[], order: 'last_seen' | 'risk'): string {
  const n = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
  return encodeCursor(order === 'risk' ? [n(key[0]), n(key[1]), String(key[2]), String(key[3])] : [n(key[0]), String(key[1]), String(key[2])]);
}

const num = (v: number | string): number => (typeof v === 'number' ? v : Number(v));

/** The cursor after a tuple: the next batch starts below it. */
export function tupleCursor(t: CatalogueTuple, order: 'last_seen' | 'risk'): string {
  return encodeCursor(order === 'risk' ? [num(t[T.score]), num(t[T.lastSeen]), t[T.type], t[T.value]] : [num(t[T.lastSeen]), t[T.type], t[T.value]]);
}

/** A JSON list column (as the catalogue writes it: JSON.stringify of strings) as an array. */
export function listOf(s: string): string[] {
  return s === '[]' || s === '' ? [] : (JSON.parse(s) as string[]);
}

/** The entry of a tuple (what `list` returns for the same row). */
export function tupleEntry(t: CatalogueTuple): CatalogueEntry {
  return {
    type: t[T.type] as StoredType,
    value: t[T.value],
    firstSeen: new Date(num(t[T.firstSeen])).toISOString(),
    lastSeen: new Date(num(t[T.lastSeen])).toISOString(),
    score: num(t[T.score]),
    level: RISK_LEVELS[num(t[T.level])] ?? 'low',
    confidence: CONFIDENCE_LEVELS[num(t[T.confidence])] ?? 'low',
    listed: num(t[T.listed]) === 1,
    feeds: listOf(t[T.feeds]),
    categories: listOf(t[T.categories]),
    threatTypes: listOf(t[T.threatTypes]),
    families: listOf(t[T.families]),
    techniques: listOf(t[T.techniques]),
    cves: listOf(t[T.cves]),
    computedAt: new Date(num(t[T.computedAt])).toISOString(),
  };
}

/**
 * Runs a scan as keyset batches of `batch` rows: `read` runs one batch's statement. Stops at
 * `q.limit` rows, at `q.until`, or when a batch comes back short.
 */
export async function* scanBatches(q: CatalogueScan, batch: number, read: (sql: string, params: unknown[]) => AsyncIterable<CatalogueTuple[]> | CatalogueTuple[]): AsyncGenerator<CatalogueTuple[]> {
  const order = q.order ?? 'last_seen';
  let cursor = q.cursor ?? null;
  let left = q.limit;
  while (left > 0) {
    const want = Math.min(batch, left);
    const { sql, params } = scanQuery({ ...q, cursor, limit: want });
    let got = 0;
    let last: CatalogueTuple | undefined;
    const out = read(sql, params);
    if (Array.isArray(out)) {
      got = out.length;
      last = out[out.length - 1];
      if (got > 0) yield out;
    } else {
      for await (const rows of out) {
        if (rows.length === 0) continue;
        got += rows.length;
        last = rows[rows.length - 1];
        yield rows;
      }
    }
    left -= got;
    if (got < want || last === undefined) return;
    cursor = tupleCursor(last, order);
  }
}

/** The tuple of an entry (as the store would read its row back). */
export function entryTuple(e: CatalogueEntry): CatalogueTuple {
  return entryColumns(e, e.score);
}
