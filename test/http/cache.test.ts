/** With the lookup cache on, a feed run or an override change is seen by the next lookup. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryLookupCache } from '../../src/cache/memory.ts';
import { createLookup, windowedVersion, type LookupOutcome } from '../../src/enrich.ts';
import { createHuntingQueryBuilder } from '../../src/hunting/index.ts';
import { createIntelligence } from '../../src/intel.ts';
import { openStore } from '../../src/store/index.ts';
import { makeHarness, NOW, testCatalog, type Harness } from './harness.ts';

describe('lookup cache', () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness({ env: { VERDICT_DATA_VERSION_WINDOW_MS: '0' }, overrides: { cache: createMemoryLookupCache({ ttlSeconds: 3600 }) } });
  });
  after(() => h.close());

  const get = async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/v1/lookup?value=198.51.100.7', headers: h.auth() });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  };

  test('a repeated lookup is identical; new data and overrides invalidate it', async () => {
    const first = await get();
    assert.equal(first.found, false);
    assert.deepEqual(await get(), first, 'served again unchanged');

    await h.ingest('cisa-alerts', [{ type: 'ipv4', value: '198.51.100.7', threatType: 'scanner' }]);
    const afterIngest = await get();
    assert.equal(afterIngest.found, true, 'a feed run is seen at once');

    const put = await h.app.inject({ method: 'PUT', url: '/api/v1/overrides/ipv4/198.51.100.7', headers: h.auth(), payload: { verdict: 'allow', reason: 'ours' } });
    assert.equal(put.statusCode, 200);
    const afterOverride = await get();
    assert.ok(afterOverride.risk.factors.some((f: { kind: string }) => f.kind === 'override'), 'an override is seen at once');
  });
});

describe('synchronous cache hit (SQLite, a version window of 100 ms)', () => {
  test('a repeated lookup is answered by cached() without awaiting, until new data is due to be seen', async () => {
    const store = await openStore(':memory:');
    try {
      let ms = 0;
      const lookup = createLookup(
        { store, catalog: testCatalog, intel: createIntelligence(), hunting: createHuntingQueryBuilder(), cache: createMemoryLookupCache({ ttlSeconds: 3600 }), clock: () => NOW },
        { versionWindowMs: 100, monotonicMs: () => ms },
      );
      const req = { value: '198.51.100.9' };
      assert.equal(lookup.cached(req), undefined, 'nothing cached yet: the route awaits lookup()');

      const first = await lookup.lookup(req);
      const hit: LookupOutcome | undefined = lookup.cached(req);
      assert.ok(hit !== undefined && !(hit instanceof Promise), 'a value, not a promise');
      assert.ok(hit.ok && first.ok);
      assert.equal(hit.result, first.result, 'the cached answer itself (the route keeps its JSON beside it)');
      assert.equal(hit.result.found, false);

      // Given a feed run commits new data for it
      await store.ingest({ feedId: 'cisa-alerts', mode: 'incremental', runAt: NOW.toISOString() }, [{ type: 'ipv4', value: '198.51.100.9', threatType: 'scanner' }]);
      ms = 99;
      const stale = lookup.cached(req);
      assert.ok(stale?.ok && stale.result === hit.result, 'within the window the reading of the version stands');
      ms = 100;
      assert.equal(lookup.cached(req), undefined, 'once the window has passed, the version must be read again');
      const second = await lookup.lookup(req);
      assert.ok(second.ok && second.result.found, 'the new data is seen');
      const again = lookup.cached(req);
      assert.ok(again?.ok && again.result === second.result, 'and is then answered synchronously in turn');
    } finally {
      await store.close();
    }
  });
});

describe('windowed data version', () => {
  test('one reading serves the window; the next window reads again; a failed read is not kept', async () => {
    let now = 0;
    let version = 1;
    let reads = 0;
    let fail = false;
    const read = async () => {
      reads++;
      if (fail) throw new Error('store down');
      return version;
    };
    const window = windowedVersion(read, 100, () => now);
    const get = () => window.read();
    assert.equal(window.fresh(), undefined, 'nothing read yet');
    assert.deepEqual(await Promise.all([get(), get(), get()]), [1, 1, 1]);
    assert.equal(reads, 1, 'concurrent requests share one read');
    assert.equal(window.fresh(), 1, 'the reading is at hand within its window');
    version = 2;
    now = 99;
    assert.equal(await get(), 1, 'within the window');
    now = 100;
    assert.equal(window.fresh(), undefined, 'a passed window is not fresh');
    assert.equal(await get(), 2, 'the next window sees the new version');
    fail = true;
    now = 250;
    await assert.rejects(get());
    assert.equal(window.fresh(), undefined, 'a failed reading is not at hand');
    fail = false;
    assert.equal(await get(), 2, 'the failure was not cached');
    assert.equal(reads, 4);
  });

  test('a zero window reads every time', async () => {
    let reads = 0;
    const window = windowedVersion(async () => ++reads, 0, () => 0);
    await window.read();
    await window.read();
    assert.equal(reads, 2);
    assert.equal(window.fresh(), undefined, 'nothing is kept');
  });
});
