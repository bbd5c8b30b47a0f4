/** Contract cases for feed definitions: stored as the feeds last ran, changed only when they change. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { T1, T2, T3, snapshot, ip } from './helpers.ts';
import type { StoreContext } from './helpers.ts';

const TEAM = {
  id: 'team-iocs',
  name: 'Team IOCs',
  category: 'commercial',
  reliability: 'B',
  format: 'csv-mapping',
  url: null,
  interval: 0,
  mode: 'snapshot',
  enabled: true,
  license: 'internal',
  types: ['ipv4', 'domain'],
  options: { fields: { value: 'ioc', type: 'kind' }, delimiter: ';', attributes: ['owner'] },
};

/** The same object with its keys in reverse order, at every level. */
function reversed(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reversed);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)]));
}

export function definitionsContract(ctx: StoreContext): void {
  describe('feed definitions', () => {
    it('stores a definition as given, dated, and moves the data version', async () => {
      const v0 = await ctx.store.dataVersion();
      assert.equal(await ctx.store.feedDefinitions.put('team-iocs', TEAM, '2026-01-01T02:00:00+02:00'), true);
      assert.ok((await ctx.store.dataVersion()) > v0, 'lookups label data by its definition: cached ones must not outlive a new one');
      const got = await ctx.store.feedDefinitions.get('team-iocs');
      assert.deepEqual(got, { feedId: 'team-iocs', definition: TEAM, storedAt: T1, updatedAt: T1 });
      assert.deepEqual(await ctx.store.feedDefinitions.list(), [got]);
      assert.equal(await ctx.store.feedDefinitions.get('other'), null);
    });

    it('the same definition again, whatever the order of its keys, changes nothing', async () => {
      await ctx.store.feedDefinitions.put('team-iocs', TEAM, T1);
      const v1 = await ctx.store.dataVersion();
      assert.equal(await ctx.store.feedDefinitions.put('team-iocs', reversed(TEAM) as Record<string, unknown>, T2), false);
      assert.equal(await ctx.store.dataVersion(), v1);
      assert.deepEqual(await ctx.store.feedDefinitions.get('team-iocs'), { feedId: 'team-iocs', definition: TEAM, storedAt: T1, updatedAt: T1 });
    });

    it('a changed definition replaces the stored one: first stored kept, updated moves, the data version moves', async () => {
      await ctx.store.feedDefinitions.put('team-iocs', TEAM, T1);
      const v1 = await ctx.store.dataVersion();
      const changed = { ...TEAM, name: 'Team IOCs (vetted)', reliability: 'A', options: { ...TEAM.options, delimiter: ',' } };
      assert.equal(await ctx.store.feedDefinitions.put('team-iocs', changed, T2), true);
      assert.ok((await ctx.store.dataVersion()) > v1);
      assert.deepEqual(await ctx.store.feedDefinitions.get('team-iocs'), { feedId: 'team-iocs', definition: changed, storedAt: T1, updatedAt: T2 });
      // a field taken away is a change too
      const { license: _license, ...fewer } = changed;
      assert.equal(await ctx.store.feedDefinitions.put('team-iocs', fewer, T3), true);
      assert.deepEqual((await ctx.store.feedDefinitions.get('team-iocs'))?.definition, fewer);
    });

    it('lists every feed by id; keeps text, control characters and nesting exactly', async () => {
      const odd = { id: 'b-feed', name: 'Ünïcode \u202e "quoted" \\ tab\there \u0000 nul', options: { deep: { list: [1, 'two', null, { x: true }] } } };
      await ctx.store.feedDefinitions.put('c-feed', { id: 'c-feed', name: 'C' }, T1);
      await ctx.store.feedDefinitions.put('b-feed', odd, T1);
      await ctx.store.feedDefinitions.put('a-feed', { id: 'a-feed', name: 'A' }, T1);
      const all = await ctx.store.feedDefinitions.list();
      assert.deepEqual(all.map((d) => d.feedId), ['a-feed', 'b-feed', 'c-feed']);
      assert.deepEqual(all[1]?.definition, odd);
    });

    it('delete forgets a definition and moves the data version; a second delete finds nothing', async () => {
      await ctx.store.feedDefinitions.put('team-iocs', TEAM, T1);
      const v1 = await ctx.store.dataVersion();
      assert.equal(await ctx.store.feedDefinitions.delete('team-iocs'), true);
      assert.ok((await ctx.store.dataVersion()) > v1);
      assert.equal(await ctx.store.feedDefinitions.get('team-iocs'), null);
      const v2 = await ctx.store.dataVersion();
      assert.equal(await ctx.store.feedDefinitions.delete('team-iocs'), false);
      assert.equal(await ctx.store.dataVersion(), v2);
    });

    it("a feed's data and its definition are kept apart: a purge leaves the definition, a delete leaves the data", async () => {
      await ctx.store.ingest(snapshot('team-iocs', T1), [ip('192.0.2.1')]);
      await ctx.store.feedDefinitions.put('team-iocs', TEAM, T1);
      await ctx.store.purgeFeed('team-iocs');
      assert.deepEqual((await ctx.store.feedDefinitions.get('team-iocs'))?.definition, TEAM);
      await ctx.store.ingest(snapshot('team-iocs', T2), [ip('192.0.2.1')]);
      await ctx.store.feedDefinitions.delete('team-iocs');
      assert.equal((await ctx.store.sightingsOf('ipv4', '192.0.2.1')).length, 1);
    });

    const refused: { name: string; args: [unknown, unknown, unknown]; message: RegExp }[] = [
      { name: 'an empty feed id', args: ['', TEAM, T1], message: /feedId must be a non-empty string/ },
      { name: 'a list for a definition', args: ['x', [TEAM], T1], message: /definition must be a JSON object/ },
      { name: 'null for a definition', args: ['x', null, T1], message: /definition must be a JSON object/ },
      { name: 'a time without a zone', args: ['x', TEAM, '2026-01-01T00:00:00'], message: /at must be an RFC 3339 time/ },
      { name: 'a definition of 100,000 characters', args: ['x', { id: 'x', name: 'n'.repeat(100_000) }, T1], message: /at most 65536/ },
    ];
    for (const c of refused) {
      it(`refuses ${c.name}, storing nothing`, async () => {
        const put = ctx.store.feedDefinitions.put as (...a: unknown[]) => Promise<boolean>;
        await assert.rejects(put(...c.args), (err: Error) => err instanceof TypeError && c.message.test(err.message));
        assert.deepEqual(await ctx.store.feedDefinitions.list(), []);
      });
    }
  });
}
