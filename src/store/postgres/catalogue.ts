/** The IOC catalogue on PostgreSQL: rows and terms written in one transaction, substring search through pg_trgm. */
import { CATALOGUE_COLUMNS, CATALOGUE_SQL, UPSERT_SET, WRITTEN_COLUMNS, addedPageOf, addedQuery, countQuery, entryParams, entryTerms, listQuery, pageOf, recordingTimes, toEntry, type AddedRow, type CatalogueRow } from '../catalogue.ts';
import type { CatalogueKey, CatalogueRepository } from '../types.ts';
import { CATALOGUE_ADDED_LOCK, FEED_DATA_LOCK, numbered, type Queries } from './queries.ts';

import { boundaryCursor, boundaryQuery, scanBatches } from '../catalogue-scan.ts';
import { COUNTS_SQL, countDeltas, countsStats, touchedKeys, type CountedRow } from '../catalogue-counts.ts';
import { copyReader } from './catalogue-copy.ts';
import { rethrow } from './errors.ts';

const SQL = Object.fromEntries(Object.entries(CATALOGUE_SQL).map(([k, v]) => [k, numbered(v)])) as Record<keyof typeof CATALOGUE_SQL, string>;
const SEARCH = `SELECT ${CATALOGUE_COLUMNS} FROM catalogue c WHERE c.value ILIKE $1 ESCAPE '\\'
  ORDER BY c.score DESC, c.last_seen DESC, c.type DESC, c.value DESC LIMIT $2`;
const DAY_MS = 86_400_000;
/** The rows a write replaces or removes, as they stand, with their terms (origins left out), for the counts. */
const OLD_ROWS = `SELECT c.type, c.value, c.listed, c.level,
    COALESCE((SELECT json_agg(json_build_array(t.kind, t.term)) FROM catalogue_terms t WHERE t.type = c.type AND t.value = c.value AND t.kind <> 'origin'), '[]'::json) AS terms
  FROM catalogue c JOIN unnest($1::text[], $2::text[]) AS k(type, value) ON c.type = k.type AND c.value = k.value`;
const ADD_COUNTS = `INSERT INTO catalogue_counts (kind, term, n) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
  ON CONFLICT (kind, term) DO UPDATE SET n = catalogue_counts.n + excluded.n`;
/** Rows written before the catalogue's tables are first analyzed (see analyzeAfter). */
const ANALYZE_AFTER = 10_000;
/** Rows per COPY statement of a scan (each well inside the statement timeout). */
const SCAN_BATCH = 20_000;
/** The latest run number handed out (ingests commit in that order, under the feed data lock) and the last swept. */
const SEQS = `SELECT CASE WHEN q.is_called THEN q.last_value ELSE 0 END AS seq, s.swept_seq AS swept FROM ingest_run_seq q, catalogue_state s WHERE s.id = 1`;

/** `text` as an ILIKE pattern matching it anywhere: its own %, _ and \ escaped. */
export const containsPattern = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function createCatalogueRepository(db: Queries): CatalogueRepository {
  // the run number last seen handed out while its rows were not yet visible (an import in progress), and when
  let waitingFor: { seq: number; at: number } | null = null;
  /** Queues the indicators of the runs committed since the last sweep (one pass over sightings). */
  const sweep = async (): Promise<void> => {
    const state = await db.row<{ seq: string; swept: string }>('catalogue queue', SEQS);
    if (state === undefined || Number(state.seq) <= Number(state.swept)) return;
    // an import in progress has taken its number but not committed: look again at most once a second
    if (waitingFor !== null && waitingFor.seq === Number(state.seq) && Date.now() - waitingFor.at < 1_000) return;
    // No waiting on a lock: imports commit in the order of their run numbers (they take the feed data lock before
    // the number), so the newest number among the rows this statement sees is a safe mark; the rows
    // of an import still in progress are not seen, and are swept once it commits.
    const r = await db.transaction('catalogue sweep', async (c) => {
      await c.query('SET LOCAL statement_timeout = 600000');
      // with no import running (the lock is free), every number handed out so far has committed or
      // failed: the mark may go to the newest, so a failed run's number is not looked for again
      const idle = (await c.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [FEED_DATA_LOCK])).rows[0]?.ok === true;
      const upTo = idle ? Number((await c.query<{ seq: string }>(SEQS)).rows[0]?.seq ?? 0) : 0;
      return (
        await c.query<{ newest: string | null }>(
          `WITH changed AS (SELECT type, value, run_seq FROM sightings WHERE run_seq > $1),
           queued AS (
             INSERT INTO catalogue_dirty (type, value, gen)
               SELECT type, value, (random() * 4503599627370496)::bigint FROM (SELECT DISTINCT type, value FROM changed) d
             ON CONFLICT (type, value) DO UPDATE SET gen = excluded.gen)
           UPDATE catalogue_state SET swept_seq = GREATEST(swept_seq, $2, (SELECT COALESCE(max(run_seq), 0) FROM changed)) WHERE id = 1
           RETURNING swept_seq AS newest`,
          [state.swept, upTo],
        )
      ).rows[0]?.newest;
    });
    waitingFor = Number(r ?? 0) < Number(state.seq) ? { seq: Number(state.seq), at: Date.now() } : null;
  };
  // Planner statistics after bulk writes: a catalogue computed from a large import is queried at once,
  // before autovacuum's analyze comes round, and with the statistics of an empty table the list's
  // term filters were planned as nested loops over every term row (seconds, past the statement
  // timeout, for 20,000 indicators). The tables are analyzed once the rows written since the
  // last analyze reach half of what the table then held (at least ANALYZE_AFTER).
  let writtenSince = 0;
  let analyzeAt = ANALYZE_AFTER;
  const analyzeAfter = async (written: number): Promise<void> => {
    writtenSince += written;
    if (writtenSince < analyzeAt) return;
    writtenSince = 0;
    try {
      await db.pool.query('ANALYZE catalogue, catalogue_terms');
      const rows = Number((await db.row<{ n: number }>('catalogue analyze', "SELECT reltuples AS n FROM pg_class WHERE oid = 'catalogue'::regclass"))?.n ?? 0);
      analyzeAt = Math.max(ANALYZE_AFTER, Math.floor(rows / 2));
    } catch {
      // not the owner, or the database busy: autovacuum analyzes in its own time
    }
  };
  return {
    async dirty(limit) {
      await sweep();
      const rows = (await db.q<{ type: string; value: string; gen: string }>('catalogue queue', SQL.dirty, [limit])).rows;
      return rows.map((x) => ({ type: x.type as CatalogueKey['type'], value: x.value, gen: Number(x.gen) }));
    },
    async pending() {
      await sweep();
      return Number((await db.row<{ n: string }>('catalogue queue', SQL.pending))?.n ?? 0);
    },
    async stale(before, limit) {
      return (await db.q<CatalogueKey>('catalogue stale', SQL.stale, [Date.parse(before), limit])).rows;
    },
    async write(entries, removed, done) {
      if (entries.length === 0 && removed.length === 0 && done.length === 0) return;
      await db.transaction('catalogue write', async (c) => {
        // Writers of rows take this lock until commit: recording times are handed out each after every one before
        // it, and the counts (catalogue-counts.ts) read the rows' old state that no other writer changes meanwhile.
        let old: CountedRow[] = [];
        const touched = touchedKeys(entries, removed);
        if (touched.length > 0) {
          await c.query('SELECT pg_advisory_xact_lock($1)', [CATALOGUE_ADDED_LOCK]);
          old = (await c.query<CountedRow>(OLD_ROWS, [touched.map((k) => k.type), touched.map((k) => k.value)])).rows;
        }
        // a batch at a time: one statement per table, the rows as arrays
        if (entries.length > 0) {
          const last = (await c.query<{ n: string | null }>(SQL.lastAdded)).rows[0]?.n ?? null;
          const times = recordingTimes(Date.parse(entries[0]!.entry.computedAt), last, entries.length);
          const rows = entries.map((e, i) => entryParams(e.entry, times[i]!, e.stixId ?? null));
          const cols = rows[0]!.map((_, i) => rows.map((r) => r[i]));
          await c.query(
            `INSERT INTO catalogue (${WRITTEN_COLUMNS})
             SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::int[], $6::smallint[], $7::smallint[], $8::smallint[],
               $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::bigint[], $16::bigint[], $17::text[])
             ON CONFLICT (type, value) DO UPDATE SET ${UPSERT_SET}`,
            cols,
          );
        }
        const gone = [...entries.map((e) => e.entry), ...removed];
        if (gone.length > 0) {
          await c.query('DELETE FROM catalogue_terms t USING unnest($1::text[], $2::text[]) AS k(type, value) WHERE t.type = k.type AND t.value = k.value', [
            gone.map((k) => k.type),
            gone.map((k) => k.value),
          ]);
        }
        if (removed.length > 0) {
          await c.query('DELETE FROM catalogue c USING unnest($1::text[], $2::text[]) AS k(type, value) WHERE c.type = k.type AND c.value = k.value', [
            removed.map((k) => k.type),
            removed.map((k) => k.value),
          ]);
        }
        const terms = entries.flatMap(({ entry, origins }) => entryTerms(entry, origins).map(([kind, term]) => [entry.type, entry.value, kind, term]));
        if (terms.length > 0) {
          await c.query('INSERT INTO catalogue_terms (type, value, kind, term) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING', [
            terms.map((t) => t[0]),
            terms.map((t) => t[1]),
            terms.map((t) => t[2]),
            terms.map((t) => t[3]),
          ]);
        }
        if (done.length > 0) {
          await c.query(
            'DELETE FROM catalogue_dirty d USING unnest($1::text[], $2::text[], $3::bigint[]) AS k(type, value, gen) WHERE d.type = k.type AND d.value = k.value AND d.gen = k.gen',
            [done.map((k) => k.type), done.map((k) => k.value), done.map((k) => k.gen)],
          );
        }
        const deltas = countDeltas(old, entries);
        if (deltas.length > 0) await c.query(ADD_COUNTS, [deltas.map((x) => x[0]), deltas.map((x) => x[1]), deltas.map((x) => x[2])]);
      });
      await analyzeAfter(entries.length + removed.length);
    },
    async get(type, value) {
      const row = await db.row<CatalogueRow>('catalogue', SQL.get, [type, value]);
      return row === undefined ? null : toEntry(row);
    },
    async list(query) {
      const { sql, params } = listQuery(query);
      return pageOf((await db.q<CatalogueRow>('catalogue', numbered(sql), params)).rows, query);
    },
    async count(filters, cap) {
      const { sql, params } = countQuery(filters, cap);
      const n = Number((await db.row<{ n: string }>('catalogue count', numbered(sql), params))?.n ?? 0);
      return { count: n, capped: n >= cap };
    },
    async search(text, limit) {
      // no stored value holds a NUL (ingest drops them), and neither engine takes one in a pattern
      if (text.length < 3 || text.includes('\u0000')) return [];
      return (await db.q<CatalogueRow>('catalogue search', SEARCH, [containsPattern(text), limit])).rows.map(toEntry);
    },
    async related(type, value, limit) {
      return (await db.q<CatalogueRow>('catalogue related', SQL.related, [type, value, type, value, limit])).rows.map(toEntry);
    },
    async byAdded(query) {
      const { sql, params } = addedQuery(query);
      return addedPageOf((await db.q<AddedRow>('catalogue taxii', numbered(sql), params)).rows, query);
    },
    async *scan(query) {
      const reader = copyReader(db.pool);
      try {
        yield* scanBatches(query, SCAN_BATCH, reader.read);
      } finally {
        reader.close();
      }
    },
    async boundary(query) {
      const { sql, params } = boundaryQuery(query);
      const keys = (await db.pool.query<unknown[]>({ text: numbered(sql), values: params, rowMode: 'array' }).catch((err: unknown) => rethrow(err, 'catalogue'))).rows;
      return keys.length < 2 ? null : boundaryCursor(keys[0]!, query.order ?? 'last_seen');
    },
    async stats(now) {
      const t = now.getTime();
      const [counts, fresh] = await Promise.all([
        db.q<{ kind: string; term: string; n: string }>('catalogue stats', COUNTS_SQL.counts),
        db.row<Parameters<typeof countsStats>[1]>('catalogue stats', numbered(COUNTS_SQL.fresh), [t - DAY_MS, t - 7 * DAY_MS, t - 30 * DAY_MS]),
      ]);
      return countsStats(counts.rows, fresh ?? { d1: 0, d7: 0, d30: 0, oldest: null });
    },
  };
}
