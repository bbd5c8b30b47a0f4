/**
 * Removing data: a feed's purge and the retention of delisted sightings. Each is one transaction
 * under the feed data lock that recounts the store, moves the data version and tells the other
 * instances when it removed anything.
 */
import type pg from 'pg';
import { REMOVAL_SQL } from '../sql.ts';
import { REPORT_SQL } from '../reports.ts';
import type { PruneResult, Store } from '../types.ts';
import { checkFeedId, pruneCutoff } from '../validate.ts';
import type { ChangeNotices } from './changes.ts';
import { numbered, type Queries } from './queries.ts';

const SQL = {
  purge: numbered(REMOVAL_SQL.purge),
  purgedState: numbered(REMOVAL_SQL.purgedState(`last_run - 'cursor'`)),
  prune: `WITH gone AS (DELETE FROM sightings WHERE NOT listed AND last_seen < $1 RETURNING feed_id)
    SELECT feed_id, count(*) AS n FROM gone GROUP BY feed_id`,
  lessTotal: `UPDATE feed_state f SET total_count = GREATEST(f.total_count - g.n, f.listed_count)
    FROM unnest($1::text[], $2::bigint[]) AS g(feed_id, n) WHERE f.feed_id = g.feed_id`,
  recount: `UPDATE store_state SET sightings = (${REMOVAL_SQL.countSightings}), indicators = (${REMOVAL_SQL.countIndicators}),
    data_version = data_version + 1 WHERE id = 1 RETURNING data_version AS v`,
};

const REPORT_PURGE = { indicators: numbered(REPORT_SQL.purgeIndicators), reports: numbered(REPORT_SQL.purgeReports) };

export function createMaintenance(db: Queries, changes: ChangeNotices, timeoutMs: number): Pick<Store, 'purgeFeed' | 'pruneDelisted'> {
  /** In the transaction that removed sightings: counts and the data version; its notice goes out at commit. */
  async function afterRemoval(c: pg.PoolClient): Promise<number> {
    const version = Number((await c.query<{ v: string }>(SQL.recount)).rows[0]?.v);
    await c.query('SELECT pg_notify($1, $2)', changes.notice(version));
    return version;
  }

  /** Runs a removal; tells this instance the version it committed, if it moved. */
  async function removal<T>(what: string, fn: (c: pg.PoolClient) => Promise<{ out: T; version: number | null }>): Promise<T> {
    const { out, version } = await db.transaction(what, fn, { timeoutMs });
    if (version !== null) changes.committed(version);
    return out;
  }

  return {
    async purgeFeed(feedId) {
      checkFeedId(feedId, 'purgeFeed');
      return removal('purge', async (c) => {
        const removed = (await c.query(SQL.purge, [feedId])).rowCount ?? 0;
        await c.query(SQL.purgedState, [feedId]);
        // the feed's threat reports go with its data (related.reports no longer names them)
        await c.query(REPORT_PURGE.indicators, [feedId]);
        const reports = (await c.query(REPORT_PURGE.reports, [feedId])).rowCount ?? 0;
        return { out: removed, version: removed > 0 || reports > 0 ? await afterRemoval(c) : null };
      });
    },
    async pruneDelisted(before) {
      const cutoff = pruneCutoff(before);
      return removal('prune', async (c) => {
        const byFeed: Record<string, number> = {};
        for (const r of (await c.query<{ feed_id: string; n: string }>(SQL.prune, [cutoff])).rows) byFeed[r.feed_id] = Number(r.n);
        const removed = Object.values(byFeed).reduce((a, b) => a + b, 0);
        if (removed === 0) return { out: { removed, byFeed }, version: null };
        await c.query(SQL.lessTotal, [Object.keys(byFeed), Object.values(byFeed)]);
        return { out: { removed, byFeed }, version: await afterRemoval(c) };
      });
    },
  };
}
