/** Feed run records and the per-feed state derived from them (status table, conditional GET). */
import type Database from 'better-sqlite3';
import { toState } from '../rows.ts';
import type { StateRow } from '../rows.ts';
import { nextRunState } from '../run-state.ts';
import { FEED_RUN_SQL } from '../sql.ts';
import type { FeedRunRecord, Store } from '../types.ts';
import { validateRun } from '../validate.ts';
import type { WriteGate } from './write-gate.ts';

export function createFeedRunStore(reader: Database.Database, writer: Database.Database, gate: WriteGate): Pick<Store, 'recordFeedRun' | 'feedStates' | 'feedState'> {
  const one = reader.prepare(FEED_RUN_SQL.state);
  const all = reader.prepare(FEED_RUN_SQL.states);
  const current = writer.prepare(FEED_RUN_SQL.state);
  const saveRun = writer.prepare(FEED_RUN_SQL.save);
  const prune = writer.prepare(FEED_RUN_SQL.prune);
  const saveState = writer.prepare(FEED_RUN_SQL.saveState);

  const record = writer.transaction((run: FeedRunRecord) => {
    const json = JSON.stringify(run);
    saveRun.run(run.feedId, run.startedAt, json);
    prune.run(run.feedId, run.feedId);
    const next = nextRunState(current.get(run.feedId) as StateRow | undefined, run);
    saveState.run(run.feedId, json, next.lastSuccessAt, next.lastErrorAt, next.lastError, next.etag, next.lastModified);
  });

  return {
    async recordFeedRun(run) {
      validateRun(run);
      await gate.write(() => record.immediate(run));
    },
    async feedStates() {
      return (all.all() as StateRow[]).map(toState);
    },
    async feedState(feedId) {
      const row = one.get(feedId) as StateRow | undefined;
      return row === undefined ? null : toState(row);
    },
  };
}
