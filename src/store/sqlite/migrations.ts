/**
 * Versioned schema migrations. Each runs once, in order, in its own transaction; the applied
 * versions are recorded in schema_migrations, so applying them again is a no-op. Never edit a
 * shipped migration: add the next version instead.
 */
import type Database from 'better-sqlite3';
import { FILL_COUNTS_SQL } from '../catalogue-counts.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      -- One row per (indicator, feed). Point lookups by canonical value hit the primary key;
      -- WITHOUT ROWID keeps the row inside the key's b-tree (one seek, no rowid indirection).
      CREATE TABLE sightings (
        type TEXT NOT NULL,
        value TEXT NOT NULL,
        feed_id TEXT NOT NULL,
        -- times as epoch milliseconds (6 bytes instead of 24 for the text form; rows are half
        -- as wide, which made imports faster and the file smaller), read back as RFC 3339 UTC
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        threat_type TEXT,
        malware_family TEXT,
        -- JSON; NULL stands for the empty list / object (no bytes stored)
        tags TEXT,
        confidence REAL,
        reference_url TEXT,
        attack_ids TEXT,
        attributes TEXT,
        listed INTEGER NOT NULL DEFAULT 1,
        updated_at INTEGER NOT NULL,
        -- the ingest run that last touched the row, and what that run did to it (see ingest.ts)
        run_seq INTEGER NOT NULL DEFAULT 0,
        run_state INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (type, value, feed_id)
      ) WITHOUT ROWID;
      -- Deliberately no index by feed: it made every insert maintain a second b-tree (about a
      -- third slower). Per-feed counts are kept in feed_state by each run; the rare per-feed
      -- passes (delisting, purge) scan the table.

      -- Derived from cidr sightings: one row per distinct range value, keyed for containment
      -- probes (see ranges.ts).
      CREATE TABLE cidr_ranges (
        family INTEGER NOT NULL,
        prefix INTEGER NOT NULL,
        start TEXT NOT NULL,
        end TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (family, prefix, start, value)
      ) WITHOUT ROWID;

      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        key_prefix TEXT NOT NULL,
        key_hash TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        tier TEXT NOT NULL,
        scopes TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_used_at TEXT,
        expires_at TEXT,
        revoked_at TEXT
      );

      CREATE TABLE overrides (
        type TEXT NOT NULL,
        value TEXT NOT NULL,
        verdict TEXT NOT NULL,
        reason TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT,
        PRIMARY KEY (type, value)
      ) WITHOUT ROWID;

      CREATE TABLE feed_runs (
        id INTEGER PRIMARY KEY,
        feed_id TEXT NOT NULL,
        started_at TEXT NOT NULL,
        record TEXT NOT NULL,
        UNIQUE (feed_id, started_at)
      );

      CREATE TABLE feed_state (
        feed_id TEXT PRIMARY KEY,
        last_run TEXT,
        last_success_at TEXT,
        last_error_at TEXT,
        last_error TEXT,
        etag TEXT,
        last_modified TEXT,
        listed_count INTEGER NOT NULL DEFAULT 0,
        total_count INTEGER NOT NULL DEFAULT 0
      ) WITHOUT ROWID;

      -- Counters: data_version, ranges_version, run_seq, indicators, sightings, last_ingest_at.
      CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
      INSERT INTO meta (key, value) VALUES ('data_version', '0'), ('ranges_version', '0'), ('run_seq', '0'), ('indicators', '0'), ('sightings', '0');
    `,
  },
  {
    version: 2,
    name: 'date sources and data age',
    sql: `
      -- Where a sighting's dates came from (1 feed, 2 file header, 3 HTTP Last-Modified, 4 fetch
      -- time; see src/store/rows.ts). NULL for rows stored before: unknown, until the feed's next run.
      ALTER TABLE sightings ADD COLUMN date_source INTEGER;
      -- The newest last-seen date of the feed's data (epoch ms), kept by every run.
      ALTER TABLE feed_state ADD COLUMN data_as_of INTEGER;
      UPDATE feed_state SET data_as_of = m.newest
        FROM (SELECT feed_id, MAX(last_seen) AS newest FROM sightings WHERE listed = 1 GROUP BY feed_id) AS m
        WHERE m.feed_id = feed_state.feed_id;
    `,
  },
  {
    version: 3,
    name: 'daily quota counts',
    sql: `
      -- Requests counted against each key's daily quota (day: UTC days since the epoch), so a
      -- restart does not give every key a fresh day. The in-process rate limiter adds to it
      -- every second and reads today's counts at start (src/ratelimit/memory.ts).
      CREATE TABLE quota_days (
        key_id TEXT NOT NULL,
        day INTEGER NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (key_id, day)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    name: 'feed definitions',
    sql: `
      -- Each feed's definition (the catalog entry, canonical JSON) as it last ran, so that its
      -- data is labelled alike by every process and after a restart without the file that
      -- defined it (src/feeds/catalog.ts). Times are RFC 3339 text, as keys and overrides keep them.
      CREATE TABLE feed_definitions (
        feed_id TEXT PRIMARY KEY,
        definition TEXT NOT NULL,
        stored_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 5,
    name: 'threat reports',
    sql: `
      -- Threat reports (src/reports/): one row each, its lists as JSON text. sort_at is the
      -- published date, else the fetch time, as RFC 3339 with milliseconds (sorts as text).
      CREATE TABLE reports (
        id TEXT PRIMARY KEY,
        feed_id TEXT NOT NULL,
        title TEXT NOT NULL,
        url TEXT,
        published TEXT,
        fetched TEXT NOT NULL,
        sort_at TEXT NOT NULL,
        indicator_count INTEGER NOT NULL,
        indicators TEXT NOT NULL,
        attack_ids TEXT NOT NULL,
        cves TEXT NOT NULL
      );
      CREATE INDEX reports_sort ON reports (sort_at, id);
      -- Which reports name an indicator (related.reports) and the cve/technique/type filters.
      CREATE TABLE report_indicators (
        type TEXT NOT NULL,
        value TEXT NOT NULL,
        report_id TEXT NOT NULL,
        PRIMARY KEY (type, value, report_id)
      ) WITHOUT ROWID;
      CREATE INDEX report_indicators_report ON report_indicators (report_id);
    `,
  },
  {
    version: 6,
    name: 'ioc catalogue',
    sql: `
      -- The IOC catalogue (src/store/catalogue.ts): one row per indicator with its risk as a lookup
      -- computes it, written by the refresh (src/catalogue/refresh.ts). A rowid table so that the
      -- trigram index below can point at its rows. Times are epoch ms; level and confidence are
      -- ranks (low 0 … critical 3; low 0 … high 2); the lists are JSON text.
      CREATE TABLE catalogue (
        id INTEGER PRIMARY KEY,
        type TEXT NOT NULL,
        value TEXT NOT NULL,
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL,
        score INTEGER NOT NULL,
        level INTEGER NOT NULL,
        confidence INTEGER NOT NULL,
        listed INTEGER NOT NULL,
        feeds TEXT NOT NULL,
        categories TEXT NOT NULL,
        threat_types TEXT NOT NULL,
        families TEXT NOT NULL,
        techniques TEXT NOT NULL,
        cves TEXT NOT NULL,
        computed_at INTEGER NOT NULL,
        UNIQUE (type, value)
      );
      -- keyset pages in either order, and the decay sweep
      CREATE INDEX catalogue_by_last_seen ON catalogue (last_seen, type, value);
      CREATE INDEX catalogue_by_score ON catalogue (score, last_seen, type, value);
      CREATE INDEX catalogue_by_computed ON catalogue (computed_at);
      -- (indicator, kind, term): the filters, the stats' top lists, shared origins
      CREATE TABLE catalogue_terms (
        type TEXT NOT NULL,
        value TEXT NOT NULL,
        kind TEXT NOT NULL,
        term TEXT NOT NULL,
        PRIMARY KEY (type, value, kind, term)
      ) WITHOUT ROWID;
      CREATE INDEX catalogue_terms_by_term ON catalogue_terms (kind, term);
      -- substring search: FTS5's trigram tokenizer over the values (external content)
      CREATE VIRTUAL TABLE catalogue_fts USING fts5 (value, content = 'catalogue', content_rowid = 'id', tokenize = 'trigram');
      CREATE TRIGGER catalogue_fts_insert AFTER INSERT ON catalogue BEGIN
        INSERT INTO catalogue_fts (rowid, value) VALUES (new.id, new.value);
      END;
      CREATE TRIGGER catalogue_fts_delete AFTER DELETE ON catalogue BEGIN
        INSERT INTO catalogue_fts (catalogue_fts, rowid, value) VALUES ('delete', old.id, old.value);
      END;
      -- The indicators whose sightings or override changed since the refresh last saw them; gen
      -- is a fresh random mark on every change, so the refresh takes an indicator off the queue
      -- only when nothing marked it again meanwhile. (DELETE then INSERT: a trigger's own OR
      -- REPLACE would yield to the outer statement's conflict clause, an UPSERT's included.)
      CREATE TABLE catalogue_dirty (
        type TEXT NOT NULL,
        value TEXT NOT NULL,
        gen INTEGER NOT NULL,
        PRIMARY KEY (type, value)
      ) WITHOUT ROWID;
      -- What feed runs write is found by the rows' run_seq (every row a run inserts, updates or
      -- confirms carries its run's number): the refresh moves rows of runs after swept_seq into
      -- the queue in one pass, so an import pays nothing per row. Delisting, deletion and
      -- overrides do not carry a run's number: triggers queue them (they are rare).
      CREATE TABLE catalogue_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        swept_seq INTEGER NOT NULL
      );
      INSERT INTO catalogue_state (id, swept_seq) VALUES (1, (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'run_seq'));
      CREATE TRIGGER catalogue_mark_listed AFTER UPDATE OF listed ON sightings WHEN old.listed <> new.listed BEGIN
        DELETE FROM catalogue_dirty WHERE type = new.type AND value = new.value;
        INSERT INTO catalogue_dirty (type, value, gen) VALUES (new.type, new.value, random() >> 11);
      END;
      CREATE TRIGGER catalogue_mark_delete AFTER DELETE ON sightings BEGIN
        DELETE FROM catalogue_dirty WHERE type = old.type AND value = old.value;
        INSERT INTO catalogue_dirty (type, value, gen) VALUES (old.type, old.value, random() >> 11);
      END;
      CREATE TRIGGER catalogue_mark_override_insert AFTER INSERT ON overrides BEGIN
        DELETE FROM catalogue_dirty WHERE type = new.type AND value = new.value;
        INSERT INTO catalogue_dirty (type, value, gen) VALUES (new.type, new.value, random() >> 11);
      END;
      CREATE TRIGGER catalogue_mark_override_update AFTER UPDATE ON overrides BEGIN
        DELETE FROM catalogue_dirty WHERE type = new.type AND value = new.value;
        INSERT INTO catalogue_dirty (type, value, gen) VALUES (new.type, new.value, random() >> 11);
      END;
      CREATE TRIGGER catalogue_mark_override_delete AFTER DELETE ON overrides BEGIN
        DELETE FROM catalogue_dirty WHERE type = old.type AND value = old.value;
        INSERT INTO catalogue_dirty (type, value, gen) VALUES (old.type, old.value, random() >> 11);
      END;
      -- everything stored before is computed by the first refresh
      INSERT OR REPLACE INTO catalogue_dirty (type, value, gen) SELECT DISTINCT type, value, random() >> 11 FROM sightings;
    `,
  },  {
    version: 7,
    name: 'key usage and allow-lists',
    sql: `
      -- canonical CIDR ranges as a JSON list; empty: any address
      ALTER TABLE api_keys ADD COLUMN allowed_ips TEXT NOT NULL DEFAULT '[]';
      -- requests per key, UTC day and route pattern; counts are added, never overwritten
      CREATE TABLE key_usage (
        key_id TEXT NOT NULL,
        day TEXT NOT NULL,
        route TEXT NOT NULL,
        requests INTEGER NOT NULL,
        PRIMARY KEY (key_id, day, route)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 8,
    name: 'catalogue recording times for TAXII',
    sql: `
      -- When Verdict recorded each row's current version (epoch microseconds, unique; TAXII's
      -- date_added) and the id of its STIX object (src/store/catalogue.ts): the TAXII server pages
      -- collections in this order and finds objects by id
      ALTER TABLE catalogue ADD COLUMN added_at INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE catalogue ADD COLUMN stix_id TEXT;
      CREATE INDEX catalogue_by_added ON catalogue (added_at, type, value);
      CREATE INDEX catalogue_by_stix_id ON catalogue (stix_id);
      -- the ids are computed by the refresh: every row is written again
      INSERT OR REPLACE INTO catalogue_dirty (type, value, gen) SELECT type, value, random() >> 11 FROM catalogue;
    `,
  },
  {
    version: 9,
    name: 'catalogue counts',
    sql: `
      -- The catalogue's counts per (kind, term), kept by every catalogue write (src/store/catalogue-counts.ts),
      -- so that /iocs/stats reads them instead of grouping every row and term; first_seen indexed
      -- for the new-indicator windows
      CREATE TABLE catalogue_counts (
        kind TEXT NOT NULL,
        term TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (kind, term)
      ) WITHOUT ROWID;
      ${FILL_COUNTS_SQL}
      CREATE INDEX catalogue_by_first_seen ON catalogue (first_seen);
    `,
  },
];

const CREATE_LEDGER = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`;

function appliedVersions(db: Database.Database): Set<number> {
  const ledger = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).get();
  if (ledger === undefined) return new Set();
  return new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
}

/** Applies the pending migrations; returns the versions applied by this call. */
export function applyMigrations(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS, now: () => Date = () => new Date()): number[] {
  // Look before taking the write lock: with nothing pending, a process starting while another
  // one runs a long import must not wait for (or time out on) that import's lock.
  const done = appliedVersions(db);
  const pending = [...migrations].sort((a, b) => a.version - b.version).filter((m) => !done.has(m.version));
  if (pending.length === 0) return [];
  const applied: number[] = [];
  for (const m of pending) {
    // BEGIN IMMEDIATE takes the write lock first, so two processes starting at once cannot
    // both apply the same version: the second re-checks after the first committed.
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(CREATE_LEDGER);
      if (db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version) === undefined) {
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, now().toISOString());
        applied.push(m.version);
      }
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw new Error(`store migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, { cause: err });
    }
  }
  return applied;
}

export function schemaVersion(db: Database.Database): number {
  const v = db.prepare('SELECT MAX(version) FROM schema_migrations').pluck().get();
  return typeof v === 'number' ? v : 0;
}
