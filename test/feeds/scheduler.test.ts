import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { fetch } from 'undici';
import { catalogFrom, createFeedScheduler, createLocalRunLock, nextRunAt, UnknownFeedError } from '../../src/feeds/index.ts';
import type { FeedDefinition } from '../../src/feeds/types.ts';
import type { FeedRunRecord, FeedState } from '../../src/store/types.ts';
import { fixture, quietLogger, tempStore } from './helpers.ts';
import { startServer } from './server.ts';

function feed(id: string, url: string | null, extra: Partial<FeedDefinition> = {}): FeedDefinition {
  return { id, name: id, category: 'community', reliability: 'C', format: 'plain-list', url, interval: 3600, mode: 'snapshot', enabled: true, license: 'test', ...extra };
}

const run = (status: FeedRunRecord['status'], startedAt: string): FeedRunRecord => ({
  feedId: 'x', startedAt, finishedAt: startedAt, status, result: null, rejected: 0, rejectedSamples: [], error: null, etag: null, lastModified: null,
});
const state = (lastRun: FeedRunRecord | null): FeedState => ({ feedId: 'x', lastRun, lastSuccessAt: null, lastErrorAt: null, lastError: null, etag: null, lastModified: null, listedCount: 0, totalCount: 0, dataAsOf: null });

describe('nextRunAt', () => {
  const now = new Date('2026-11-30T12:00:00Z');
  test('never run: due now; after a success: one interval later; after a failure: sooner', () => {
    const f = feed('x', 'https://x.example/list.txt');
    assert.equal(nextRunAt(f, null, now), '2026-11-30T12:00:00.000Z');
    assert.equal(nextRunAt(f, state(run('success', '2026-11-30T11:30:00Z')), now), '2026-11-30T12:30:00.000Z');
    assert.equal(nextRunAt(f, state(run('failure', '2026-11-30T11:30:00Z')), now), '2026-11-30T11:45:00.000Z');
  });
  test('disabled feeds and feeds without a URL are not scheduled', () => {
    assert.equal(nextRunAt(feed('x', 'https://x.example', { enabled: false }), null, now), null);
    assert.equal(nextRunAt(feed('x', null, { interval: 0 }), null, now), null);
  });
});

test('the local run lock allows one run per name at a time', async () => {
  const lock = createLocalRunLock();
  let release!: () => void;
  const first = lock.withLock('feed:a', () => new Promise<string>((r) => (release = () => r('first'))));
  assert.equal(await lock.withLock('feed:a', async () => 'second'), undefined, 'refused while held');
  assert.equal(await lock.withLock('feed:b', async () => 'other'), 'other', 'other names are independent');
  release();
  assert.equal(await first, 'first');
  assert.equal(await lock.withLock('feed:a', async () => 'third'), 'third', 'free again');
  await assert.rejects(lock.withLock('feed:a', async () => { throw new Error('boom'); }), /boom/);
  assert.equal(await lock.withLock('feed:a', async () => 'after error'), 'after error', 'released after an error');
});

test('runNow while the same feed is running returns a running record and does not start a second run', async () => {
  const server = await startServer();
  const t = await tempStore();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  server.route('/list.txt', (_req, res) => {
    void gate.then(() => res.end('198.51.100.1\n'));
  });
  try {
    const scheduler = createFeedScheduler({ store: t.store, catalog: catalogFrom([feed('a', `${server.url}/list.txt`)]), logger: quietLogger, clock: () => new Date(), runLock: createLocalRunLock(), fetch });
    const first = scheduler.runNow('a');
    await new Promise((r) => setTimeout(r, 50));
    const second = await scheduler.runNow('a');
    assert.equal(second.status, 'running');
    assert.match(second.error ?? '', /in progress/);
    release();
    assert.equal((await first).status, 'success');
    assert.equal(server.hits.get('/list.txt'), 1);
    await assert.rejects(scheduler.runNow('nope'), UnknownFeedError);
    await scheduler.stop();
  } finally {
    await t.cleanup();
    await server.close();
  }
});

test('started with every feed unreachable, the scheduler records failures and the store still answers', async () => {
  const t = await tempStore();
  try {
    // port 9 on loopback: nothing listens, connections are refused at once
    const catalog = catalogFrom([feed('a', 'http://127.0.0.1:9/a.txt'), feed('b', 'http://127.0.0.1:9/b.txt'), feed('internal', null, { interval: 0, category: 'internal', verdict: 'deny' })]);
    const scheduler = createFeedScheduler({
      store: t.store, catalog, logger: quietLogger, clock: () => new Date(), runLock: createLocalRunLock(), fetch,
      sleep: async () => {}, startDelayMs: 0, tickMs: 60_000, fetchSettings: { timeoutMs: 500, maxBytes: 1000, retries: 1, backoffMs: 0 },
    });
    scheduler.start();
    const deadline = Date.now() + 5000;
    let states: FeedState[] = [];
    while (Date.now() < deadline) {
      states = await t.store.feedStates();
      if (states.filter((s) => s.lastRun?.status === 'failure').length === 2) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    await scheduler.stop();
    assert.deepEqual(states.map((s) => [s.feedId, s.lastRun?.status]).sort(), [['a', 'failure'], ['b', 'failure']], 'feeds without a URL are not fetched');
    assert.match(states[0]?.lastError ?? '', /request failed/);
    assert.deepEqual(await t.store.sightingsOf('ipv4', '198.51.100.1'), [], 'lookups still work');
  } finally {
    await t.cleanup();
  }
});

test('importFile: re-importing the same file changes nothing but the run timestamps', async () => {
  const t = await tempStore();
  try {
    const catalog = catalogFrom([feed('et', null, { interval: 0, options: { type: 'ipv4', threatType: 'compromised' } })]);
    let now = Date.parse('2026-11-30T12:00:00Z');
    const scheduler = createFeedScheduler({ store: t.store, catalog, logger: quietLogger, clock: () => new Date(now), runLock: createLocalRunLock(), fetch });
    const first = await scheduler.importFile('et', fixture('et-compromised-ips.txt'));
    assert.equal(first.result?.added, 356);
    const before = await t.store.sightingsOf('ipv4', '101.108.111.69');
    const version = await t.store.dataVersion();
    now += 3600_000;
    const progress: number[] = [];
    const second = await scheduler.importFile('et', fixture('et-compromised-ips.txt'), { onProgress: (done) => progress.push(done) });
    assert.deepEqual({ ...second.result }, { received: 356, added: 0, updated: 0, unchanged: 356, delisted: 0 });
    const after = await t.store.sightingsOf('ipv4', '101.108.111.69');
    assert.deepEqual(after.map((s) => ({ ...s, lastSeen: '', updatedAt: '' })), before.map((s) => ({ ...s, lastSeen: '', updatedAt: '' })), 'only timestamps move');
    assert.ok((await t.store.dataVersion()) >= version);
    assert.ok(progress.length > 0 && progress.at(-1) === 5113, 'progress reports bytes read up to the file size');
    await scheduler.stop();
  } finally {
    await t.cleanup();
  }
});

test('runNow on an import-only feed says to import a file and records nothing', async () => {
  const t = await tempStore();
  try {
    const scheduler = createFeedScheduler({ store: t.store, catalog: catalogFrom([feed('internal', null, { interval: 0, category: 'internal', verdict: 'allow' })]), logger: quietLogger, clock: () => new Date(), runLock: createLocalRunLock(), fetch });
    const r = await scheduler.runNow('internal');
    assert.equal(r.status, 'failure');
    assert.match(r.error ?? '', /verdict feeds import internal FILE/);
    assert.equal(await t.store.feedState('internal'), null);
  } finally {
    await t.cleanup();
  }
});

test('stop() aborts an in-flight run and waits until its failure is recorded', async () => {
  const server = await startServer();
  const t = await tempStore();
  server.route('/hang.txt', () => {
    // never answers
  });
  try {
    const scheduler = createFeedScheduler({ store: t.store, catalog: catalogFrom([feed('h', `${server.url}/hang.txt`)]), logger: quietLogger, clock: () => new Date(), runLock: createLocalRunLock(), fetch });
    const running = scheduler.runNow('h');
    while ((server.hits.get('/hang.txt') ?? 0) === 0) await new Promise((r) => setTimeout(r, 10));
    await scheduler.stop();
    const state = await t.store.feedState('h');
    assert.equal(state?.lastRun?.status, 'failure', 'recorded before stop() resolved');
    assert.match(state?.lastError ?? '', /stopped/);
    assert.equal((await running).status, 'failure');
  } finally {
    await t.cleanup();
    await server.close();
  }
});

test('with retention on, the scheduler prunes old delisted sightings once a day, and keeps everything when off', async () => {
  const t = await tempStore();
  try {
    // a snapshot feed that listed two IPs on Nov 1 and only one of them on Nov 2
    await t.store.ingest({ feedId: 'old', mode: 'snapshot', runAt: '2026-11-01T00:00:00Z' }, [{ type: 'ipv4', value: '192.0.2.1' }, { type: 'ipv4', value: '192.0.2.2' }]);
    await t.store.ingest({ feedId: 'old', mode: 'snapshot', runAt: '2026-11-02T00:00:00Z' }, [{ type: 'ipv4', value: '192.0.2.2' }]);
    let now = Date.parse('2026-12-01T00:00:00Z');
    const pruned: string[] = [];
    // the real store, with its calls counted
    const store = Object.assign(Object.create(t.store) as typeof t.store, {
      pruneDelisted: (before: string) => {
        pruned.push(before);
        return t.store.pruneDelisted(before);
      },
    });
    const settle = async (): Promise<void> => {
      const deadline = Date.now() + 5000;
      const n = pruned.length;
      while (pruned.length === n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 50));
    };
    const common = { store, catalog: catalogFrom([]), logger: quietLogger, clock: () => new Date(now), runLock: createLocalRunLock(), fetch, startDelayMs: 0, tickMs: 20 };

    const off = createFeedScheduler({ ...common, delistedRetentionDays: 0 });
    off.start();
    await new Promise((r) => setTimeout(r, 150));
    await off.stop();
    assert.deepEqual(pruned, [], 'retention 0: never pruned');

    const on = createFeedScheduler({ ...common, delistedRetentionDays: 45 });
    on.start();
    await settle();
    assert.deepEqual(pruned, ['2026-10-17T00:00:00.000Z'], '45 days before now, at the first tick');
    assert.equal((await t.store.sightingsOf('ipv4', '192.0.2.1')).length, 1, 'delisted on Nov 2, last seen Nov 1: within 45 days');
    // a day later the same scheduler prunes once more (not at every tick)
    now += 24 * 3600_000;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(pruned.length, 2, 'once more after a day, not at every tick');
    await on.stop();
    // with 20 days: .1 (delisted, last seen Nov 1) goes; .2, still listed, stays
    const daily = createFeedScheduler({ ...common, delistedRetentionDays: 20 });
    daily.start();
    await settle();
    await daily.stop();
    assert.equal(pruned.at(-1), '2026-11-12T00:00:00.000Z');
    assert.deepEqual(await t.store.sightingsOf('ipv4', '192.0.2.1'), []);
    assert.deepEqual((await t.store.sightingsOf('ipv4', '192.0.2.2')).map((s) => s.listed), [true]);
    const state = await t.store.feedState('old');
    assert.deepEqual([state?.listedCount, state?.totalCount], [1, 1]);
  } finally {
    await t.cleanup();
  }
});
