/** Contract cases for the batched reads of bulk lookups: the same answers as the one-value reads, in one call. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SightingRecord } from '../../../src/model.ts';
import type { StoredType } from '../../../src/indicators/types.ts';
import { T1, T2, incremental, snapshot } from './helpers.ts';
import type { StoreContext } from './helpers.ts';

export function batchedContract(ctx: StoreContext): void {
  describe('batched reads', () => {
    const records: SightingRecord[] = [
      { type: 'ipv4', value: '198.51.100.1', threatType: 'botnet_cc' },
      { type: 'ipv4', value: '198.51.100.2' },
      { type: 'domain', value: 'evil.example' },
      { type: 'domain', value: 'example' },
      { type: 'url', value: 'http://evil.example/a' },
      { type: 'cidr', value: '192.0.2.0/24' },
      { type: 'cidr', value: '192.0.2.128/25' },
      { type: 'cidr', value: '2001:db8::/32' },
    ];

    it('sightingsOfMany answers each value as sightingsOf does, every value a key', async () => {
      await ctx.store.ingest(incremental('a', T1), records);
      await ctx.store.ingest(snapshot('b', T1), [records[0]!, records[2]!]);
      await ctx.store.ingest(snapshot('b', T2), [records[2]!]);
      const asked = ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.1'];
      const got = await ctx.store.sightingsOfMany('ipv4', asked);
      assert.deepEqual([...got.keys()].sort(), ['198.51.100.1', '198.51.100.2', '198.51.100.3']);
      for (const v of got.keys()) assert.deepEqual(got.get(v), await ctx.store.sightingsOf('ipv4', v), v);
      assert.deepEqual(got.get('198.51.100.1')!.map((s) => [s.feedId, s.listed]), [['a', true], ['b', false]]);
      assert.deepEqual(got.get('198.51.100.3'), []);
      // the type is part of the key: a domain is not found as an IP
      const domains = await ctx.store.sightingsOfMany('domain', ['evil.example', 'example', '198.51.100.1']);
      assert.deepEqual(domains.get('evil.example')!.map((s) => s.feedId), ['a', 'b']);
      assert.deepEqual(domains.get('example')!.map((s) => s.value), ['example']);
      assert.deepEqual(domains.get('198.51.100.1'), []);
    });

    it('sightingsOfMany of nothing is empty, and of many values reads them all', async () => {
      assert.equal((await ctx.store.sightingsOfMany('ipv4', [])).size, 0);
      const many: SightingRecord[] = Array.from({ length: 3000 }, (_, i) => ({ type: 'ipv4', value: `10.0.${i >> 8}.${i & 255}` }));
      await ctx.store.ingest(incremental('many', T1), many);
      const asked = [...many.map((r) => r.value), ...Array.from({ length: 1000 }, (_, i) => `10.1.${i >> 8}.${i & 255}`)];
      const got = await ctx.store.sightingsOfMany('ipv4', asked);
      assert.equal(got.size, 4000);
      assert.equal([...got.values()].filter((l) => l.length === 1).length, 3000);
      assert.equal(got.get('10.0.11.183')![0]!.value, '10.0.11.183');
      assert.deepEqual(got.get('10.1.0.5'), []);
    });

    it('rangesContainingMany answers each address as rangesContaining does', async () => {
      await ctx.store.ingest(incremental('drop', T1), records);
      const asked = ['192.0.2.1', '192.0.2.200', '203.0.113.9', '2001:db8::1', '2001:db9::1', '192.0.2.200'];
      const got = await ctx.store.rangesContainingMany(asked);
      assert.deepEqual([...got.keys()].sort(), [...new Set(asked)].sort());
      for (const ip of got.keys()) assert.deepEqual(got.get(ip), await ctx.store.rangesContaining(ip), ip);
      assert.deepEqual(got.get('192.0.2.200')!.map((s) => s.value), ['192.0.2.128/25', '192.0.2.0/24'], 'most specific first');
      assert.deepEqual(got.get('2001:db8::1')!.map((s) => s.value), ['2001:db8::/32']);
      assert.deepEqual(got.get('203.0.113.9'), []);
    });

    it('reads asked for at once answer each as it would alone, a bad address failing only its own', async () => {
      await ctx.store.ingest(incremental('at-once', T1), records);
      await ctx.store.reports.put({
        id: 'at-once-report',
        feedId: 'dfir-report',
        title: 'At once',
        url: 'https://example.org/at-once',
        published: T1,
        fetched: T2,
        indicators: [
          { type: 'ipv4', value: '198.51.100.1' },
          { type: 'domain', value: 'evil.example' },
        ],
        attackIds: [],
        cves: [],
      });
      const sightings: [StoredType, string][] = [
        ['ipv4', '198.51.100.1'],
        ['ipv4', '198.51.100.2'],
        ['ipv4', '198.51.100.1'],
        ['ipv4', '198.51.100.77'],
        ['domain', 'evil.example'],
        ['domain', '198.51.100.1'],
      ];
      const ips = ['192.0.2.200', '203.0.113.9', '192.0.2.200', '2001:db8::1'];
      const named: [StoredType, string][] = [
        ['ipv4', '198.51.100.1'],
        ['domain', 'evil.example'],
        ['ipv4', '198.51.100.2'],
      ];
      // all asked for in one pass, as lookups computed together ask
      const [own, held, mentions, bad] = await Promise.all([
        Promise.all(sightings.map(([t, v]) => ctx.store.sightingsOf(t, v))),
        Promise.all(ips.map((ip) => ctx.store.rangesContaining(ip))),
        Promise.all(named.map(([t, v]) => ctx.store.reports.mentioning(t, v, 10))),
        ctx.store.rangesContaining('evil.example').then(
          () => 'answered',
          (err: unknown) => (err instanceof TypeError ? 'refused' : String(err)),
        ),
      ]);
      assert.equal(bad, 'refused');
      for (const [i, [t, v]] of sightings.entries()) assert.deepEqual(own[i], await ctx.store.sightingsOf(t, v), `${t} ${v}`);
      for (const [i, ip] of ips.entries()) assert.deepEqual(held[i], await ctx.store.rangesContaining(ip), ip);
      for (const [i, [t, v]] of named.entries()) assert.deepEqual(mentions[i], await ctx.store.reports.mentioning(t, v, 10), `${t} ${v}`);
      assert.deepEqual(own[0]!.map((s) => s.feedId), ['at-once']);
      assert.notEqual(own[0], own[2], 'the same value asked twice: an array each');
      assert.deepEqual(own[3], []);
      assert.deepEqual(held[0]!.map((s) => s.value), ['192.0.2.128/25', '192.0.2.0/24']);
      assert.deepEqual(mentions.map((m) => m.map((r) => r.id)), [['at-once-report'], ['at-once-report'], []]);
    });

    it('rangesContainingMany refuses a value that is not an address', async () => {
      await assert.rejects(ctx.store.rangesContainingMany(['192.0.2.1', 'evil.example']), TypeError);
    });
  });
}
