/**
 * The scale-out store: PostgreSQL through a `pg` pool. Every query runs under a statement
 * timeout and a client-side read timeout, and connecting gives up quickly, so a database outage
 * turns into StoreUnavailableError (HTTP 503) instead of a hung request. Several API instances
 * share one database; ingests serialize on an advisory lock and commit as one transaction each.
 */
import { nextRunState } from '../run-state.ts';
import pg from 'pg';
import ipaddr from 'ipaddr.js';
import type { Logger } from 'pino';
import type { StoredType } from '../../indicators/types.ts';
import type { Override, Sighting, SightingRecord } from '../../model.ts';
import type { ApiKeyRecord, ApiKeyRepository, FeedRunRecord, FeedState, IngestOptions, IngestResult, OverrideRepository, PruneResult, Store } from '../types.ts';
import { pruneCutoff } from '../validate.ts';
import { ChangeListener, type ChangeNotice } from './changes.ts';
import { ingestFailure } from './copy-rows.ts';
import { rethrow } from './errors.ts';
import { runIngest, validateOptions } from './ingest.ts';
import { applyMigrations } from './migrations.ts';
import {
  KEY_COLUMNS,
  OVERRIDE_COLUMNS,
  SIGHTING_COLUMNS,
  STATE_COLUMNS,
  toApiKey,
  toOverride,
  toSighting,
  toState,
  validateKey,
  validateOverride,
  validateRun,
} from './rows.ts';
import type { ApiKeyRow, OverrideRow, SightingRow, StateRow } from './rows.ts';

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
  /** An API key's last use is written at most once per interval. Default 60 000 ms. */
  keyTouchIntervalMs?: number;
  /** Told when each ingest phase ends, with ms since the run began (benchmarks show where time goes). */
  onIngestPhase?: (phase: string, elapsedMs: number) => void;
  /**
   * Keep a LISTEN connection so the data version, API keys and overrides are answered from
   * memory while it is up (see changes.ts). Default true.
   */
  listen?: boolean;
}

export interface PostgresStore extends Store {
  readonly kind: 'postgres';
  /** The pool, shared with the PostgreSQL run lock (src/leader/postgres.ts). */
  readonly pool: pg.Pool;
}

const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;
/** A cached API key is re-read at least this often even if no notice arrives. */
const KEY_CACHE_MS = 60_000;
/** In-process caches are cleared rather than grown past this many entries. */
const CACHE_MAX = 10_000;
const RUNS_KEPT = 50;

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
  const store = new PostgresStoreImpl(pool, statementTimeoutMs, opts);
  try {
    await store.migrate();
    await store.startListening(connection);
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

class PostgresStoreImpl implements PostgresStore {
  readonly kind = 'postgres' as const;
  readonly keys: ApiKeyRepository;
  readonly overrides: OverrideRepository;
  private closed = false;
  private listener: ChangeListener | null = null;
  /** NOTIFY channel of this schema (set when listening starts). */
  private channel = 'verdict_changes';
  /** API keys by hash, trusted only while the listener is live (a revocation elsewhere clears it). */
  private readonly keyCache = new Map<string, { record: ApiKeyRecord; at: number }>();
  /** Overrides (and their absence) for one data version; every override change bumps the version. */
  private overrideCache = { version: -1, entries: new Map<string, Override | null>() };
  private readonly readTimeoutMs: number;
  private readonly ingestTimeoutMs: number;

  constructor(
    readonly pool: pg.Pool,
    statementTimeoutMs: number,
    private readonly opts: PostgresStoreOptions,
  ) {
    // The client-side timeout catches a silent network partition the server cannot see.
    this.readTimeoutMs = statementTimeoutMs + 1000;
    this.ingestTimeoutMs = opts.ingestTimeoutMs ?? 600_000;
    this.keys = this.keyRepository(opts.keyTouchIntervalMs ?? 60_000);
    this.overrides = this.overrideRepository();
  }

  /** Statement names by SQL text: each connection parses and plans a statement once, not per call. */
  private readonly statementNames = new Map<string, string>();

  private async q<R extends pg.QueryResultRow>(what: string, text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    let name = this.statementNames.get(text);
    if (name === undefined) {
      name = `verdict_${this.statementNames.size + 1}`;
      this.statementNames.set(text, name);
    }
    try {
      return await this.pool.query<R>({ name, text, values, query_timeout: this.readTimeoutMs } as pg.QueryConfig);
    } catch (err) {
      rethrow(err, what);
    }
  }

  private async withClient<T>(what: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      rethrow(err, what);
    }
    let broken: Error | undefined;
    try {
      return await fn(client);
    } catch (err) {
      // A connection that failed mid-COPY or mid-transaction is not trusted again.
      if (err instanceof Error && !(err.name === 'IngestError' && (err as { failure?: { kind?: string } }).failure?.kind === 'suspect_drop')) broken = err;
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async startListening(connection: pg.ClientConfig): Promise<void> {
    const schema = (await this.q<{ s: string | null }>('schema', 'SELECT current_schema() AS s')).rows[0]?.s ?? 'public';
    this.channel = `verdict_changes_${schema.replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63);
    if (this.opts.listen === false) return;
    this.listener = new ChangeListener({
      config: connection,
      channel: this.channel,
      readVersion: () => this.readVersion(),
      onNotice: (n: ChangeNotice) => {
        if (n.keys) this.keyCache.clear();
      },
      onDown: () => {
        this.keyCache.clear();
        this.overrideCache = { version: -1, entries: new Map() };
      },
      onError: (err) => this.opts.logger?.warn({ err }, 'postgres: change listener lost; reading the data version from the database until it is back'),
    });
    await this.listener.start();
  }

  /** Tells other instances (and this one) about a committed change. */
  private async announce(notice: ChangeNotice): Promise<void> {
    if (notice.v !== undefined) this.listener?.observe(notice.v);
    if (notice.keys) this.keyCache.clear();
    try {
      await this.pool.query('SELECT pg_notify($1, $2)', [this.channel, JSON.stringify(notice)]);
    } catch (err) {
      // the change is committed; other instances still see it through their own reads when their listener is down
      this.opts.logger?.warn({ err }, 'postgres: change notice not sent');
    }
  }

  async migrate(): Promise<void> {
    await this.withClient('migrate', (c) => applyMigrations(c, this.opts.schema).then(() => undefined));
  }

  async ping(): Promise<void> {
    await this.q('ping', 'SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.listener?.close();
    await this.pool.end();
  }

  async sightingsOf(type: StoredType, value: string): Promise<Sighting[]> {
    const r = await this.q<SightingRow>('lookup', `SELECT ${SIGHTING_COLUMNS} FROM sightings WHERE type = $1 AND value = $2 ORDER BY feed_id`, [type, value]);
    return r.rows.map(toSighting);
  }

  async rangesContaining(ip: string): Promise<Sighting[]> {
    if (typeof ip !== 'string' || !ipaddr.isValid(ip)) throw new TypeError(`rangesContaining: ${JSON.stringify(ip)} is not an IP address`);
    // GiST (inet_ops) answers "ranges containing this address"; most specific range first, as SQLite does.
    const r = await this.q<SightingRow>(
      'range lookup',
      `SELECT ${SIGHTING_COLUMNS} FROM sightings WHERE range >>= $1::inet ORDER BY masklen(range) DESC, value, feed_id`,
      [ip],
    );
    return r.rows.map(toSighting);
  }

  async ingest(options: IngestOptions, records: AsyncIterable<SightingRecord> | Iterable<SightingRecord>): Promise<IngestResult> {
    validateOptions(options);
    if (records === null || typeof records !== 'object' || (typeof (records as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function' && typeof (records as Iterable<unknown>)[Symbol.iterator] !== 'function')) {
      throw ingestFailure('ingest records must be an iterable or async iterable');
    }
    const onPhase = this.opts.onIngestPhase;
    const started = performance.now();
    const trace = onPhase ? (phase: string) => onPhase(phase, performance.now() - started) : undefined;
    const changes = { channel: this.channel, committed: (v: number) => this.listener?.observe(v) };
    return this.withClient('ingest', (c) => runIngest(c, options, records, this.ingestTimeoutMs, trace, changes));
  }

  async purgeFeed(feedId: string): Promise<number> {
    if (typeof feedId !== 'string' || feedId.length === 0) throw new TypeError('purgeFeed: feedId must be a non-empty string');
    return this.withClient('purge', async (c) => {
      await c.query('BEGIN');
      try {
        // removing a large feed takes as long as importing it did
        await c.query(`SET LOCAL statement_timeout = ${Math.trunc(this.ingestTimeoutMs)}`);
        await c.query('SELECT pg_advisory_xact_lock(7331002)');
        // Indicators only this feed reported disappear from the indicator count.
        const gone = await c.query('DELETE FROM sightings WHERE feed_id = $1', [feedId]);
        const removed = gone.rowCount ?? 0;
        // the feed is read whole next time: no validators (a 304 would leave it empty), no incremental start, no cursor
        await c.query(
          `UPDATE feed_state SET listed_count = 0, total_count = 0, data_as_of = NULL, etag = NULL, last_modified = NULL,
             last_success_at = NULL, last_run = last_run - 'cursor' WHERE feed_id = $1`,
          [feedId],
        );
        if (removed === 0) {
          await c.query('COMMIT');
          return 0;
        }
        await this.commitRemoval(c);
        return removed;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => {});
        rethrow(err, 'purge');
      }
    });
  }

  /**
   * Ends a transaction that removed sightings: recounts (removals are rare; tracking
   * per-indicator deltas is not worth it), moves the data version, tells the other instances.
   */
  private async commitRemoval(c: pg.PoolClient): Promise<void> {
    const v = await c.query<{ v: string }>(`UPDATE store_state SET sightings = (SELECT count(*) FROM sightings),
        indicators = (SELECT count(*) FROM (SELECT DISTINCT type, value FROM sightings) d), data_version = data_version + 1
        WHERE id = 1 RETURNING data_version AS v`);
    const version = Number(v.rows[0]?.v);
    await c.query('SELECT pg_notify($1, $2)', [this.channel, JSON.stringify({ v: version })]);
    await c.query('COMMIT');
    this.listener?.observe(version);
  }

  async pruneDelisted(before: string): Promise<PruneResult> {
    const cutoff = pruneCutoff(before);
    return this.withClient('prune', async (c) => {
      await c.query('BEGIN');
      try {
        await c.query(`SET LOCAL statement_timeout = ${Math.trunc(this.ingestTimeoutMs)}`);
        await c.query('SELECT pg_advisory_xact_lock(7331002)');
        const gone = await c.query<{ feed_id: string; n: string }>(
          `WITH gone AS (DELETE FROM sightings WHERE NOT listed AND last_seen < $1 RETURNING feed_id)
           SELECT feed_id, count(*) AS n FROM gone GROUP BY feed_id`,
          [cutoff],
        );
        const byFeed: Record<string, number> = {};
        for (const r of gone.rows) byFeed[r.feed_id] = Number(r.n);
        const removed = Object.values(byFeed).reduce((a, b) => a + b, 0);
        if (removed === 0) {
          await c.query('COMMIT');
          return { removed, byFeed };
        }
        await c.query(
          `UPDATE feed_state f SET total_count = GREATEST(f.total_count - g.n, f.listed_count)
           FROM unnest($1::text[], $2::bigint[]) AS g(feed_id, n) WHERE f.feed_id = g.feed_id`,
          [Object.keys(byFeed), Object.values(byFeed)],
        );
        await this.commitRemoval(c);
        return { removed, byFeed };
      } catch (err) {
        await c.query('ROLLBACK').catch(() => {});
        rethrow(err, 'prune');
      }
    });
  }

  async recordFeedRun(run: FeedRunRecord): Promise<void> {
    validateRun(run);
    await this.withClient('feed run record', async (c) => {
      await c.query('BEGIN');
      try {
        const json = JSON.stringify(run);
        await c.query(
          `INSERT INTO feed_runs (feed_id, started_at, record) VALUES ($1, $2, $3)
           ON CONFLICT (feed_id, started_at) DO UPDATE SET record = excluded.record`,
          [run.feedId, run.startedAt, json],
        );
        await c.query(
          `DELETE FROM feed_runs WHERE feed_id = $1 AND id NOT IN (SELECT id FROM feed_runs WHERE feed_id = $1 ORDER BY id DESC LIMIT ${RUNS_KEPT})`,
          [run.feedId],
        );
        const prev = (await c.query<StateRow>(`SELECT ${STATE_COLUMNS} FROM feed_state WHERE feed_id = $1 FOR UPDATE`, [run.feedId])).rows[0];
        const next = nextRunState(prev, run);
        await c.query(
          `INSERT INTO feed_state (feed_id, last_run, last_success_at, last_error_at, last_error, etag, last_modified)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (feed_id) DO UPDATE SET last_run = excluded.last_run, last_success_at = excluded.last_success_at,
             last_error_at = excluded.last_error_at, last_error = excluded.last_error, etag = excluded.etag,
             last_modified = excluded.last_modified`,
          [run.feedId, json, next.lastSuccessAt, next.lastErrorAt, next.lastError, next.etag, next.lastModified],
        );
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK').catch(() => {});
        rethrow(err, 'feed run record');
      }
    });
  }

  async feedStates(): Promise<FeedState[]> {
    return (await this.q<StateRow>('feed states', `SELECT ${STATE_COLUMNS} FROM feed_state ORDER BY feed_id`)).rows.map(toState);
  }

  async feedState(feedId: string): Promise<FeedState | null> {
    const row = (await this.q<StateRow>('feed state', `SELECT ${STATE_COLUMNS} FROM feed_state WHERE feed_id = $1`, [feedId])).rows[0];
    return row === undefined ? null : toState(row);
  }

  async stats(): Promise<{ indicators: number; sightings: number; lastIngestAt: string | null }> {
    const r = (await this.q<{ indicators: string; sightings: string; last_ingest_at: string | null }>(
      'stats',
      'SELECT indicators, sightings, last_ingest_at FROM store_state WHERE id = 1',
    )).rows[0];
    return { indicators: Number(r?.indicators ?? 0), sightings: Number(r?.sightings ?? 0), lastIngestAt: r?.last_ingest_at ?? null };
  }

  async dataVersion(): Promise<number> {
    const l = this.listener;
    if (l !== null && l.live) return l.version as number;
    return this.readVersion();
  }

  private async readVersion(): Promise<number> {
    const r = (await this.q<{ v: string }>('data version', 'SELECT data_version AS v FROM store_state WHERE id = 1')).rows[0];
    return Number(r?.v ?? 0);
  }

  private get cachesLive(): boolean {
    return this.listener !== null && this.listener.live;
  }

  private keyRepository(touchIntervalMs: number): ApiKeyRepository {
    const lastWritten = new Map<string, number>();
    return {
      create: async (key: ApiKeyRecord) => {
        validateKey(key);
        try {
          await this.pool.query(
            `INSERT INTO api_keys (${KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
            [key.id, key.keyPrefix, key.keyHash, key.name, key.tier, JSON.stringify(key.scopes), key.createdAt, key.lastUsedAt ?? null, key.expiresAt ?? null, key.revokedAt ?? null],
          );
        } catch (err) {
          if ((err as { code?: string }).code === '23505') throw new Error(`api key ${key.id}: a key with this id or hash already exists`, { cause: err });
          rethrow(err, 'key create');
        }
        await this.announce({ keys: true });
      },
      findByHash: async (keyHash: string) => {
        const cached = this.keyCache.get(keyHash);
        if (cached !== undefined && this.cachesLive && Date.now() - cached.at < KEY_CACHE_MS) return { ...cached.record, scopes: [...cached.record.scopes] };
        const row = (await this.q<ApiKeyRow>('key lookup', `SELECT ${KEY_COLUMNS} FROM api_keys WHERE key_hash = $1`, [keyHash])).rows[0];
        if (row === undefined) return null; // unknown keys are never cached: one created elsewhere works at once
        const record = toApiKey(row);
        if (this.cachesLive) {
          if (this.keyCache.size >= CACHE_MAX) this.keyCache.clear();
          this.keyCache.set(keyHash, { record: { ...record, scopes: [...record.scopes] }, at: Date.now() });
        }
        return record;
      },
      get: async (id: string) => {
        const row = (await this.q<ApiKeyRow>('key lookup', `SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = $1`, [id])).rows[0];
        return row === undefined ? null : toApiKey(row);
      },
      list: async () => (await this.q<ApiKeyRow>('key list', `SELECT ${KEY_COLUMNS} FROM api_keys ORDER BY created_at, id`)).rows.map(toApiKey),
      revoke: async (id: string, at: string) => {
        const done = ((await this.q('key revoke', 'UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [at, id])).rowCount ?? 0) === 1;
        if (done) await this.announce({ keys: true });
        return done;
      },
      touch: async (id: string, at: string) => {
        const t = Date.parse(at);
        if (Number.isNaN(t)) throw new TypeError(`touch: ${JSON.stringify(at)} is not an RFC 3339 time`);
        const last = lastWritten.get(id);
        if (last !== undefined && t - last < touchIntervalMs && t >= last) return;
        lastWritten.set(id, t);
        try {
          // never moves last use backwards (another instance may have written a later one)
          await this.q('key touch', 'UPDATE api_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)', [at, id]);
          for (const c of this.keyCache.values()) {
            if (c.record.id === id && (c.record.lastUsedAt === null || c.record.lastUsedAt < at)) c.record.lastUsedAt = at;
          }
        } catch (err) {
          lastWritten.delete(id);
          // a lost last-use stamp is harmless; the request it belongs to must not fail for it
          this.opts.logger?.warn({ err }, 'api key last-use stamp failed');
        }
      },
      count: async () => Number((await this.q<{ c: string }>('key count', 'SELECT count(*) AS c FROM api_keys')).rows[0]?.c ?? 0),
    };
  }

  private overrideRepository(): OverrideRepository {
    return {
      get: async (type, value) => {
        const live = this.cachesLive;
        const version = live ? (this.listener?.version ?? -1) : -1;
        const key = `${type}\u0000${value}`;
        if (live) {
          if (this.overrideCache.version !== version) this.overrideCache = { version, entries: new Map() };
          const hit = this.overrideCache.entries.get(key);
          if (hit !== undefined) return hit === null ? null : { ...hit };
        }
        const row = (await this.q<OverrideRow>('override lookup', `SELECT ${OVERRIDE_COLUMNS} FROM overrides WHERE type = $1 AND value = $2`, [type, value])).rows[0];
        const found = row === undefined ? null : toOverride(row);
        // cached only if no change arrived while reading, so an entry never predates its version
        if (live && this.listener?.version === version && this.overrideCache.version === version) {
          if (this.overrideCache.entries.size >= CACHE_MAX) this.overrideCache.entries.clear();
          this.overrideCache.entries.set(key, found === null ? null : { ...found });
        }
        return found;
      },
      put: async (o: Override) => {
        validateOverride(o);
        // one statement, so the notice is delivered exactly when the change commits
        const r = await this.q<{ v: string }>(
          'override put',
          `WITH up AS (
             INSERT INTO overrides (${OVERRIDE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (type, value) DO UPDATE SET verdict = excluded.verdict, reason = excluded.reason,
               created_at = excluded.created_at, created_by = excluded.created_by
             RETURNING 1),
           bump AS (UPDATE store_state SET data_version = data_version + 1 WHERE id = 1 AND EXISTS (SELECT 1 FROM up) RETURNING data_version)
           SELECT data_version AS v, pg_notify($7, json_build_object('v', data_version)::text) FROM bump`,
          [o.type, o.value, o.verdict, o.reason, o.createdAt, o.createdBy ?? null, this.channel],
        );
        const v = r.rows[0]?.v;
        if (v !== undefined) this.listener?.observe(Number(v));
      },
      delete: async (type, value) => {
        const r = await this.q<{ n: string; v: string | null }>(
          'override delete',
          `WITH gone AS (DELETE FROM overrides WHERE type = $1 AND value = $2 RETURNING 1),
                bump AS (UPDATE store_state SET data_version = data_version + 1 WHERE id = 1 AND EXISTS (SELECT 1 FROM gone) RETURNING data_version)
           SELECT (SELECT count(*) FROM gone) AS n, (SELECT data_version FROM bump) AS v,
             (SELECT pg_notify($3, json_build_object('v', data_version)::text) FROM bump) AS sent`,
          [type, value, this.channel],
        );
        const v = r.rows[0]?.v;
        if (v !== null && v !== undefined) this.listener?.observe(Number(v));
        return Number(r.rows[0]?.n ?? 0) > 0;
      },
      list: async () => (await this.q<OverrideRow>('override list', `SELECT ${OVERRIDE_COLUMNS} FROM overrides ORDER BY type, value`)).rows.map(toOverride),
    };
  }
}
