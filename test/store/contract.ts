/**
 * The Store contract: every implementation (SQLite, PostgreSQL) runs this same suite.
 * It speaks only through the Store interface and assumes nothing about the engine.
 *
 *   runStoreContract('sqlite', async () => ({ store, cleanup }))
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { SightingRecord, Sighting, Override, ThreatType } from '../../src/model.ts';
import { IngestError } from '../../src/store/types.ts';
import type { ApiKeyRecord, FeedRunRecord, IngestOptions, Store } from '../../src/store/types.ts';

export type StoreFactory = () => Promise<{ store: Store; cleanup(): Promise<void> }>;

const T1 = '2026-01-01T00:00:00.000Z';
const T2 = '2026-01-02T00:00:00.000Z';
const T3 = '2026-01-03T00:00:00.000Z';

const snapshot = (feedId: string, runAt: string, maxDropShare?: number): IngestOptions =>
  maxDropShare === undefined ? { feedId, mode: 'snapshot', runAt } : { feedId, mode: 'snapshot', runAt, maxDropShare };
const incremental = (feedId: string, runAt: string): IngestOptions => ({ feedId, mode: 'incremental', runAt });
const ip = (value: string, extra: Partial<SightingRecord> = {}): SightingRecord => ({ type: 'ipv4', value, ...extra });
const ips = (n: number, offset = 0): SightingRecord[] =>
  Array.from({ length: n }, (_, i) => ip(`10.${((i + offset) >> 16) & 255}.${((i + offset) >> 8) & 255}.${(i + offset) & 255}`));

async function* throwingAfter(records: SightingRecord[], error: Error): AsyncGenerator<SightingRecord> {
  for (const r of records) yield r;
  throw error;
}

/** Everything observable about one feed's data, for "unchanged" assertions. */
async function observe(store: Store, probes: SightingRecord[]): Promise<unknown> {
  const sightings: Sighting[][] = [];
  for (const p of probes) sightings.push(await store.sightingsOf(p.type, p.value));
  return { sightings, stats: await store.stats(), version: await store.dataVersion(), states: await store.feedStates() };
}

function keyRecord(n: number, extra: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id: `key_${n}`,
    keyPrefix: `sk_live_ab${n}`,
    keyHash: n.toString(16).padStart(64, '0'),
    name: `key ${n}`,
    tier: 'pro',
    scopes: ['read:lookup'],
    createdAt: `2026-01-01T00:00:0${n}.000Z`,
    lastUsedAt: null,
    expiresAt: null,
    revokedAt: null,
    ...extra,
  };
}

function run(feedId: string, startedAt: string, extra: Partial<FeedRunRecord> = {}): FeedRunRecord {
  return {
    feedId,
    startedAt,
    finishedAt: startedAt,
    status: 'success',
    result: { received: 1, added: 1, updated: 0, unchanged: 0, delisted: 0 },
    rejected: 0,
    rejectedSamples: [],
    error: null,
    etag: null,
    lastModified: null,
    ...extra,
  };
}

export function runStoreContract(name: string, factory: StoreFactory): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await factory());
    });
    afterEach(async () => {
      await cleanup();
    });

    describe('lifecycle', () => {
      it('pings and migrates again without harm', async () => {
        await store.ping();
        await store.migrate();
        await store.migrate();
        assert.deepEqual(await store.stats(), { indicators: 0, sightings: 0, lastIngestAt: null });
      });
    });

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
        await store.ingest(incremental('urlhaus', T1), [rec]);
        assert.deepEqual(await store.sightingsOf('url', rec.value), [
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
            listed: true,
            updatedAt: T1,
          },
        ]);
      });

      it('fills defaults from the run time for an undated, bare record', async () => {
        await store.ingest(snapshot('et-compromised', T1), [ip('192.0.2.1')]);
        const [s] = await store.sightingsOf('ipv4', '192.0.2.1');
        assert.ok(s);
        assert.equal(s.firstSeen, T1);
        assert.equal(s.lastSeen, T1);
        assert.deepEqual([s.threatType, s.malwareFamily, s.confidence, s.referenceUrl], [null, null, null, null]);
        assert.deepEqual([s.tags, s.attackIds, s.attributes, s.listed], [[], [], {}, true]);
      });

      it('returns times as RFC 3339 UTC with milliseconds, whatever offset the feed used', async () => {
        await store.ingest(incremental('f', '2026-01-01T02:00:00+02:00'), [
          ip('192.0.2.1', { firstSeen: '2025-12-30T10:00:00Z', lastSeen: '2025-12-31T01:30:00.5+01:00' }),
        ]);
        const [s] = await store.sightingsOf('ipv4', '192.0.2.1');
        assert.deepEqual([s?.firstSeen, s?.lastSeen, s?.updatedAt], ['2025-12-30T10:00:00.000Z', '2025-12-31T00:30:00.500Z', T1]);
        assert.equal((await store.stats()).lastIngestAt, T1);
      });

      it('keeps one sighting per feed and finds none for an unknown value', async () => {
        await store.ingest(snapshot('feed-b', T1), [ip('192.0.2.1', { threatType: 'scanner' })]);
        await store.ingest(snapshot('feed-a', T1), [ip('192.0.2.1', { threatType: 'botnet_cc' })]);
        const got = await store.sightingsOf('ipv4', '192.0.2.1');
        assert.deepEqual(got.map((s) => [s.feedId, s.threatType]).sort(), [['feed-a', 'botnet_cc'], ['feed-b', 'scanner']]);
        assert.deepEqual(await store.sightingsOf('ipv4', '192.0.2.2'), []);
        assert.deepEqual(await store.sightingsOf('domain', '192.0.2.1'), [], 'the type is part of the key');
      });

      it('merges a repeated indicator within one run: last one wins, tags and ATT&CK ids merged, counted once', async () => {
        const result = await store.ingest(incremental('threatfox', T1), [
          ip('192.0.2.9', { threatType: 'scanner', tags: ['a'], attackIds: ['T1046'], confidence: 50 }),
          ip('192.0.2.9', { threatType: 'botnet_cc', tags: ['b'], attackIds: ['T1071'], confidence: 90 }),
        ]);
        assert.deepEqual(result, { received: 2, added: 1, updated: 0, unchanged: 0, delisted: 0 });
        const [s] = await store.sightingsOf('ipv4', '192.0.2.9');
        assert.ok(s);
        assert.deepEqual([s.threatType, s.confidence, s.tags, s.attackIds], ['botnet_cc', 90, ['a', 'b'], ['T1046', 'T1071']]);
      });

      it('merges repeats spread over a long first run of a feed', async () => {
        const records = ips(300);
        records[70] = ip('10.0.0.5', { tags: ['late'], threatType: 'scanner' });
        records[71] = ip('10.0.0.5', { tags: ['later'] });
        records[299] = ip('10.0.0.100', { confidence: 5 });
        const result = await store.ingest(snapshot('f', T1), records);
        assert.deepEqual(result, { received: 300, added: 297, updated: 0, unchanged: 0, delisted: 0 });
        const [s] = await store.sightingsOf('ipv4', '10.0.0.5');
        assert.deepEqual([s?.tags, s?.threatType], [['late', 'later'], null]);
        assert.equal((await store.sightingsOf('ipv4', '10.0.0.100'))[0]?.confidence, 5);
        assert.deepEqual([(await store.stats()).indicators, (await store.feedState('f'))?.listedCount], [297, 297]);
      });

      it('counts an identical repeat in a later run once', async () => {
        await store.ingest(snapshot('f', T1), [ip('192.0.2.9', { tags: ['a'] }), ip('192.0.2.10')]);
        const result = await store.ingest(snapshot('f', T2), [ip('192.0.2.9', { tags: ['a'] }), ip('192.0.2.9', { tags: ['a'] })]);
        assert.deepEqual(result, { received: 2, added: 0, updated: 0, unchanged: 1, delisted: 1 });
      });

      it('counts a repeat that changes an otherwise unchanged sighting as one update', async () => {
        await store.ingest(incremental('f', T1), [ip('192.0.2.9', { tags: ['a'] })]);
        const result = await store.ingest(incremental('f', T2), [ip('192.0.2.9', { tags: ['a'] }), ip('192.0.2.9', { tags: ['b'] })]);
        assert.deepEqual(result, { received: 2, added: 0, updated: 1, unchanged: 0, delisted: 0 });
        assert.deepEqual((await store.sightingsOf('ipv4', '192.0.2.9'))[0]?.tags, ['a', 'b']);
      });

      it('keeps the first first-seen of an undated list and moves last-seen to each run', async () => {
        await store.ingest(snapshot('f', T1), [ip('192.0.2.1')]);
        await store.ingest(snapshot('f', T2), [ip('192.0.2.1')]);
        const [s] = await store.sightingsOf('ipv4', '192.0.2.1');
        assert.deepEqual([s?.firstSeen, s?.lastSeen, s?.updatedAt], [T1, T2, T2]);
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
        const first = await store.ingest(snapshot('f', T1), records);
        assert.deepEqual(first, { received: 4, added: 4, updated: 0, unchanged: 0, delisted: 0 });
        const before = await Promise.all(records.map((r) => store.sightingsOf(r.type, r.value)));
        const version = await store.dataVersion();
        const second = await store.ingest(snapshot('f', T2), records);
        assert.deepEqual(second, { received: 4, added: 0, updated: 0, unchanged: 4, delisted: 0 });
        const after = await Promise.all(records.map((r) => store.sightingsOf(r.type, r.value)));
        const strip = (l: Sighting[][]) => l.flat().map(({ updatedAt: _u, lastSeen: _l, ...rest }) => rest);
        assert.deepEqual(strip(after), strip(before));
        for (const s of after.flat()) assert.equal(s.updatedAt, T2, `${s.value} confirmed by the second run`);
        assert.equal(after[1]?.[0]?.lastSeen, '2025-12-02T00:00:00.000Z', 'a stated last-seen is the feed\'s word, not the run time');
        assert.equal(await store.dataVersion(), version, 'no change, no new data version');
      });

      it('counts added, updated and unchanged separately', async () => {
        await store.ingest(incremental('f', T1), [ip('192.0.2.1'), ip('192.0.2.2'), ip('192.0.2.3')]);
        const result = await store.ingest(incremental('f', T2), [
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
        const result = await store.ingest(snapshot('big', T1), gen());
        assert.deepEqual(result, { received: 20_000, added: 20_000, updated: 0, unchanged: 0, delisted: 0 });
        assert.equal((await store.feedState('big'))?.listedCount, 20_000);
        assert.equal((await store.sightingsOf('ipv4', '10.0.78.31')).length, 1, 'record 19,999 is there');
      });

      it('accepts an empty run', async () => {
        assert.deepEqual(await store.ingest(incremental('f', T1), []), { received: 0, added: 0, updated: 0, unchanged: 0, delisted: 0 });
      });
    });

    describe('snapshot and incremental semantics', () => {
      it('a snapshot delists what it no longer lists and keeps its history', async () => {
        await store.ingest(snapshot('f', T1), [ip('192.0.2.1', { threatType: 'scanner' }), ip('192.0.2.2')]);
        const result = await store.ingest(snapshot('f', T2), [ip('192.0.2.2')]);
        assert.deepEqual(result, { received: 1, added: 0, updated: 0, unchanged: 1, delisted: 1 });
        const [gone] = await store.sightingsOf('ipv4', '192.0.2.1');
        assert.ok(gone, 'history kept');
        assert.deepEqual([gone.listed, gone.firstSeen, gone.threatType], [false, T1, 'scanner']);
        assert.equal((await store.sightingsOf('ipv4', '192.0.2.2'))[0]?.listed, true);
        const state = await store.feedState('f');
        assert.deepEqual([state?.listedCount, state?.totalCount], [1, 2]);
      });

      it('a snapshot delists across indicator types', async () => {
        const mixed: SightingRecord[] = [ip('192.0.2.1'), { type: 'domain', value: 'a.example' }, { type: 'url', value: 'http://a.example/x' }, { type: 'sha256', value: 'b'.repeat(64) }];
        await store.ingest(snapshot('f', T1), mixed);
        const result = await store.ingest(snapshot('f', T2), [mixed[1]!]);
        assert.equal(result.delisted, 3);
        const listed = await Promise.all(mixed.map(async (r) => (await store.sightingsOf(r.type, r.value))[0]?.listed));
        assert.deepEqual(listed, [false, true, false, false]);
      });

      it('a snapshot only delists its own feed', async () => {
        await store.ingest(snapshot('a', T1), [ip('192.0.2.1')]);
        await store.ingest(snapshot('b', T1), [ip('192.0.2.1'), ip('192.0.2.2')]);
        await store.ingest(snapshot('b', T2), [ip('192.0.2.2')]);
        const byFeed = Object.fromEntries((await store.sightingsOf('ipv4', '192.0.2.1')).map((s) => [s.feedId, s.listed]));
        assert.deepEqual(byFeed, { a: true, b: false });
      });

      it('a delisted indicator listed again is relisted and counted as updated', async () => {
        await store.ingest(snapshot('f', T1), [ip('192.0.2.1'), ip('192.0.2.2')]);
        await store.ingest(snapshot('f', T2), [ip('192.0.2.2')]);
        const result = await store.ingest(snapshot('f', T3), [ip('192.0.2.1'), ip('192.0.2.2')]);
        assert.deepEqual(result, { received: 2, added: 0, updated: 1, unchanged: 1, delisted: 0 });
        const [s] = await store.sightingsOf('ipv4', '192.0.2.1');
        assert.deepEqual([s?.listed, s?.firstSeen, s?.updatedAt], [true, T1, T3]);
        assert.equal((await store.feedState('f'))?.listedCount, 2);
      });

      it('an incremental run adds and updates but never delists', async () => {
        await store.ingest(incremental('kev', T1), [{ type: 'cve', value: 'CVE-2024-0001' }, { type: 'cve', value: 'CVE-2024-0002' }]);
        const result = await store.ingest(incremental('kev', T2), [{ type: 'cve', value: 'CVE-2024-0003' }]);
        assert.deepEqual(result, { received: 1, added: 1, updated: 0, unchanged: 0, delisted: 0 });
        for (const v of ['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2024-0003']) {
          assert.equal((await store.sightingsOf('cve', v))[0]?.listed, true, v);
        }
        assert.equal((await store.feedState('kev'))?.listedCount, 3);
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
          await store.ingest(snapshot('f', T1), ips(4));
          const before = await observe(store, ips(4));
          const attempt = store.ingest(snapshot('f', T2, c.share), c.next);
          if (c.refused) {
            await assert.rejects(attempt, (err: unknown) => {
              assert.ok(err instanceof IngestError, 'an IngestError');
              assert.equal(err.failure.kind, 'suspect_drop');
              if (err.failure.kind === 'suspect_drop') assert.deepEqual([err.failure.previous, err.failure.current], [4, c.next.length]);
              assert.match(err.message, /\S/);
              return true;
            });
            assert.deepEqual(await observe(store, ips(4)), before);
          } else {
            const result = await attempt;
            assert.equal(result.delisted, 4 - c.next.length);
          }
        });
      }

      it('the first run of a feed is never a suspect drop', async () => {
        assert.equal((await store.ingest(snapshot('f', T1, 0), ips(3))).added, 3);
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
        await store.ingest(snapshot('f', T1), ips(10));
        const probes = [...ips(10), ...ips(10, 100_000)];
        const before = await observe(store, probes);
        const boom = new Error('parser failed at line 10007');
        const changed = [...ips(5).map((r) => ({ ...r, threatType: 'botnet_cc' as const })), ...ips(10_000, 100_000)];
        await assert.rejects(store.ingest(snapshot('f', T2), throwingAfter(changed, boom)), (err: unknown) => err === boom);
        assert.deepEqual(await observe(store, probes), before);
        // and the store still works afterwards
        assert.equal((await store.ingest(snapshot('f', T3), ips(11))).added, 1);
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
        { name: 'a null record', record: null },
        { name: 'attributes that are not JSON', record: { type: 'ipv4', value: '192.0.2.1', attributes: { big: 1n } } },
      ];
      for (const c of badRecords) {
        it(`a record with ${c.name} aborts the run with a clear IngestError`, async () => {
          await store.ingest(snapshot('f', T1), ips(3));
          const before = await observe(store, ips(3));
          const records = [ip('192.0.2.200'), c.record] as SightingRecord[];
          await assert.rejects(store.ingest(snapshot('f', T2), records), (err: unknown) => {
            assert.ok(err instanceof IngestError);
            assert.equal(err.failure.kind, 'aborted');
            assert.match(err.message, /record 2/);
            return true;
          });
          assert.deepEqual(await observe(store, ips(3)), before);
          assert.deepEqual(await store.sightingsOf('ipv4', '192.0.2.200'), []);
        });
      }

      const badOptions: { name: string; options: unknown }[] = [
        { name: 'no feed id', options: { feedId: '', mode: 'snapshot', runAt: T1 } },
        { name: 'an unknown mode', options: { feedId: 'f', mode: 'sometimes', runAt: T1 } },
        { name: 'a bad run time', options: { feedId: 'f', mode: 'snapshot', runAt: 'now' } },
        { name: 'a run time that is not RFC 3339', options: { feedId: 'f', mode: 'snapshot', runAt: 'Thu, 01 Jan 2026 00:00:00 GMT' } },
        { name: 'a share above 1', options: { feedId: 'f', mode: 'snapshot', runAt: T1, maxDropShare: 2 } },
      ];
      for (const c of badOptions) {
        it(`ingest options with ${c.name} are refused`, async () => {
          await assert.rejects(store.ingest(c.options as IngestOptions, [ip('192.0.2.1')]), IngestError);
          assert.deepEqual(await store.sightingsOf('ipv4', '192.0.2.1'), []);
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
        const pending = store.ingest(snapshot('f', T1), slow());
        await started;
        assert.deepEqual(await store.sightingsOf('ipv4', '10.0.0.1'), [], 'uncommitted rows are invisible');
        assert.deepEqual((await store.stats()).sightings, 0);
        release();
        await pending;
        assert.equal((await store.sightingsOf('ipv4', '10.0.0.1')).length, 1);
      });

      it('runs issued together are applied one after the other', async () => {
        const results = await Promise.all([
          store.ingest(incremental('a', T1), ips(3000)),
          store.ingest(incremental('b', T1), ips(3000)),
          store.ingest(incremental('a', T2), ips(3001)),
        ]);
        assert.deepEqual(results.map((r) => r.added), [3000, 3000, 1]);
        assert.deepEqual((await store.stats()).sightings, 6001);
      });
    });

    describe('CIDR ranges', () => {
      const ranges: SightingRecord[] = [
        { type: 'cidr', value: '192.0.2.0/24', threatType: 'hijacked_range' },
        { type: 'cidr', value: '198.51.100.7/32' },
        { type: 'cidr', value: '203.0.0.0/8' },
        { type: 'cidr', value: '2001:db8::/32' },
        { type: 'cidr', value: '2001:db8:1::1/128' },
      ];
      const cases: { ip: string; expect: string[] }[] = [
        { ip: '192.0.2.0', expect: ['192.0.2.0/24'] },
        { ip: '192.0.2.255', expect: ['192.0.2.0/24'] },
        { ip: '192.0.3.0', expect: [] },
        { ip: '192.0.1.255', expect: [] },
        { ip: '198.51.100.7', expect: ['198.51.100.7/32'] },
        { ip: '198.51.100.8', expect: [] },
        { ip: '198.51.100.6', expect: [] },
        { ip: '203.255.255.255', expect: ['203.0.0.0/8'] },
        { ip: '204.0.0.0', expect: [] },
        { ip: '2001:db8::', expect: ['2001:db8::/32'] },
        { ip: '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', expect: ['2001:db8::/32'] },
        { ip: '2001:db9::', expect: [] },
        { ip: '2001:db8:1::1', expect: ['2001:db8::/32', '2001:db8:1::1/128'] },
        { ip: '2001:db8:1::2', expect: ['2001:db8::/32'] },
      ];
      for (const c of cases) {
        it(`${c.ip} is in ${c.expect.length === 0 ? 'no range' : c.expect.join(' and ')}`, async () => {
          await store.ingest(snapshot('spamhaus-drop', T1), ranges);
          const got = await store.rangesContaining(c.ip);
          assert.deepEqual(got.map((s) => s.value).sort(), [...c.expect].sort());
          for (const s of got) assert.deepEqual([s.type, s.feedId], ['cidr', 'spamhaus-drop']);
        });
      }

      it('/0 matches its own family only', async () => {
        await store.ingest(snapshot('any', T1), [{ type: 'cidr', value: '0.0.0.0/0' }, { type: 'cidr', value: '::/0' }]);
        assert.deepEqual((await store.rangesContaining('8.8.8.8')).map((s) => s.value), ['0.0.0.0/0']);
        assert.deepEqual((await store.rangesContaining('2606:4700::1111')).map((s) => s.value), ['::/0']);
        assert.deepEqual((await store.rangesContaining('0.0.0.0')).map((s) => s.value), ['0.0.0.0/0']);
      });

      it('returns every feed that lists a range, delisted ones marked', async () => {
        await store.ingest(snapshot('a', T1), [ranges[0]!]);
        await store.ingest(snapshot('b', T1), [ranges[0]!, ranges[2]!]);
        await store.ingest(snapshot('b', T2), [ranges[2]!]);
        const got = await store.rangesContaining('192.0.2.10');
        assert.deepEqual(got.map((s) => [s.feedId, s.listed]).sort(), [['a', true], ['b', false]]);
      });

      it('finds a range among many', async () => {
        const many: SightingRecord[] = [];
        for (let i = 0; i < 2000; i++) many.push({ type: 'cidr', value: `${10 + (i >> 8)}.${i & 255}.0.0/16` });
        await store.ingest(snapshot('many', T1), many);
        assert.deepEqual((await store.rangesContaining('12.34.5.6')).map((s) => s.value), ['12.34.0.0/16']);
        assert.deepEqual(await store.rangesContaining('200.1.2.3'), []);
      });

      it('refuses something that is not an IP address', async () => {
        await assert.rejects(store.rangesContaining('not-an-ip'), /not an IP address/);
      });
    });

    describe('purge', () => {
      it('removes everything one feed reported and nothing else', async () => {
        await store.ingest(snapshot('a', T1), [ip('192.0.2.1'), { type: 'cidr', value: '192.0.2.0/24' }]);
        await store.ingest(snapshot('b', T1), [ip('192.0.2.1'), ip('192.0.2.2')]);
        const version = await store.dataVersion();
        assert.equal(await store.purgeFeed('a'), 2);
        assert.deepEqual((await store.sightingsOf('ipv4', '192.0.2.1')).map((s) => s.feedId), ['b']);
        assert.deepEqual(await store.rangesContaining('192.0.2.9'), []);
        assert.deepEqual((await store.stats()).sightings, 2);
        assert.deepEqual((await store.stats()).indicators, 2);
        assert.ok((await store.dataVersion()) > version);
        assert.equal(await store.purgeFeed('a'), 0);
      });
    });

    describe('data version and stats', () => {
      it('moves on each change and only then', async () => {
        const v0 = await store.dataVersion();
        await store.ingest(snapshot('f', T1), [ip('192.0.2.1')]);
        const v1 = await store.dataVersion();
        assert.ok(v1 > v0, 'an ingest that adds');
        await store.ingest(snapshot('f', T2), [ip('192.0.2.1')]);
        assert.equal(await store.dataVersion(), v1, 'a no-op re-import');
        await store.ingest(snapshot('f', T3), [ip('192.0.2.1', { threatType: 'scanner' })]);
        const v2 = await store.dataVersion();
        assert.ok(v2 > v1, 'an ingest that updates');
        await assert.rejects(store.ingest(snapshot('f', T3), throwingAfter([ip('192.0.2.5')], new Error('x'))));
        assert.equal(await store.dataVersion(), v2, 'a failed run');
        await store.overrides.put({ type: 'ipv4', value: '192.0.2.1', verdict: 'allow', reason: 'ours', createdAt: T1, createdBy: null });
        const v3 = await store.dataVersion();
        assert.ok(v3 > v2, 'an override');
        await store.overrides.delete('ipv4', '192.0.2.1');
        assert.ok((await store.dataVersion()) > v3, 'an override removed');
      });

      it('counts distinct indicators when a new feed repeats itself and overlaps others', async () => {
        await store.ingest(snapshot('a', T1), ips(100)); // 10.0.0.0 … 10.0.0.99
        // indexes 50 … 349 (50 known to a, 250 new) with two repeats of earlier records in the middle:
        // one known to a (10.0.0.60 = index 60), one new (10.0.0.150), and one new indicator twice
        // in a row (10.0.1.100), all at positions 200–203
        const b = [...ips(200, 50), ip('10.0.0.60'), ip('10.0.0.150'), ip('10.0.1.100'), ip('10.0.1.100'), ...ips(100, 250)];
        await store.ingest(snapshot('b', T2), b);
        assert.deepEqual(await store.stats(), { indicators: 351, sightings: 401, lastIngestAt: T2 });
      });

      it('counts distinct indicators after a large first run of a feed in a populated store', async () => {
        await store.ingest(snapshot('a', T1), ips(10_000));
        const b = [...ips(70_000, 5_000), ip('10.0.19.136'), ip('10.1.0.0')]; // 5,000 known to a; two late repeats (indexes 5,000 and 65,536)
        await store.ingest(snapshot('b', T2), b);
        assert.deepEqual(await store.stats(), { indicators: 75_000, sightings: 80_000, lastIngestAt: T2 });
      });

      it('counts distinct indicators, sightings and the last ingest time', async () => {
        await store.ingest(snapshot('a', T1), [ip('192.0.2.1'), ip('192.0.2.2')]);
        await store.ingest(snapshot('b', T2), [ip('192.0.2.1'), { type: 'domain', value: 'evil.example' }]);
        assert.deepEqual(await store.stats(), { indicators: 3, sightings: 4, lastIngestAt: T2 });
        await store.ingest(incremental('b', T3), [ip('192.0.2.2'), ip('192.0.2.3')]);
        assert.deepEqual(await store.stats(), { indicators: 4, sightings: 6, lastIngestAt: T3 }, 'a later run adding one known and one new indicator');
        await store.ingest(snapshot('a', T3), [ip('192.0.2.1')]);
        assert.deepEqual((await store.stats()).sightings, 6, 'delisted sightings are kept and counted');
      });
    });

    describe('API keys', () => {
      it('creates, finds by hash and id, lists and counts', async () => {
        await store.keys.create(keyRecord(1, { scopes: ['admin', 'read:lookup'], tier: 'enterprise', expiresAt: T3 }));
        await store.keys.create(keyRecord(2));
        assert.equal(await store.keys.count(), 2);
        assert.deepEqual(await store.keys.findByHash(keyRecord(1).keyHash), keyRecord(1, { scopes: ['admin', 'read:lookup'], tier: 'enterprise', expiresAt: T3 }));
        assert.deepEqual(await store.keys.get('key_2'), keyRecord(2));
        assert.deepEqual((await store.keys.list()).map((k) => k.id), ['key_1', 'key_2']);
        assert.equal(await store.keys.findByHash('f'.repeat(64)), null);
        assert.equal(await store.keys.get('nope'), null);
      });

      it('refuses a second key with the same id or hash', async () => {
        await store.keys.create(keyRecord(1));
        await assert.rejects(store.keys.create(keyRecord(1, { keyHash: 'e'.repeat(64) })));
        await assert.rejects(store.keys.create(keyRecord(1, { id: 'other' })));
        assert.equal(await store.keys.count(), 1);
      });

      it('refuses a malformed key record', async () => {
        await assert.rejects(store.keys.create({ ...keyRecord(1), tier: 'gold' as 'pro' }), /tier/);
        await assert.rejects(store.keys.create({ ...keyRecord(1), scopes: ['root' as 'admin'] }), /scopes/);
        assert.equal(await store.keys.count(), 0);
      });

      it('revokes once', async () => {
        await store.keys.create(keyRecord(1));
        assert.equal(await store.keys.revoke('key_1', T2), true);
        assert.equal((await store.keys.get('key_1'))?.revokedAt, T2);
        assert.equal(await store.keys.revoke('key_1', T3), false, 'already revoked');
        assert.equal((await store.keys.get('key_1'))?.revokedAt, T2);
        assert.equal(await store.keys.revoke('missing', T3), false);
      });

      it('records the last use', async () => {
        await store.keys.create(keyRecord(1));
        await store.keys.touch('key_1', T2);
        assert.equal((await store.keys.get('key_1'))?.lastUsedAt, T2);
      });
    });

    describe('overrides', () => {
      const allow: Override = { type: 'domain', value: 'intranet.example', verdict: 'allow', reason: 'ours', createdAt: T1, createdBy: 'key_1' };
      it('puts, gets, replaces, lists and deletes', async () => {
        await store.overrides.put(allow);
        assert.deepEqual(await store.overrides.get('domain', 'intranet.example'), allow);
        const deny: Override = { ...allow, verdict: 'deny', reason: 'compromised', createdAt: T2, createdBy: null };
        await store.overrides.put(deny);
        await store.overrides.put({ ...allow, type: 'ipv4', value: '192.0.2.1' });
        assert.deepEqual(await store.overrides.get('domain', 'intranet.example'), deny);
        assert.deepEqual((await store.overrides.list()).map((o) => `${o.type}:${o.value}`).sort(), ['domain:intranet.example', 'ipv4:192.0.2.1']);
        assert.equal(await store.overrides.delete('domain', 'intranet.example'), true);
        assert.equal(await store.overrides.delete('domain', 'intranet.example'), false);
        assert.equal(await store.overrides.get('domain', 'intranet.example'), null);
      });

      it('refuses a malformed override', async () => {
        await assert.rejects(store.overrides.put({ ...allow, verdict: 'maybe' as 'allow' }), /verdict/);
        await assert.rejects(store.overrides.put({ ...allow, type: 'cidr' as 'ipv4' }), /type/);
        assert.deepEqual(await store.overrides.list(), []);
      });
    });

    describe('feed runs and states', () => {
      it('knows nothing of a feed that never ran', async () => {
        assert.equal(await store.feedState('nope'), null);
        assert.deepEqual(await store.feedStates(), []);
      });

      it('keeps the last run, success and error, and conditional-GET validators', async () => {
        await store.recordFeedRun(run('f', T1, { etag: '"v1"', lastModified: 'Thu, 01 Jan 2026 00:00:00 GMT' }));
        await store.recordFeedRun(run('f', T2, { status: 'failure', error: 'HTTP 500', result: null }));
        let s = await store.feedState('f');
        assert.deepEqual(
          [s?.lastSuccessAt, s?.lastErrorAt, s?.lastError, s?.etag, s?.lastModified, s?.lastRun?.status],
          [T1, T2, 'HTTP 500', '"v1"', 'Thu, 01 Jan 2026 00:00:00 GMT', 'failure'],
        );
        await store.recordFeedRun(run('f', T3, { status: 'not_modified', result: null }));
        s = await store.feedState('f');
        assert.deepEqual([s?.lastSuccessAt, s?.etag, s?.lastError], [T3, '"v1"', 'HTTP 500'], 'a 304 keeps the validators');
      });

      it('replaces a running record by its final one', async () => {
        await store.recordFeedRun(run('f', T1, { status: 'running', finishedAt: null, result: null }));
        assert.equal((await store.feedState('f'))?.lastRun?.status, 'running');
        const done = run('f', T1, { finishedAt: T2, rejected: 2, rejectedSamples: ['line 3: bad', 'line 9: bad'] });
        await store.recordFeedRun(done);
        const s = await store.feedState('f');
        assert.deepEqual(s?.lastRun, done);
        assert.equal(s?.lastSuccessAt, T2);
      });

      it('counts listed and total sightings per feed', async () => {
        await store.ingest(snapshot('a', T1), ips(5));
        await store.ingest(snapshot('a', T2), ips(3));
        await store.ingest(incremental('b', T1), ips(2));
        await store.recordFeedRun(run('a', T2));
        const states = Object.fromEntries((await store.feedStates()).map((s) => [s.feedId, [s.listedCount, s.totalCount]]));
        assert.deepEqual(states, { a: [3, 5], b: [2, 2] });
      });

      it('refuses a malformed run record', async () => {
        await assert.rejects(store.recordFeedRun({ ...run('f', T1), status: 'done' as 'success' }), /status/);
        assert.equal(await store.feedState('f'), null);
      });
    });
  });
}
