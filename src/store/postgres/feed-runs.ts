/** Feed run records and the per-feed state derived from them (status table, conditional GET). */
import { toState } from '../rows.ts';
import type { StateRow } from '../rows.ts';
import { nextRunState } from '../run-state.ts';
import { FEED_RUN_SQL } from '../sql.ts';
import type { FeedRunRecord, Store } from '../types.ts';
import { validateRun } from '../validate.ts';
import { numbered, type Queries } from './queries.ts';

const SQL = {
  save: numbered(FEED_RUN_SQL.save),
  prune: numbered(FEED_RUN_SQL.prune),
  // locked: two instances recording runs of one feed apply nextRunState one after the other
  current: `${numbered(FEED_RUN_SQL.state)} FOR UPDATE`,
  saveState: numbered(FEED_RUN_SQL.saveState),
  state: numbered(FEED_RUN_SQL.state),
  states: FEED_RUN_SQL.states,
};

export function createFeedRunStore(db: Queries): Pick<Store, 'recordFeedRun' | 'feedStates' | 'feedState'> {
  return {
    async recordFeedRun(run) {
      validateRun(run);
      await db.transaction('feed run record', async (c) => {
        const json = JSON.stringify(run);
        await c.query(SQL.save, [run.feedId, run.startedAt, json]);
        await c.query(SQL.prune, [run.feedId, run.feedId]);
        const next = nextRunState((await c.query<StateRow>(SQL.current, [run.feedId])).rows[0], run);
        await c.query(SQL.saveState, [run.feedId, json, next.lastSuccessAt, next.lastErrorAt, next.lastError, next.etag, next.lastModified]);
      });
    },
    async feedStates() {
      return (await db.q<StateRow>('feed states', SQL.states)).rows.map(toState);
    },
    async feedState(feedId) {
      const row = await db.row<StateRow>('feed state', SQL.state, [feedId]);
      return row === undefined ? null : toState(row);
    },
  };
}
