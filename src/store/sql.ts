/**
 * Statements both engines run with the same text, so that a column list or a rule is written
 * once. They use `?` placeholders, as SQLite takes them; the PostgreSQL store numbers them
 * (`$1`, `$2`, …) when it first sends one. A value used twice is bound twice.
 */
import { KEY_COLUMNS, OVERRIDE_COLUMNS, SIGHTING_COLUMNS, STATE_COLUMNS } from './rows.ts';

/** All sightings of one indicator, every feed: the lookup's point read on the primary key. */
export const SIGHTINGS_OF = `SELECT ${SIGHTING_COLUMNS} FROM sightings WHERE type = ? AND value = ? ORDER BY feed_id`;

export const KEY_SQL = {
  insert: `INSERT INTO api_keys (${KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  byHash: `SELECT ${KEY_COLUMNS} FROM api_keys WHERE key_hash = ?`,
  byId: `SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = ?`,
  all: `SELECT ${KEY_COLUMNS} FROM api_keys ORDER BY created_at, id`,
  revoke: 'UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
  count: 'SELECT count(*) AS n FROM api_keys',
  /** (at, id, at): never moves last use backwards, whoever wrote the later one. */
  touch: 'UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)',
  setAllowedIps: 'UPDATE api_keys SET allowed_ips = ? WHERE id = ?',
  addUsage: `INSERT INTO key_usage (key_id, day, route, requests) VALUES (?, ?, ?, ?)
     ON CONFLICT (key_id, day, route) DO UPDATE SET requests = key_usage.requests + excluded.requests`,
  usage: 'SELECT key_id, day, route, requests FROM key_usage WHERE key_id = ? AND day >= ? ORDER BY day DESC, route',
} as const;

export const OVERRIDE_SQL = {
  get: `SELECT ${OVERRIDE_COLUMNS} FROM overrides WHERE type = ? AND value = ?`,
  all: `SELECT ${OVERRIDE_COLUMNS} FROM overrides ORDER BY type, value`,
  upsert: `INSERT INTO overrides (${OVERRIDE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (type, value) DO UPDATE SET verdict = excluded.verdict, reason = excluded.reason,
       created_at = excluded.created_at, created_by = excluded.created_by`,
  delete: 'DELETE FROM overrides WHERE type = ? AND value = ?',
} as const;

/** Run history kept per feed; the state row always has the latest run. */
export const RUNS_KEPT = 50;

export const FEED_RUN_SQL = {
  /** (feed, started at, record JSON): a running record is replaced by its final one. */
  save: `INSERT INTO feed_runs (feed_id, started_at, record) VALUES (?, ?, ?)
     ON CONFLICT (feed_id, started_at) DO UPDATE SET record = excluded.record`,
  /** (feed, feed) */
  prune: `DELETE FROM feed_runs WHERE feed_id = ? AND id NOT IN (SELECT id FROM feed_runs WHERE feed_id = ? ORDER BY id DESC LIMIT ${RUNS_KEPT})`,
  state: `SELECT ${STATE_COLUMNS} FROM feed_state WHERE feed_id = ?`,
  states: `SELECT ${STATE_COLUMNS} FROM feed_state ORDER BY feed_id`,
  /** (feed, last run JSON, then nextRunState's fields in order) */
  saveState: `INSERT INTO feed_state (feed_id, last_run, last_success_at, last_error_at, last_error, etag, last_modified)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (feed_id) DO UPDATE SET last_run = excluded.last_run, last_success_at = excluded.last_success_at,
       last_error_at = excluded.last_error_at, last_error = excluded.last_error, etag = excluded.etag,
       last_modified = excluded.last_modified`,
} as const;

export const REMOVAL_SQL = {
  purge: 'DELETE FROM sightings WHERE feed_id = ?',
  /**
   * A purged feed is read whole next time: no validators (a 304 would leave it empty), no
   * incremental start, no cursor. `forgetCursor` is the engine's expression for the last run
   * record without its `cursor`.
   */
  purgedState: (forgetCursor: string) =>
    `UPDATE feed_state SET listed_count = 0, total_count = 0, data_as_of = NULL, etag = NULL, last_modified = NULL,
       last_success_at = NULL, last_run = ${forgetCursor} WHERE feed_id = ?`,
  // Removals are rare (purge, retention): the store's counts are recounted rather than tracked
  // per indicator.
  countSightings: 'SELECT count(*) AS n FROM sightings',
  countIndicators: 'SELECT count(*) AS n FROM (SELECT DISTINCT type, value FROM sightings) d',
} as const;
