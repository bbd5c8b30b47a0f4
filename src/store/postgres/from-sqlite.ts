/**
 * Copies an embedded (SQLite) Verdict store into an empty PostgreSQL one, table by table and
 * row for row: sightings with their history (listed flags, first/last seen, last confirmation),
 * API keys (hashes only, as stored, with their allow-lists and usage counts), overrides, feed run history and state, feed definitions,
 * threat reports and the counters.
 * Everything is written in one transaction: an interrupted copy leaves the target empty.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Database from 'better-sqlite3';
import copyStreams from 'pg-copy-streams';
import { cidrNetwork } from '../cidr.ts';
import { openPostgresStore, type PostgresStoreOptions } from './index.ts';

/**
 * The SQLite schema versions this copier understands. Version 3's daily quota counts are not
 * copied: a PostgreSQL deployment keeps its limits and quotas in Redis. Version 4 added the feed
 * definitions, version 5 the threat reports, version 6 the IOC catalogue — derived data, not
 * copied: every copied indicator is queued, and the first catalogue refresh computes it again.
 * Version 7 added the keys' allow-lists and their usage counts, both copied. Versions 8 (the
 * catalogue's recording times) and 9 (its counts) are catalogue data, derived again here too.
 */
const KNOWN_SQLITE_VERSIONS = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9]);
const CHUNK_BYTES = 256 * 1024;

export interface MigrationSummary {
  sightings: number;
  indicators: number;
  apiKeys: number;
  overrides: number;
  feedRuns: number;
  feedStates: number;
  feedDefinitions: number;
  reports: number;
  keyUsage: number;
  dataVersion: number;
}

const COPY_SPECIAL_ALL = /[\\\t\n\r]/g;
const COPY_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
function field(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  return String(v).replace(COPY_SPECIAL_ALL, (c) => COPY_ESCAPES[c] ?? c);
}

type Row = Record<string, unknown>;

/** Sighting times: epoch ms in current SQLite stores, RFC 3339 text in early ones. */
function millis(v: unknown): number {
  if (typeof v === 'number') return v;
  const ms = typeof v === 'string' ? Date.parse(v) : Number.NaN;
  if (Number.isNaN(ms)) throw new Error(`migrate-store: unreadable time ${JSON.stringify(v)} in the SQLite store`);
  return ms;
}

function* sightingLines(db: Database.Database, version: number): Generator<string> {
  // date sources are recorded from schema version 2 on; older rows have none (NULL)
  const dateSource = version >= 2 ? 'date_source' : 'NULL';
  const rows = db
    .prepare(
      `SELECT type, value, feed_id, first_seen, last_seen, threat_type, malware_family, tags, confidence, reference_url,
         attack_ids, attributes, listed, updated_at, ${dateSource} FROM sightings`,
    )
    .raw()
    .iterate() as Iterable<unknown[]>;
  let chunk = '';
  for (const r of rows) {
    const range = r[0] === 'cidr' ? cidrNetwork(String(r[1])) : null;
    const cols = [
      r[0], r[1], r[2], millis(r[3]), millis(r[4]), r[5], r[6], r[7] ?? '[]', r[8], r[9], r[10] ?? '[]', r[11] ?? '{}',
      r[12] === 1 ? 't' : 'f', millis(r[13]), range, r[14],
    ];
    chunk += cols.map(field).join('\t') + '\n';
    if (chunk.length >= CHUNK_BYTES) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}

function openSource(path: string): { db: Database.Database; version: number } {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new Error(`migrate-store: cannot open the SQLite store ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const version = db.prepare('SELECT MAX(version) FROM schema_migrations').pluck().get();
    if (typeof version !== 'number' || !KNOWN_SQLITE_VERSIONS.has(version)) {
      throw new Error(`migrate-store: the SQLite store ${path} has schema version ${String(version)}, which this version of Verdict cannot copy`);
    }
    return { db, version };
  } catch (err) {
    db.close();
    if ((err as Error).message.startsWith('migrate-store:')) throw err;
    throw new Error(`migrate-store: ${path} is not a Verdict store: ${(err as Error).message}`, { cause: err });
  }
}

export async function migrateSqliteToPostgres(
  sqlitePath: string,
  postgresUrl: string,
  opts: Pick<PostgresStoreOptions, 'schema' | 'logger'> = {},
): Promise<MigrationSummary> {
  const { db, version } = openSource(sqlitePath);
  // one read transaction: every table comes from the same snapshot even if a server is writing
  db.exec('BEGIN');
  try {
    const target = await openPostgresStore(postgresUrl, { ...opts, ingestTimeoutMs: 3_600_000 });
    try {
      const client = await target.pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SET LOCAL statement_timeout = 0');
        await client.query('LOCK TABLE sightings, api_keys, key_usage, overrides, feed_runs, feed_state, feed_definitions, reports, report_indicators IN EXCLUSIVE MODE');
        const busy = await client.query<{ n: string }>(
          `SELECT (SELECT count(*) FROM (SELECT 1 FROM sightings LIMIT 1) s) + (SELECT count(*) FROM api_keys)
             + (SELECT count(*) FROM overrides) + (SELECT count(*) FROM feed_runs) + (SELECT count(*) FROM reports) AS n`,
        );
        if (Number(busy.rows[0]?.n ?? 0) > 0) throw new Error('migrate-store: the target PostgreSQL store is not empty; refusing to mix two stores');

        const copy = client.query(
          copyStreams.from(
            `COPY sightings (type, value, feed_id, first_seen, last_seen, threat_type, malware_family, tags, confidence,
               reference_url, attack_ids, attributes, listed, updated_at, range, date_source) FROM STDIN`,
          ),
        );
        await pipeline(Readable.from(sightingLines(db, version)), copy);

        const insertAll = async (table: string, columns: string[], rows: Row[]) => {
          for (const r of rows) {
            const params = columns.map((c) => r[c] ?? null);
            await client.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`, params);
          }
          return rows.length;
        };
        const all = (sql: string) => db.prepare(sql).all() as Row[];
        const keyColumns = ['id', 'key_prefix', 'key_hash', 'name', 'tier', 'scopes', 'created_at', 'last_used_at', 'expires_at', 'revoked_at'];
        // allow-lists from schema version 7 on; older keys allow any address (the column's default)
        const apiKeys = await insertAll('api_keys', version >= 7 ? [...keyColumns, 'allowed_ips'] : keyColumns, all('SELECT * FROM api_keys ORDER BY created_at, id'));
        const keyUsage =
          version >= 7 ? await insertAll('key_usage', ['key_id', 'day', 'route', 'requests'], all('SELECT key_id, day, route, requests FROM key_usage ORDER BY key_id, day, route')) : 0;
        const overrides = await insertAll('overrides', ['type', 'value', 'verdict', 'reason', 'created_at', 'created_by'], all('SELECT * FROM overrides'));
        const feedRuns = await insertAll('feed_runs', ['feed_id', 'started_at', 'record'], all('SELECT feed_id, started_at, record FROM feed_runs ORDER BY id'));
        const feedStates = await insertAll(
          'feed_state',
          ['feed_id', 'last_run', 'last_success_at', 'last_error_at', 'last_error', 'etag', 'last_modified', 'listed_count', 'total_count', 'data_as_of'],
          all('SELECT * FROM feed_state'),
        );
        const feedDefinitions =
          version >= 4
            ? await insertAll('feed_definitions', ['feed_id', 'definition', 'stored_at', 'updated_at'], all('SELECT feed_id, definition, stored_at, updated_at FROM feed_definitions'))
            : 0;
        let reports = 0;
        if (version >= 5) {
          reports = await insertAll(
            'reports',
            ['id', 'feed_id', 'title', 'url', 'published', 'fetched', 'sort_at', 'indicator_count', 'indicators', 'attack_ids', 'cves'],
            all('SELECT * FROM reports ORDER BY sort_at, id'),
          );
          await insertAll('report_indicators', ['type', 'value', 'report_id'], all('SELECT type, value, report_id FROM report_indicators'));
        }
        // the catalogue is derived from the sightings: queue every indicator for its first refresh
        await client.query(
          `INSERT INTO catalogue_dirty (type, value, gen)
             SELECT type, value, (random() * 4503599627370496)::bigint FROM (SELECT DISTINCT type, value FROM sightings) d
           ON CONFLICT (type, value) DO UPDATE SET gen = excluded.gen`,
        );
        const meta = new Map((all('SELECT key, value FROM meta') as { key: string; value: string }[]).map((m) => [m.key, m.value]));
        // The version moves on, so no cache entry made against the old store can match the new one.
        const dataVersion = Number(meta.get('data_version') ?? 0) + 1;
        await client.query(
          'UPDATE store_state SET data_version = GREATEST($1, data_version), indicators = $2, sightings = $3, last_ingest_at = $4 WHERE id = 1',
          [dataVersion, Number(meta.get('indicators') ?? 0), Number(meta.get('sightings') ?? 0), meta.get('last_ingest_at') ?? null],
        );
        const copied = await client.query<{ sightings: string; indicators: string }>(
          'SELECT count(*) AS sightings, count(DISTINCT (type, value)) AS indicators FROM sightings',
        );
        const sightings = Number(copied.rows[0]?.sightings ?? 0);
        const indicators = Number(copied.rows[0]?.indicators ?? 0);
        const expected = db.prepare('SELECT COUNT(*) FROM sightings').pluck().get() as number;
        if (sightings !== expected) throw new Error(`migrate-store: copied ${sightings} sightings but the source has ${expected}; nothing was written`);
        await client.query('ANALYZE sightings');
        await client.query('COMMIT');
        return { sightings, indicators, apiKeys, overrides, feedRuns, feedStates, feedDefinitions, reports, keyUsage, dataVersion };
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    } finally {
      await target.close();
    }
  } finally {
    db.close();
  }
}
