/**
 * Removing data: a feed's purge and the retention of delisted sightings. Each is one transaction
 * that also removes the ranges left without a sighting, recounts the store and moves the data
 * version.
 */
import type Database from 'better-sqlite3';
import { REMOVAL_SQL } from '../sql.ts';
import { REPORT_SQL } from '../reports.ts';
import type { PruneResult, Store } from '../types.ts';
import { checkFeedId, pruneCutoff } from '../validate.ts';
import type { WriteGate } from './write-gate.ts';

export function createMaintenance(writer: Database.Database, gate: WriteGate): Pick<Store, 'purgeFeed' | 'pruneDelisted'> {
  const q = {
    purge: writer.prepare(REMOVAL_SQL.purge),
    purgeReportIndicators: writer.prepare(REPORT_SQL.purgeIndicators),
    purgeReports: writer.prepare(REPORT_SQL.purgeReports),
    purgedState: writer.prepare(REMOVAL_SQL.purgedState(`json_remove(last_run, '$.cursor')`)),
    // one pass over the table (there is no index by listed state): a daily chore
    pruneDelisted: writer.prepare('DELETE FROM sightings WHERE listed = 0 AND last_seen < ? RETURNING feed_id').pluck(),
    lessTotal: writer.prepare('UPDATE feed_state SET total_count = MAX(total_count - ?, listed_count) WHERE feed_id = ?'),
    orphanRanges: writer.prepare(`DELETE FROM cidr_ranges WHERE NOT EXISTS (SELECT 1 FROM sightings s WHERE s.type = 'cidr' AND s.value = cidr_ranges.value)`),
    bumpRanges: writer.prepare(`INSERT INTO meta (key, value) VALUES ('ranges_version', '1') ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`),
    countSightings: writer.prepare(REMOVAL_SQL.countSightings).pluck(),
    countIndicators: writer.prepare(REMOVAL_SQL.countIndicators).pluck(),
    setMeta: writer.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    bumpVersion: writer.prepare(`UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'`),
  };

  /** In the transaction that removed sightings: ranges left without one, counts, the data version. */
  const afterRemoval = (): void => {
    if (q.orphanRanges.run().changes > 0) q.bumpRanges.run();
    q.setMeta.run('sightings', String(q.countSightings.get()));
    q.setMeta.run('indicators', String(q.countIndicators.get()));
    q.bumpVersion.run();
  };

  const purge = writer.transaction((feedId: string): number => {
    const removed = q.purge.run(feedId).changes;
    q.purgedState.run(feedId);
    // the feed's threat reports go with its data (related.reports no longer names them)
    q.purgeReportIndicators.run(feedId);
    const reports = q.purgeReports.run(feedId).changes;
    if (removed > 0 || reports > 0) afterRemoval();
    return removed;
  });

  const prune = writer.transaction((cutoff: number): PruneResult => {
    const byFeed: Record<string, number> = {};
    let removed = 0;
    for (const feedId of q.pruneDelisted.iterate(cutoff) as IterableIterator<string>) {
      byFeed[feedId] = (byFeed[feedId] ?? 0) + 1;
      removed++;
    }
    if (removed === 0) return { removed, byFeed };
    for (const [feedId, n] of Object.entries(byFeed)) q.lessTotal.run(n, feedId);
    afterRemoval();
    return { removed, byFeed };
  });

  return {
    async purgeFeed(feedId) {
      checkFeedId(feedId, 'purgeFeed');
      return gate.write(() => purge.immediate(feedId));
    },
    async pruneDelisted(before) {
      const cutoff = pruneCutoff(before);
      return gate.write(() => prune.immediate(cutoff));
    },
  };
}
