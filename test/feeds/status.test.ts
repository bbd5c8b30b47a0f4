/** The feed status view: catalog entry + feed state + now → what the API and `verdict feeds list --json` show. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { catalogStatuses, feedRunView, feedStatus, feedStatuses } from '../../src/feeds/status.ts';
import type { OrphanedFeed } from '../../src/feeds/stored-definitions.ts';
import type { FeedDefinition } from '../../src/feeds/types.ts';
import type { FeedRunRecord, FeedState } from '../../src/store/types.ts';

const NOW = new Date('2026-11-30T12:00:00Z');
const feed: FeedDefinition = {
  id: 'urlhaus', name: 'abuse.ch URLhaus', category: 'community', reliability: 'B', format: 'urlhaus-csv',
  url: 'https://urlhaus.abuse.ch/downloads/csv_recent/', interval: 300, mode: 'snapshot', enabled: true, license: 'CC0',
};
const run: FeedRunRecord = {
  feedId: 'urlhaus', startedAt: '2026-11-30T11:58:00.000Z', finishedAt: '2026-11-30T11:58:04.000Z', status: 'failure', result: null,
  rejected: 0, rejectedSamples: [], error: 'HTTP 502', etag: null, lastModified: null,
};
const state: FeedState = {
  feedId: 'urlhaus', lastRun: run, lastSuccessAt: '2026-11-30T11:53:00.000Z', lastErrorAt: '2026-11-30T11:58:04.000Z', lastError: 'HTTP 502',
  etag: '"abc"', lastModified: null, listedCount: 1200, totalCount: 1500, dataAsOf: '2026-11-30T11:50:00.000Z',
};

describe('feed status view', () => {
  it('names the catalog facts and the health of a feed that ran', () => {
    assert.deepEqual(feedStatus(feed, state, NOW), {
      id: 'urlhaus',
      name: 'abuse.ch URLhaus',
      category: 'community',
      reliability: 'B',
      format: 'urlhaus-csv',
      url: 'https://urlhaus.abuse.ch/downloads/csv_recent/',
      interval_seconds: 300,
      mode: 'snapshot',
      enabled: true,
      license: 'CC0',
      orphaned: false,
      health: {
        last_run: {
          feed_id: 'urlhaus', started_at: '2026-11-30T11:58:00.000Z', finished_at: '2026-11-30T11:58:04.000Z', status: 'failure',
          result: null, rejected: 0, rejected_samples: [], error: 'HTTP 502',
        },
        last_success_at: '2026-11-30T11:53:00.000Z',
        last_error_at: '2026-11-30T11:58:04.000Z',
        last_error: 'HTTP 502',
        listed_count: 1200,
        total_count: 1500,
        data_as_of: '2026-11-30T11:50:00.000Z',
        // after a failure the scheduler waits the shorter of the interval (5 minutes here) and its retry delay
        next_run_at: '2026-11-30T12:03:00.000Z',
      },
    });
  });

  it('shows a feed that never ran as due now, with nothing stored', () => {
    assert.deepEqual(feedStatus(feed, undefined, NOW).health, {
      last_run: null, last_success_at: null, last_error_at: null, last_error: null, listed_count: 0, total_count: 0, data_as_of: null,
      next_run_at: '2026-11-30T12:00:00.000Z',
    });
  });

  it('gives an import-only or disabled feed no next run', () => {
    assert.equal(feedStatus({ ...feed, url: null }, state, NOW).health.next_run_at, null);
    assert.equal(feedStatus({ ...feed, enabled: false }, state, NOW).health.next_run_at, null);
  });

  it('copies a run\'s counts rather than sharing them', () => {
    const done: FeedRunRecord = { ...run, status: 'success', error: null, result: { received: 3, added: 1, updated: 1, unchanged: 1, delisted: 0 } };
    const view = feedRunView(done);
    assert.deepEqual(view.result, done.result);
    assert.notEqual(view.result, done.result);
  });

  it('lists the catalog in order, each with its own state', () => {
    const other: FeedDefinition = { ...feed, id: 'openphish', name: 'OpenPhish Community' };
    const rows = feedStatuses([other, feed], [state], NOW);
    assert.deepEqual(rows.map((r) => [r.id, r.health.listed_count]), [['openphish', 0], ['urlhaus', 1200]]);
  });

  it('lists the orphaned feeds after the catalog, by id: those with a stored definition under its label, those with data only as unknown', () => {
    const stored: OrphanedFeed = {
      id: 'team-iocs',
      info: { id: 'team-iocs', name: 'Team IOCs', category: 'commercial', reliability: 'A' },
      definition: { id: 'team-iocs', name: 'Team IOCs', format: 'csv-mapping', url: null, interval: 0, mode: 'snapshot', enabled: true, license: 'internal' },
      storedAt: '2026-11-01T00:00:00.000Z',
      updatedAt: '2026-11-01T00:00:00.000Z',
    };
    const states: FeedState[] = [
      { ...state, feedId: 'team-iocs', listedCount: 3, totalCount: 4 },
      { ...state, feedId: 'legacy', listedCount: 0, totalCount: 2 },
      // a feed whose data was purged and whose definition is gone: nothing to show
      { ...state, feedId: 'purged', listedCount: 0, totalCount: 0 },
      state,
    ];
    const rows = catalogStatuses({ list: () => [feed], orphans: () => [stored] }, states, NOW);
    assert.deepEqual(
      rows.map((r) => [r.id, r.orphaned, r.enabled, r.name, r.category, r.reliability, r.format, r.health.total_count, r.health.next_run_at]),
      [
        ['urlhaus', false, true, 'abuse.ch URLhaus', 'community', 'B', 'urlhaus-csv', 1500, '2026-11-30T12:03:00.000Z'],
        ['legacy', true, false, 'legacy', 'internal', 'F', 'unknown', 2, null],
        ['team-iocs', true, false, 'Team IOCs', 'commercial', 'A', 'csv-mapping', 4, null],
      ],
    );
    // a feed the catalog defines is never listed twice, even with a stored definition
    assert.deepEqual(catalogStatuses({ list: () => [feed], orphans: () => [{ ...stored, id: 'urlhaus' }] }, [state], NOW).map((r) => r.id), ['urlhaus']);
  });
});
