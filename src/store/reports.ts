/**
 * Threat reports, shared by both engines: the statements (written with `?`, numbered for
 * PostgreSQL), the filter of a listing, its cursor, and rows to records. A report is one row of
 * `reports` (its lists as JSON text) and one row of `report_indicators` per indicator it names,
 * which answers "which reports name this indicator" and the `cve`/`technique`/`type` filters.
 */
import type { StoredType } from '../indicators/types.ts';
import type { ReportQuery, ReportRecord } from './types.ts';

declare module './types.ts' {
  interface ReportRepository {
    /**
     * `mentioning` for many values of one type in one query (the bulk lookup's read ahead):
     * each value asked, with its reports (none: an empty list).
     */
    mentioningMany(type: StoredType, values: readonly string[], limit: number): Promise<Map<string, ReportRecord[]>>;
  }
}

export interface ReportRow {
  id: string;
  feed_id: string;
  title: string;
  url: string | null;
  published: string | null;
  fetched: string;
  sort_at: string;
  indicators: string;
  attack_ids: string;
  cves: string;
}

const COLUMNS = 'r.id, r.feed_id, r.title, r.url, r.published, r.fetched, r.sort_at, r.indicators, r.attack_ids, r.cves';

export const REPORT_SQL = {
  get: `SELECT ${COLUMNS} FROM reports r WHERE r.id = ?`,
  deleteIndicators: 'DELETE FROM report_indicators WHERE report_id = ?',
  upsert: `INSERT INTO reports (id, feed_id, title, url, published, fetched, sort_at, indicator_count, indicators, attack_ids, cves)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET feed_id = excluded.feed_id, title = excluded.title, url = excluded.url, published = excluded.published,
      fetched = excluded.fetched, sort_at = excluded.sort_at, indicator_count = excluded.indicator_count, indicators = excluded.indicators,
      attack_ids = excluded.attack_ids, cves = excluded.cves`,
  insertIndicator: 'INSERT INTO report_indicators (type, value, report_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
  mentioning: `SELECT ${COLUMNS} FROM report_indicators i JOIN reports r ON r.id = i.report_id
    WHERE i.type = ? AND i.value = ? ORDER BY r.sort_at DESC, r.id DESC LIMIT ?`,
  /** A feed's purge: its reports' mentions, then its reports. */
  purgeIndicators: 'DELETE FROM report_indicators WHERE report_id IN (SELECT id FROM reports WHERE feed_id = ?)',
  purgeReports: 'DELETE FROM reports WHERE feed_id = ?',
} as const;

/**
 * The newest reports naming each of many values of one type, at most `limit` per value, as rows
 * with the value asked (`asked`). `valuesIn` is how the engine matches a list parameter: SQLite
 * `IN (SELECT value FROM json_each(?))`, PostgreSQL `= ANY(?::text[])`.
 */
export function mentioningManySql(valuesIn: string): string {
  return `SELECT asked, id, feed_id, title, url, published, fetched, sort_at, indicators, attack_ids, cves FROM (
    SELECT i.value AS asked, ${COLUMNS}, ROW_NUMBER() OVER (PARTITION BY i.value ORDER BY r.sort_at DESC, r.id DESC) AS n
    FROM report_indicators i JOIN reports r ON r.id = i.report_id WHERE i.type = ? AND i.value ${valuesIn}) m
  WHERE n <= ? ORDER BY asked, n`;
}

/** Rows of mentioningManySql as records by value asked; every value asked has its entry. */
export function mentionsByValue(values: readonly string[], rows: (ReportRow & { asked: string })[]): Map<string, ReportRecord[]> {
  const out = new Map<string, ReportRecord[]>();
  for (const v of values) out.set(v, []);
  for (const r of rows) out.get(r.asked)?.push(toReport(r));
  return out;
}

/** RFC 3339 with milliseconds, so that dates sort as text on both engines. */
const sortable = (t: string): string => new Date(Date.parse(t)).toISOString();

/** The parameters of REPORT_SQL.upsert; every indicator once for REPORT_SQL.insertIndicator. */
export function reportParams(r: ReportRecord): { row: unknown[]; mentions: [StoredType, string][] } {
  const sortAt = sortable(r.published ?? r.fetched);
  const mentions = new Map<string, [StoredType, string]>();
  for (const x of r.indicators) mentions.set(`${x.type}\u0000${x.value}`, [x.type, x.value]);
  for (const c of r.cves) mentions.set(`cve\u0000${c}`, ['cve', c]);
  for (const t of r.attackIds) mentions.set(`mitre-attack\u0000${t}`, ['mitre-attack', t]);
  const row = [r.id, r.feedId, r.title, r.url, r.published === null ? null : sortable(r.published), sortable(r.fetched), sortAt, r.indicators.length, JSON.stringify(r.indicators), JSON.stringify(r.attackIds), JSON.stringify(r.cves)];
  return { row, mentions: [...mentions.values()] };
}

export function toReport(row: ReportRow): ReportRecord {
  return {
    id: row.id,
    feedId: row.feed_id,
    title: row.title,
    url: row.url,
    published: row.published,
    fetched: row.fetched,
    indicators: JSON.parse(row.indicators) as ReportRecord['indicators'],
    attackIds: JSON.parse(row.attack_ids) as string[],
    cves: JSON.parse(row.cves) as string[],
  };
}

/** A page's cursor: where the last report of the page sorts. Opaque to clients. */
export function encodeCursor(row: Pick<ReportRow, 'sort_at' | 'id'>): string {
  return Buffer.from(JSON.stringify([row.sort_at, row.id])).toString('base64url');
}

export class ReportCursorError extends Error {
  constructor() {
    super('the cursor is not one this service gave');
    this.name = 'ReportCursorError';
  }
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' && !Number.isNaN(Date.parse(v[0]))) return [v[0], v[1]];
  } catch {
    // falls through to the refusal
  }
  throw new ReportCursorError();
}

const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The listing's statement and its parameters (one more row than the page, to know whether another follows). */
export function listQuery(q: ReportQuery): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const mention = (type: string, value: string): void => {
    where.push('EXISTS (SELECT 1 FROM report_indicators i WHERE i.report_id = r.id AND i.type = ? AND i.value = ?)');
    params.push(type, value);
  };
  if (q.q !== undefined && q.q !== '') {
    where.push(`lower(r.title) LIKE ? ESCAPE '\\'`);
    params.push(`%${escapeLike(q.q.toLowerCase())}%`);
  }
  if (q.since !== undefined) {
    where.push('r.sort_at >= ?');
    params.push(sortable(q.since));
  }
  if (q.feed !== undefined) {
    where.push('r.feed_id = ?');
    params.push(q.feed);
  }
  if (q.hasIocs !== undefined) where.push(q.hasIocs ? 'r.indicator_count > 0' : 'r.indicator_count = 0');
  if (q.cve !== undefined) mention('cve', q.cve);
  if (q.technique !== undefined) mention('mitre-attack', q.technique);
  if (q.type !== undefined) {
    where.push('EXISTS (SELECT 1 FROM report_indicators i WHERE i.report_id = r.id AND i.type = ?)');
    params.push(q.type);
  }
  if (q.cursor !== undefined && q.cursor !== null) {
    const [at, id] = decodeCursor(q.cursor);
    where.push('(r.sort_at < ? OR (r.sort_at = ? AND r.id < ?))');
    params.push(at, at, id);
  }
  params.push(q.limit + 1);
  const sql = `SELECT ${COLUMNS} FROM reports r${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY r.sort_at DESC, r.id DESC LIMIT ?`;
  return { sql, params };
}

/** The page and its `next` from the rows of listQuery. */
export function pageOf(rows: ReportRow[], limit: number): { reports: ReportRecord[]; next: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { reports: page.map(toReport), next: rows.length > limit && last !== undefined ? encodeCursor(last) : null };
}

