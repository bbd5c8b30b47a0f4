/**
 * The catalogue's counts, kept as it is written: `catalogue_counts` holds, per (kind, term), how
 * many rows there are — `total` (every row), `listed`, and among listed rows per `type`, per
 * `level` (its rank) and per term of each kind but origins (feed, category, threat_type, family,
 * technique, cve). Every catalogue write reads the old state of the rows it replaces or removes,
 * and adds the difference to the counts in the same transaction (under the write lock on SQLite,
 * the catalogue's advisory lock on PostgreSQL), so /iocs/stats reads a few hundred rows instead
 * of grouping every row and term. The counts are exact as of the last write; only the
 * first-seen windows (the last 24 hours, 7 and 30 days) depend on the time asked, and are counted
 * then, over the first_seen index.
 */
import { RISK_LEVELS } from '../model.ts';
import { entryTerms, num } from './catalogue.ts';
import type { CatalogueKey, CatalogueStats, CatalogueWrite } from './types.ts';

/** A row as it stood before a write: whether listed, its type and level rank, its terms (origins left out). */
export interface CountedRow {
  type: string;
  value: string;
  listed: number | string;
  level: number | string;
  terms: [kind: string, term: string][];
}

const key = (kind: string, term: string): string => `${kind}\u0000${term}`;

/**
 * What a write changes in the counts: -1 for every count an old row was in, +1 for every count its
 * new version is in; zeros left out, sorted by (kind, term) so that concurrent writers take row
 * locks in one order.
 */
export function countDeltas(old: readonly CountedRow[], written: readonly CatalogueWrite[]): [kind: string, term: string, delta: number][] {
  const d = new Map<string, number>();
  const add = (kind: string, term: string, n: number): void => {
    const k = key(kind, term);
    d.set(k, (d.get(k) ?? 0) + n);
  };
  for (const r of old) {
    add('total', '', -1);
    if (Number(r.listed) !== 1) continue;
    add('listed', '', -1);
    add('type', r.type, -1);
    add('level', String(Number(r.level)), -1);
    for (const [kind, term] of r.terms) if (kind !== 'origin') add(kind, term, -1);
  }
  for (const { entry } of written) {
    add('total', '', 1);
    if (!entry.listed) continue;
    add('listed', '', 1);
    add('type', entry.type, 1);
    add('level', String(RISK_LEVELS.indexOf(entry.level)), 1);
    for (const [kind, term] of entryTerms(entry)) add(kind, term, 1);
  }
  const out: [string, string, number][] = [];
  for (const [k, n] of d) {
    if (n === 0) continue;
    const i = k.indexOf('\u0000');
    out.push([k.slice(0, i), k.slice(i + 1), n]);
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
}

/** The keys a write touches: the rows written and the rows removed. */
export const touchedKeys = (written: readonly CatalogueWrite[], removed: readonly CatalogueKey[]): CatalogueKey[] => [...written.map((w) => ({ type: w.entry.type, value: w.entry.value })), ...removed];

/** Fills catalogue_counts from the rows (a migration; the statements hold for both engines). */
export const FILL_COUNTS_SQL = `
  INSERT INTO catalogue_counts (kind, term, n) SELECT 'total', '', count(*) FROM catalogue;
  INSERT INTO catalogue_counts (kind, term, n) SELECT 'listed', '', count(*) FROM catalogue WHERE listed = 1;
  INSERT INTO catalogue_counts (kind, term, n) SELECT 'type', type, count(*) FROM catalogue WHERE listed = 1 GROUP BY type;
  INSERT INTO catalogue_counts (kind, term, n) SELECT 'level', CAST(level AS TEXT), count(*) FROM catalogue WHERE listed = 1 GROUP BY level;
  INSERT INTO catalogue_counts (kind, term, n) SELECT t.kind, t.term, count(*) FROM catalogue_terms t JOIN catalogue c ON c.type = t.type AND c.value = t.value
    WHERE c.listed = 1 AND t.kind <> 'origin' GROUP BY t.kind, t.term;
`;

export const COUNTS_SQL = {
  counts: 'SELECT kind, term, n FROM catalogue_counts WHERE n <> 0',
  /** First seen at or after each of three times (the first_seen index), and the oldest computation (the computed_at index). */
  fresh: `SELECT (SELECT count(*) FROM catalogue WHERE first_seen >= ?) AS d1, (SELECT count(*) FROM catalogue WHERE first_seen >= ?) AS d7,
    (SELECT count(*) FROM catalogue WHERE first_seen >= ?) AS d30, (SELECT min(computed_at) FROM catalogue) AS oldest`,
  /** (kind, term, delta): adds to a count, creating it at the delta. */
  add: 'INSERT INTO catalogue_counts (kind, term, n) VALUES (?, ?, ?) ON CONFLICT (kind, term) DO UPDATE SET n = catalogue_counts.n + excluded.n',
} as const;

// a count or time read back (text from PostgreSQL); none (an empty table's min) is 0
const numOr0 = (v: number | string | null): number => (v === null ? 0 : num(v));

/** The stats of the counts and the first-seen windows. */
export function countsStats(
  counts: readonly { kind: string; term: string; n: number | string }[],
  fresh: { d1: number | string | null; d7: number | string | null; d30: number | string | null; oldest: number | string | null },
): CatalogueStats {
  let total = 0;
  let listed = 0;
  const byType: Record<string, number> = {};
  const byLevel: Record<string, number> = { low: 0, medium: 0, high: 0, critical: 0 };
  const terms: Record<string, { term: string; count: number }[]> = {};
  for (const c of counts) {
    const n = numOr0(c.n);
    if (c.kind === 'total') total = n;
    else if (c.kind === 'listed') listed = n;
    else if (c.kind === 'type') byType[c.term] = n;
    else if (c.kind === 'level') byLevel[RISK_LEVELS[Number(c.term)] ?? 'low'] = n;
    else (terms[c.kind] ??= []).push({ term: c.term, count: n });
  }
  for (const k of Object.keys(terms)) terms[k]!.sort((a, b) => b.count - a.count || (a.term < b.term ? -1 : a.term > b.term ? 1 : 0));
  return {
    total,
    listed,
    byType,
    byLevel,
    terms,
    newSince: { d1: numOr0(fresh.d1), d7: numOr0(fresh.d7), d30: numOr0(fresh.d30) },
    oldestComputedAt: fresh.oldest === null ? null : new Date(num(fresh.oldest)).toISOString(),
  };
}
