/** Contract cases for what is not ingest: ranges, purge, data version and stats, keys, overrides, feed runs. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SightingRecord, Override } from '../../../src/model.ts';
import { T1, T2, T3, snapshot, incremental, ip, ips, throwingAfter, keyRecord, run } from './helpers.ts';
import type { StoreContext } from './helpers.ts';

export function recordsContract(ctx: StoreContext): void {
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
        await ctx.store.ingest(snapshot('spamhaus-drop', T1), ranges);
        const got = await ctx.store.rangesContaining(c.ip);
        assert.deepEqual(got.map((s) => s.value).sort(), [...c.expect].sort());
        for (const s of got) assert.deepEqual([s.type, s.feedId], ['cidr', 'spamhaus-drop']);
      });
    }

    it('/0 matches its own family only', async () => {
      await ctx.store.ingest(snapshot('any', T1), [{ type: 'cidr', value: '0.0.0.0/0' }, { type: 'cidr', value: '::/0' }]);
      assert.deepEqual((await ctx.store.rangesContaining('8.8.8.8')).map((s) => s.value), ['0.0.0.0/0']);
      assert.deepEqual((await ctx.store.rangesContaining('2606:4700::1111')).map((s) => s.value), ['::/0']);
      assert.deepEqual((await ctx.store.rangesContaining('0.0.0.0')).map((s) => s.value), ['0.0.0.0/0']);
    });

    it('returns every feed that lists a range, delisted ones marked', async () => {
      await ctx.store.ingest(snapshot('a', T1), [ranges[0]!]);
      await ctx.store.ingest(snapshot('b', T1), [ranges[0]!, ranges[2]!]);
      await ctx.store.ingest(snapshot('b', T2), [ranges[2]!]);
      const got = await ctx.store.rangesContaining('192.0.2.10');
      assert.deepEqual(got.map((s) => [s.feedId, s.listed]).sort(), [['a', true], ['b', false]]);
    });

    it('finds a range among many', async () => {
      const many: SightingRecord[] = [];
      for (let i = 0; i < 2000; i++) many.push({ type: 'cidr', value: `${10 + (i >> 8)}.${i & 255}.0.0/16` });
      await ctx.store.ingest(snapshot('many', T1), many);
      assert.deepEqual((await ctx.store.rangesContaining('12.34.5.6')).map((s) => s.value), ['12.34.0.0/16']);
      assert.deepEqual(await ctx.store.rangesContaining('200.1.2.3'), []);
    });

    it('refuses something that is not an IP address', async () => {
      await assert.rejects(ctx.store.rangesContaining('not-an-ip'), /not an IP address/);
    });
  });

  describe('purge', () => {
    it('removes everything one feed reported and nothing else', async () => {
      await ctx.store.ingest(snapshot('a', T1), [ip('192.0.2.1'), { type: 'cidr', value: '192.0.2.0/24' }]);
      await ctx.store.ingest(snapshot('b', T1), [ip('192.0.2.1'), ip('192.0.2.2')]);
      const version = await ctx.store.dataVersion();
      assert.equal(await ctx.store.purgeFeed('a'), 2);
      assert.deepEqual((await ctx.store.sightingsOf('ipv4', '192.0.2.1')).map((s) => s.feedId), ['b']);
      assert.deepEqual(await ctx.store.rangesContaining('192.0.2.9'), []);
      assert.deepEqual((await ctx.store.stats()).sightings, 2);
      assert.deepEqual((await ctx.store.stats()).indicators, 2);
      assert.ok((await ctx.store.dataVersion()) > version);
      assert.equal(await ctx.store.purgeFeed('a'), 0);
    });

    it('forgets how far the feed was read, so its next run fetches it whole', async () => {
      await ctx.store.ingest(snapshot('a', T1), [ip('192.0.2.1', { lastSeen: T1 })]);
      await ctx.store.recordFeedRun(run('a', T1, { etag: '"v1"', lastModified: 'Thu, 01 Jan 2026 00:00:00 GMT', cursor: '1700000000 0123' }));
      await ctx.store.purgeFeed('a');
      const state = await ctx.store.feedState('a');
      assert.deepEqual(
        [state?.etag, state?.lastModified, state?.lastSuccessAt, state?.lastRun?.cursor, state?.dataAsOf, state?.listedCount, state?.totalCount],
        [null, null, null, undefined, null, 0, 0],
      );
      assert.equal(state?.lastRun?.status, 'success', 'the run history stays');
    });
  });

  describe('retention of delisted sightings', () => {
    it('removes only what a snapshot no longer lists and last saw before the cutoff', async () => {
      // a: lists .1 .2 and a range on T1, then only .2 on T2 (.1 and the range delisted, last seen T1)
      await ctx.store.ingest(snapshot('a', T1), [ip('192.0.2.1'), ip('192.0.2.2'), { type: 'cidr', value: '198.51.100.0/24' }]);
      await ctx.store.ingest(snapshot('a', T2), [ip('192.0.2.2')]);
      // b still lists .1; c delisted .3 on T3 (last seen T2: after the cutoff below)
      await ctx.store.ingest(snapshot('b', T1), [ip('192.0.2.1')]);
      await ctx.store.ingest(snapshot('c', T2), [ip('192.0.2.3'), ip('192.0.2.4')]);
      await ctx.store.ingest(snapshot('c', T3), [ip('192.0.2.4')]);
      // an incremental feed never delists, however old its data
      await ctx.store.ingest(incremental('k', T1), [ip('192.0.2.9')]);
      const version = await ctx.store.dataVersion();
      const before = await ctx.store.stats();
      assert.deepEqual(before, { ...before, indicators: 6, sightings: 7 });

      const r = await ctx.store.pruneDelisted('2026-01-01T12:00:00Z');
      assert.deepEqual(r, { removed: 2, byFeed: { a: 2 } });
      assert.deepEqual((await ctx.store.sightingsOf('ipv4', '192.0.2.1')).map((s) => s.feedId), ['b'], 'the listed sighting of another feed stays');
      assert.deepEqual((await ctx.store.sightingsOf('ipv4', '192.0.2.2')).map((s) => [s.feedId, s.listed]), [['a', true]]);
      assert.deepEqual((await ctx.store.sightingsOf('ipv4', '192.0.2.3')).map((s) => [s.feedId, s.listed]), [['c', false]], 'delisted, but seen after the cutoff');
      assert.equal((await ctx.store.sightingsOf('ipv4', '192.0.2.9')).length, 1);
      assert.deepEqual(await ctx.store.rangesContaining('198.51.100.7'), [], 'a pruned range no longer matches');
      const after = await ctx.store.stats();
      assert.equal(after.sightings, 5);
      assert.equal(after.indicators, 5, 'the range had no other sighting; .1 still has b');
      assert.ok((await ctx.store.dataVersion()) > version, 'cached lookups must not serve what was pruned');
      const a = await ctx.store.feedState('a');
      assert.deepEqual([a?.listedCount, a?.totalCount], [1, 1]);

      // again with the same cutoff: nothing left to do, nothing moves
      const v2 = await ctx.store.dataVersion();
      assert.deepEqual(await ctx.store.pruneDelisted('2026-01-01T12:00:00Z'), { removed: 0, byFeed: {} });
      assert.equal(await ctx.store.dataVersion(), v2);
      // a later cutoff takes c's delisted .3 as well
      assert.deepEqual(await ctx.store.pruneDelisted(T3), { removed: 1, byFeed: { c: 1 } });
      const c = await ctx.store.feedState('c');
      assert.deepEqual([c?.listedCount, c?.totalCount], [1, 1]);
    });

    it('a feed that lists a pruned indicator again gets it back as new', async () => {
      await ctx.store.ingest(snapshot('a', T1), [ip('192.0.2.1'), ip('192.0.2.2')]);
      await ctx.store.ingest(snapshot('a', T2), [ip('192.0.2.2')]);
      await ctx.store.pruneDelisted(T2);
      const res = await ctx.store.ingest(snapshot('a', T3), [ip('192.0.2.1'), ip('192.0.2.2')]);
      assert.deepEqual([res.added, res.unchanged, res.delisted], [1, 1, 0]);
      const [s] = await ctx.store.sightingsOf('ipv4', '192.0.2.1');
      assert.deepEqual([s?.firstSeen, s?.listed], [T3, true]);
      assert.deepEqual((await ctx.store.stats()).sightings, 2);
    });

    it('refuses a cutoff that is not an RFC 3339 time', async () => {
      await assert.rejects(ctx.store.pruneDelisted('yesterday'), /pruneDelisted: before must be an RFC 3339 time/);
    });
  });

  describe('data version and stats', () => {
    it('moves on each change and only then', async () => {
      const v0 = await ctx.store.dataVersion();
      await ctx.store.ingest(snapshot('f', T1), [ip('192.0.2.1')]);
      const v1 = await ctx.store.dataVersion();
      assert.ok(v1 > v0, 'an ingest that adds');
      await ctx.store.ingest(snapshot('f', T2), [ip('192.0.2.1')]);
      assert.equal(await ctx.store.dataVersion(), v1, 'a no-op re-import');
      await ctx.store.ingest(snapshot('f', T3), [ip('192.0.2.1', { threatType: 'scanner' })]);
      const v2 = await ctx.store.dataVersion();
      assert.ok(v2 > v1, 'an ingest that updates');
      await assert.rejects(ctx.store.ingest(snapshot('f', T3), throwingAfter([ip('192.0.2.5')], new Error('x'))));
      assert.equal(await ctx.store.dataVersion(), v2, 'a failed run');
      await ctx.store.overrides.put({ type: 'ipv4', value: '192.0.2.1', verdict: 'allow', reason: 'ours', createdAt: T1, createdBy: null });
      const v3 = await ctx.store.dataVersion();
      assert.ok(v3 > v2, 'an override');
      await ctx.store.overrides.delete('ipv4', '192.0.2.1');
      assert.ok((await ctx.store.dataVersion()) > v3, 'an override removed');
    });

    it('counts distinct indicators when a new feed repeats itself and overlaps others', async () => {
      await ctx.store.ingest(snapshot('a', T1), ips(100)); // 10.0.0.0 … 10.0.0.99
      // indexes 50 … 349 (50 known to a, 250 new) with two repeats of earlier records in the middle:
      // one known to a (10.0.0.60 = index 60), one new (10.0.0.150), and one new indicator twice
      // in a row (10.0.1.100), all at positions 200–203
      const b = [...ips(200, 50), ip('10.0.0.60'), ip('10.0.0.150'), ip('10.0.1.100'), ip('10.0.1.100'), ...ips(100, 250)];
      await ctx.store.ingest(snapshot('b', T2), b);
      assert.deepEqual(await ctx.store.stats(), { indicators: 351, sightings: 401, lastIngestAt: T2 });
    });

    it('counts distinct indicators after a large first run of a feed in a populated store', async () => {
      await ctx.store.ingest(snapshot('a', T1), ips(10_000));
      const b = [...ips(70_000, 5_000), ip('10.0.19.136'), ip('10.1.0.0')]; // 5,000 known to a; two late repeats (indexes 5,000 and 65,536)
      await ctx.store.ingest(snapshot('b', T2), b);
      assert.deepEqual(await ctx.store.stats(), { indicators: 75_000, sightings: 80_000, lastIngestAt: T2 });
    });

    it('counts distinct indicators when a new feed brings a type the store has never held', async () => {
      await ctx.store.ingest(snapshot('a', T1), ips(1_000)); // 10.0.0.0 … 10.0.3.231
      const domain = (i: number): SightingRecord => ({ type: 'domain', value: `host-${i}.example.com` });
      // 5,000 new domains interleaved with 1,000 IPs known to a and 1,000 new ones; a domain repeated
      // next to itself, one repeated thousands of records later, and a chunk mixing both types
      const b: SightingRecord[] = [];
      for (let i = 0; i < 5_000; i++) {
        b.push(domain(i));
        if (i % 5 === 0) b.push(ip(`10.0.${(i / 5) >> 8}.${(i / 5) & 255}`, { threatType: 'scanner' }));
        if (i % 5 === 1) b.push(ip(`10.9.${(i / 5) >> 8}.${(i / 5) & 255}`));
        if (i === 10 || i === 4_500) b.push(domain(7));
      }
      await ctx.store.ingest(snapshot('b', T2), b);
      assert.deepEqual(await ctx.store.stats(), { indicators: 7_000, sightings: 8_000, lastIngestAt: T2 });
      await ctx.store.ingest(snapshot('c', T3), [domain(1), domain(9_999), { type: 'md5', value: 'd41d8cd98f00b204e9800998ecf8427e' }, ip('10.0.0.1')]);
      assert.deepEqual(await ctx.store.stats(), { indicators: 7_002, sightings: 8_004, lastIngestAt: T3 }, 'a small first run: known and new indicators of known and new types');
    });

    it('counts distinct indicators, sightings and the last ingest time', async () => {
      await ctx.store.ingest(snapshot('a', T1), [ip('192.0.2.1'), ip('192.0.2.2')]);
      await ctx.store.ingest(snapshot('b', T2), [ip('192.0.2.1'), { type: 'domain', value: 'evil.example' }]);
      assert.deepEqual(await ctx.store.stats(), { indicators: 3, sightings: 4, lastIngestAt: T2 });
      await ctx.store.ingest(incremental('b', T3), [ip('192.0.2.2'), ip('192.0.2.3')]);
      assert.deepEqual(await ctx.store.stats(), { indicators: 4, sightings: 6, lastIngestAt: T3 }, 'a later run adding one known and one new indicator');
      await ctx.store.ingest(snapshot('a', T3), [ip('192.0.2.1')]);
      assert.deepEqual((await ctx.store.stats()).sightings, 6, 'delisted sightings are kept and counted');
    });
  });

  describe('API keys', () => {
    it('creates, finds by hash and id, lists and counts', async () => {
      await ctx.store.keys.create(keyRecord(1, { scopes: ['admin', 'read:lookup'], tier: 'enterprise', expiresAt: T3 }));
      await ctx.store.keys.create(keyRecord(2));
      assert.equal(await ctx.store.keys.count(), 2);
      assert.deepEqual(await ctx.store.keys.findByHash(keyRecord(1).keyHash), keyRecord(1, { scopes: ['admin', 'read:lookup'], tier: 'enterprise', expiresAt: T3 }));
      assert.deepEqual(await ctx.store.keys.get('key_2'), keyRecord(2));
      assert.deepEqual((await ctx.store.keys.list()).map((k) => k.id), ['key_1', 'key_2']);
      assert.equal(await ctx.store.keys.findByHash('f'.repeat(64)), null);
      assert.equal(await ctx.store.keys.get('nope'), null);
    });

    it('refuses a second key with the same id or hash', async () => {
      await ctx.store.keys.create(keyRecord(1));
      await assert.rejects(ctx.store.keys.create(keyRecord(1, { keyHash: 'e'.repeat(64) })));
      await assert.rejects(ctx.store.keys.create(keyRecord(1, { id: 'other' })));
      assert.equal(await ctx.store.keys.count(), 1);
    });

    it('refuses a malformed key record', async () => {
      await assert.rejects(ctx.store.keys.create({ ...keyRecord(1), tier: 'gold' as 'pro' }), /tier/);
      await assert.rejects(ctx.store.keys.create({ ...keyRecord(1), scopes: ['root' as 'admin'] }), /scopes/);
      assert.equal(await ctx.store.keys.count(), 0);
    });

    it('revokes once', async () => {
      await ctx.store.keys.create(keyRecord(1));
      assert.equal(await ctx.store.keys.revoke('key_1', T2), true);
      assert.equal((await ctx.store.keys.get('key_1'))?.revokedAt, T2);
      assert.equal(await ctx.store.keys.revoke('key_1', T3), false, 'already revoked');
      assert.equal((await ctx.store.keys.get('key_1'))?.revokedAt, T2);
      assert.equal(await ctx.store.keys.revoke('missing', T3), false);
    });

    it('records the last use, and never moves it back', async () => {
      await ctx.store.keys.create(keyRecord(1));
      await ctx.store.keys.touch('key_1', T2);
      assert.equal((await ctx.store.keys.get('key_1'))?.lastUsedAt, T2);
      await ctx.store.keys.touch('key_1', T1);
      assert.equal((await ctx.store.keys.get('key_1'))?.lastUsedAt, T2, 'an earlier stamp (another instance, a slow clock) is ignored');
      await ctx.store.keys.touch('key_1', T3);
      assert.equal((await ctx.store.keys.get('key_1'))?.lastUsedAt, T3, 'the store writes every later stamp it is given');
    });

    it('keeps the allow-list of a key and replaces it', async () => {
      await ctx.store.keys.create(keyRecord(1, { allowedIps: ['203.0.113.0/24', '2001:db8::/32'] }));
      await ctx.store.keys.create(keyRecord(2));
      assert.deepEqual((await ctx.store.keys.get('key_1'))?.allowedIps, ['203.0.113.0/24', '2001:db8::/32']);
      assert.deepEqual((await ctx.store.keys.findByHash(keyRecord(2).keyHash))?.allowedIps, []);
      assert.equal(await ctx.store.keys.setAllowedIps('key_2', ['192.0.2.7/32']), true);
      assert.deepEqual((await ctx.store.keys.get('key_2'))?.allowedIps, ['192.0.2.7/32']);
      assert.equal(await ctx.store.keys.setAllowedIps('key_1', []), true);
      assert.deepEqual((await ctx.store.keys.get('key_1'))?.allowedIps, []);
      assert.equal(await ctx.store.keys.setAllowedIps('missing', []), false);
      await assert.rejects(ctx.store.keys.create(keyRecord(3, { allowedIps: ['not a range'] })), /allowedIps/);
    });

    it('adds usage counts per key, day and route, and reads those of a key from a day on', async () => {
      await ctx.store.keys.create(keyRecord(1));
      await ctx.store.keys.addUsage([]);
      await ctx.store.keys.addUsage([
        { keyId: 'key_1', day: '2026-01-01', route: '/api/v1/lookup', requests: 3 },
        { keyId: 'key_1', day: '2026-01-02', route: '/api/v1/lookup', requests: 1 },
        { keyId: 'key_1', day: '2026-01-02', route: '/api/v1/iocs', requests: 2 },
        { keyId: 'key_2', day: '2026-01-02', route: '/api/v1/lookup', requests: 9 },
      ]);
      // a second batch (another process, a later flush) adds, and a batch may repeat a count's key
      await ctx.store.keys.addUsage([
        { keyId: 'key_1', day: '2026-01-02', route: '/api/v1/lookup', requests: 4 },
        { keyId: 'key_1', day: '2026-01-02', route: '/api/v1/lookup', requests: 5 },
      ]);
      assert.deepEqual(await ctx.store.keys.usage('key_1', '2026-01-01'), [
        { keyId: 'key_1', day: '2026-01-02', route: '/api/v1/iocs', requests: 2 },
        { keyId: 'key_1', day: '2026-01-02', route: '/api/v1/lookup', requests: 10 },
        { keyId: 'key_1', day: '2026-01-01', route: '/api/v1/lookup', requests: 3 },
      ]);
      assert.deepEqual((await ctx.store.keys.usage('key_1', '2026-01-02')).map((c) => c.day), ['2026-01-02', '2026-01-02'], 'days before sinceDay are left out');
      assert.deepEqual(await ctx.store.keys.usage('key_3', '2026-01-01'), []);
    });
  });

  describe('overrides', () => {
    const allow: Override = { type: 'domain', value: 'intranet.example', verdict: 'allow', reason: 'ours', createdAt: T1, createdBy: 'key_1' };
    it('puts, gets, replaces, lists and deletes', async () => {
      await ctx.store.overrides.put(allow);
      assert.deepEqual(await ctx.store.overrides.get('domain', 'intranet.example'), allow);
      const deny: Override = { ...allow, verdict: 'deny', reason: 'compromised', createdAt: T2, createdBy: null };
      await ctx.store.overrides.put(deny);
      await ctx.store.overrides.put({ ...allow, type: 'ipv4', value: '192.0.2.1' });
      assert.deepEqual(await ctx.store.overrides.get('domain', 'intranet.example'), deny);
      assert.deepEqual((await ctx.store.overrides.list()).map((o) => `${o.type}:${o.value}`).sort(), ['domain:intranet.example', 'ipv4:192.0.2.1']);
      assert.equal(await ctx.store.overrides.delete('domain', 'intranet.example'), true);
      assert.equal(await ctx.store.overrides.delete('domain', 'intranet.example'), false);
      assert.equal(await ctx.store.overrides.get('domain', 'intranet.example'), null);
    });

    it('keeps an override of an AS number', async () => {
      const asn: Override = { ...allow, type: 'asn', value: 'AS64496', verdict: 'deny', reason: 'bulletproof hosting' };
      await ctx.store.overrides.put(asn);
      assert.deepEqual(await ctx.store.overrides.get('asn', 'AS64496'), asn);
      assert.equal(await ctx.store.overrides.get('domain', 'AS64496'), null);
    });

    it('refuses a malformed override', async () => {
      await assert.rejects(ctx.store.overrides.put({ ...allow, verdict: 'maybe' as 'allow' }), /verdict/);
      await assert.rejects(ctx.store.overrides.put({ ...allow, type: 'cidr' as 'ipv4' }), /type/);
      assert.deepEqual(await ctx.store.overrides.list(), []);
    });
  });

  describe('feed runs and states', () => {
    it('knows nothing of a feed that never ran', async () => {
      assert.equal(await ctx.store.feedState('nope'), null);
      assert.deepEqual(await ctx.store.feedStates(), []);
    });

    it('keeps the last run, success and error, and conditional-GET validators', async () => {
      await ctx.store.recordFeedRun(run('f', T1, { etag: '"v1"', lastModified: 'Thu, 01 Jan 2026 00:00:00 GMT' }));
      await ctx.store.recordFeedRun(run('f', T2, { status: 'failure', error: 'HTTP 500', result: null }));
      let s = await ctx.store.feedState('f');
      assert.deepEqual(
        [s?.lastSuccessAt, s?.lastErrorAt, s?.lastError, s?.etag, s?.lastModified, s?.lastRun?.status],
        [T1, T2, 'HTTP 500', '"v1"', 'Thu, 01 Jan 2026 00:00:00 GMT', 'failure'],
      );
      await ctx.store.recordFeedRun(run('f', T3, { status: 'not_modified', result: null }));
      s = await ctx.store.feedState('f');
      assert.deepEqual([s?.lastSuccessAt, s?.etag, s?.lastError], [T3, '"v1"', 'HTTP 500'], 'a 304 keeps the validators');
    });

    it('replaces a running record by its final one', async () => {
      await ctx.store.recordFeedRun(run('f', T1, { status: 'running', finishedAt: null, result: null }));
      assert.equal((await ctx.store.feedState('f'))?.lastRun?.status, 'running');
      const done = run('f', T1, { finishedAt: T2, rejected: 2, rejectedSamples: ['line 3: bad', 'line 9: bad'] });
      await ctx.store.recordFeedRun(done);
      const s = await ctx.store.feedState('f');
      assert.deepEqual(s?.lastRun, done);
      assert.equal(s?.lastSuccessAt, T2);
    });

    it('counts listed and total sightings per feed', async () => {
      await ctx.store.ingest(snapshot('a', T1), ips(5));
      await ctx.store.ingest(snapshot('a', T2), ips(3));
      await ctx.store.ingest(incremental('b', T1), ips(2));
      await ctx.store.recordFeedRun(run('a', T2));
      const states = Object.fromEntries((await ctx.store.feedStates()).map((s) => [s.feedId, [s.listedCount, s.totalCount]]));
      assert.deepEqual(states, { a: [3, 5], b: [2, 2] });
    });

    it('refuses a malformed run record', async () => {
      await assert.rejects(ctx.store.recordFeedRun({ ...run('f', T1), status: 'done' as 'success' }), /status/);
      assert.equal(await ctx.store.feedState('f'), null);
    });
  });
}
