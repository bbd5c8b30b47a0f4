/**
 * The embedded store: one SQLite file through better-sqlite3.
 *
 * Three connections to the same file: a writer (ingest and every other write, serialized by a
 * WriteGate), a reader (every read; under WAL it sees only committed data, so lookups served
 * during a long import never see half of it) and a "toucher" with no busy wait, used only for
 * API-key last-use stamps so that a request never waits on an import's write lock.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { StoredType } from '../../indicators/types.ts';
import type { SightingRecord } from '../../model.ts';
import type { IngestOptions, IngestResult, PruneResult, Store } from '../types.ts';
import { createFeedRunStore } from './feed-runs.ts';
import { prepareIngest, runIngest } from './ingest.ts';
import { createKeyRepository } from './keys.ts';
import { applyMigrations } from './migrations.ts';
import { createOverrideRepository } from './overrides.ts';
import { parseIp, RangeIndex } from './ranges.ts';
import { pruneCutoff } from '../validate.ts';
import { SIGHTING_COLUMNS, toSighting } from './rows.ts';
import type { SightingRow } from './rows.ts';
import { WriteGate } from './write-gate.ts';

/**
 * Sightings of the ranges with one (family, prefix, network start). CROSS JOIN pins the join
 * order: without it the planner walked every cidr sighting and probed the ranges (seconds per
 * lookup at 100k ranges) instead of seeking the range key first.
 */
export const RANGES_AT_SQL = `SELECT ${SIGHTING_COLUMNS.split(', ').map((c) => `s.${c}`).join(', ')}
  FROM cidr_ranges r CROSS JOIN sightings s
  WHERE r.family = ? AND r.prefix = ? AND r.start = ? AND s.type = 'cidr' AND s.value = r.value
  ORDER BY s.value, s.feed_id`;

export interface SqliteStoreOptions {
  logger?: Logger;
  /** How long a write waits for another process's write lock (ms). Default 5000. */
  busyTimeoutMs?: number;
  /** Memory-mapped I/O size in bytes. Default 128 MiB. */
  mmapBytes?: number;
  /**
   * Page cache of the write connection in KiB. A large import writes in an order it does not
   * choose; once its pages outgrow the cache they spill to the WAL and get rewritten. Measured
   * (1M-line list, 200k CSV rows, then a randomly ordered 1M list into one file): 32 MiB made
   * the random list 1.6× slower than 64 MiB; 128 MiB gained another ~8% on it for ~75 MB more
   * resident memory. Default 64 MiB.
   */
  writeCacheKiB?: number;
  /** An API key's last use is written at most once per interval. Default 60 000 ms. */
  keyTouchIntervalMs?: number;
}

export interface SqliteStore extends Store {
  readonly kind: 'sqlite';
  /** The database file (a temporary one for `:memory:`). */
  readonly path: string;
}

interface ConnectionSettings {
  busyTimeoutMs: number;
  mmapBytes: number;
  cacheKiB: number;
}

function configure(db: Database.Database, c: ConnectionSettings): void {
  // Only takes effect on a new file: 16 KiB pages hold more of the wide sighting rows per page
  // (fewer splits during imports; measured ~25% faster inserts than 4 KiB).
  db.pragma('page_size = 16384');
  db.pragma('journal_mode = WAL');
  // NORMAL under WAL: a power cut may lose the last commits, never consistency
  db.pragma('synchronous = NORMAL');
  db.pragma(`busy_timeout = ${Math.trunc(c.busyTimeoutMs)}`);
  db.pragma(`mmap_size = ${Math.trunc(c.mmapBytes)}`);
  db.pragma(`cache_size = -${Math.trunc(c.cacheKiB)}`);
  // keep the WAL from staying huge after a large import
  db.pragma('journal_size_limit = 67108864');
}

/** Opens (creating it and its folder when needed) and migrates a SQLite store. */
export async function openSqliteStore(file: string, opts: SqliteStoreOptions = {}): Promise<SqliteStore> {
  if (typeof file !== 'string' || file.length === 0) throw new TypeError('sqlite store: a file path is required');
  const o = {
    busyTimeoutMs: opts.busyTimeoutMs ?? 5000,
    mmapBytes: opts.mmapBytes ?? 128 * 1024 * 1024,
    writeCacheKiB: opts.writeCacheKiB ?? 64 * 1024,
    keyTouchIntervalMs: opts.keyTouchIntervalMs ?? 60_000,
  };
  // `:memory:` gets a private temporary file: three connections must share one database, and
  // a file gives it the same WAL semantics as production.
  let tempDir: string | null = null;
  let path = file;
  if (file === ':memory:') {
    tempDir = mkdtempSync(join(tmpdir(), 'verdict-store-'));
    path = join(tempDir, 'verdict.db');
  }

  const opened: Database.Database[] = [];
  try {
    if (tempDir === null) mkdirSync(dirname(path), { recursive: true });
    const writer = new Database(path);
    opened.push(writer);
    // The writer reads through its page cache, not mmap: an import touches every page of the
    // feed, and mapped pages would count against the process's resident memory.
    configure(writer, { busyTimeoutMs: o.busyTimeoutMs, mmapBytes: 0, cacheKiB: o.writeCacheKiB });
    const applied = applyMigrations(writer);
    if (applied.length > 0) opts.logger?.info({ path, versions: applied }, 'store migrations applied');
    const reader = new Database(path);
    opened.push(reader);
    configure(reader, { busyTimeoutMs: o.busyTimeoutMs, mmapBytes: o.mmapBytes, cacheKiB: 8 * 1024 });
    const toucher = new Database(path);
    opened.push(toucher);
    configure(toucher, { busyTimeoutMs: 0, mmapBytes: 0, cacheKiB: 512 });
    // from here on the gate waits for other processes' locks without blocking the event loop
    writer.pragma('busy_timeout = 0');
    return new SqliteStoreImpl(path, tempDir, writer, reader, toucher, o.keyTouchIntervalMs, o.busyTimeoutMs, opts.logger);
  } catch (err) {
    for (const db of opened) db.close();
    if (tempDir !== null) rmSync(tempDir, { recursive: true, force: true });
    throw new Error(`sqlite store ${file}: cannot open: ${(err as Error).message}`, { cause: err });
  }
}

class SqliteStoreImpl implements SqliteStore {
  readonly kind = 'sqlite' as const;
  readonly keys;
  readonly overrides;
  private readonly gate: WriteGate;
  private readonly feedRuns;
  private readonly ingestStatements;
  private readonly q;
  private closed = false;
  private ranges: RangeIndex | null = null;

  constructor(
    readonly path: string,
    private readonly tempDir: string | null,
    private readonly writer: Database.Database,
    private readonly reader: Database.Database,
    private readonly toucher: Database.Database,
    touchIntervalMs: number,
    busyTimeoutMs: number,
    private readonly logger: Logger | undefined,
  ) {
    this.gate = new WriteGate(busyTimeoutMs);
    this.keys = createKeyRepository({
      reader,
      writer,
      toucher,
      gate: this.gate,
      touchIntervalMs,
      onTouchError: (err) => this.logger?.warn({ err }, 'api key last-use stamp failed'),
    });
    this.overrides = createOverrideRepository(reader, writer, this.gate);
    this.feedRuns = createFeedRunStore(reader, writer, this.gate);
    this.ingestStatements = prepareIngest(writer);
    this.q = {
      ping: reader.prepare('SELECT 1').pluck(),
      sightingsOf: reader.prepare(`SELECT ${SIGHTING_COLUMNS} FROM sightings WHERE type = ? AND value = ? ORDER BY feed_id`),
      rangeKeys: reader.prepare('SELECT family, prefix, start FROM cidr_ranges'),
      rangesAt: reader.prepare(RANGES_AT_SQL),
      meta: reader.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
      purge: writer.prepare('DELETE FROM sightings WHERE feed_id = ?'),
      // the feed is read whole next time: no validators (a 304 would leave it empty), no incremental start, no cursor
      purgeState: writer.prepare(
        `UPDATE feed_state SET listed_count = 0, total_count = 0, data_as_of = NULL, etag = NULL, last_modified = NULL,
           last_success_at = NULL, last_run = json_remove(last_run, '$.cursor') WHERE feed_id = ?`,
      ),
      pruneDelisted: writer.prepare('DELETE FROM sightings WHERE listed = 0 AND last_seen < ? RETURNING feed_id').pluck(),
      lessTotal: writer.prepare('UPDATE feed_state SET total_count = MAX(total_count - ?, listed_count) WHERE feed_id = ?'),
      bumpRanges: writer.prepare(`INSERT INTO meta (key, value) VALUES ('ranges_version', '1') ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`),
      orphanRanges: writer.prepare(`DELETE FROM cidr_ranges WHERE NOT EXISTS (SELECT 1 FROM sightings s WHERE s.type = 'cidr' AND s.value = cidr_ranges.value)`),
      countSightings: writer.prepare('SELECT COUNT(*) FROM sightings').pluck(),
      countIndicators: writer.prepare('SELECT COUNT(*) FROM (SELECT DISTINCT type, value FROM sightings)').pluck(),
      setMeta: writer.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      bumpVersion: writer.prepare(`UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'`),
    };
  }

  async migrate(): Promise<void> {
    await this.gate.write(() => {
      applyMigrations(this.writer);
    });
  }

  async ping(): Promise<void> {
    this.q.ping.get();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // wait for a running ingest to finish rather than cutting it off mid-transaction
    await this.gate.run(() => undefined);
    this.toucher.close();
    this.reader.close();
    this.writer.close();
    if (this.tempDir !== null) rmSync(this.tempDir, { recursive: true, force: true });
  }

  async sightingsOf(type: StoredType, value: string) {
    return (this.q.sightingsOf.all(type, value) as SightingRow[]).map(toSighting);
  }

  async rangesContaining(ip: string) {
    const parsed = typeof ip === 'string' ? parseIp(ip) : null;
    if (parsed === null) throw new TypeError(`rangesContaining: ${JSON.stringify(ip)} is not an IP address`);
    const out = [];
    for (const { prefix, start } of this.rangeIndex().containing(parsed)) {
      for (const r of this.q.rangesAt.all(parsed.family, prefix, start) as SightingRow[]) out.push(toSighting(r));
    }
    return out; // most specific range first
  }

  /** The in-memory range keys, reloaded when a run (here or in another process) changed them. */
  private rangeIndex(): RangeIndex {
    // read the version before the keys: the keys are then at least that new
    const version = Number(this.q.meta.get('ranges_version') ?? 0);
    if (this.ranges === null || this.ranges.version !== version) {
      this.ranges = new RangeIndex(version, this.q.rangeKeys.iterate() as Iterable<{ family: number; prefix: number; start: string }>);
    }
    return this.ranges;
  }

  async ingest(options: IngestOptions, records: AsyncIterable<SightingRecord> | Iterable<SightingRecord>): Promise<IngestResult> {
    return this.gate.run(() => runIngest(this.writer, this.ingestStatements, options, records, (begin) => this.gate.retryWhileBusy(begin)));
  }

  async purgeFeed(feedId: string): Promise<number> {
    if (typeof feedId !== 'string' || feedId.length === 0) throw new TypeError('purgeFeed: feedId must be a non-empty string');
    const q = this.q;
    const purge = this.writer.transaction(() => {
      const removed = q.purge.run(feedId).changes;
      q.purgeState.run(feedId);
      if (removed > 0) this.afterRemoval();
      return removed;
    });
    return this.gate.write(() => purge.immediate());
  }

  /** In the transaction that removed sightings: ranges left without one, counts, the data version. */
  private afterRemoval(): void {
    const q = this.q;
    if (q.orphanRanges.run().changes > 0) q.bumpRanges.run();
    // rare operation: recount rather than track per-indicator deltas
    q.setMeta.run('sightings', String(q.countSightings.get()));
    q.setMeta.run('indicators', String(q.countIndicators.get()));
    q.bumpVersion.run();
  }

  async pruneDelisted(before: string): Promise<PruneResult> {
    const cutoff = pruneCutoff(before);
    const q = this.q;
    // one pass over the table (there is no index by listed state): a daily chore
    const prune = this.writer.transaction((): PruneResult => {
      const byFeed: Record<string, number> = {};
      let removed = 0;
      for (const feedId of q.pruneDelisted.iterate(cutoff) as IterableIterator<string>) {
        byFeed[feedId] = (byFeed[feedId] ?? 0) + 1;
        removed++;
      }
      if (removed === 0) return { removed, byFeed };
      for (const [feedId, n] of Object.entries(byFeed)) q.lessTotal.run(n, feedId);
      this.afterRemoval();
      return { removed, byFeed };
    });
    return this.gate.write(() => prune.immediate());
  }

  recordFeedRun(run: Parameters<Store['recordFeedRun']>[0]) {
    return this.feedRuns.record(run);
  }

  feedStates() {
    return this.feedRuns.states();
  }

  feedState(feedId: string) {
    return this.feedRuns.state(feedId);
  }

  async stats() {
    const lastIngestAt = this.q.meta.get('last_ingest_at') as string | undefined;
    return {
      indicators: Number(this.q.meta.get('indicators')),
      sightings: Number(this.q.meta.get('sightings')),
      lastIngestAt: lastIngestAt ?? null,
    };
  }

  async dataVersion() {
    return Number(this.q.meta.get('data_version'));
  }
}
