/**
 * One feed run as one PostgreSQL transaction: records stream through COPY into a temporary
 * staging table, then a handful of set-based statements merge them into `sightings`.
 *
 * Semantics match the SQLite store (the shared contract suite checks it): a repeated indicator
 * keeps the last record's fields with tags and ATT&CK ids merged; a confirmed sighting whose facts
 * did not change counts as unchanged (only its stamps move); snapshot runs delist what they did
 * not confirm, unless that would drop more than `maxDropShare`. Ingests are serialized by a
 * transaction-scoped advisory lock so counters stay exact with several writers.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import type { SightingRecord } from '../../model.ts';
import { fail, fallbackOf, toMillis, type Fallback } from '../records.ts';
import { DATE_SOURCE_CODES } from '../rows.ts';
import { listedAfter, refuseSuspectDrop, unconfirmed, type RunCounts } from '../run-counts.ts';
import { IngestError, recordArrays } from '../types.ts';
import type { IngestOptions, IngestResult } from '../types.ts';
import type { ChangeNotices } from './changes.ts';
import { STAGING_COLUMNS, copyLine } from './copy-rows.ts';
import { isUnavailable, StoreUnavailableError } from './errors.ts';
import { FEED_DATA_LOCK } from './queries.ts';

const CHUNK_BYTES = 256 * 1024;
/** Records taken per await from a source that does not hand over arrays of its own. */
const RECORDS_PER_PULL = 512;

/** Beyond this many records the duplicate check is left to PostgreSQL alone (bounded memory). */
const MAX_TRACKED_KEYS = 4_000_000;

/**
 * Notices whether a run may repeat an indicator, so the common case (no repeats) skips a
 * GROUP BY over the whole staging table. A 53-bit hash per key: a collision only sends the run
 * down the exact (SQL) path, it never changes the result.
 */
export class RepeatDetector {
  // Open addressing over two 32-bit hashes in typed arrays: no per-key allocation.
  private slots = new Uint32Array(1 << 16);
  private checks = new Uint32Array(1 << 16);
  private size = 0;
  maybeRepeats = false;

  add(type: string, value: string): void {
    if (this.maybeRepeats) return;
    let h1 = 0x811c9dc5;
    let h2 = 0x9747b28c;
    for (let i = 0; i < type.length; i++) h1 = Math.imul(h1 ^ type.charCodeAt(i), 0x01000193);
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    }
    h1 = (h1 ^ (h1 >>> 15)) | 1; // never 0: 0 marks an empty slot
    h2 >>>= 0;
    this.insert(h1 >>> 0, h2);
  }

  private insert(h1: number, h2: number): void {
    const mask = this.slots.length - 1;
    let i = Math.imul(h2, 0x9e3779b1) >>> 0 & mask;
    for (;;) {
      const s = this.slots[i]!;
      if (s === 0) break;
      if (s === h1 && this.checks[i] === h2) {
        this.maybeRepeats = true;
        this.release();
        return;
      }
      i = (i + 1) & mask;
    }
    this.slots[i] = h1;
    this.checks[i] = h2;
    if (++this.size * 2 > this.slots.length) this.grow();
  }

  private grow(): void {
    if (this.slots.length * 2 > MAX_TRACKED_KEYS * 2) {
      this.maybeRepeats = true; // too many to track: let PostgreSQL check
      this.release();
      return;
    }
    const oldSlots = this.slots;
    const oldChecks = this.checks;
    this.slots = new Uint32Array(oldSlots.length * 2);
    this.checks = new Uint32Array(oldSlots.length * 2);
    this.size = 0;
    for (let i = 0; i < oldSlots.length; i++) if (oldSlots[i] !== 0) this.insert(oldSlots[i]!, oldChecks[i]!);
  }

  private release(): void {
    this.slots = new Uint32Array(0);
    this.checks = new Uint32Array(0);
  }
}

/** COPY text in chunks; counts records, and notes the newest last-seen date, as it goes. */
async function* copyChunks(
  records: AsyncIterable<SightingRecord> | Iterable<SightingRecord>,
  counter: { n: number; newest: number },
  repeats: RepeatDetector,
  fallback: Fallback,
): AsyncGenerator<string> {
  let chunk = '';
  for await (const part of recordArrays(records, RECORDS_PER_PULL)) {
    for (const r of part) {
      chunk += copyLine(r, ++counter.n, fallback, counter);
      repeats.add(r.type, r.value);
      if (chunk.length >= CHUNK_BYTES) {
        yield chunk;
        chunk = '';
      }
    }
  }
  if (chunk.length > 0) yield chunk;
}

// A record that only differs in stamps is unchanged, as in SQLite: dates only widen, and only the
// feed's own dates (code ${DATE_SOURCE_CODES.feed}) are facts; a file's, server's or fetch's date moves as a stamp.
const SAME = `s.listed
  AND r.date_source IS NOT DISTINCT FROM s.date_source
  AND (r.date_source <> ${DATE_SOURCE_CODES.feed} OR (s.first_seen <= r.first_seen AND s.last_seen >= r.last_seen))
  AND r.threat_type IS NOT DISTINCT FROM s.threat_type
  AND r.malware_family IS NOT DISTINCT FROM s.malware_family
  AND r.tags = s.tags
  AND r.confidence IS NOT DISTINCT FROM s.confidence
  AND r.reference_url IS NOT DISTINCT FROM s.reference_url
  AND r.attack_ids = s.attack_ids
  AND r.attributes = s.attributes`;

/** Merge of repeated indicators: the last record wins, dates widen, tags and ATT&CK ids are the union (C order = JS sort). */
const BUILD_RUN_WITH_DUPLICATES = `
  CREATE TEMP TABLE ingest_dup_rows ON COMMIT DROP AS
    SELECT d.* FROM ingest_staging d JOIN ingest_keys k ON k.type = d.type AND k.value = d.value WHERE k.n > 1;
  CREATE INDEX ON ingest_dup_rows (type, value, seq);
  ANALYZE ingest_dup_rows;
  CREATE TEMP TABLE ingest_run ON COMMIT DROP AS
  SELECT s.type, s.value,
    CASE WHEN k.n = 1 THEN s.first_seen ELSE (
      SELECT min(d.first_seen) FROM ingest_dup_rows d WHERE d.type = s.type AND d.value = s.value) END AS first_seen,
    CASE WHEN k.n = 1 THEN s.last_seen ELSE (
      SELECT max(d.last_seen) FROM ingest_dup_rows d WHERE d.type = s.type AND d.value = s.value) END AS last_seen,
    s.date_source, s.threat_type, s.malware_family,
    CASE WHEN k.n = 1 THEN s.tags ELSE (
      SELECT coalesce(jsonb_agg(DISTINCT t.v COLLATE "C" ORDER BY t.v COLLATE "C"), '[]'::jsonb)
      FROM ingest_dup_rows d CROSS JOIN LATERAL jsonb_array_elements_text(d.tags) AS t(v)
      WHERE d.type = s.type AND d.value = s.value) END AS tags,
    s.confidence, s.reference_url,
    CASE WHEN k.n = 1 THEN s.attack_ids ELSE (
      SELECT coalesce(jsonb_agg(DISTINCT t.v COLLATE "C" ORDER BY t.v COLLATE "C"), '[]'::jsonb)
      FROM ingest_dup_rows d CROSS JOIN LATERAL jsonb_array_elements_text(d.attack_ids) AS t(v)
      WHERE d.type = s.type AND d.value = s.value) END AS attack_ids,
    s.attributes, s.range
  FROM ingest_keys k JOIN ingest_staging s ON s.seq = k.last_seq;`;

interface Counts extends RunCounts {
  unchanged: number;
}

async function one<T extends pg.QueryResultRow>(client: pg.ClientBase, sql: string, params: unknown[] = []): Promise<T> {
  const r = await client.query<T>(sql, params);
  return r.rows[0]!;
}

/** Runs one ingest on `client`; the caller has validated the options and the records' source. */
export async function runIngest(
  client: pg.ClientBase,
  options: IngestOptions,
  records: AsyncIterable<SightingRecord> | Iterable<SightingRecord>,
  statementTimeoutMs: number,
  /** Called with a phase name as each phase ends (benchmarks print where the time goes). */
  trace?: (phase: string) => void,
  /** Where committed changes are announced. */
  changes?: ChangeNotices,
): Promise<IngestResult> {
  const { feedId, mode } = options;
  const runAt = toMillis(options.runAt) as number; // validated by the caller
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL statement_timeout = ${Math.trunc(statementTimeoutMs)}`);
    // One import at a time per cluster (advisory lock), so it may use more sort/hash memory than a lookup.
    await client.query(`SET LOCAL work_mem = '128MB'`);
    await client.query('SELECT pg_advisory_xact_lock($1)', [FEED_DATA_LOCK]);
    await client.query(`CREATE TEMP TABLE ingest_staging (
        seq bigint NOT NULL, type text COLLATE "C" NOT NULL, value text COLLATE "C" NOT NULL,
        first_seen bigint NOT NULL, last_seen bigint NOT NULL, date_source smallint NOT NULL, threat_type text, malware_family text, tags jsonb NOT NULL,
        confidence double precision, reference_url text, attack_ids jsonb NOT NULL, attributes jsonb NOT NULL, range cidr
      ) ON COMMIT DROP`);

    const counter = { n: 0, newest: -1 };
    const repeats = new RepeatDetector();
    const copy = client.query(copyStreams.from(`COPY ingest_staging (${STAGING_COLUMNS}) FROM STDIN`));
    await pipeline(Readable.from(copyChunks(records, counter, repeats, fallbackOf(options))), copy);
    trace?.('copy');
    const received = counter.n;
    const runSeq = Number((await one<{ seq: string }>(client, "SELECT nextval('ingest_run_seq') AS seq")).seq);
    const before = await one<{ total: string; listed: string }>(
      client,
      'SELECT count(*) AS total, count(*) FILTER (WHERE listed) AS listed FROM sightings WHERE feed_id = $1',
      [feedId],
    );
    const beforeTotal = Number(before.total);
    const beforeListed = Number(before.listed);

    // Repeated indicators are rare: only when the detector saw a possible repeat is the merge step needed.
    let keyCount = received;
    let run = 'ingest_staging';
    if (repeats.maybeRepeats) {
      await client.query(`CREATE TEMP TABLE ingest_keys ON COMMIT DROP AS
        SELECT type, value, count(*) AS n, max(seq) AS last_seq FROM ingest_staging GROUP BY type, value`);
      keyCount = Number((await one<{ c: string }>(client, 'SELECT count(*) AS c FROM ingest_keys')).c);
      if (keyCount < received) {
        await client.query(BUILD_RUN_WITH_DUPLICATES);
        run = 'ingest_run';
      }
      trace?.('repeats merged');
    }
    // Statistics matter for the joins against existing rows; a first import of a feed only inserts.
    if (beforeTotal > 0) await client.query(`ANALYZE ${run}`);

    // Confirmed rows are updated and classified in one pass: the SET expressions see the old row,
    // so run_state records what it was (bit 1: listed, bit 2: unchanged) and RETURNING hands it back.
    // A refused run (suspect drop) is rolled back, so updating before the check is safe.
    let counts: Counts = { added: keyCount, confirmedListed: 0, relisted: 0, unchanged: 0 };
    if (beforeTotal > 0) {
      const c = await one<{ matched: string; listed: string; unchanged: string }>(
        client,
        `WITH confirmed AS (
           UPDATE sightings s SET
             run_state = (CASE WHEN s.listed THEN 1 ELSE 0 END) + (CASE WHEN ${SAME} THEN 2 ELSE 0 END),
             first_seen = least(s.first_seen, r.first_seen), last_seen = greatest(s.last_seen, r.last_seen),
             date_source = r.date_source, threat_type = r.threat_type, malware_family = r.malware_family, tags = r.tags, confidence = r.confidence,
             reference_url = r.reference_url, attack_ids = r.attack_ids, attributes = r.attributes,
             listed = true, updated_at = $2, run_seq = $3
           FROM ${run} r WHERE s.feed_id = $1 AND s.type = r.type AND s.value = r.value
           RETURNING s.run_state)
         SELECT count(*) AS matched, count(*) FILTER (WHERE run_state & 1 = 1) AS listed,
           count(*) FILTER (WHERE run_state & 2 = 2) AS unchanged FROM confirmed`,
        [feedId, runAt, runSeq],
      );
      const matched = Number(c.matched);
      counts = { added: keyCount - matched, confirmedListed: Number(c.listed), relisted: matched - Number(c.listed), unchanged: Number(c.unchanged) };
    }
    trace?.('classified and updated');
    const updated = counts.confirmedListed + counts.relisted - counts.unchanged;

    refuseSuspectDrop(options, beforeListed, counts);

    let newIndicators = 0;
    if (counts.added > 0) {
      const anySightings = (await client.query('SELECT 1 FROM sightings LIMIT 1')).rowCount ?? 0;
      newIndicators =
        anySightings === 0
          ? counts.added
          : Number(
              (await one<{ c: string }>(
                client,
                `SELECT count(*) AS c FROM ${run} r WHERE NOT EXISTS (SELECT 1 FROM sightings s WHERE s.type = r.type AND s.value = r.value)`,
              )).c,
            );
      await client.query(
        `INSERT INTO sightings (type, value, feed_id, first_seen, last_seen, date_source, threat_type, malware_family, tags, confidence,
           reference_url, attack_ids, attributes, listed, updated_at, range, run_seq)
         SELECT r.type, r.value, $1, r.first_seen, r.last_seen, r.date_source, r.threat_type, r.malware_family,
           r.tags, r.confidence, r.reference_url, r.attack_ids, r.attributes, true, $2, r.range, $3
         FROM ${run} r ${beforeTotal > 0 ? 'ON CONFLICT DO NOTHING' : ''}`,
        [feedId, runAt, runSeq],
      );
    }

    trace?.('new rows inserted');
    let delisted = 0;
    if (mode === 'snapshot' && unconfirmed(beforeListed, counts) > 0) {
      const r = await client.query('UPDATE sightings SET listed = false WHERE feed_id = $1 AND listed AND run_seq <> $2', [feedId, runSeq]);
      delisted = r.rowCount ?? 0;
    }

    // data_as_of: a snapshot is as new as its newest record; an incremental run can only add newer data
    await client.query(
      `INSERT INTO feed_state (feed_id, listed_count, total_count, data_as_of) VALUES ($1, $2, $3, $4)
       ON CONFLICT (feed_id) DO UPDATE SET listed_count = excluded.listed_count, total_count = excluded.total_count,
         data_as_of = CASE WHEN excluded.data_as_of IS NULL THEN feed_state.data_as_of
           WHEN $5 OR feed_state.data_as_of IS NULL THEN excluded.data_as_of
           ELSE greatest(feed_state.data_as_of, excluded.data_as_of) END`,
      [feedId, listedAfter(beforeListed, counts, delisted), beforeTotal + counts.added, counter.newest < 0 ? null : counter.newest, mode === 'snapshot'],
    );
    const changed = counts.added + updated + delisted > 0;
    const state = await one<{ v: string }>(
      client,
      `UPDATE store_state SET sightings = sightings + $1, indicators = indicators + $2, last_ingest_at = $3,
         data_version = data_version + $4 WHERE id = 1 RETURNING data_version AS v`,
      [counts.added, newIndicators, new Date(runAt).toISOString(), changed ? 1 : 0],
    );
    const version = Number(state.v);
    // delivered at COMMIT, never for a run that rolls back
    if (changed && changes) await client.query('SELECT pg_notify($1, $2)', changes.notice(version));
    await client.query('COMMIT');
    if (changed) changes?.committed(version);
    trace?.('committed');
    return { received, added: counts.added, updated, unchanged: counts.unchanged, delisted };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    if (err instanceof IngestError || err instanceof StoreUnavailableError) throw err;
    if (isUnavailable(err)) throw new StoreUnavailableError(`PostgreSQL unavailable during ingest of ${feedId}: ${(err as Error).message}`, { cause: err });
    if (isPgError(err)) throw fail(`feed ${feedId}: store write failed: ${(err as Error).message}`, err);
    throw err; // the parser's own error, as the interface promises
  }
}

function isPgError(err: unknown): boolean {
  const code = err instanceof Error ? (err as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.length === 5;
}
