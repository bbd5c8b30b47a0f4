/**
 * The IOC catalogue, shared by both engines: one row per indicator in `catalogue` (its risk as a
 * lookup computes it from the indicator's own sightings, its dates, and its feeds, categories,
 * threat types, families, techniques and CVEs as JSON lists) and one row per (indicator, term) in
 * `catalogue_terms`, which answers the list filters, the stats' top lists and "which indicators
 * share an origin". The rows are written by src/catalogue/refresh.ts from the queue of changed
 * indicators (`catalogue_dirty`, kept by triggers on sightings and overrides) and from the rows
 * whose computation is older than the freshness window (decay moves with time).
 *
 * Statements use `?` placeholders (numbered for PostgreSQL); times are epoch milliseconds.
 */
import { CONFIDENCE_LEVELS, RISK_LEVELS, type ConfidenceLevel, type RiskLevel } from '../model.ts';
import type { StoredType } from '../indicators/types.ts';
import type { AddedEntry, AddedQuery, CatalogueEntry, CatalogueKey, CatalogueQuery, CatalogueTermKind } from './types.ts';

export const TERM_KINDS = ['feed', 'category', 'threat_type', 'family', 'technique', 'cve', 'origin'] as const satisfies readonly CatalogueTermKind[];

export interface CatalogueRow {
  type: string;
  value: string;
  first_seen: number | string;
  last_seen: number | string;
  score: number;
  level: number;
  confidence: number;
  listed: number;
  feeds: string;
  categories: string;
  threat_types: string;
  families: string;
  techniques: string;
  cves: string;
  computed_at: number | string;
}

export const CATALOGUE_COLUMNS =
  'c.type, c.value, c.first_seen, c.last_seen, c.score, c.level, c.confidence, c.listed, c.feeds, c.categories, c.threat_types, c.families, c.techniques, c.cves, c.computed_at';

/** The columns a write sets, in the order of `entryParams`. */
export const WRITTEN_COLUMNS =
  'type, value, first_seen, last_seen, score, level, confidence, listed, feeds, categories, threat_types, families, techniques, cves, computed_at, added_at, stix_id';

/**
 * A row keeps its recording time (added_at, TAXII's date_added) while what its STIX object says is
 * unchanged: decay alone (score, computed_at) is no new version. A row written before it had a
 * STIX id takes the new time.
 */
export const UPSERT_SET = `first_seen = excluded.first_seen, last_seen = excluded.last_seen, score = excluded.score,
      level = excluded.level, confidence = excluded.confidence, listed = excluded.listed, feeds = excluded.feeds,
      categories = excluded.categories, threat_types = excluded.threat_types, families = excluded.families,
      techniques = excluded.techniques, cves = excluded.cves, computed_at = excluded.computed_at,
      added_at = CASE WHEN catalogue.stix_id IS NOT NULL AND catalogue.stix_id = excluded.stix_id
        AND catalogue.first_seen = excluded.first_seen AND catalogue.last_seen = excluded.last_seen
        AND catalogue.level = excluded.level AND catalogue.confidence = excluded.confidence AND catalogue.listed = excluded.listed
        AND catalogue.feeds = excluded.feeds AND catalogue.categories = excluded.categories AND catalogue.threat_types = excluded.threat_types
        AND catalogue.families = excluded.families AND catalogue.techniques = excluded.techniques
        THEN catalogue.added_at ELSE excluded.added_at END,
      stix_id = excluded.stix_id`;

export const CATALOGUE_SQL = {
  upsert: `INSERT INTO catalogue (${WRITTEN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (type, value) DO UPDATE SET ${UPSERT_SET}`,
  /** The latest recording time handed out (epoch µs). */
  lastAdded: 'SELECT max(added_at) AS n FROM catalogue',
  remove: 'DELETE FROM catalogue WHERE type = ? AND value = ?',
  removeTerms: 'DELETE FROM catalogue_terms WHERE type = ? AND value = ?',
  insertTerm: 'INSERT INTO catalogue_terms (type, value, kind, term) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
  /** The queue, oldest mark first is not needed: any order serves. */
  dirty: 'SELECT type, value, gen FROM catalogue_dirty LIMIT ?',
  done: 'DELETE FROM catalogue_dirty WHERE type = ? AND value = ? AND gen = ?',
  pending: 'SELECT count(*) AS n FROM catalogue_dirty',
  stale: 'SELECT type, value FROM catalogue c WHERE c.computed_at < ? ORDER BY c.computed_at LIMIT ?',
  get: `SELECT ${CATALOGUE_COLUMNS} FROM catalogue c WHERE c.type = ? AND c.value = ?`,
  /** Indicators sharing an origin term with the given one (itself left out). */
  related: `SELECT ${CATALOGUE_COLUMNS} FROM catalogue c WHERE EXISTS (
      SELECT 1 FROM catalogue_terms o JOIN catalogue_terms t ON t.kind = 'origin' AND t.term = o.term
      WHERE o.type = ? AND o.value = ? AND o.kind = 'origin' AND t.type = c.type AND t.value = c.value)
    AND NOT (c.type = ? AND c.value = ?)
    ORDER BY c.score DESC, c.last_seen DESC, c.type DESC, c.value DESC LIMIT ?`,
} as const;

export class CatalogueCursorError extends Error {
  constructor() {
    super('not a catalogue cursor');
    this.name = 'CatalogueCursorError';
  }
}

const levelRank = (l: RiskLevel): number => RISK_LEVELS.indexOf(l);
const confidenceRank = (c: ConfidenceLevel): number => CONFIDENCE_LEVELS.indexOf(c);
/** A number column as read (PostgreSQL's bigint and COPY give text). */
export const num = (v: number | string): number => (typeof v === 'number' ? v : Number(v));
const iso = (v: number | string): string => new Date(num(v)).toISOString();

/** A JSON list column (as the catalogue writes it: JSON.stringify of strings) as an array; most are empty: no parse for them. */
export function listOf(s: string): string[] {
  return s === '[]' || s === '' ? [] : (JSON.parse(s) as string[]);
}

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

/** The entry of a tuple (what `list` returns for the same row). */
export function tupleEntry(t: CatalogueTuple): CatalogueEntry {
  return {
    type: t[T.type] as StoredType,
    value: t[T.value],
    firstSeen: iso(t[T.firstSeen]),
    lastSeen: iso(t[T.lastSeen]),
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
    computedAt: iso(t[T.computedAt]),
  };
}

/** The entry of a row read with its column names. */
export function toEntry(r: CatalogueRow): CatalogueEntry {
  return tupleEntry([r.type, r.value, r.first_seen, r.last_seen, r.score, r.level, r.confidence, r.listed, r.feeds, r.categories, r.threat_types, r.families, r.techniques, r.cves, r.computed_at]);
}

/**
 * The row of an entry, in the order of WRITTEN_COLUMNS; `addedUs` is the recording time it takes
 * if it is new or its STIX object changed (unique: see `recordingTimes`).
 */
export function entryParams(e: CatalogueEntry, addedUs: number, stixId: string | null = null): unknown[] {
  return [...entryColumns(e, Math.round(e.score)), addedUs, stixId];
}

/** An entry's values in CATALOGUE_COLUMNS' order, as the columns hold them, with `score` as given. */
export function entryColumns(e: CatalogueEntry, score: number) {
  return [
    e.type,
    e.value,
    Date.parse(e.firstSeen),
    Date.parse(e.lastSeen),
    score,
    levelRank(e.level),
    confidenceRank(e.confidence),
    e.listed ? 1 : 0,
    JSON.stringify(e.feeds),
    JSON.stringify(e.categories),
    JSON.stringify(e.threatTypes),
    JSON.stringify(e.families),
    JSON.stringify(e.techniques),
    JSON.stringify(e.cves),
    Date.parse(e.computedAt),
  ] as [string, string, number, number, number, number, number, number, string, string, string, string, string, string, number];
}

/**
 * The recording times of a batch written at `now` (epoch ms) after `lastUs`, the latest one
 * handed out (epoch µs): one each, strictly after every earlier one, so that TAXII clients paging
 * by `added_after` neither miss nor repeat a row. Writers hold the write lock (SQLite) or an
 * advisory lock (PostgreSQL) from reading `lastUs` to committing.
 */
export function recordingTimes(nowMs: number, lastUs: number | string | null, n: number): number[] {
  const start = Math.max(nowMs * 1000, (lastUs === null ? 0 : num(lastUs)) + 1);
  return Array.from({ length: n }, (_, i) => start + i);
}

/** Every (kind, term) of an entry, each once; `origins` are the origin keys of its sightings. */
export function entryTerms(e: CatalogueEntry, origins: readonly string[] = []): [CatalogueTermKind, string][] {
  const out = new Map<string, [CatalogueTermKind, string]>();
  const add = (kind: CatalogueTermKind, terms: readonly string[]): void => {
    for (const t of terms) out.set(`${kind}\u0000${t}`, [kind, t]);
  };
  add('feed', e.feeds);
  add('category', e.categories);
  add('threat_type', e.threatTypes);
  add('family', e.families.map((f) => f.toLowerCase()));
  add('technique', e.techniques);
  add('cve', e.cves);
  add('origin', origins);
  return [...out.values()];
}

/** Cursor: the sort key of the last row of a page, base64url JSON. */
type CursorKey = [number, number, string, string] | [number, string, string];

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string, order: 'last_seen' | 'risk'): CursorKey {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new CatalogueCursorError();
  }
  const ok =
    Array.isArray(key) &&
    (order === 'risk'
      ? key.length === 4 && Number.isInteger(key[0]) && Number.isInteger(key[1]) && typeof key[2] === 'string' && typeof key[3] === 'string'
      : key.length === 3 && Number.isInteger(key[0]) && typeof key[1] === 'string' && typeof key[2] === 'string');
  if (!ok) throw new CatalogueCursorError();
  return key as CursorKey;
}

/** The cursor after a row with these sort keys (numbers may come as text): the next page starts below it. */
export function keyCursor(order: 'last_seen' | 'risk', score: unknown, lastSeen: unknown, type: unknown, value: unknown): string {
  const n = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
  return encodeCursor(order === 'risk' ? [n(score), n(lastSeen), String(type), String(value)] : [n(lastSeen), String(type), String(value)]);
}

export function cursorOf(r: CatalogueRow, order: 'last_seen' | 'risk'): string {
  return keyCursor(order, r.score, r.last_seen, r.type, r.value);
}

/** The WHERE clause of a query's filters (the cursor apart), with its parameters. */
export function filters(q: Omit<CatalogueQuery, 'limit' | 'cursor' | 'order' | 'type'> & { type?: CatalogueQuery['type'] }): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (q.includeDelisted !== true) where.push('c.listed = 1');
  if (q.type !== undefined) {
    where.push('c.type = ?');
    params.push(q.type);
  }
  if (q.level !== undefined) {
    where.push('c.level >= ?');
    params.push(levelRank(q.level));
  }
  if (q.confidence !== undefined) {
    where.push('c.confidence >= ?');
    params.push(confidenceRank(q.confidence));
  }
  if (q.since !== undefined) {
    where.push('c.last_seen >= ?');
    params.push(Date.parse(q.since));
  }
  if (q.foundSince !== undefined) {
    where.push('c.first_seen >= ?');
    params.push(Date.parse(q.foundSince));
  }
  const terms: [CatalogueTermKind, string | undefined][] = [
    ['feed', q.feed],
    ['category', q.category],
    ['threat_type', q.threatType],
    ['family', q.family?.toLowerCase()],
    ['technique', q.technique],
    ['cve', q.cve],
  ];
  for (const [kind, term] of terms) {
    if (term === undefined) continue;
    where.push('EXISTS (SELECT 1 FROM catalogue_terms t WHERE t.type = c.type AND t.value = c.value AND t.kind = ? AND t.term = ?)');
    params.push(kind, term);
  }
  return { where, params };
}

/** The sort of each order, newest (or riskiest) first, and its key as a row value. */
export const ORDER_BY = {
  last_seen: 'c.last_seen DESC, c.type DESC, c.value DESC',
  risk: 'c.score DESC, c.last_seen DESC, c.type DESC, c.value DESC',
} as const;
const KEY = { last_seen: '(c.last_seen, c.type, c.value)', risk: '(c.score, c.last_seen, c.type, c.value)' } as const;

/** The filters of a query with its keyset bounds: below its cursor, down to `until` (inclusive) when given. */
export function keysetWhere(q: CatalogueQuery & { until?: string | null }): { where: string[]; params: unknown[] } {
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

export const whereClause = (w: readonly string[]): string => (w.length > 0 ? ` WHERE ${w.join(' AND ')}` : '');

/** The rows of a query (and its `until`) in its order, `limit` at most. */
export function rowsQuery(q: CatalogueQuery & { until?: string | null }, limit: number): { sql: string; params: unknown[] } {
  const w = keysetWhere(q);
  w.params.push(limit);
  return { sql: `SELECT ${CATALOGUE_COLUMNS} FROM catalogue c${whereClause(w.where)} ORDER BY ${ORDER_BY[q.order ?? 'last_seen']} LIMIT ?`, params: w.params };
}

/** A page of the catalogue: one row more than asked, to know whether a next page exists. */
export function listQuery(q: CatalogueQuery): { sql: string; params: unknown[] } {
  return rowsQuery(q, q.limit + 1);
}

export interface AddedRow extends CatalogueRow {
  added_at: number | string;
  stix_id: string;
}

/** A page in recording order (oldest first): one row more than asked, to know whether more follow. */
export function addedQuery(q: AddedQuery): { sql: string; params: unknown[] } {
  const { where, params } = filters(q);
  where.unshift('c.stix_id IS NOT NULL');
  const list = (column: string, xs: readonly unknown[]): void => {
    // an empty list matches nothing
    where.push(xs.length === 0 ? '1 = 0' : `${column} IN (${xs.map(() => '?').join(', ')})`);
    params.push(...xs);
  };
  // A few types (CVEs, techniques: few rows) are found through the (type, value) key and sorted;
  // more (every observable type: most rows) are read in recording order and filtered — the
  // expression keeps the planner from sorting a million rows found by type.
  if (q.types !== undefined) list(q.types.length <= 2 ? 'c.type' : "(c.type || '')", q.types);
  if (q.stixIds !== undefined) list('c.stix_id', q.stixIds);
  if (q.addedAtUs !== undefined) list('c.added_at', q.addedAtUs);
  if (q.addedAfterUs !== undefined) {
    where.push('c.added_at > ?');
    params.push(q.addedAfterUs);
  }
  if (q.after !== undefined && q.after !== null) {
    where.push('(c.added_at, c.type, c.value) > (?, ?, ?)');
    params.push(q.after.addedUs, q.after.type, q.after.value);
  }
  params.push(q.limit + 1);
  return { sql: `SELECT ${CATALOGUE_COLUMNS}, c.added_at, c.stix_id FROM catalogue c WHERE ${where.join(' AND ')} ORDER BY c.added_at, c.type, c.value LIMIT ?`, params };
}

export function addedPageOf(rows: AddedRow[], q: AddedQuery): { entries: AddedEntry[]; more: boolean } {
  const more = rows.length > q.limit;
  const page = more ? rows.slice(0, q.limit) : rows;
  return { entries: page.map((r) => ({ ...toEntry(r), addedUs: num(r.added_at), stixId: r.stix_id })), more };
}

/** Counts the rows a query matches, up to `cap` (past it the count says only "at least"). */
export function countQuery(q: Omit<CatalogueQuery, 'limit' | 'cursor' | 'order'>, cap: number): { sql: string; params: unknown[] } {
  const { where, params } = filters(q);
  params.push(cap);
  return { sql: `SELECT count(*) AS n FROM (SELECT 1 FROM catalogue c${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} LIMIT ?) AS m`, params };
}

export function pageOf(rows: CatalogueRow[], q: CatalogueQuery): { entries: CatalogueEntry[]; next: string | null } {
  const more = rows.length > q.limit;
  const page = more ? rows.slice(0, q.limit) : rows;
  const last = page[page.length - 1];
  return { entries: page.map(toEntry), next: more && last !== undefined ? cursorOf(last, q.order ?? 'last_seen') : null };
}

export const keyOf = (k: CatalogueKey): string => `${k.type}\u0000${k.value}`;
