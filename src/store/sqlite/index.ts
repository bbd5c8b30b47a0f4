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
import type { Sighting, SightingRecord } from '../../model.ts';
import { parseIp } from '../cidr.ts';
import { SIGHTING_COLUMNS, toSightingFromValues } from '../rows.ts';
import { SIGHTINGS_OF } from '../sql.ts';
import type { IngestOptions, IngestResult, Store } from '../types.ts';
import { createFeedDefinitionRepository } from './feed-definitions.ts';
import { createFeedRunStore } from './feed-runs.ts';
import { prepareIngest, runIngest } from './ingest.ts';
import { createKeyRepository } from './keys.ts';
import { createMaintenance } from './maintenance.ts';
import { applyMigrations } from './migrations.ts';
import { createOverrideRepository } from './overrides.ts';
import { createQuotaLedger } from './quotas.ts';
import { createReportRepository } from './reports.ts';
import { createCatalogueRepository } from './catalogue.ts';
import { RangeIndex } from './ranges.ts';
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
    return assemble({ path, tempDir, writer, reader, toucher, busyTimeoutMs: o.busyTimeoutMs, logger: opts.logger });
  } catch (err) {
    for (const db of opened) db.close();
    if (tempDir !== null) rmSync(tempDir, { recursive: true, force: true });
    throw new Error(`sqlite store ${file}: cannot open: ${(err as Error).message}`, { cause: err });
  }
}

interface Connections {
  path: string;
  /** The folder of a `:memory:` store's private file, removed on close. */
  tempDir: string | null;
  writer: Database.Database;
  reader: Database.Database;
  toucher: Database.Database;
  busyTimeoutMs: number;
  logger: Logger | undefined;
}

/** The store over its three connections: its parts put together. */
function assemble(c: Connections): SqliteStore {
  const { writer, reader } = c;
  const gate = new WriteGate(c.busyTimeoutMs);
  const ingestStatements = prepareIngest(writer);
  const q = {
    ping: reader.prepare('SELECT 1').pluck(),
    // rows as arrays (raw), read by toSightingFromValues: cheaper than rows as objects
    sightingsOf: reader.prepare(SIGHTINGS_OF).raw(),
    // many values of one type in one statement: the values as one JSON array, read by json_each
    sightingsOfMany: reader
      .prepare(`SELECT ${SIGHTING_COLUMNS} FROM sightings WHERE type = ? AND value IN (SELECT value FROM json_each(?)) ORDER BY value, feed_id`)
      .raw(),
    rangeKeys: reader.prepare('SELECT family, prefix, start FROM cidr_ranges'),
    rangesAt: reader.prepare(RANGES_AT_SQL).raw(),
    meta: reader.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
    // a read transaction over several statements: outside one, each statement starts its own
    begin: reader.prepare('BEGIN'),
    commit: reader.prepare('COMMIT'),
  };
  let closed = false;
  let ranges: RangeIndex | null = null;

  /**
   * Lookups started in one turn of the event loop share one read transaction (readTogether),
   * ended when the turn's I/O callbacks are done (setImmediate) or as soon as this process has
   * written: beginning and ending one costs file-lock system calls, more than a point read
   * inside it. The lookups of a turn see one snapshot, as lookups started together would.
   * The single lookups of a turn are computed together in its check phase (src/http/turn-end.ts),
   * so theirs lasts until the next turn's check phase. Ending it once the microtask queue had
   * emptied after their reads was tried and measured no different in bench:http or bench:bulk
   * (whose NDJSON memory figure varied as widely either way), so the turn's end is kept.
   */
  let sharedRead = false;
  /** Whether the range keys' version was read within the current shared read (it cannot move there). */
  let rangesChecked = false;
  const endSharedRead = (): void => {
    if (!sharedRead) return;
    sharedRead = false;
    rangesChecked = false;
    if (reader.open && reader.inTransaction) q.commit.run();
  };
  // ended before any write of this process starts and once it is done: a read after it sees it,
  // and the commit's checkpoint is not held back by a snapshot of this process
  gate.onEnter(endSharedRead);
  gate.onRelease(endSharedRead);

  /** The in-memory range keys, reloaded when a run (here or in another process) changed them. */
  const rangeIndex = (): RangeIndex => {
    if (ranges !== null && rangesChecked) return ranges;
    // read the version before the keys: the keys are then at least that new
    const version = Number(q.meta.get('ranges_version') ?? 0);
    if (ranges === null || ranges.version !== version) {
      ranges = new RangeIndex(version, q.rangeKeys.iterate() as Iterable<{ family: number; prefix: number; start: string }>);
    }
    rangesChecked = sharedRead;
    return ranges;
  };

  return {
    kind: 'sqlite',
    // SQLite's writes take this process's CPU: a large file parsed on a worker thread overlaps with them
    offThreadParsing: true,
    path: c.path,
    keys: createKeyRepository({ reader, writer, toucher: c.toucher, gate, onTouchError: (err) => c.logger?.warn({ err }, 'api key last-use stamp failed') }),
    overrides: createOverrideRepository(reader, writer, gate),
    feedDefinitions: createFeedDefinitionRepository(reader, writer, gate),
    quotas: createQuotaLedger(reader, writer, gate),
    reports: createReportRepository(reader, writer, gate),
    catalogue: createCatalogueRepository(reader, writer, gate),
    ...createFeedRunStore(reader, writer, gate),
    ...createMaintenance(writer, gate),

    async migrate() {
      await gate.write(() => {
        applyMigrations(writer);
      });
    },
    async ping() {
      q.ping.get();
    },
    async close() {
      if (closed) return;
      closed = true;
      // wait for a running ingest to finish rather than cutting it off mid-transaction
      await gate.run(() => undefined);
      c.toucher.close();
      reader.close();
      writer.close();
      if (c.tempDir !== null) rmSync(c.tempDir, { recursive: true, force: true });
    },
    async sightingsOf(type: StoredType, value: string) {
      return (q.sightingsOf.all(type, value) as unknown[][]).map(toSightingFromValues);
    },
    async rangesContaining(ip: string) {
      const parsed = typeof ip === 'string' ? parseIp(ip) : null;
      if (parsed === null) throw new TypeError(`rangesContaining: ${JSON.stringify(ip)} is not an IP address`);
      const out = [];
      for (const { prefix, start } of rangeIndex().containing(parsed)) {
        for (const r of q.rangesAt.all(parsed.family, prefix, start) as unknown[][]) out.push(toSightingFromValues(r));
      }
      return out; // most specific range first
    },
    readTogether<T>(reads: () => T): T {
      // every read method here does its work before it returns its promise: all of them run in
      // the transaction, which the turn's later lookups join (sharedRead above)
      if (!reader.inTransaction) {
        q.begin.run();
        sharedRead = true;
        setImmediate(endSharedRead);
      }
      return reads();
    },
    async sightingsOfMany(type: StoredType, values: readonly string[]) {
      const out = new Map<string, Sighting[]>();
      for (const v of values) out.set(v, []);
      if (out.size === 0) return out;
      for (const r of q.sightingsOfMany.all(type, JSON.stringify([...out.keys()])) as unknown[][]) out.get(r[1] as string)?.push(toSightingFromValues(r));
      return out;
    },
    async rangesContainingMany(ips: readonly string[]) {
      const out = new Map<string, Sighting[]>();
      const index = rangeIndex();
      // the in-memory index says which range keys hold each address (usually none); each key is read once
      const byKey = new Map<string, Sighting[]>();
      for (const ip of ips) {
        if (out.has(ip)) continue;
        const parsed = typeof ip === 'string' ? parseIp(ip) : null;
        if (parsed === null) throw new TypeError(`rangesContainingMany: ${JSON.stringify(ip)} is not an IP address`);
        const found: Sighting[] = [];
        for (const { prefix, start } of index.containing(parsed)) {
          const key = `${parsed.family}/${prefix}/${start}`;
          let rows = byKey.get(key);
          if (rows === undefined) {
            rows = (q.rangesAt.all(parsed.family, prefix, start) as unknown[][]).map(toSightingFromValues);
            byKey.set(key, rows);
          }
          found.push(...rows);
        }
        out.set(ip, found); // most specific range first
      }
      return out;
    },
    async ingest(options: IngestOptions, records: AsyncIterable<SightingRecord> | Iterable<SightingRecord>): Promise<IngestResult> {
      return gate.run(() => runIngest(writer, ingestStatements, options, records, (begin) => gate.retryWhileBusy(begin), endSharedRead));
    },
    async stats() {
      const lastIngestAt = q.meta.get('last_ingest_at') as string | undefined;
      return { indicators: Number(q.meta.get('indicators')), sightings: Number(q.meta.get('sightings')), lastIngestAt: lastIngestAt ?? null };
    },
    async dataVersion() {
      return Number(q.meta.get('data_version'));
    },
  };
}
