/** Contract cases for ingest: sightings, counts, snapshot/incremental runs, failed runs, a model. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { SightingRecord, Sighting, ThreatType } from '../../../src/model.ts';
import { IngestError } from '../../../src/store/types.ts';
import type { IngestOptions, RecordBatches } from '../../../src/store/types.ts';
import { T1, T2, T3, snapshot, incremental, ip, ips, throwingAfter, observe } from './helpers.ts';
import type { StoreContext, StoreFactory } from './helpers.ts';

export function ingestContract(ctx: StoreContext, factory: StoreFactory): void {
  describe('sightings', () => {
    it('round-trips every field of a record', async () => {
      const rec: SightingRecord = {
        type: 'url',
        value: 'http://evil.example/a?b=1',
        firstSeen: '2025-12-30T10:00:00.000Z',
        lastSeen: '2025-12-31T10:00:00.000Z',
        threatType: 'payload_delivery',
        malwareFamily: 'Emotet',
        tags: ['epoch5', 'doc', 'epoch5'],
        confidence: 75,
        referenceUrl: 'https://urlhaus.abuse.ch/url/1/',
        attackIds: ['T1566.001', 'T1204'],
        attributes: { urlhaus_id: 1, nested: { ok: true, list: [1, 'two'] } },
      };
      await ctx.store.ingest(incremental('urlhaus', T1), [rec]);
      assert.deepEqual(await ctx.store.sightingsOf('url', rec.value), [
        {
          type: 'url',
          value: rec.value,
          feedId: 'urlhaus',
          firstSeen: rec.firstSeen,
          lastSeen: rec.lastSeen,
          threatType: 'payload_delivery',
          malwareFamily: 'Emotet',
          tags: ['doc', 'epoch5'],
          confidence: 75,
          referenceUrl: rec.referenceUrl,
          attackIds: ['T1204', 'T1566.001'],
          attributes: { urlhaus_id: 1, nested: { ok: true, list: [1, 'two'] } },
          dateSource: 'feed',
          listed: true,
          updatedAt: T1,
        },
      ]);
    });

    it('drops NUL characters from tags, family, reference and attributes, the same on every engine', async () => {
      const rec: SightingRecord = {
        type: 'ipv4',
        value: '192.0.2.50',
        malwareFamily: 'Emo\u0000tet',
        tags: ['a\u0000b', 'ab', 'c\u0000'],
        referenceUrl: 'https://ref.example/\u0000x',
        attackIds: ['T1071\u0000'],
        attributes: { 'com\u0000ment': 'x\u0000y', nested: { list: ['p\u0000q', 1] } },
      };
      await ctx.store.ingest(incremental('nul', T1), [rec]);
      const [got] = await ctx.store.sightingsOf('ipv4', '192.0.2.50');
      assert.deepEqual(
        [got?.malwareFamily, got?.tags, got?.referenceUrl, got?.attackIds, got?.attributes],
        ['Emotet', ['ab', 'c'], 'https://ref.example/x', ['T1071'], { comment: 'xy', nested: { list: ['pq', 1] } }],
      );
      // the same record again is unchanged: what was stored is what the record encodes to
      assert.equal((await ctx.store.ingest(incremental('nul', T2), [rec])).unchanged, 1);
    });

    it('fills defaults from the run time for an undated, bare record', async () => {
      await ctx.store.ingest(snapshot('et-compromised', T1), [ip('192.0.2.1')]);
      const [s] = await ctx.store.sightingsOf('ipv4', '192.0.2.1');
      assert.ok(s);
      assert.equal(s.firstSeen, T1);
      assert.equal(s.lastSeen, T1);
      assert.equal(s.dateSource, 'fetched', 'the source gave no date: the fetch time, and it says so');
      assert.deepEqual([s.threatType, s.malwareFamily, s.confidence, s.referenceUrl], [null, null, null, null]);
      assert.deepEqual([s.tags, s.attackIds, s.attributes, s.listed], [[], [], {}, true]);
    });

    it('returns times as RFC 3339 UTC with milliseconds, whatever offset the feed used', async () => {
      await ctx.store.ingest(incremental('f', '2026-01-01T02:00:00+02:00'), [
        ip('192.0.2.1', { firstSeen: '2025-12-30T10:00:00Z', lastSeen: '2025-12-31T01:30:00.5+01:00' }),
      ]);
      const [s] = await ctx.store.sightingsOf('ipv4', '192.0.2.1');
      assert.deepEqual([s?.firstSeen, s?.lastSeen, s?.updatedAt], ['2025-12-30T10:00:00.000Z', '2025-12-31T00:30:00.500Z', T1]);
      assert.equal((await ctx.store.stats()).lastIngestAt, T1);
    });

    it('keeps one sighting per feed and finds none for an unknown value', async () => {
      await ctx.store.ingest(snapshot('feed-b', T1), [ip('192.0.2.1', { threatType: 'scanner' })]);
      await ctx.store.ingest(snapshot('feed-a', T1), [ip('192.0.2.1', { threatType: 'botnet_cc' })]);
      const got = await ctx.store.sightingsOf('ipv4', '192.0.2.1');
      assert.deepEqual(got.map((s) => [s.feedId, s.threatType]).sort(), [['feed-a', 'botnet_cc'], ['feed-b', 'scanner']]);
      assert.deepEqual(await ctx.store.sightingsOf('ipv4', '192.0.2.2'), []);
      assert.deepEqual(await ctx.store.sightingsOf('domain', '192.0.2.1'), [], 'the type is part of the key');
    });

    it('stores AS numbers like any type: found by type and value, apart from a domain of the same text', async () => {
      await ctx.store.ingest(snapshot('asn-feed', T1), [
        { type: 'asn', value: 'AS64496', threatType: 'hijacked_range', attributes: { as_name: 'EXAMPLE-AS', country: 'US' } },
        { type: 'asn', value: 'AS4294967295', threatType: 'hijacked_range' },
        { type: 'domain', value: 'as64496.example', threatType: 'phishing' },
      ]);
      const [s] = await ctx.store.sightingsOf('asn', 'AS64496');
      assert.deepEqual([s?.type, s?.value, s?.feedId, s?.attributes], ['asn', 'AS64496', 'asn-feed', { as_name: 'EXAMPLE-AS', country: 'US' }]);
      assert.equal((await ctx.store.sightingsOf('asn', 'AS4294967295')).length, 1, 'the largest 32-bit number');
      assert.deepEqual(await ctx.store.sightingsOf('asn', 'AS64497'), []);
      assert.deepEqual(await ctx.store.sightingsOf('ipv4', 'AS64496'), [], 'the type is part of the key');
      assert.equal((await ctx.store.stats()).indicators, 3);
    });

    it('merges a repeated indicator within one run: last one wins, tags and ATT&CK ids merged, counted once', async () => {
      const result = await ctx.store.ingest(incremental('threatfox', T1), [
        ip('192.0.2.9', { threatType: 'scanner', tags: ['a'], attackIds: ['T1046'], confidence: 50 }),
        ip('192.0.2.9', { threatType: 'botnet_cc', tags: ['b'], attackIds: ['T1071'], confidence: 90 }),
      ]);
      assert.deepEqual(result, { received: 2, added: 1, updated: 0, unchanged: 0, delisted: 0 });
      const [s] = await ctx.store.sightingsOf('ipv4', '192.0.2.9');
      assert.ok(s);
      assert.deepEqual([s.threatType, s.confidence, s.tags, s.attackIds], ['botnet_cc', 90, ['a', 'b'], ['T1046', 'T1071']]);
    });

    it('merges repeats spread over a long first run of a feed', async () => {
      const records = ips(300);
      records[70] = ip('10.0.0.5', { tags: ['late'], threatType: 'scanner' });
      records[71] = ip('10.0.0.5', { tags: ['later'] });
      records[299] = ip('10.0.0.100', { confidence: 5 });
      const result = await ctx.store.ingest(snapshot('f', T1), records);
      assert.deepEqual(result, { received: 300, added: 297, updated: 0, unchanged: 0, delisted: 0 });
      const [s] = await ctx.store.sightingsOf('ipv4', '10.0.0.5');
      assert.deepEqual([s?.tags, s?.threatType], [['late', 'later'], null]);
      assert.equal((await ctx.store.sightingsOf('ipv4', '10.0.0.100'))[0]?.confidence, 5);
      assert.deepEqual([(await ctx.store.stats()).indicators, (await ctx.store.feedState('f'))?.listedCount], [297, 297]);
    });

    it('counts new indicators exactly in a first run next to stored ones, repeats and all', async () => {
      await ctx.store.ingest(snapshot('a', T1), ips(100)); // 10.0.0.0 … 10.0.0.99
      const records = ips(300, 50); // 10.0.0.50 … 10.0.1.93: 50 known to a, 250 new
      const key = (i: number): SightingRecord => ip((records[i] as SightingRecord).value);
      records[120] = key(119); // a new one twice in a row
      records[250] = key(130); // a new one again, further on
      records[251] = key(20); // one a knows, twice
      const result = await ctx.store.ingest(snapshot('b', T1), records);
      assert.deepEqual(result, { received: 300, added: 297, updated: 0, unchanged: 0, delisted: 0 });
      // 350 addresses in all, less the three whose records were overwritten
      assert.deepEqual(await ctx.store.stats(), { indicators: 347, sightings: 397, lastIngestAt: T1 });
    });

    it('counts an identical repeat in a later run once', async () => {
      await ctx.store.ingest(snapshot('f', T1), [ip('192.0.2.9', { tags: ['a'] }), ip('192.0.2.10')]);
      const result = await ctx.store.ingest(snapshot('f', T2), [ip('192.0.2.9', { tags: ['a'] }), ip('192.0.2.9', { tags: ['a'] })]);
      assert.deepEqual(result, { received: 2, added: 0, updated: 0, unchanged: 1, delisted: 1 });
    });

    it('counts a repeat that changes an otherwise unchanged sighting as one update', async () => {
      await ctx.store.ingest(incremental('f', T1), [ip('192.0.2.9', { tags: ['a'] })]);
      const result = await ctx.store.ingest(incremental('f', T2), [ip('192.0.2.9', { tags: ['a'] }), ip('192.0.2.9', { tags: ['b'] })]);
      assert.deepEqual(result, { received: 2, added: 0, updated: 1, unchanged: 0, delisted: 0 });
      assert.deepEqual((await ctx.store.sightingsOf('ipv4', '192.0.2.9'))[0]?.tags, ['a', 'b']);
    });

    it('keeps the first first-seen of an undated list and moves last-seen to each run', async () => {
      await ctx.store.ingest(snapshot('f', T1), [ip('192.0.2.1')]);
      await ctx.store.ingest(snapshot('f', T2), [ip('192.0.2.1')]);
      const [s] = await ctx.store.sightingsOf('ipv4', '192.0.2.1');
      assert.deepEqual([s?.firstSeen, s?.lastSeen, s?.updatedAt], [T1, T2, T2]);
    });
  });

  describe('dates come from the source', () => {
    const D1 = '2023-05-01T00:00:00.000Z';
    const D2 = '2023-06-01T00:00:00.000Z';
    const D3 = '2023-07-01T00:00:00.000Z';
    const dated = (first: string | null, last: string | null, extra: Partial<SightingRecord> = {}) =>
      ip('192.0.2.7', { ...(first === null ? {} : { firstSeen: first }), ...(last === null ? {} : { lastSeen: last }), ...extra });
    const seen = async (feed = 'f') => {
      const s = (await ctx.store.sightingsOf('ipv4', '192.0.2.7')).find((x) => x.feedId === feed);
      return [s?.firstSeen, s?.lastSeen, s?.dateSource];
    };

    const cases: { name: string; record: SightingRecord; expect: unknown[] }[] = [
      { name: 'both dates as stated', record: dated(D1, D2), expect: [D1, D2, 'feed'] },
      { name: 'a first seen alone sets both', record: dated(D1, null), expect: [D1, D1, 'feed'] },
      { name: 'a last seen alone sets both (never the run time as first seen)', record: dated(null, D2), expect: [D2, D2, 'feed'] },
      { name: 'a last seen before the first seen is read as the first seen', record: dated(D2, D1), expect: [D2, D2, 'feed'] },
      { name: "a list's header date keeps its source", record: dated(D1, D1, { dateSource: 'file' }), expect: [D1, D1, 'file'] },
      { name: 'no date at all: the fetch time', record: dated(null, null), expect: [T1, T1, 'fetched'] },
    ];
    for (const c of cases) {
      it(`${c.name}`, async () => {
        await ctx.store.ingest(incremental('f', T1), [c.record]);
        assert.deepEqual(await seen(), c.expect);
      });
    }

    it("a run's fallback date (an HTTP Last-Modified) dates only the records that state none", async () => {
      await ctx.store.ingest({ ...snapshot('f', T1), fallbackDate: { at: D3, source: 'http' } }, [dated(null, null), ip('192.0.2.8', { firstSeen: D1 })]);
      assert.deepEqual(await seen(), [D3, D3, 'http']);
      const [other] = await ctx.store.sightingsOf('ipv4', '192.0.2.8');
      assert.deepEqual([other?.firstSeen, other?.lastSeen, other?.dateSource], [D1, D1, 'feed']);
    });

    it('a later report of an earlier first sighting moves first seen back, never forward', async () => {
      await ctx.store.ingest(incremental('f', T1), [dated(D2, D2)]);
      await ctx.store.ingest(incremental('f', T2), [dated(D1, D2)]);
      assert.deepEqual(await seen(), [D1, D2, 'feed']);
      const later = await ctx.store.ingest(incremental('f', T3), [dated(D3, D3)]);
      assert.deepEqual(await seen(), [D1, D3, 'feed'], 'first seen stays; last seen moves on');
      assert.deepEqual([later.updated, later.unchanged], [1, 0], "a feed's own dates moving is a change");
    });

    it('dates a feed does not state move as stamps: a re-run of an undated list is unchanged', async () => {
      await ctx.store.ingest(snapshot('f', T1), [dated(null, null)]);
      const version = await ctx.store.dataVersion();
      const again = await ctx.store.ingest(snapshot('f', T2), [dated(null, null)]);
      assert.deepEqual([again.updated, again.unchanged], [0, 1]);
      assert.deepEqual(await seen(), [T1, T2, 'fetched']);
      assert.equal(await ctx.store.dataVersion(), version);
    });

    it('the same indicator twice in one run keeps the widest dates', async () => {
      await ctx.store.ingest(incremental('f', T1), [dated(D2, D2), dated(D1, D1), dated(D3, null)]);
      assert.deepEqual(await seen(), [D1, D3, 'feed']);
    });

    it('first seen ≤ last seen whatever order the runs come in (property)', async () => {
      const day = fc.integer({ min: 0, max: 400 }).map((d) => new Date(Date.UTC(2023, 0, 1) + d * 86_400_000).toISOString());
      const recordArb = fc.record({ first: fc.option(day, { nil: null }), last: fc.option(day, { nil: null }) });
      await fc.assert(
        fc.asyncProperty(fc.array(recordArb, { minLength: 1, maxLength: 5 }), async (runs) => {
          const { store: s, cleanup: done } = await factory();
          try {
            // each run's record means [first, last] (one date sets both, a last before the first
            // reads as the first, none is the run time); the store keeps the widest span
            let first = Infinity;
            let last = -Infinity;
            for (const [n, r] of runs.entries()) {
              const runAt = new Date(Date.UTC(2026, 0, 1, n)).toISOString();
              await s.ingest(incremental('f', runAt), [dated(r.first, r.last)]);
              const f = Date.parse(r.first ?? r.last ?? runAt);
              const l = r.last === null ? f : Math.max(f, Date.parse(r.last));
              first = Math.min(first, f);
              last = Math.max(last, l);
            }
            const [x] = await s.sightingsOf('ipv4', '192.0.2.7');
            assert.ok(x !== undefined);
            assert.ok(Date.parse(x.firstSeen) <= Date.parse(x.lastSeen), `${x.firstSeen} ≤ ${x.lastSeen}`);
            assert.deepEqual([x.firstSeen, x.lastSeen], [new Date(first).toISOString(), new Date(last).toISOString()]);
          } finally {
            await done();
          }
        }),
        { numRuns: 25 },
      );
    });

    it("a feed's data is as old as its newest date: a snapshot says so, an incremental run only adds newer", async () => {
      await ctx.store.ingest(snapshot('s', T1), [ip('192.0.2.1', { lastSeen: D1 }), ip('192.0.2.2', { lastSeen: D2 })]);
      assert.equal((await ctx.store.feedState('s'))?.dataAsOf, D2);
      await ctx.store.ingest(snapshot('s', T2, 1), [ip('192.0.2.1', { lastSeen: D1 })]);
      assert.equal((await ctx.store.feedState('s'))?.dataAsOf, D1, 'the newest of what the snapshot lists now');
      await ctx.store.ingest(incremental('i', T1), [ip('192.0.2.1', { lastSeen: D3 })]);
      await ctx.store.ingest(incremental('i', T2), [ip('192.0.2.2', { lastSeen: D1 })]);
      assert.equal((await ctx.store.feedState('i'))?.dataAsOf, D3);
      await ctx.store.ingest(snapshot('u', T2), [ip('192.0.2.3')]);
      assert.equal((await ctx.store.feedState('u'))?.dataAsOf, T2, 'an undated list is as old as its fetch');
    });

    it('the same dated record again is unchanged, and a change of date source is a change', async () => {
      await ctx.store.ingest(incremental('f', T1), [dated(D1, D2)]);
      const again = await ctx.store.ingest(incremental('f', T2), [dated(D1, D2)]);
      assert.deepEqual([again.updated, again.unchanged], [0, 1], 'same source, same dates: unchanged');
      const relabelled = await ctx.store.ingest(incremental('f', T3), [dated(D1, D2, { dateSource: 'file' })]);
      assert.deepEqual([relabelled.updated, relabelled.unchanged], [1, 0]);
      assert.deepEqual(await seen(), [D1, D2, 'file']);
    });
  });

  describe('ingest counts and idempotence', () => {
    const records: SightingRecord[] = [
      ip('192.0.2.1', { threatType: 'scanner', tags: ['x'] }),
      { type: 'domain', value: 'evil.example', threatType: 'phishing', firstSeen: '2025-12-01T00:00:00.000Z', lastSeen: '2025-12-02T00:00:00.000Z' },
      { type: 'sha256', value: 'a'.repeat(64), malwareFamily: 'Qakbot', attributes: { size: 12 } },
      { type: 'cidr', value: '198.51.100.0/24', attributes: { sbl: 'SBL1' } },
    ];

    it('re-importing the same data changes nothing but run timestamps', async () => {
      const first = await ctx.store.ingest(snapshot('f', T1), records);
      assert.deepEqual(first, { received: 4, added: 4, updated: 0, unchanged: 0, delisted: 0 });
      const before = await Promise.all(records.map((r) => ctx.store.sightingsOf(r.type, r.value)));
      const version = await ctx.store.dataVersion();
      const second = await ctx.store.ingest(snapshot('f', T2), records);
      assert.deepEqual(second, { received: 4, added: 0, updated: 0, unchanged: 4, delisted: 0 });
      const after = await Promise.all(records.map((r) => ctx.store.sightingsOf(r.type, r.value)));
      const strip = (l: Sighting[][]) => l.flat().map(({ updatedAt: _u, lastSeen: _l, ...rest }) => rest);
      assert.deepEqual(strip(after), strip(before));
      for (const s of after.flat()) assert.equal(s.updatedAt, T2, `${s.value} confirmed by the second run`);
      assert.equal(after[1]?.[0]?.lastSeen, '2025-12-02T00:00:00.000Z', 'a stated last-seen is the feed\'s word, not the run time');
      assert.equal(await ctx.store.dataVersion(), version, 'no change, no new data version');
    });

    it('counts added, updated and unchanged separately', async () => {
      await ctx.store.ingest(incremental('f', T1), [ip('192.0.2.1'), ip('192.0.2.2'), ip('192.0.2.3')]);
      const result = await ctx.store.ingest(incremental('f', T2), [
        ip('192.0.2.1'),
        ip('192.0.2.2', { confidence: 10 }),
        ip('192.0.2.3', { attributes: { port: 443 } }),
        ip('192.0.2.4'),
      ]);
      assert.deepEqual(result, { received: 4, added: 1, updated: 2, unchanged: 1, delisted: 0 });
    });

    it('ingests a large run from an async iterable across many batches', async () => {
      async function* gen(): AsyncGenerator<SightingRecord> {
        yield* ips(20_000);
      }
      const result = await ctx.store.ingest(snapshot('big', T1), gen());
      assert.deepEqual(result, { received: 20_000, added: 20_000, updated: 0, unchanged: 0, delisted: 0 });
      assert.equal((await ctx.store.feedState('big'))?.listedCount, 20_000);
      assert.equal((await ctx.store.sightingsOf('ipv4', '10.0.78.31')).length, 1, 'record 19,999 is there');
    });

    it('takes records offered a batch at a time like the same records one by one', async () => {
      // uneven arrays with repeats across them; a feed with sightings already, and a new one
      const records = [...ips(3_000), ip('10.0.0.7', { tags: ['late'] }), ...ips(500, 2_990), { type: 'domain', value: 'evil.example' } as SightingRecord];
      const parts = [records.slice(0, 1), records.slice(1, 1_000), [], records.slice(1_000, 3_001), records.slice(3_001)];
      let taken = 0;
      const batched: RecordBatches = {
        async *batches() {
          for (const part of parts) {
            taken++;
            yield part;
          }
        },
        async *[Symbol.asyncIterator]() {
          for (const part of parts) yield* part;
        },
      };
      await ctx.store.ingest(snapshot('b', T1), ips(1_000, 2_500));
      const viaBatches = await ctx.store.ingest(snapshot('b', T2), batched);
      assert.ok(taken === 0 || taken === parts.length, 'the batches are taken whole, or not at all');
      const probes = [ip('10.0.0.7'), ip('10.0.11.185'), { type: 'domain', value: 'evil.example' } as SightingRecord];
      // the data version is each store's own counter (PostgreSQL's is time-based)
      const observed = async (s: typeof ctx.store): Promise<unknown> => ({ ...(await observe(s, probes)) as object, version: null });
      const seen = await observed(ctx.store);
      const { store: other, cleanup } = await factory();
      try {
        await other.ingest(snapshot('b', T1), ips(1_000, 2_500));
        assert.deepEqual(await other.ingest(snapshot('b', T2), records), viaBatches);
        assert.deepEqual(await observed(other), seen);
      } finally {
        await cleanup();
      }
      assert.deepEqual(viaBatches, { received: 3_502, added: 2_501, updated: 0, unchanged: 990, delisted: 10 });
    });

    it('accepts an empty run', async () => {
      assert.deepEqual(await ctx.store.ingest(incremental('f', T1), []), { received: 0, added: 0, updated: 0, unchanged: 0, delisted: 0 });
    });
  });

  describe('snapshot and incremental semantics', () => {
    it('a snapshot delists what it no longer lists and keeps its history', async () => {
      await ctx.store.ingest(snapshot('f', T1), [ip('192.0.2.1', { threatType: 'scanner' }), ip('192.0.2.2')]);
      const result = await ctx.store.ingest(snapshot('f', T2), [ip('192.0.2.2')]);
      assert.deepEqual(result, { received: 1, added: 0, updated: 0, unchanged: 1, delisted: 1 });
      const [gone] = await ctx.store.sightingsOf('ipv4', '192.0.2.1');
      assert.ok(gone, 'history kept');
      assert.deepEqual([gone.listed, gone.firstSeen, gone.threatType], [false, T1, 'scanner']);
      assert.equal((await ctx.store.sightingsOf('ipv4', '192.0.2.2'))[0]?.listed, true);
      const state = await ctx.store.feedState('f');
      assert.deepEqual([state?.listedCount, state?.totalCount], [1, 2]);
    });

    it('a snapshot delists across indicator types', async () => {
      const mixed: SightingRecord[] = [ip('192.0.2.1'), { type: 'domain', value: 'a.example' }, { type: 'url', value: 'http://a.example/x' }, { type: 'sha256', value: 'b'.repeat(64) }];
      await ctx.store.ingest(snapshot('f', T1), mixed);
      const result = await ctx.store.ingest(snapshot('f', T2), [mixed[1]!]);
      assert.equal(result.delisted, 3);
      const listed = await Promise.all(mixed.map(async (r) => (await ctx.store.sightingsOf(r.type, r.value))[0]?.listed));
      assert.deepEqual(listed, [false, true, false, false]);
    });

    it('a snapshot only delists its own feed', async () => {
      await ctx.store.ingest(snapshot('a', T1), [ip('192.0.2.1')]);
      await ctx.store.ingest(snapshot('b', T1), [ip('192.0.2.1'), ip('192.0.2.2')]);
      await ctx.store.ingest(snapshot('b', T2), [ip('192.0.2.2')]);
      const byFeed = Object.fromEntries((await ctx.store.sightingsOf('ipv4', '192.0.2.1')).map((s) => [s.feedId, s.listed]));
      assert.deepEqual(byFeed, { a: true, b: false });
    });

    it('a delisted indicator listed again is relisted and counted as updated', async () => {
      await ctx.store.ingest(snapshot('f', T1), [ip('192.0.2.1'), ip('192.0.2.2')]);
      await ctx.store.ingest(snapshot('f', T2), [ip('192.0.2.2')]);
      const result = await ctx.store.ingest(snapshot('f', T3), [ip('192.0.2.1'), ip('192.0.2.2')]);
      assert.deepEqual(result, { received: 2, added: 0, updated: 1, unchanged: 1, delisted: 0 });
      const [s] = await ctx.store.sightingsOf('ipv4', '192.0.2.1');
      assert.deepEqual([s?.listed, s?.firstSeen, s?.updatedAt], [true, T1, T3]);
      assert.equal((await ctx.store.feedState('f'))?.listedCount, 2);
    });

    it('an incremental run adds and updates but never delists', async () => {
      await ctx.store.ingest(incremental('kev', T1), [{ type: 'cve', value: 'CVE-2024-0001' }, { type: 'cve', value: 'CVE-2024-0002' }]);
      const result = await ctx.store.ingest(incremental('kev', T2), [{ type: 'cve', value: 'CVE-2024-0003' }]);
      assert.deepEqual(result, { received: 1, added: 1, updated: 0, unchanged: 0, delisted: 0 });
      for (const v of ['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2024-0003']) {
        assert.equal((await ctx.store.sightingsOf('cve', v))[0]?.listed, true, v);
      }
      assert.equal((await ctx.store.feedState('kev'))?.listedCount, 3);
    });

    const dropCases: { name: string; next: SightingRecord[]; share: number; refused: boolean }[] = [
      { name: 'a drop to zero rows', next: [], share: 0.5, refused: true },
      { name: 'a drop of 3 of 4', next: [ip('10.0.0.0')], share: 0.5, refused: true },
      { name: 'a drop of exactly the allowed share', next: ips(2), share: 0.5, refused: false },
      { name: 'a drop within the share', next: ips(3), share: 0.5, refused: false },
      { name: 'any drop with share 0', next: ips(3), share: 0, refused: true },
    ];
    for (const c of dropCases) {
      it(`suspect drop: ${c.name} is ${c.refused ? 'refused and leaves data unchanged' : 'accepted'}`, async () => {
        await ctx.store.ingest(snapshot('f', T1), ips(4));
        const before = await observe(ctx.store, ips(4));
        const attempt = ctx.store.ingest(snapshot('f', T2, c.share), c.next);
        if (c.refused) {
          await assert.rejects(attempt, (err: unknown) => {
            assert.ok(err instanceof IngestError, 'an IngestError');
            assert.equal(err.failure.kind, 'suspect_drop');
            if (err.failure.kind === 'suspect_drop') assert.deepEqual([err.failure.previous, err.failure.current], [4, c.next.length]);
            assert.match(err.message, /\S/);
            return true;
          });
          assert.deepEqual(await observe(ctx.store, ips(4)), before);
        } else {
          const result = await attempt;
          assert.equal(result.delisted, 4 - c.next.length);
        }
      });
    }

    it('the first run of a feed is never a suspect drop', async () => {
      assert.equal((await ctx.store.ingest(snapshot('f', T1, 0), ips(3))).added, 3);
    });
  });

  describe('against a model', () => {
    // Runs over a small universe of indicators, feeds and field values, each indicator at most
    // once per run (repeats have their own cases above); the store must agree with a plain
    // in-memory model on every count, every listed flag and every stated field.
    const VALUES = ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5', '192.0.2.6'];
    const THREATS: (ThreatType | null)[] = [null, 'scanner', 'botnet_cc'];
    const record = fc.record({
      value: fc.constantFrom(...VALUES),
      threatType: fc.constantFrom(...THREATS),
      tags: fc.subarray(['a', 'b', 'c']),
      confidence: fc.constantFrom(null, 50, 90),
    });
    const runArb = fc.record({
      feedId: fc.constantFrom('f1', 'f2'),
      mode: fc.constantFrom<'snapshot' | 'incremental'>('snapshot', 'incremental'),
      records: fc.uniqueArray(record, { selector: (r) => r.value, maxLength: VALUES.length }),
    });
    type Fields = { threatType: ThreatType | null; tags: string[]; confidence: number | null };
    type Row = Fields & { listed: boolean };

    it('agrees with the model over random sequences of runs', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(runArb, { minLength: 1, maxLength: 6 }), async (runs) => {
          const { store: s, cleanup: done } = await factory();
          try {
            const model = new Map<string, Row>(); // `${feed} ${value}`
            let version = await s.dataVersion();
            for (const [n, r] of runs.entries()) {
              const runAt = new Date(Date.UTC(2026, 0, 1, n)).toISOString();
              const expected = { received: r.records.length, added: 0, updated: 0, unchanged: 0, delisted: 0 };
              const seen = new Set<string>();
              for (const rec of r.records) {
                const key = `${r.feedId} ${rec.value}`;
                seen.add(key);
                const fields: Fields = { threatType: rec.threatType, tags: [...rec.tags].sort(), confidence: rec.confidence };
                const old = model.get(key);
                if (old === undefined) expected.added++;
                else if (old.listed && JSON.stringify([old.threatType, old.tags, old.confidence]) === JSON.stringify([fields.threatType, fields.tags, fields.confidence])) expected.unchanged++;
                else expected.updated++;
                model.set(key, { ...fields, listed: true });
              }
              if (r.mode === 'snapshot') {
                for (const [key, row] of model) {
                  if (key.startsWith(`${r.feedId} `) && row.listed && !seen.has(key)) {
                    row.listed = false;
                    expected.delisted++;
                  }
                }
              }
              const got = await s.ingest({ feedId: r.feedId, mode: r.mode, runAt }, r.records.map((x) => ip(x.value, x)));
              assert.deepEqual(got, expected, `run ${n}`);
              const next = await s.dataVersion();
              if (expected.added + expected.updated + expected.delisted > 0) assert.ok(next > version, `run ${n} changed data`);
              else assert.equal(next, version, `run ${n} changed nothing`);
              version = next;
            }
            for (const value of VALUES) {
              const stored = Object.fromEntries(
                (await s.sightingsOf('ipv4', value)).map((x) => [x.feedId, { threatType: x.threatType, tags: x.tags, confidence: x.confidence, listed: x.listed }]),
              );
              const modelled = Object.fromEntries(['f1', 'f2'].flatMap((f) => (model.has(`${f} ${value}`) ? [[f, model.get(`${f} ${value}`)]] : [])));
              assert.deepEqual(stored, modelled, value);
            }
            const indicators = new Set([...model.keys()].map((k) => k.split(' ')[1])).size;
            const stats = await s.stats();
            assert.deepEqual([stats.sightings, stats.indicators], [model.size, indicators]);
            for (const f of ['f1', 'f2']) {
              const rows = [...model].filter(([k]) => k.startsWith(`${f} `));
              const state = await s.feedState(f);
              if (rows.length > 0) assert.deepEqual([state?.listedCount, state?.totalCount], [rows.filter(([, v]) => v.listed).length, rows.length], f);
            }
          } finally {
            await done();
          }
        }),
        { numRuns: 40 },
      );
    });
  });

  describe('failed runs leave the store exactly as it was', () => {
    it('an iterable that throws mid-run: the error is rethrown and nothing changes', async () => {
      await ctx.store.ingest(snapshot('f', T1), ips(10));
      const probes = [...ips(10), ...ips(10, 100_000)];
      const before = await observe(ctx.store, probes);
      const boom = new Error('parser failed at line 10007');
      const changed = [...ips(5).map((r) => ({ ...r, threatType: 'botnet_cc' as const })), ...ips(10_000, 100_000)];
      await assert.rejects(ctx.store.ingest(snapshot('f', T2), throwingAfter(changed, boom)), (err: unknown) => err === boom);
      assert.deepEqual(await observe(ctx.store, probes), before);
      // and the store still works afterwards
      assert.equal((await ctx.store.ingest(snapshot('f', T3), ips(11))).added, 1);
    });

    const badRecords: { name: string; record: unknown }[] = [
      { name: 'an unknown type', record: { type: 'bogus', value: 'x' } },
      { name: 'an empty value', record: { type: 'ipv4', value: '' } },
      { name: 'a non-string value', record: { type: 'ipv4', value: 42 } },
      { name: 'an unknown threat type', record: { type: 'ipv4', value: '192.0.2.1', threatType: 'evil' } },
      { name: 'a confidence above 100', record: { type: 'ipv4', value: '192.0.2.1', confidence: 101 } },
      { name: 'a bad time', record: { type: 'ipv4', value: '192.0.2.1', firstSeen: 'yesterday' } },
      { name: 'a time without a zone', record: { type: 'ipv4', value: '192.0.2.1', lastSeen: '2026-01-01T00:00:00' } },
      { name: 'tags that are not strings', record: { type: 'ipv4', value: '192.0.2.1', tags: [1] } },
      { name: 'a cidr that is not a range', record: { type: 'cidr', value: 'not-a-range' } },
      { name: 'an unknown date source', record: { type: 'ipv4', value: '192.0.2.1', firstSeen: '2026-01-01T00:00:00Z', dateSource: 'guessed' } },
      { name: 'a NUL in the value', record: { type: 'url', value: 'http://evil.example/a\u0000b' } },
      { name: 'a null record', record: null },
      { name: 'attributes that are not JSON', record: { type: 'ipv4', value: '192.0.2.1', attributes: { big: 1n } } },
    ];
    for (const c of badRecords) {
      it(`a record with ${c.name} aborts the run with a clear IngestError`, async () => {
        await ctx.store.ingest(snapshot('f', T1), ips(3));
        const before = await observe(ctx.store, ips(3));
        const records = [ip('192.0.2.200'), c.record] as SightingRecord[];
        await assert.rejects(ctx.store.ingest(snapshot('f', T2), records), (err: unknown) => {
          assert.ok(err instanceof IngestError);
          assert.equal(err.failure.kind, 'aborted');
          assert.match(err.message, /record 2/);
          return true;
        });
        assert.deepEqual(await observe(ctx.store, ips(3)), before);
        assert.deepEqual(await ctx.store.sightingsOf('ipv4', '192.0.2.200'), []);
      });
    }

    const badOptions: { name: string; options: unknown }[] = [
      { name: 'no feed id', options: { feedId: '', mode: 'snapshot', runAt: T1 } },
      { name: 'an unknown mode', options: { feedId: 'f', mode: 'sometimes', runAt: T1 } },
      { name: 'a bad run time', options: { feedId: 'f', mode: 'snapshot', runAt: 'now' } },
      { name: 'a run time that is not RFC 3339', options: { feedId: 'f', mode: 'snapshot', runAt: 'Thu, 01 Jan 2026 00:00:00 GMT' } },
      { name: 'a share above 1', options: { feedId: 'f', mode: 'snapshot', runAt: T1, maxDropShare: 2 } },
      { name: 'a fallback date that is not a time', options: { feedId: 'f', mode: 'snapshot', runAt: T1, fallbackDate: { at: 'yesterday', source: 'http' } } },
      { name: 'a fallback date of an unknown source', options: { feedId: 'f', mode: 'snapshot', runAt: T1, fallbackDate: { at: T1, source: 'guess' } } },
    ];
    for (const c of badOptions) {
      it(`ingest options with ${c.name} are refused`, async () => {
        await assert.rejects(ctx.store.ingest(c.options as IngestOptions, [ip('192.0.2.1')]), IngestError);
        assert.deepEqual(await ctx.store.sightingsOf('ipv4', '192.0.2.1'), []);
      });
    }

    it('readers do not see a run before it commits', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let yielded!: () => void;
      const started = new Promise<void>((r) => (yielded = r));
      async function* slow(): AsyncGenerator<SightingRecord> {
        yield* ips(5000);
        yielded();
        await gate;
        yield ip('192.0.2.77');
      }
      const pending = ctx.store.ingest(snapshot('f', T1), slow());
      await started;
      assert.deepEqual(await ctx.store.sightingsOf('ipv4', '10.0.0.1'), [], 'uncommitted rows are invisible');
      assert.deepEqual((await ctx.store.stats()).sightings, 0);
      release();
      await pending;
      assert.equal((await ctx.store.sightingsOf('ipv4', '10.0.0.1')).length, 1);
    });

    it('runs issued together are applied one after the other', async () => {
      const results = await Promise.all([
        ctx.store.ingest(incremental('a', T1), ips(3000)),
        ctx.store.ingest(incremental('b', T1), ips(3000)),
        ctx.store.ingest(incremental('a', T2), ips(3001)),
      ]);
      assert.deepEqual(results.map((r) => r.added), [3000, 3000, 1]);
      assert.deepEqual((await ctx.store.stats()).sightings, 6001);
    });
  });
}
