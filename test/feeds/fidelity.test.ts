/**
 * A feed run keeps what the source said: the date a download states (HTTP Last-Modified) for
 * rows that state none, the types the feed may carry, refusal of a file of the wrong format that
 * names what it looks like, a dry run that stores nothing, and a purge that lets the next run
 * read the feed whole.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fetch } from 'undici';
import { catalogFrom, createFeedScheduler, createLocalRunLock, FeedBusyError, loadCatalog, previewFeed, runFeed, type RunEnv } from '../../src/feeds/index.ts';
import { httpFallbackDate } from '../../src/feeds/run.ts';
import { checkDefinition, CatalogError } from '../../src/feeds/catalog.ts';
import type { FeedDefinition } from '../../src/feeds/types.ts';
import type { Store } from '../../src/store/types.ts';
import { fixture, quietLogger, tempStore } from './helpers.ts';
import { startServer } from './server.ts';

const catalog = loadCatalog();
const RUN_AT = '2026-11-30T12:00:00.000Z';
const env = (store: Store, at = RUN_AT): RunEnv => ({ store, logger: quietLogger, clock: () => new Date(at), fetch, sleep: async () => {} });
const def = (id: string, extra: Partial<FeedDefinition> = {}): FeedDefinition => {
  const d = catalog.get(id);
  assert.ok(d, id);
  return { ...d, ...extra };
};

describe('dates of a download', () => {
  it("rows that state no date take the server's Last-Modified, and say so", async () => {
    const server = await startServer();
    const t = await tempStore();
    try {
      server.route('/ips.txt', (_req, res) => {
        res.setHeader('last-modified', 'Tue, 24 Nov 2026 08:00:00 GMT');
        res.end(readFileSync(fixture('et-compromised-ips.txt')));
      });
      const run = await runFeed(def('et-compromised', { url: `${server.url}/ips.txt` }), { kind: 'remote' }, env(t.store));
      assert.equal(run.status, 'success', run.error ?? '');
      const [s] = await t.store.sightingsOf('ipv4', '101.108.111.69');
      assert.deepEqual([s?.firstSeen, s?.lastSeen, s?.dateSource], ['2026-11-24T08:00:00.000Z', '2026-11-24T08:00:00.000Z', 'http']);
      assert.equal((await t.store.feedState('et-compromised'))?.dataAsOf, '2026-11-24T08:00:00.000Z', 'the data is as old as the server says');
    } finally {
      await t.cleanup();
      await server.close();
    }
  });

  it('without a Last-Modified, the fetch time, labelled as such', async () => {
    const server = await startServer();
    const t = await tempStore();
    try {
      server.route('/ips.txt', (_req, res) => res.end('198.51.100.9\n'));
      await runFeed(def('et-compromised', { url: `${server.url}/ips.txt` }), { kind: 'remote' }, env(t.store));
      const [s] = await t.store.sightingsOf('ipv4', '198.51.100.9');
      assert.deepEqual([s?.lastSeen, s?.dateSource], [RUN_AT, 'fetched']);
    } finally {
      await t.cleanup();
      await server.close();
    }
  });

  const cases: { header: string | null; expect: ReturnType<typeof httpFallbackDate> }[] = [
    { header: 'Tue, 24 Nov 2026 08:00:00 GMT', expect: { at: '2026-11-24T08:00:00.000Z', source: 'http' } },
    { header: 'Thu, 31 Dec 2026 00:00:00 GMT', expect: { at: RUN_AT, source: 'http' } },
    { header: 'not a date', expect: undefined },
    { header: null, expect: undefined },
  ];
  for (const c of cases) {
    it(`Last-Modified ${JSON.stringify(c.header)} → ${c.expect === undefined ? 'none' : c.expect.at}${c.header?.startsWith('Thu') ? ' (a future date is not believed past the fetch)' : ''}`, () => {
      assert.deepEqual(httpFallbackDate(c.header, RUN_AT), c.expect);
    });
  }
});

describe('a feed carries only its own types', () => {
  it('the catalog pins types from the format, a fixed list type, or the entry, and refuses types the format never carries', () => {
    assert.deepEqual(def('spamhaus-drop').types, ['cidr']);
    assert.deepEqual(def('openphish').types, ['url']);
    const own = checkDefinition({ id: 'team-ips', name: 'Team IPs', category: 'internal', reliability: 'A', verdict: 'deny', format: 'plain-list', options: { type: 'ipv4' } }, 'test');
    assert.deepEqual(own.types, ['ipv4']);
    const any = checkDefinition({ id: 'team-any', name: 'Team', category: 'community', reliability: 'C', format: 'plain-list' }, 'test');
    assert.equal(any.types, undefined, 'a list without a type takes any indicator');
    assert.throws(
      () => checkDefinition({ id: 'x', name: 'X', category: 'community', reliability: 'C', format: 'spamhaus-drop', types: ['url'] }, 'test'),
      (e: unknown) => e instanceof CatalogError && /"types" names url, which the spamhaus-drop format never carries/.test(e.message),
    );
    assert.throws(() => checkDefinition({ id: 'x', name: 'X', category: 'community', reliability: 'C', format: 'plain-list', types: ['ip'] }, 'test'), /"types" must be a non-empty list/);
  });

  it('records of other types are refused and counted as what they are; the rest go in', async () => {
    const t = await tempStore();
    try {
      // a MISP event holds IPs, domains, URLs, hashes …; a feed pinned to URLs keeps the URLs only
      const urlsOnly = def('circl-osint', { id: 'misp-urls', types: ['url'], options: { includeNonIds: true } });
      const run = await runFeed(urlsOnly, { kind: 'file', path: fixture('misp-feed-handmade') }, env(t.store));
      assert.equal(run.status, 'success', run.error ?? '');
      assert.ok(run.rejected > 0, 'the other types are refused');
      assert.ok(run.rejectedSamples.some((s) => /^a (ipv4|domain|md5|sha256|email) in a feed of url/.test(s)), run.rejectedSamples.join('\n'));
      assert.equal((await t.store.sightingsOf('ipv4', '203.0.113.45')).length, 0, 'no IP stored from a URL feed');
    } finally {
      await t.cleanup();
    }
  });

  it('a file of the wrong format is refused as a whole, naming what it looks like, and stores nothing', async () => {
    const t = await tempStore();
    try {
      // a CIDR list given to a URL feed: every range is a valid indicator, but not of the feed's type
      const ranges = def('openphish', { options: {} });
      const run = await runFeed(ranges, { kind: 'file', path: fixture('drop.txt') }, env(t.store));
      assert.equal(run.status, 'failure');
      assert.match(run.error ?? '', /^0 of 1,3\d\d rows are URLs; the refused ones include 1,3\d\d CIDR ranges: this looks like a CIDR list — is the feed id right\?/);
      assert.equal((await t.store.feedState('openphish'))?.totalCount ?? 0, 0);
    } finally {
      await t.cleanup();
    }
  });
});

describe('import --dry-run', () => {
  it('counts what would go in by type and what would be refused, and stores nothing', async () => {
    const t = await tempStore();
    try {
      const preview = await previewFeed(def('spamhaus-drop'), fixture('drop.txt'), env(t.store));
      assert.equal(preview.refused, null);
      assert.ok((preview.byType['cidr'] ?? 0) > 1000);
      assert.deepEqual(Object.keys(preview.byType), ['cidr']);
      assert.equal(preview.received, preview.byType['cidr']);
      assert.equal((await t.store.stats()).sightings, 0);
      assert.equal(await t.store.feedState('spamhaus-drop'), null, 'no run recorded');
      const wrong = await previewFeed(def('openphish', { options: {} }), fixture('drop.txt'), env(t.store));
      assert.match(wrong.refused ?? '', /this looks like a CIDR list/);
      assert.ok((wrong.looksLike['cidr'] ?? 0) > 1000);
      assert.ok(wrong.rejectedSamples.length > 0);
    } finally {
      await t.cleanup();
    }
  });
});

describe('purge', () => {
  it("removes the feed's data under its run lock, and the next run fetches it whole (no validators sent)", async () => {
    const server = await startServer();
    const t = await tempStore();
    const runLock = createLocalRunLock();
    const feed = def('et-compromised', { url: `${server.url}/ips.txt` });
    const scheduler = createFeedScheduler({ store: t.store, catalog: catalogFrom([feed]), logger: quietLogger, clock: () => new Date(RUN_AT), runLock, fetch });
    try {
      server.route('/ips.txt', (req, res) => {
        if (req.headers['if-none-match'] === '"v1"') {
          res.statusCode = 304;
          res.end();
          return;
        }
        res.setHeader('etag', '"v1"');
        res.end('198.51.100.9\n198.51.100.10\n');
      });
      assert.equal((await scheduler.runNow('et-compromised')).status, 'success');
      assert.equal((await scheduler.runNow('et-compromised')).status, 'not_modified', 'the validators work');

      // a run in progress holds the lock: the purge is refused, not queued behind it
      let release!: () => void;
      const holding = runLock.withLock('feed:et-compromised', () => new Promise<void>((r) => (release = r)));
      await assert.rejects(scheduler.purge('et-compromised'), FeedBusyError);
      release();
      await holding;

      const version = await t.store.dataVersion();
      assert.deepEqual(await scheduler.purge('et-compromised'), { feedId: 'et-compromised', removed: 2 });
      assert.ok((await t.store.dataVersion()) > version, 'cached lookups cannot serve the purged data');
      assert.equal((await t.store.sightingsOf('ipv4', '198.51.100.9')).length, 0);
      const again = await scheduler.runNow('et-compromised');
      assert.equal(again.status, 'success', 'fetched whole, not a 304 that would leave it empty');
      assert.equal(again.result?.added, 2);
      assert.equal(server.requests.at(-1)?.headers['if-none-match'], undefined);
    } finally {
      await scheduler.stop();
      await t.cleanup();
      await server.close();
    }
  });
});
