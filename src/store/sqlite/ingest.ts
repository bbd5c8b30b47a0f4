/**
 * One feed run as one SQLite transaction.
 *
 * better-sqlite3 is synchronous, yet records arrive from an async iterable (a streaming parser).
 * The run therefore opens `BEGIN IMMEDIATE` on the write connection, processes records in
 * batches between awaits, and ends with COMMIT or ROLLBACK. That is safe because the write
 * connection is used by nothing else meanwhile (the WriteGate queues other writes) and reads go
 * through a second connection, which under WAL sees only committed data. Other processes wait
 * on the file lock (busy timeout) or fail fast; they never see a half-applied run.
 *
 * Each row remembers the run that last touched it (`run_seq`) and what that run did to it
 * (`run_state`), which gives snapshot delisting, duplicate merging and exact counts without
 * holding the run's keys in memory.
 */
import type Database from 'better-sqlite3';
import { STORED_TYPES } from '../../indicators/types.ts';
import type { SightingRecord } from '../../model.ts';
import { parseCidrRange } from '../cidr.ts';
import { checkRecordSource, encode, fail, fallbackOf, mergeSetJson, toMillis, validateOptions, type Encoded, type Fallback } from '../records.ts';
import { DATE_SOURCE_CODES } from '../rows.ts';
import { listedAfter, refuseSuspectDrop, unconfirmed } from '../run-counts.ts';
import { IngestError, recordArrays } from '../types.ts';
import type { IngestOptions, IngestResult } from '../types.ts';
import { isBusy } from './write-gate.ts';

const BATCH_SIZE = 4096;
/** Rows per multi-row INSERT on the fresh-feed path (one native call instead of 64). */
const BULK_ROWS = 64;
const BULK_COLUMNS = 15;
/** A first run probes per chunk for new indicators until it has added this many rows (or a quarter of the store). */
const CHUNK_PROBE_MIN_ROWS = 50_000;

/** What the row's last run did to it (column run_state). */
const RunState = { Unchanged: 0, Added: 1, Updated: 2 } as const;
type RunState = (typeof RunState)[keyof typeof RunState];

/** Positions in the raw row returned by `existing` (raw arrays skip building an object per row). */
const Col = {
  FirstSeen: 0,
  LastSeen: 1,
  DateSource: 2,
  ThreatType: 3,
  MalwareFamily: 4,
  Tags: 5,
  Confidence: 6,
  ReferenceUrl: 7,
  AttackIds: 8,
  Attributes: 9,
  Listed: 10,
  RunSeq: 11,
  RunState: 12,
} as const;
type ExistingRow = [number, number, number | null, string | null, string | null, string | null, number | null, string | null, string | null, string | null, number, number, number];

/** The stored code of dates the feed itself states: facts, unlike a file's, a server's or a fetch's date, which only stamp a confirmation. */
const FEED_DATED = DATE_SOURCE_CODES.feed;

export interface IngestStatements {
  insertNew: Database.Statement;
  insertBulk: Database.Statement;
  unknownInChunk: Database.Statement;
  newIndicatorsOfFeed: Database.Statement;
  existing: Database.Statement;
  update: Database.Statement;
  stampIfSame: Database.Statement;
  stamp: Database.Statement;
  indicatorFeeds: Database.Statement;
  anyOfType: Database.Statement;
  insertRange: Database.Statement;
  feedCounts: Database.Statement;
  metaNumber: Database.Statement;
  delist: Database.Statement;
  nextRunSeq: Database.Statement;
  addMeta: Database.Statement;
  setMeta: Database.Statement;
  bumpMeta: Database.Statement;
  saveCounts: Database.Statement;
}

const INSERT_COLUMNS = `type, value, feed_id, first_seen, last_seen, date_source, threat_type, malware_family, tags, confidence,
  reference_url, attack_ids, attributes, listed, updated_at, run_seq, run_state`;
const INSERT_ROW = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ${RunState.Added})`;

export function prepareIngest(db: Database.Database): IngestStatements {
  return {
    insertBulk: db.prepare(`INSERT INTO sightings (${INSERT_COLUMNS}) VALUES ${Array(BULK_ROWS).fill(INSERT_ROW).join(', ')} ON CONFLICT DO NOTHING`),
    // before a chunk goes in: how many distinct indicators of it the store has never seen
    unknownInChunk: db
      .prepare(
        `SELECT COUNT(*) FROM (VALUES ${Array(BULK_ROWS).fill('(?, ?)').join(', ')}) v
         WHERE v.column1 IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sightings o WHERE o.type = v.column1 AND o.value = v.column2)`,
      )
      .pluck(),
    // after a large first run of a feed (every row of the feed was added by it): one pass
    newIndicatorsOfFeed: db
      .prepare(
        `SELECT COUNT(*) FROM sightings s WHERE s.feed_id = ?
         AND NOT EXISTS (SELECT 1 FROM sightings o WHERE o.type = s.type AND o.value = s.value AND o.feed_id <> s.feed_id)`,
      )
      .pluck(),
    insertNew: db.prepare(`INSERT INTO sightings (${INSERT_COLUMNS}) VALUES ${INSERT_ROW}`),
    existing: db
      .prepare(
        `SELECT first_seen, last_seen, date_source, threat_type, malware_family, tags, confidence, reference_url, attack_ids, attributes,
           listed, run_seq, run_state
         FROM sightings WHERE type = ? AND value = ? AND feed_id = ?`,
      )
      .raw(),
    update: db.prepare(
      `UPDATE sightings SET first_seen = ?, last_seen = ?, date_source = ?, threat_type = ?, malware_family = ?, tags = ?, confidence = ?,
         reference_url = ?, attack_ids = ?, attributes = ?, listed = 1, updated_at = ?, run_seq = ?, run_state = ?
       WHERE type = ? AND value = ? AND feed_id = ?`,
    ),
    // The common case of a later run in one statement: still listed, first time this run, nothing
    // stated differs. Dates only widen (first seen moves back, last seen forward); a feed's own
    // dates are facts, so a row whose feed dates would move is not "same", while a file's,
    // server's or fetch's date moves as a stamp.
    stampIfSame: db.prepare(
      `UPDATE sightings SET first_seen = MIN(first_seen, ?), last_seen = MAX(last_seen, ?), updated_at = ?, run_seq = ?, run_state = ${RunState.Unchanged}
       WHERE type = ? AND value = ? AND feed_id = ? AND listed = 1 AND run_seq <> ?
         AND threat_type IS ? AND malware_family IS ? AND tags IS ? AND confidence IS ? AND reference_url IS ?
         AND attack_ids IS ? AND attributes IS ? AND date_source IS ?
         AND (date_source <> ${FEED_DATED} OR (first_seen <= ? AND last_seen >= ?))`,
    ),
    stamp: db.prepare(
      `UPDATE sightings SET first_seen = MIN(first_seen, ?), last_seen = MAX(last_seen, ?), updated_at = ?, run_seq = ?, run_state = ${RunState.Unchanged}
       WHERE type = ? AND value = ? AND feed_id = ?`,
    ),
    indicatorFeeds: db.prepare('SELECT COUNT(*) FROM sightings WHERE type = ? AND value = ?').pluck(),
    anyOfType: db.prepare('SELECT 1 FROM sightings WHERE type = ? LIMIT 1').pluck(),
    insertRange: db.prepare('INSERT OR IGNORE INTO cidr_ranges (family, prefix, start, end, value) VALUES (?, ?, ?, ?, ?)'),
    metaNumber: db.prepare('SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?').pluck(),
    // maintained by every run and purge in the same transaction as the rows they count
    feedCounts: db.prepare('SELECT total_count AS total, listed_count AS listed FROM feed_state WHERE feed_id = ?'),
    // one indicator type at a time (a key prefix): there is no index by feed, so this scans,
    // and splitting it lets the event loop breathe between parts
    delist: db.prepare('UPDATE sightings SET listed = 0 WHERE type = ? AND feed_id = ? AND listed = 1 AND run_seq <> ?'),
    nextRunSeq: db.prepare(`UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'run_seq' RETURNING CAST(value AS INTEGER)`).pluck(),
    addMeta: db.prepare('UPDATE meta SET value = CAST(value AS INTEGER) + ? WHERE key = ?'),
    bumpMeta: db.prepare(`INSERT INTO meta (key, value) VALUES (?, '1') ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`),
    setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    // data_as_of: a snapshot is as new as its newest record; an incremental run can only add newer data
    saveCounts: db.prepare(
      `INSERT INTO feed_state (feed_id, listed_count, total_count, data_as_of) VALUES (?, ?, ?, ?)
       ON CONFLICT (feed_id) DO UPDATE SET listed_count = excluded.listed_count, total_count = excluded.total_count,
         data_as_of = CASE WHEN excluded.data_as_of IS NULL THEN data_as_of
           WHEN ? = 1 OR data_as_of IS NULL THEN excluded.data_as_of ELSE MAX(data_as_of, excluded.data_as_of) END`,
    ),
  };
}

class IngestRun {
  received = 0;
  added = 0;
  updated = 0;
  unchanged = 0;
  /** Rows this run confirmed that were listed before it. */
  confirmedListed = 0;
  /** Rows this run confirmed that a previous snapshot had delisted. */
  relisted = 0;
  /** Added rows whose indicator no other feed had. */
  newIndicators = 0;
  /** New range keys: in-memory range indexes must be rebuilt. */
  rangesAdded = 0;
  private readonly bulkParams: unknown[] = new Array(BULK_ROWS * BULK_COLUMNS);
  private readonly keyParams: unknown[] = new Array(BULK_ROWS * 2);

  constructor(
    private readonly s: IngestStatements,
    private readonly feedId: string,
    /** The run time, epoch ms. */
    private readonly runAt: number,
    private readonly runSeq: number,
    /**
     * The feed had no rows before: rows go in by multi-row INSERT, and only a chunk that hit a
     * conflict (an indicator repeated within the run) is replayed row by row.
     */
    readonly fresh: boolean,
    /** Sightings in the store before this run (none: every added row is a new indicator). */
    private readonly storeSightings: number,
    /**
     * Types of which the store held sightings before this run. An added row of any other type
     * is a new indicator without asking the store (a first run of domains next to IP feeds).
     */
    private readonly typesStored: ReadonlySet<string>,
    /** The dates of records that state none. */
    private readonly fallback: Fallback,
  ) {
    this.emptyStore = storeSightings === 0;
  }

  /** The newest last-seen date among this run's records (epoch ms), -1 before the first. */
  newest = -1;

  private readonly emptyStore: boolean;
  /**
   * New indicators of a feed's first run are counted per chunk while the run is small next
   * to the store; past that, one pass over the store at the end is cheaper (`countAtEnd`).
   */
  countAtEnd = false;

  processBatch(batch: readonly SightingRecord[]): void {
    const encoded: Encoded[] = new Array(batch.length);
    let newest = this.newest;
    for (let i = 0; i < batch.length; i++) {
      const e = encode(batch[i] as SightingRecord, ++this.received, this.fallback);
      if (e[3] > newest) newest = e[3];
      encoded[i] = e;
    }
    this.newest = newest;
    // Key order within the batch: neighbouring writes land on the same b-tree pages (a
    // randomly ordered list went in ~40% faster). Stable, so the last of repeats still wins.
    encoded.sort(byKey);
    if (!this.fresh) {
      for (const e of encoded) this.apply(e);
      return;
    }
    let i = 0;
    for (; i + BULK_ROWS <= encoded.length; i += BULK_ROWS) this.applyBulk(encoded, i);
    for (; i < encoded.length; i++) this.apply(encoded[i] as Encoded);
  }

  private applyBulk(encoded: readonly Encoded[], from: number): void {
    const p = this.bulkParams;
    let k = 0;
    for (let i = from; i < from + BULK_ROWS; i++) {
      const e = encoded[i] as Encoded;
      p[k++] = e[0];
      p[k++] = e[1];
      p[k++] = this.feedId;
      p[k++] = e[2];
      p[k++] = e[3];
      p[k++] = e[4];
      p[k++] = e[5];
      p[k++] = e[6];
      p[k++] = e[7];
      p[k++] = e[8];
      p[k++] = e[9];
      p[k++] = e[10];
      p[k++] = e[11];
      p[k++] = this.runAt;
      p[k++] = this.runSeq;
    }
    if (!this.emptyStore && !this.countAtEnd && this.added > Math.max(CHUNK_PROBE_MIN_ROWS, this.storeSightings / 4)) this.countAtEnd = true;
    let probe = false;
    for (let i = from; i < from + BULK_ROWS && !probe; i++) probe = this.typesStored.has((encoded[i] as Encoded)[0]);
    if (probe && !this.countAtEnd) {
      // the chunk is in key order: a repeated key follows its twin and is sent as NULL (not counted)
      const kp = this.keyParams;
      let prev: Encoded | null = null;
      for (let i = 0; i < BULK_ROWS; i++) {
        const e = encoded[from + i] as Encoded;
        const repeat = prev !== null && prev[0] === e[0] && prev[1] === e[1];
        kp[2 * i] = repeat ? null : e[0];
        kp[2 * i + 1] = repeat ? null : e[1];
        prev = e;
      }
      this.newIndicators += this.s.unknownInChunk.get(kp) as number;
    }
    const inserted = this.s.insertBulk.run(p).changes;
    this.added += inserted;
    if (!probe) this.newIndicators += inserted;
    for (let i = from; i < from + BULK_ROWS; i++) {
      const e = encoded[i] as Encoded;
      if (e[0] === 'cidr') this.indexRange(e[1]);
    }
    if (inserted === BULK_ROWS) return;
    // Some rows repeat an indicator already stored by this run: replay the chunk row by row.
    // Rows this chunk inserted compare equal to themselves and are left alone.
    for (let i = from; i < from + BULK_ROWS; i++) this.apply(encoded[i] as Encoded);
  }

  private apply(e: Encoded): void {
    const [type, value, first, last, source, threatType, family, tags, confidence, reference, attackIds, attributes] = e;
    const s = this.s;
    if (!this.fresh) {
      const confirmed = s.stampIfSame.run(
        first, last, this.runAt, this.runSeq, type, value, this.feedId, this.runSeq,
        threatType, family, tags, confidence, reference, attackIds, attributes, source, first, last,
      ).changes;
      if (confirmed === 1) {
        this.confirmedListed++;
        this.unchanged++;
        return;
      }
    }
    const ex = s.existing.get(type, value, this.feedId) as ExistingRow | undefined;
    if (ex === undefined) {
      s.insertNew.run(type, value, this.feedId, first, last, source, threatType, family, tags, confidence, reference, attackIds, attributes, this.runAt, this.runSeq);
      this.added++;
      if (!this.typesStored.has(type) || (s.indicatorFeeds.get(type, value) as number) === 1) this.newIndicators++;
      if (type === 'cidr') this.indexRange(value);
      return;
    }
    if (ex[Col.RunSeq] === this.runSeq) return this.mergeDuplicate(e, ex);

    if (ex[Col.Listed] === 1) this.confirmedListed++;
    else this.relisted++;
    // dates only widen: a later report of an earlier first sighting moves first seen back
    const firstSeen = Math.min(first, ex[Col.FirstSeen]);
    const lastSeen = Math.max(last, ex[Col.LastSeen]);
    const same =
      ex[Col.Listed] === 1 &&
      source === ex[Col.DateSource] &&
      (source !== FEED_DATED || (firstSeen === ex[Col.FirstSeen] && lastSeen === ex[Col.LastSeen])) &&
      threatType === ex[Col.ThreatType] &&
      family === ex[Col.MalwareFamily] &&
      tags === ex[Col.Tags] &&
      confidence === ex[Col.Confidence] &&
      reference === ex[Col.ReferenceUrl] &&
      attackIds === ex[Col.AttackIds] &&
      attributes === ex[Col.Attributes];
    if (same) {
      // Only the run's own stamps move: last confirmation and, for dates the feed does not state, last seen.
      s.stamp.run(first, last, this.runAt, this.runSeq, type, value, this.feedId);
      this.unchanged++;
      return;
    }
    s.update.run(firstSeen, lastSeen, source, threatType, family, tags, confidence, reference, attackIds, attributes, this.runAt, this.runSeq, RunState.Updated, type, value, this.feedId);
    this.updated++;
  }

  /** The same indicator again in this run: last one wins, tags and ATT&CK ids merged, dates widened. */
  private mergeDuplicate(e: Encoded, ex: ExistingRow): void {
    const [type, value, first, last, source, threatType, family, tags, confidence, reference, attackIds, attributes] = e;
    const mergedTags = mergeSetJson(ex[Col.Tags], tags);
    const mergedAttack = mergeSetJson(ex[Col.AttackIds], attackIds);
    const firstSeen = Math.min(first, ex[Col.FirstSeen]);
    const lastSeen = Math.max(last, ex[Col.LastSeen]);
    const same =
      firstSeen === ex[Col.FirstSeen] &&
      lastSeen === ex[Col.LastSeen] &&
      source === ex[Col.DateSource] &&
      threatType === ex[Col.ThreatType] &&
      family === ex[Col.MalwareFamily] &&
      mergedTags === ex[Col.Tags] &&
      confidence === ex[Col.Confidence] &&
      reference === ex[Col.ReferenceUrl] &&
      mergedAttack === ex[Col.AttackIds] &&
      attributes === ex[Col.Attributes];
    if (same) return;
    let state = ex[Col.RunState] as RunState;
    if (state === RunState.Unchanged) {
      this.unchanged--;
      this.updated++;
      state = RunState.Updated;
    }
    this.s.update.run(firstSeen, lastSeen, source, threatType, family, mergedTags, confidence, reference, mergedAttack, attributes, this.runAt, this.runSeq, state, type, value, this.feedId);
  }

  private indexRange(value: string): void {
    const k = parseCidrRange(value);
    if (k === null) return;
    this.rangesAdded += this.s.insertRange.run(k.family, k.prefix, k.start, k.end, value).changes;
  }
}

const byKey = (a: Encoded, b: Encoded): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs one ingest on `db`; the caller holds the write gate. */
/**
 * After a rolled-back run: the pages a large run spilled to the WAL are dead, but the file keeps
 * its size (up to the whole run) until a checkpoint resets it, and a refused run is followed by no
 * commit that would. A TRUNCATE checkpoint resets it to nothing. It does not wait: while a reader
 * (another process) still uses the WAL it is skipped, and the next commit's checkpoint trims the
 * file to journal_size_limit as usual.
 */
function truncateWal(db: Database.Database): void {
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch {
    // busy or locked: the next checkpoint does it
  }
}

export async function runIngest(
  db: Database.Database,
  s: IngestStatements,
  options: IngestOptions,
  records: AsyncIterable<SightingRecord> | Iterable<SightingRecord>,
  /** Waits out another process's write lock (without blocking the event loop). */
  retryWhileBusy: (begin: () => void) => Promise<void> = async (begin) => begin(),
  /** Called right before COMMIT (the store ends its shared read there, so the commit's checkpoint is not held back by it). */
  beforeCommit: () => void = () => undefined,
): Promise<IngestResult> {
  validateOptions(options);
  checkRecordSource(records);
  const { feedId, mode } = options;
  const runAt = toMillis(options.runAt) as number; // validated above
  try {
    await retryWhileBusy(() => db.exec('BEGIN IMMEDIATE'));
  } catch (err) {
    const why = isBusy(err) ? 'the store is locked by another writer' : 'cannot start the run';
    throw fail(`feed ${feedId}: ${why} (${(err as Error).message})`, err);
  }
  try {
    const runSeq = s.nextRunSeq.get() as number;
    const before = (s.feedCounts.get(feedId) as { total: number; listed: number } | undefined) ?? { total: 0, listed: 0 };
    const storeSightings = s.metaNumber.get('sightings') as number;
    const typesStored = new Set(storeSightings === 0 ? [] : STORED_TYPES.filter((t) => s.anyOfType.get(t) !== undefined));
    const run = new IngestRun(s, feedId, runAt, runSeq, before.total === 0, storeSightings, typesStored, fallbackOf(options));

    let batch: SightingRecord[] = [];
    const flush = async (): Promise<void> => {
      run.processBatch(batch);
      batch = [];
      // let lookups (on the read connection) and timers run during a long import
      await yieldToEventLoop();
    };
    for await (const part of recordArrays(records, BATCH_SIZE)) {
      for (let i = 0; i < part.length; i++) {
        batch.push(part[i] as SightingRecord);
        if (batch.length >= BATCH_SIZE) await flush();
      }
    }
    run.processBatch(batch);

    let delisted = 0;
    refuseSuspectDrop(options, before.listed, run);
    if (mode === 'snapshot') {
      const toDelist = unconfirmed(before.listed, run);
      for (const type of STORED_TYPES) {
        if (delisted >= toDelist) break;
        delisted += s.delist.run(type, feedId, runSeq).changes;
        await yieldToEventLoop();
      }
    }

    s.saveCounts.run(feedId, listedAfter(before.listed, run, delisted), before.total + run.added, run.newest < 0 ? null : run.newest, mode === 'snapshot' ? 1 : 0);
    if (run.countAtEnd) run.newIndicators = s.newIndicatorsOfFeed.get(feedId) as number;
    s.addMeta.run(run.added, 'sightings');
    s.addMeta.run(run.newIndicators, 'indicators');
    s.setMeta.run('last_ingest_at', new Date(runAt).toISOString());
    if (run.added + run.updated + delisted > 0) s.addMeta.run(1, 'data_version');
    if (run.rangesAdded > 0) s.bumpMeta.run('ranges_version');
    beforeCommit();
    db.exec('COMMIT');
    return { received: run.received, added: run.added, updated: run.updated, unchanged: run.unchanged, delisted };
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    truncateWal(db);
    if (err instanceof IngestError) throw err;
    if (isSqliteError(err)) throw fail(`feed ${feedId}: store write failed: ${(err as Error).message}`, err);
    throw err; // the parser's own error, as the interface promises
  }
}

function isSqliteError(err: unknown): boolean {
  return err instanceof Error && err.name === 'SqliteError';
}
