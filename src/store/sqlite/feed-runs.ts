/** Feed run records and the per-feed state derived from them (status table, conditional GET). */
import type Database from 'better-sqlite3';
import type { FeedRunRecord, FeedState } from '../types.ts';
import { nextRunState } from '../run-state.ts';
import { validateRun } from '../validate.ts';
import type { WriteGate } from './write-gate.ts';

/** Run history kept per feed; the state row always has the latest run. */
const RUNS_KEPT = 50;

interface StateRow {
  feed_id: string;
  last_run: string | null;
  last_success_at: string | null;
  last_error_at: string | null;
  last_error: string | null;
  etag: string | null;
  last_modified: string | null;
  listed_count: number;
  total_count: number;
  data_as_of: number | null;
}

function toState(r: StateRow): FeedState {
  return {
    feedId: r.feed_id,
    lastRun: r.last_run === null ? null : (JSON.parse(r.last_run) as FeedRunRecord),
    lastSuccessAt: r.last_success_at,
    lastErrorAt: r.last_error_at,
    lastError: r.last_error,
    etag: r.etag,
    lastModified: r.last_modified,
    listedCount: r.listed_count,
    totalCount: r.total_count,
    dataAsOf: r.data_as_of === null ? null : new Date(r.data_as_of).toISOString(),
  };
}


export interface FeedRunStore {
  record(run: FeedRunRecord): Promise<void>;
  states(): Promise<FeedState[]>;
  state(feedId: string): Promise<FeedState | null>;
}

export function createFeedRunStore(reader: Database.Database, writer: Database.Database, gate: WriteGate): FeedRunStore {
  const stateCols = 'feed_id, last_run, last_success_at, last_error_at, last_error, etag, last_modified, listed_count, total_count, data_as_of';
  const one = reader.prepare(`SELECT ${stateCols} FROM feed_state WHERE feed_id = ?`);
  const all = reader.prepare(`SELECT ${stateCols} FROM feed_state ORDER BY feed_id`);
  const current = writer.prepare(`SELECT ${stateCols} FROM feed_state WHERE feed_id = ?`);
  const saveRun = writer.prepare(
    `INSERT INTO feed_runs (feed_id, started_at, record) VALUES (?, ?, ?)
     ON CONFLICT (feed_id, started_at) DO UPDATE SET record = excluded.record`,
  );
  const prune = writer.prepare(
    `DELETE FROM feed_runs WHERE feed_id = ? AND id NOT IN (SELECT id FROM feed_runs WHERE feed_id = ? ORDER BY id DESC LIMIT ${RUNS_KEPT})`,
  );
  const saveState = writer.prepare(
    `INSERT INTO feed_state (feed_id, last_run, last_success_at, last_error_at, last_error, etag, last_modified)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (feed_id) DO UPDATE SET last_run = excluded.last_run, last_success_at = excluded.last_success_at,
       last_error_at = excluded.last_error_at, last_error = excluded.last_error, etag = excluded.etag,
       last_modified = excluded.last_modified`,
  );

  const record = writer.transaction((run: FeedRunRecord) => {
    const json = JSON.stringify(run);
    saveRun.run(run.feedId, run.startedAt, json);
    prune.run(run.feedId, run.feedId);
    const prev = current.get(run.feedId) as StateRow | undefined;
    const next = nextRunState(prev, run);
    saveState.run(run.feedId, json, next.lastSuccessAt, next.lastErrorAt, next.lastError, next.etag, next.lastModified);
  });

  return {
    async record(run) {
      validateRun(run);
      await gate.write(() => record.immediate(run));
    },
    async states() {
      return (all.all() as StateRow[]).map(toState);
    },
    async state(feedId) {
      const row = one.get(feedId) as StateRow | undefined;
      return row === undefined ? null : toState(row);
    },
  };
}
