/** The IOC catalogue on SQLite: rows and terms written in one transaction, substring search through FTS5's trigram index. */
import type Database from 'better-sqlite3';
import { CATALOGUE_COLUMNS, CATALOGUE_SQL, addedPageOf, addedQuery, countQuery, entryParams, entryTerms, listQuery, pageOf, recordingTimes, toEntry, type AddedRow, type CatalogueRow } from '../catalogue.ts';
import type { CatalogueKey, CatalogueRepository, CatalogueWrite } from '../types.ts';
import type { WriteGate } from './write-gate.ts';
import { boundaryCursor, boundaryQuery, scanBatches, type CatalogueTuple } from '../catalogue-scan.ts';
import { COUNTS_SQL, countDeltas, countsStats, touchedKeys, type CountedRow } from '../catalogue-counts.ts';

const DAY_MS = 86_400_000;
/** Rows per batch of a scan: one synchronous read of a few milliseconds. */
const SCAN_BATCH = 2_000;

/** A phrase for FTS5 MATCH: the text in double quotes, its own quotes doubled. */
export const ftsPhrase = (text: string): string => `"${text.replace(/"/g, '""')}"`;

export function createCatalogueRepository(reader: Database.Database, writer: Database.Database, gate: WriteGate): CatalogueRepository {
  const r = {
    dirty: reader.prepare(CATALOGUE_SQL.dirty),
    pending: reader.prepare(CATALOGUE_SQL.pending),
    stale: reader.prepare(CATALOGUE_SQL.stale),
    get: reader.prepare(CATALOGUE_SQL.get),
    related: reader.prepare(CATALOGUE_SQL.related),
    counts: reader.prepare(COUNTS_SQL.counts),
    fresh: reader.prepare(COUNTS_SQL.fresh),
    search: reader.prepare(
      `SELECT ${CATALOGUE_COLUMNS} FROM catalogue c WHERE c.id IN (SELECT rowid FROM catalogue_fts WHERE catalogue_fts MATCH ?)
       ORDER BY c.score DESC, c.last_seen DESC, c.type DESC, c.value DESC LIMIT ?`,
    ),
  };
  const w = {
    upsert: writer.prepare(CATALOGUE_SQL.upsert),
    lastAdded: writer.prepare(CATALOGUE_SQL.lastAdded),
    remove: writer.prepare(CATALOGUE_SQL.remove),
    removeTerms: writer.prepare(CATALOGUE_SQL.removeTerms),
    insertTerm: writer.prepare(CATALOGUE_SQL.insertTerm),
    done: writer.prepare(CATALOGUE_SQL.done),
    seq: writer.prepare(`SELECT CAST(m.value AS INTEGER) AS seq, s.swept_seq AS swept FROM meta m, catalogue_state s WHERE m.key = 'run_seq' AND s.id = 1`),
    sweep: writer.prepare(
      `INSERT INTO catalogue_dirty (type, value, gen) SELECT type, value, random() >> 11 FROM (SELECT DISTINCT type, value FROM sightings WHERE run_seq > ?) WHERE true
       ON CONFLICT (type, value) DO UPDATE SET gen = excluded.gen`,
    ),
    swept: writer.prepare('UPDATE catalogue_state SET swept_seq = ? WHERE id = 1'),
  };
  const seqs = reader.prepare(`SELECT CAST(m.value AS INTEGER) AS seq, s.swept_seq AS swept FROM meta m, catalogue_state s WHERE m.key = 'run_seq' AND s.id = 1`);
  /** Queues the indicators of the runs committed since the last sweep (one pass over sightings). */
  const sweep = writer.transaction(() => {
    const { seq, swept } = w.seq.get() as { seq: number; swept: number };
    if (seq <= swept) return;
    w.sweep.run(swept);
    w.swept.run(seq);
  });
  // the filters make a bounded number of statement texts: each prepared once; scans read raw rows
  // (arrays, no object per row) through statements of their own
  const prepared = { rows: new Map<string, Database.Statement>(), raw: new Map<string, Database.Statement>() };
  const stmt = (sql: string, raw = false): Database.Statement => {
    const memo = raw ? prepared.raw : prepared.rows;
    let s = memo.get(sql);
    if (s === undefined) {
      s = raw ? reader.prepare(sql).raw(true) : reader.prepare(sql);
      memo.set(sql, s);
    }
    return s;
  };
  const counted = {
    row: writer.prepare('SELECT listed, level FROM catalogue WHERE type = ? AND value = ?'),
    terms: writer.prepare("SELECT kind, term FROM catalogue_terms WHERE type = ? AND value = ? AND kind <> 'origin'").raw(true),
    add: writer.prepare(COUNTS_SQL.add),
  };
  const write = writer.transaction(
    (entries: readonly CatalogueWrite[], removed: readonly CatalogueKey[], done: readonly (CatalogueKey & { gen: number })[]) => {
      // the rows as they stand, for the counts (catalogue-counts.ts)
      const old: CountedRow[] = [];
      for (const k of touchedKeys(entries, removed)) {
        const row = counted.row.get(k.type, k.value) as { listed: number; level: number } | undefined;
        if (row !== undefined) old.push({ type: k.type, value: k.value, listed: row.listed, level: row.level, terms: counted.terms.all(k.type, k.value) as [string, string][] });
      }
      // inside the write lock: no other writer hands out a recording time until this commits
      const times = entries.length === 0 ? [] : recordingTimes(Date.parse(entries[0]!.entry.computedAt), (w.lastAdded.get() as { n: number | null }).n, entries.length);
      for (const [i, { entry, origins, stixId }] of entries.entries()) {
        w.upsert.run(...entryParams(entry, times[i]!, stixId ?? null));
        w.removeTerms.run(entry.type, entry.value);
        for (const [kind, term] of entryTerms(entry, origins)) w.insertTerm.run(entry.type, entry.value, kind, term);
      }
      for (const k of removed) {
        w.remove.run(k.type, k.value);
        w.removeTerms.run(k.type, k.value);
      }
      for (const d of done) w.done.run(d.type, d.value, d.gen);
      for (const [kind, term, n] of countDeltas(old, entries)) counted.add.run(kind, term, n);
    },
  );
  const swept = async (): Promise<void> => {
    const { seq, swept: done } = seqs.get() as { seq: number; swept: number };
    if (seq > done) await gate.write(() => sweep.immediate());
  };
  return {
    async dirty(limit) {
      await swept();
      return (r.dirty.all(limit) as { type: string; value: string; gen: number | bigint }[]).map((x) => ({ type: x.type as CatalogueKey['type'], value: x.value, gen: Number(x.gen) }));
    },
    async pending() {
      await swept();
      return Number((r.pending.get() as { n: number }).n);
    },
    async stale(before, limit) {
      return r.stale.all(Date.parse(before), limit) as CatalogueKey[];
    },
    async write(entries, removed, done) {
      await gate.write(() => write.immediate(entries, removed, done));
    },
    async get(type, value) {
      const row = r.get.get(type, value) as CatalogueRow | undefined;
      return row === undefined ? null : toEntry(row);
    },
    async list(query) {
      const { sql, params } = listQuery(query);
      return pageOf(stmt(sql).all(...params) as CatalogueRow[], query);
    },
    async count(filters, cap) {
      const { sql, params } = countQuery(filters, cap);
      const n = Number((stmt(sql).get(...params) as { n: number }).n);
      return { count: n, capped: n >= cap };
    },
    async search(text, limit) {
      // no stored value holds a NUL (ingest drops them), and neither engine takes one in a pattern
      if (text.length < 3 || text.includes('\u0000')) return [];
      return (r.search.all(ftsPhrase(text), limit) as CatalogueRow[]).map(toEntry);
    },
    async related(type, value, limit) {
      return (r.related.all(type, value, type, value, limit) as CatalogueRow[]).map(toEntry);
    },
    async byAdded(query) {
      const { sql, params } = addedQuery(query);
      return addedPageOf(stmt(sql).all(...params) as AddedRow[], query);
    },
    scan(query) {
      return scanBatches(query, SCAN_BATCH, (sql, params) => stmt(sql, true).all(...params) as CatalogueTuple[]);
    },
    async boundary(query) {
      const { sql, params } = boundaryQuery(query);
      const keys = stmt(sql, true).all(...params) as unknown[][];
      return keys.length < 2 ? null : boundaryCursor(keys[0]!, query.order ?? 'last_seen');
    },
    async stats(now) {
      const t = now.getTime();
      return countsStats(r.counts.all() as { kind: string; term: string; n: number }[], r.fresh.get(t - DAY_MS, t - 7 * DAY_MS, t - 30 * DAY_MS) as Parameters<typeof countsStats>[1]);
    },
  };
}
