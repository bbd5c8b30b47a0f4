/**
 * The scale-out store: PostgreSQL through a `pg` pool. Every query runs under a statement
 * timeout and a client-side read timeout, and connecting gives up quickly, so a database outage
 * turns into StoreUnavailableError (HTTP 503) instead of a hung request. Several API instances
 * share one database; ingests serialize on an advisory lock and commit as one transaction each.
 *
 * Split by concern as the SQLite store is: queries.ts (statements, timeouts, transactions),
 * lookups.ts, ingest.ts, maintenance.ts (purge, retention), feed-runs.ts, keys.ts,
 * overrides.ts, changes.ts (notices between instances) and run-lock.ts.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import type { SightingRecord } from '../../model.ts';
import { checkRecordSource, validateOptions } from '../records.ts';
import type { IngestOptions, IngestResult, RunLock, Store } from '../types.ts';
import { ChangeListener, ChangeNotices } from './changes.ts';
import { createFeedDefinitionRepository } from './feed-definitions.ts';
import { createFeedRunStore } from './feed-runs.ts';
import { runIngest } from './ingest.ts';
import { createKeyRepository } from './keys.ts';
import { createLookups } from './lookups.ts';
import { createMaintenance } from './maintenance.ts';
import { applyMigrations } from './migrations.ts';
import { createOverrideRepository } from './overrides.ts';
import { Queries } from './queries.ts';
import { createReportRepository } from './reports.ts';
import { createCatalogueRepository } from './catalogue.ts';
import { createPostgresRunLock, type PostgresRunLockOptions } from './run-lock.ts';

export { StoreUnavailableError } from './errors.ts';

export interface PostgresStoreOptions {
  logger?: Logger;
  /** Schema to use (created if missing); default: the connection's search_path (normally `public`). */
  schema?: string;
  /** Pool size per instance. Default 10. */
  maxConnections?: number;
  /** Server-side limit for every ordinary statement (ms). Default 5000. */
  statementTimeoutMs?: number;
  /** Limit for one whole ingest transaction's statements (ms). Default 600 000. */
  ingestTimeoutMs?: number;
  /** How long to wait for a connection before reporting the database unavailable (ms). Default 2000. */
  connectTimeoutMs?: number;
  /** Told when each ingest phase ends, with ms since the run began (benchmarks show where time goes). */
  onIngestPhase?: (phase: string, elapsedMs: number) => void;
  /**
   * Keep a LISTEN connection so the data version and overrides are answered from memory while
   * it is up (see changes.ts). Default true.
   */
  listen?: boolean;
  /** Keepalive settings of the sessions holding feed run locks (see run-lock.ts). */
  runLock?: PostgresRunLockOptions;
}

export interface PostgresStore extends Store {
  readonly kind: 'postgres';
  /** The pool (the run lock's sessions and `migrate-store` take connections from it). */
  readonly pool: pg.Pool;
  runLock(): RunLock;
}

const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * `?schema=name` in the URL picks the schema (the option wins); it is taken out of the URL,
 * which node-postgres would otherwise send to the server as a setting.
 */
export function splitSchema(url: string): { url: string; schema: string | undefined } {
  const u = new URL(url);
  const schema = u.searchParams.get('schema') ?? undefined;
  if (schema === undefined) return { url, schema };
  u.searchParams.delete('schema');
  return { url: u.toString(), schema };
}

/** Opens (and migrates) a PostgreSQL store. */
export async function openPostgresStore(rawUrl: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  if (typeof rawUrl !== 'string' || !/^postgres(ql)?:\/\//i.test(rawUrl)) throw new TypeError('postgres store: a postgres:// URL is required');
  const { url, schema } = splitSchema(rawUrl);
  const opts: PostgresStoreOptions = options.schema === undefined && schema !== undefined ? { ...options, schema } : options;
  if (opts.schema !== undefined && !SCHEMA_RE.test(opts.schema)) {
    throw new TypeError(`postgres store: schema ${JSON.stringify(opts.schema)} must be a lower-case SQL identifier`);
  }
  const statementTimeoutMs = opts.statementTimeoutMs ?? 5000;
  const connection: pg.ClientConfig = {
    connectionString: url,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 2000,
    keepAlive: true,
    ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
  };
  const pool = new pg.Pool({ ...connection, max: opts.maxConnections ?? 10, idleTimeoutMillis: 30_000, statement_timeout: statementTimeoutMs });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', (err) => opts.logger?.warn({ err }, 'postgres: idle connection lost'));
  const { store, startListening } = assemble(pool, statementTimeoutMs, opts);
  try {
    await store.migrate();
    await startListening(connection);
  } catch (err) {
    await store.close().catch(() => {});
    await pool.end().catch(() => {});
    const detail = err instanceof Error ? err.message : String(err);
    throw new Error(`postgres store: cannot open ${redact(url)}: ${detail}`, { cause: err });
  }
  return store;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

/** The store over a pool: its parts put together, and how it starts listening for other instances' changes. */
function assemble(pool: pg.Pool, statementTimeoutMs: number, opts: PostgresStoreOptions) {
  // The client-side timeout catches a silent network partition the server cannot see.
  const db = new Queries(pool, statementTimeoutMs + 1000);
  const changes = new ChangeNotices();
  const ingestTimeoutMs = opts.ingestTimeoutMs ?? 600_000;
  const overrides = createOverrideRepository(db, changes);
  const readVersion = async (): Promise<number> =>
    Number((await db.row<{ v: string }>('data version', 'SELECT data_version AS v FROM store_state WHERE id = 1'))?.v ?? 0);
  let closed = false;

  const store: PostgresStore = {
    kind: 'postgres',
    // the database server does the writing, on cores of its own (measured: a parse thread was slightly slower)
    offThreadParsing: false,
    pool,
    keys: createKeyRepository(db),
    overrides,
    feedDefinitions: createFeedDefinitionRepository(db, changes),
    reports: createReportRepository(db),
    catalogue: createCatalogueRepository(db),
    ...createLookups(db),
    ...createMaintenance(db, changes, ingestTimeoutMs),
    ...createFeedRunStore(db),

    async migrate() {
      await db.withClient('migrate', (c) => applyMigrations(c, opts.schema).then(() => undefined));
    },
    async ping() {
      await db.q('ping', 'SELECT 1');
    },
    async close() {
      if (closed) return;
      closed = true;
      await changes.listener?.close();
      await pool.end();
    },
    runLock: () => createPostgresRunLock(pool, opts.runLock),
    async ingest(options: IngestOptions, records: AsyncIterable<SightingRecord> | Iterable<SightingRecord>): Promise<IngestResult> {
      validateOptions(options);
      checkRecordSource(records);
      const onPhase = opts.onIngestPhase;
      const started = performance.now();
      const trace = onPhase ? (phase: string) => onPhase(phase, performance.now() - started) : undefined;
      return db.withClient('ingest', (c) => runIngest(c, options, records, ingestTimeoutMs, trace, changes));
    },
    async stats() {
      const r = await db.row<{ indicators: string; sightings: string; last_ingest_at: string | null }>(
        'stats',
        'SELECT indicators, sightings, last_ingest_at FROM store_state WHERE id = 1',
      );
      return { indicators: Number(r?.indicators ?? 0), sightings: Number(r?.sightings ?? 0), lastIngestAt: r?.last_ingest_at ?? null };
    },
    async dataVersion() {
      return changes.liveVersion() ?? readVersion();
    },
  };

  async function startListening(connection: pg.ClientConfig): Promise<void> {
    const schema = (await db.row<{ s: string | null }>('schema', 'SELECT current_schema() AS s'))?.s ?? 'public';
    changes.channel = `verdict_changes_${schema.replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63);
    if (opts.listen === false) return;
    changes.listener = new ChangeListener({
      config: connection,
      channel: changes.channel,
      readVersion,
      onDown: () => overrides.forget(),
      onError: (err) => opts.logger?.warn({ err }, 'postgres: change listener lost; reading the data version from the database until it is back'),
    });
    await changes.listener.start();
  }

  return { store, startListening };
}
