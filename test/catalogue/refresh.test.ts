/** The catalogue's refresh: the lookup's own assessment, decay applied again past the freshness window, overrides, removal, and the stream exports read. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCatalogue, entryOf } from '../../src/catalogue/index.ts';
import { createIntelligence } from '../../src/intel.ts';
import { createLookup } from '../../src/enrich.ts';
import { createHuntingQueryBuilder } from '../../src/hunting/index.ts';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';
import { testCatalog } from '../http/harness.ts';

const intel = createIntelligence();
const T0 = new Date('2026-11-30T12:00:00.000Z');
const HOUR = 3_600_000;

describe('catalogue refresh', () => {
  let store: Store;
  let now = T0;
  before(async () => {
    store = await openStore(':memory:');
  });
  after(() => store.close());

  test('assesses what changed as a lookup would, applies decay again past the window, follows overrides and removals', async () => {
    const catalogue = createCatalogue({ store, intel, catalog: testCatalog, clock: () => now }, { freshnessMs: 6 * HOUR, monotonicMs: () => now.getTime() });
    await store.ingest({ feedId: 'cisa-alerts', mode: 'snapshot', runAt: T0.toISOString() }, [
      { type: 'ipv4', value: '203.0.113.5', threatType: 'botnet_cc', firstSeen: '2026-11-20T00:00:00Z', lastSeen: '2026-11-29T00:00:00Z' },
      { type: 'ipv4', value: '203.0.113.6', threatType: 'scanner', lastSeen: '2026-11-29T00:00:00Z' },
    ]);
    const fresh = await catalogue.ensureFresh();
    assert.equal(fresh.pending, 0);
    const e = await store.catalogue.get('ipv4', '203.0.113.5');
    assert.ok(e !== null);
    const expected = entryOf({ intel, catalog: testCatalog }, { type: 'ipv4', value: '203.0.113.5' }, await store.sightingsOf('ipv4', '203.0.113.5'), null, T0).entry;
    assert.deepEqual(e, expected);
    assert.ok(e.score > 0);
    assert.equal(e.computedAt, T0.toISOString());

    // 60 days on: past the window, decay is applied again (the score falls)
    now = new Date(T0.getTime() + 60 * 24 * HOUR);
    await catalogue.ensureFresh();
    await catalogue.idle();
    const later = await store.catalogue.get('ipv4', '203.0.113.5');
    assert.equal(later?.computedAt, now.toISOString());
    assert.ok(later!.score < e.score, `${later!.score} < ${e.score}`);

    // an override changes the level; a snapshot that drops one delists it; a purge removes all
    await store.overrides.put({ type: 'ipv4', value: '203.0.113.5', verdict: 'allow', reason: 'ours', createdAt: now.toISOString(), createdBy: null });
    await catalogue.ensureFresh();
    assert.equal((await store.catalogue.get('ipv4', '203.0.113.5'))?.level, 'low');
    await store.ingest({ feedId: 'cisa-alerts', mode: 'snapshot', runAt: now.toISOString() }, [{ type: 'ipv4', value: '203.0.113.5', threatType: 'botnet_cc' }]);
    await catalogue.ensureFresh();
    assert.equal((await store.catalogue.get('ipv4', '203.0.113.6'))?.listed, false);
    await store.purgeFeed('cisa-alerts');
    await catalogue.ensureFresh();
    assert.equal(await store.catalogue.get('ipv4', '203.0.113.5'), null);
    assert.equal(await store.catalogue.get('ipv4', '203.0.113.6'), null);
  });

  test('what contains an indicator counts as in a lookup: a listed range, a listed host, a listed parent domain — the same score, level and confidence', async () => {
    now = T0;
    const catalogue = createCatalogue({ store, intel, catalog: testCatalog, clock: () => now });
    await store.ingest({ feedId: 'cisa-alerts', mode: 'incremental', runAt: T0.toISOString() }, [
      { type: 'cidr', value: '45.83.192.0/22', threatType: 'hijacked_range' },
      { type: 'domain', value: 'evil-parent.com', threatType: 'payload_delivery' },
      { type: 'domain', value: 'cdn.bad-host.net', threatType: 'payload_delivery' },
    ]);
    const own = [
      { type: 'ipv4' as const, value: '45.83.193.150' },
      { type: 'domain' as const, value: 'a.b.evil-parent.com' },
      { type: 'url' as const, value: 'http://cdn.bad-host.net/payload.bin' },
      { type: 'ipv4' as const, value: '91.215.85.17' }, // no container: its own evidence only
    ];
    await store.ingest({ feedId: 'emerging-threats', mode: 'incremental', runAt: T0.toISOString() }, own.map((o) => ({ ...o, threatType: 'scanner' as const })));
    await catalogue.ensureFresh();
    const lookup = createLookup({ store, catalog: testCatalog, intel, hunting: createHuntingQueryBuilder(), cache: null, clock: () => now });
    for (const o of own) {
      const row = await store.catalogue.get(o.type, o.value);
      const l = await lookup.lookup({ value: o.value, type: o.type });
      assert.ok(row !== null && l.ok, o.value);
      assert.deepEqual([row.score, row.level, row.confidence], [l.result.risk.score, l.result.risk.level, l.result.confidence], `${o.value}: catalogue as the lookup`);
      if (o.value !== '91.215.85.17') assert.ok(l.result.sources.some((x) => x.match !== 'exact'), `${o.value} has context in the lookup`);
      // the row's feeds are the ones that listed the indicator itself
      assert.deepEqual(row.feeds, ['emerging-threats']);
    }
    // without the context, the address in the hijacked range would rank lower: the context is what moved it
    const alone = entryOf({ intel, catalog: testCatalog }, { type: 'ipv4', value: '45.83.193.150' }, await store.sightingsOf('ipv4', '45.83.193.150'), null, T0).entry;
    const inRange = await store.catalogue.get('ipv4', '45.83.193.150');
    assert.ok(inRange!.score > alone.score, `${inRange!.score} > ${alone.score}`);
    await store.purgeFeed('cisa-alerts');
    await store.purgeFeed('emerging-threats');
    await catalogue.ensureFresh();
  });

  test('stream yields every match a page at a time, in order', async () => {
    now = T0;
    const catalogue = createCatalogue({ store, intel, catalog: testCatalog, clock: () => now });
    const records = Array.from({ length: 2_345 }, (_, i) => ({ type: 'ipv4' as const, value: `10.1.${i >> 8}.${i & 255}`, lastSeen: new Date(T0.getTime() - i * 60_000).toISOString() }));
    await store.ingest({ feedId: 'emerging-threats', mode: 'incremental', runAt: T0.toISOString() }, records);
    await catalogue.ensureFresh();
    const seen: string[] = [];
    for await (const e of catalogue.stream({ feed: 'emerging-threats' }, 'last_seen')) seen.push(e.value);
    assert.deepEqual(seen, records.map((r) => r.value));
    const capped: string[] = [];
    for await (const e of catalogue.stream({ feed: 'emerging-threats' }, 'last_seen', 700)) capped.push(e.value);
    assert.equal(capped.length, 700);
  });
});
