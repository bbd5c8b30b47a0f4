/**
 * PostgreSQL schema migrations. Each runs once, in order, inside one transaction that also holds
 * an advisory lock, so instances starting together cannot apply the same version twice. Never
 * edit a shipped migration: add the next version.
 *
 * Text columns compared or sorted by the store use COLLATE "C": byte order is what the SQLite
 * store gives (so both return rows in the same order) and it is faster than a locale.
 * Sighting times are epoch milliseconds (compact, compared as numbers, read back as RFC 3339 UTC
 * with milliseconds, like the SQLite store); key, override and feed-run times stay as given.
 */
import type pg from 'pg';
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
      CREATE TABLE sightings (
        type text COLLATE "C" NOT NULL,
        value text COLLATE "C" NOT NULL,
        feed_id text COLLATE "C" NOT NULL,
        -- times as epoch milliseconds, as the SQLite store keeps them; read back as RFC 3339 UTC
        first_seen bigint NOT NULL,
        last_seen bigint NOT NULL,
        threat_type text,
        malware_family text,
        tags jsonb NOT NULL DEFAULT '[]',
        confidence double precision,
        reference_url text,
        attack_ids jsonb NOT NULL DEFAULT '[]',
        attributes jsonb NOT NULL DEFAULT '{}',
        listed boolean NOT NULL DEFAULT true,
        updated_at bigint NOT NULL,
        -- cidr sightings only: the range as PostgreSQL's own type, for containment through GiST
        range cidr,
        -- the ingest run that last confirmed the row (snapshot delisting), and what the row was
        -- before that run (bit 1: listed, bit 2: unchanged by it); see ingest.ts
        run_seq bigint NOT NULL DEFAULT 0,
        run_state smallint NOT NULL DEFAULT 0,
        PRIMARY KEY (type, value, feed_id)
      ) WITH (fillfactor = 50);
      CREATE INDEX sightings_by_feed ON sightings (feed_id, listed);
      CREATE INDEX sightings_ranges ON sightings USING gist (range inet_ops) WHERE range IS NOT NULL;

      CREATE SEQUENCE ingest_run_seq;

      CREATE TABLE api_keys (
        id text PRIMARY KEY,
        key_prefix text NOT NULL,
        key_hash text NOT NULL UNIQUE,
        name text NOT NULL,
        tier text NOT NULL,
        scopes jsonb NOT NULL,
        created_at text NOT NULL,
        last_used_at text,
        expires_at text,
        revoked_at text
      );

      CREATE TABLE overrides (
        type text COLLATE "C" NOT NULL,
        value text COLLATE "C" NOT NULL,
        verdict text NOT NULL,
        reason text NOT NULL,
        created_at text NOT NULL,
        created_by text,
        PRIMARY KEY (type, value)
      );

      CREATE TABLE feed_runs (
        id bigserial PRIMARY KEY,
        feed_id text COLLATE "C" NOT NULL,
        started_at text NOT NULL,
        record jsonb NOT NULL,
        UNIQUE (feed_id, started_at)
      );

      CREATE TABLE feed_state (
        feed_id text COLLATE "C" PRIMARY KEY,
        last_run jsonb,
        last_success_at text,
        last_error_at text,
        last_error text,
        etag text,
        last_modified text,
        listed_count bigint NOT NULL DEFAULT 0,
        total_count bigint NOT NULL DEFAULT 0
      );

      -- One row of counters, updated at the end of each ingest (held locked only until commit).
      -- The data version starts at the creation time in ms, so two databases sharing one Redis
      -- (staging and production, test schemas) never key cache entries alike.
      CREATE TABLE store_state (
        id int PRIMARY KEY CHECK (id = 1),
        data_version bigint NOT NULL DEFAULT (extract(epoch FROM clock_timestamp()) * 1000)::bigint,
        indicators bigint NOT NULL DEFAULT 0,
        sightings bigint NOT NULL DEFAULT 0,
        last_ingest_at text
      );
      INSERT INTO store_state (id) VALUES (1);
    `,
  },
  {
    version: 2,
    name: 'date sources and data age',
    sql: `
      -- Where a sighting's dates came from (1 feed, 2 file header, 3 HTTP Last-Modified, 4 fetch
      -- time; see src/store/rows.ts). NULL for rows stored before: unknown, until the feed's next run.
      ALTER TABLE sightings ADD COLUMN date_source smallint;
      -- The newest last-seen date of the feed's data (epoch ms), kept by every run.
      ALTER TABLE feed_state ADD COLUMN data_as_of bigint;
      UPDATE feed_state f SET data_as_of = m.newest
        FROM (SELECT feed_id, max(last_seen) AS newest FROM sightings WHERE listed GROUP BY feed_id) m
        WHERE m.feed_id = f.feed_id;
    `,
  },
  {
    version: 3,
    name: 'feed definitions',
    sql: `
      -- Each feed's definition (the catalog entry, canonical JSON) as it last ran, so that its
      -- data is labelled alike by every instance and after a restart without the file that
      -- defined it (src/feeds/catalog.ts). Text, not jsonb: "the same definition" is the same
      -- text on both engines. Times are RFC 3339 text, as keys and overrides keep them.
      CREATE TABLE feed_definitions (
        feed_id text COLLATE "C" PRIMARY KEY,
        definition text NOT NULL,
        stored_at text NOT NULL,
        updated_at text NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'threat reports',
    sql: `
      -- Threat reports (src/reports/): one row each, its lists as JSON text (as SQLite keeps
      -- them). sort_at is the published date, else the fetch time, as RFC 3339 with
      -- milliseconds (sorts as text; COLLATE "C" for a byte order like SQLite's).
      CREATE TABLE reports (
        id text COLLATE "C" PRIMARY KEY,
        feed_id text COLLATE "C" NOT NULL,
        title text NOT NULL,
        url text,
        published text,
        fetched text NOT NULL,
        sort_at text COLLATE "C" NOT NULL,
        indicator_count int NOT NULL,
        indicators text NOT NULL,
        attack_ids text NOT NULL,
        cves text NOT NULL
      );
      CREATE INDEX reports_sort ON reports (sort_at, id);
      -- Which reports name an indicator (related.reports) and the cve/technique/type filters.
      CREATE TABLE report_indicators (
        type text COLLATE "C" NOT NULL,
        value text COLLATE "C" NOT NULL,
        report_id text COLLATE "C" NOT NULL,
        PRIMARY KEY (type, value, report_id)
      );
      CREATE INDEX report_indicators_report ON report_indicators (report_id);
    `,
  },
  {
    version: 5,
    name: 'ioc catalogue',
    sql: `
      -- The IOC catalogue (src/store/catalogue.ts), as SQLite keeps it: one row per indicator with
      -- its risk as a lookup computes it, written by the refresh (src/catalogue/refresh.ts). Times
      -- are epoch ms; level and confidence ranks; the lists JSON text.
      CREATE TABLE catalogue (
        type text COLLATE "C" NOT NULL,
        value text COLLATE "C" NOT NULL,
        first_seen bigint NOT NULL,
        last_seen bigint NOT NULL,
        score int NOT NULL,
        level smallint NOT NULL,
        confidence smallint NOT NULL,
        listed smallint NOT NULL,
        feeds text NOT NULL,
        categories text NOT NULL,
        threat_types text NOT NULL,
        families text NOT NULL,
        techniques text NOT NULL,
        cves text NOT NULL,
        computed_at bigint NOT NULL,
        PRIMARY KEY (type, value)
      );
      CREATE INDEX catalogue_by_last_seen ON catalogue (last_seen, type, value);
      CREATE INDEX catalogue_by_score ON catalogue (score, last_seen, type, value);
      CREATE INDEX catalogue_by_computed ON catalogue (computed_at);
      CREATE TABLE catalogue_terms (
        type text COLLATE "C" NOT NULL,
        value text COLLATE "C" NOT NULL,
        kind text COLLATE "C" NOT NULL,
        term text COLLATE "C" NOT NULL,
        PRIMARY KEY (type, value, kind, term)
      );
      CREATE INDEX catalogue_terms_by_term ON catalogue_terms (kind, term);
      -- substring search: pg_trgm's GIN index (the extension lives where it was first installed)
      CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
      DO $$
      DECLARE s text;
      BEGIN
        SELECT n.nspname INTO s FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
        EXECUTE format('CREATE INDEX catalogue_value_trgm ON catalogue USING gin (value %I.gin_trgm_ops)', s);
      END $$;
      -- The indicators whose sightings or override changed since the refresh last saw them; gen
      -- is a fresh random mark on every change (see the SQLite store). Statement-level triggers
      -- read the statement's rows once through transition tables.
      CREATE TABLE catalogue_dirty (
        type text COLLATE "C" NOT NULL,
        value text COLLATE "C" NOT NULL,
        gen bigint NOT NULL,
        PRIMARY KEY (type, value)
      );
      CREATE FUNCTION catalogue_mark_new() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO catalogue_dirty (type, value, gen)
          SELECT d.type, d.value, (random() * 4503599627370496)::bigint FROM (SELECT DISTINCT type, value FROM new_rows) d
          ON CONFLICT (type, value) DO UPDATE SET gen = excluded.gen;
        RETURN NULL;
      END $$;
      CREATE FUNCTION catalogue_mark_old() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO catalogue_dirty (type, value, gen)
          SELECT d.type, d.value, (random() * 4503599627370496)::bigint FROM (SELECT DISTINCT type, value FROM old_rows) d
          ON CONFLICT (type, value) DO UPDATE SET gen = excluded.gen;
        RETURN NULL;
      END $$;
      -- What feed runs write is found by the rows' run_seq (see the SQLite store): the refresh
      -- moves rows of runs after swept_seq into the queue in one pass, so an import pays nothing
      -- per row. Delisting, deletion and overrides are queued by triggers (they are rare).
      CREATE TABLE catalogue_state (
        id int PRIMARY KEY CHECK (id = 1),
        swept_seq bigint NOT NULL
      );
      INSERT INTO catalogue_state (id, swept_seq) SELECT 1, COALESCE(max(run_seq), 0) FROM sightings;
      CREATE FUNCTION catalogue_mark_row() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO catalogue_dirty (type, value, gen) VALUES (NEW.type, NEW.value, (random() * 4503599627370496)::bigint)
          ON CONFLICT (type, value) DO UPDATE SET gen = excluded.gen;
        RETURN NULL;
      END $$;
      CREATE TRIGGER catalogue_mark_listed AFTER UPDATE OF listed ON sightings FOR EACH ROW WHEN (old.listed IS DISTINCT FROM new.listed) EXECUTE FUNCTION catalogue_mark_row();
      CREATE TRIGGER catalogue_mark_delete AFTER DELETE ON sightings REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_mark_old();
      CREATE TRIGGER catalogue_mark_override_insert AFTER INSERT ON overrides REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_mark_new();
      CREATE TRIGGER catalogue_mark_override_update AFTER UPDATE ON overrides REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_mark_new();
      CREATE TRIGGER catalogue_mark_override_delete AFTER DELETE ON overrides REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_mark_old();
      -- everything stored before is computed by the first refresh
      INSERT INTO catalogue_dirty (type, value, gen)
        SELECT type, value, (random() * 4503599627370496)::bigint FROM (SELECT DISTINCT type, value FROM sightings) d;
    `,
  },  {
    version: 6,
    name: 'key usage and allow-lists',
    sql: `
      -- canonical CIDR ranges; empty: any address
      ALTER TABLE api_keys ADD COLUMN allowed_ips jsonb NOT NULL DEFAULT '[]';
      -- requests per key, UTC day and route pattern; counts are added, never overwritten
      CREATE TABLE key_usage (
        key_id text COLLATE "C" NOT NULL,
        day text COLLATE "C" NOT NULL,
        route text COLLATE "C" NOT NULL,
        requests bigint NOT NULL,
        PRIMARY KEY (key_id, day, route)
      );
    `,
  },
  {
    version: 7,
    name: 'catalogue recording times for TAXII',
    sql: `
      -- When Verdict recorded each row's current version (epoch microseconds, unique; TAXII's
      -- date_added) and the id of its STIX object (src/store/catalogue.ts)
      ALTER TABLE catalogue ADD COLUMN added_at bigint NOT NULL DEFAULT 0;
      ALTER TABLE catalogue ADD COLUMN stix_id text COLLATE "C";
      CREATE INDEX catalogue_by_added ON catalogue (added_at, type, value);
      CREATE INDEX catalogue_by_stix_id ON catalogue (stix_id);
      -- the ids are computed by the refresh: every row is written again
      INSERT INTO catalogue_dirty (type, value, gen)
        SELECT type, value, (random() * 4503599627370496)::bigint FROM catalogue
        ON CONFLICT (type, value) DO UPDATE SET gen = excluded.gen;
    `,
  },
  {
    version: 8,
    name: 'catalogue counts',
    sql: `
      -- The catalogue's counts per (kind, term), kept by every catalogue write (src/store/catalogue-counts.ts),
      -- so that /iocs/stats reads them instead of grouping every row and term; first_seen indexed
      -- for the new-indicator windows
      CREATE TABLE catalogue_counts (
        kind text COLLATE "C" NOT NULL,
        term text COLLATE "C" NOT NULL,
        n bigint NOT NULL,
        PRIMARY KEY (kind, term)
      );
      ${FILL_COUNTS_SQL}
      CREATE INDEX catalogue_by_first_seen ON catalogue (first_seen);
    `,
  },
];

/** Arbitrary constant: the advisory lock key that serializes migrations across instances. */
const MIGRATION_LOCK = 7_331_001;

/** Applies the pending migrations on `client` (creating `schema` first, a checked identifier); returns the versions applied. */
export async function applyMigrations(client: pg.ClientBase, schema?: string, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    // a migration may rewrite a large table: the per-statement limit of lookups does not apply
    await client.query('SET LOCAL statement_timeout = 0');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    // under the lock: instances starting together would otherwise race on CREATE SCHEMA
    if (schema !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version int PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      try {
        await client.query(m.sql);
      } catch (err) {
        throw new Error(`store migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, { cause: err });
      }
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
  return applied;
}
