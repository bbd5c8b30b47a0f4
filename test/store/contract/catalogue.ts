/** Contract cases for the IOC catalogue: the change queue, every filter, both orders and the cursor, counts, search, shared origins, stats. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CatalogueCursorError } from '../../../src/store/catalogue.ts';
import type { CatalogueEntry, CatalogueQuery } from '../../../src/store/types.ts';
import { T1, T2, T3, incremental, ip, snapshot } from './helpers.ts';
import type { StoreContext } from './helpers.ts';

const NOW = new Date('2026-01-10T00:00:00.000Z');

export const catalogueEntry = (value: string, extra: Partial<CatalogueEntry> = {}): CatalogueEntry => ({
  type: 'ipv4',
  value,
  firstSeen: T1,
  lastSeen: T2,
  score: 50,
  level: 'medium',
  confidence: 'medium',
  listed: true,
  feeds: ['feed-a'],
  categories: ['community'],
  threatTypes: ['c2'],
  families: [],
  techniques: [],
  cves: [],
  computedAt: '2026-01-09T00:00:00.000Z',
  ...extra,
});

/** Six indicators that tell every filter apart. */
const SIX: { entry: CatalogueEntry; origins: string[] }[] = [
  { entry: catalogueEntry('203.0.113.1', { score: 90, level: 'critical', confidence: 'high', lastSeen: '2026-01-09T00:00:00.000Z', families: ['Emotet'], techniques: ['T1071'] }), origins: ['report:r1'] },
  { entry: catalogueEntry('203.0.113.2', { score: 70, level: 'high', lastSeen: '2026-01-08T00:00:00.000Z', feeds: ['feed-b'], categories: ['government'] }), origins: ['report:r1'] },
  { entry: catalogueEntry('evil.example', { type: 'domain', score: 30, level: 'low', confidence: 'low', lastSeen: '2026-01-07T00:00:00.000Z', threatTypes: ['phishing'] }), origins: ['report:r2'] },
  { entry: catalogueEntry('CVE-2024-3400', { type: 'cve', score: 85, level: 'critical', firstSeen: '2026-01-08T00:00:00.000Z', lastSeen: '2026-01-06T00:00:00.000Z', cves: ['CVE-2024-3400'] }), origins: [] },
  { entry: catalogueEntry('203.0.113.3', { score: 60, level: 'high', listed: false, lastSeen: '2026-01-05T00:00:00.000Z' }), origins: [] },
  { entry: catalogueEntry('198.51.100.7', { score: 60, level: 'high', lastSeen: '2026-01-05T00:00:00.000Z' }), origins: [] },
];

export function catalogueContract(ctx: StoreContext): void {
  describe('ioc catalogue', () => {
    const all = async (q: Omit<CatalogueQuery, 'limit'>, limit = 2): Promise<string[]> => {
      const out: string[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < 20; i++) {
        const page: { entries: CatalogueEntry[]; next: string | null } = await ctx.store.catalogue.list({ ...q, limit, cursor });
        assert.ok(page.entries.length <= limit);
        out.push(...page.entries.map((e) => e.value));
        cursor = page.next;
        if (cursor === null) return out;
      }
      assert.fail('the cursor never ended');
    };

    it('queues every indicator an ingest, a purge or an override touches, and takes it off only when unmarked since', async () => {
      const s = ctx.store;
      assert.equal(await s.catalogue.pending(), 0);
      await s.ingest(snapshot('feed-a', T1), [ip('203.0.113.1'), ip('203.0.113.2')]);
      let q = await s.catalogue.dirty(10);
      assert.deepEqual(q.map((k) => k.value).sort(), ['203.0.113.1', '203.0.113.2']);
      // marked again after it was read: the write leaves it queued
      await s.ingest(incremental('feed-b', T2), [ip('203.0.113.2')]);
      await s.catalogue.write([], [], q);
      q = await s.catalogue.dirty(10);
      assert.deepEqual(q.map((k) => k.value), ['203.0.113.2']);
      await s.catalogue.write([], [], q);
      assert.equal(await s.catalogue.pending(), 0);
      // a snapshot that delists one queues it; so does a purge and an override
      await s.ingest(snapshot('feed-a', T3), [ip('203.0.113.1')]);
      assert.ok((await s.catalogue.dirty(10)).some((k) => k.value === '203.0.113.2'));
      await s.catalogue.write([], [], await s.catalogue.dirty(10));
      await s.purgeFeed('feed-b');
      assert.deepEqual((await s.catalogue.dirty(10)).map((k) => k.value), ['203.0.113.2']);
      await s.catalogue.write([], [], await s.catalogue.dirty(10));
      await s.overrides.put({ type: 'domain', value: 'ok.example', verdict: 'allow', reason: 'ours', createdAt: T1, createdBy: null });
      assert.deepEqual((await s.catalogue.dirty(10)).map((k) => `${k.type} ${k.value}`), ['domain ok.example']);
    });

    it('writes, replaces and removes entries', async () => {
      const s = ctx.store.catalogue;
      const e = catalogueEntry('203.0.113.9', { families: ['Emotet'], techniques: ['T1071', 'T1105'], cves: ['CVE-2024-3400'] });
      await s.write([{ entry: e, origins: [] }], [], []);
      assert.deepEqual(await s.get('ipv4', '203.0.113.9'), e);
      const changed = { ...e, score: 91, level: 'critical' as const, families: [] };
      await s.write([{ entry: changed, origins: [] }], [], []);
      assert.deepEqual(await s.get('ipv4', '203.0.113.9'), changed);
      assert.deepEqual(await all({ family: 'emotet' }), [], 'a replaced entry drops its old terms');
      await s.write([], [{ type: 'ipv4', value: '203.0.113.9' }], []);
      assert.equal(await s.get('ipv4', '203.0.113.9'), null);
      assert.deepEqual(await all({ includeDelisted: true }), []);
    });

    it('pages newest last seen first, or highest risk first, by cursor', async () => {
      await ctx.store.catalogue.write(SIX, [], []);
      assert.deepEqual(await all({}), ['203.0.113.1', '203.0.113.2', 'evil.example', 'CVE-2024-3400', '198.51.100.7']);
      assert.deepEqual(await all({ includeDelisted: true }, 1), ['203.0.113.1', '203.0.113.2', 'evil.example', 'CVE-2024-3400', '203.0.113.3', '198.51.100.7']);
      assert.deepEqual(await all({ order: 'risk' }), ['203.0.113.1', 'CVE-2024-3400', '203.0.113.2', '198.51.100.7', 'evil.example']);
      assert.deepEqual(await all({ order: 'risk', includeDelisted: true }, 4), ['203.0.113.1', 'CVE-2024-3400', '203.0.113.2', '203.0.113.3', '198.51.100.7', 'evil.example']);
      await assert.rejects(ctx.store.catalogue.list({ limit: 2, cursor: 'not-a-cursor' }), CatalogueCursorError);
      const riskCursor = (await ctx.store.catalogue.list({ limit: 1, order: 'risk' })).next!;
      await assert.rejects(ctx.store.catalogue.list({ limit: 2, cursor: riskCursor }), CatalogueCursorError, 'a cursor of the other order');
    });

    it('filters by every field', async () => {
      await ctx.store.catalogue.write(SIX, [], []);
      assert.deepEqual(await all({ type: 'ipv4' }), ['203.0.113.1', '203.0.113.2', '198.51.100.7']);
      assert.deepEqual(await all({ level: 'high' }), ['203.0.113.1', '203.0.113.2', 'CVE-2024-3400', '198.51.100.7']);
      assert.deepEqual(await all({ level: 'critical' }), ['203.0.113.1', 'CVE-2024-3400']);
      assert.deepEqual(await all({ confidence: 'high' }), ['203.0.113.1']);
      assert.deepEqual(await all({ confidence: 'medium' }), ['203.0.113.1', '203.0.113.2', 'CVE-2024-3400', '198.51.100.7']);
      assert.deepEqual(await all({ feed: 'feed-b' }), ['203.0.113.2']);
      assert.deepEqual(await all({ category: 'government' }), ['203.0.113.2']);
      assert.deepEqual(await all({ threatType: 'phishing' }), ['evil.example']);
      assert.deepEqual(await all({ family: 'EMOTET' }), ['203.0.113.1']);
      assert.deepEqual(await all({ technique: 'T1071' }), ['203.0.113.1']);
      assert.deepEqual(await all({ cve: 'CVE-2024-3400' }), ['CVE-2024-3400']);
      assert.deepEqual(await all({ since: '2026-01-07T00:00:00.000Z' }), ['203.0.113.1', '203.0.113.2', 'evil.example']);
      assert.deepEqual(await all({ foundSince: '2026-01-08T00:00:00.000Z' }), ['CVE-2024-3400']);
      assert.deepEqual(await all({ type: 'ipv4', level: 'high', feed: 'feed-a' }), ['203.0.113.1', '198.51.100.7']);
      assert.deepEqual(await all({ type: 'ipv4', includeDelisted: true, since: '2026-01-05T00:00:00.000Z', order: 'risk' }), ['203.0.113.1', '203.0.113.2', '203.0.113.3', '198.51.100.7']);
    });

    it('counts up to a cap', async () => {
      await ctx.store.catalogue.write(SIX, [], []);
      assert.deepEqual(await ctx.store.catalogue.count({}, 100), { count: 5, capped: false });
      assert.deepEqual(await ctx.store.catalogue.count({ includeDelisted: true }, 100), { count: 6, capped: false });
      assert.deepEqual(await ctx.store.catalogue.count({ type: 'ipv4' }, 2), { count: 2, capped: true });
    });

    it('finds values by substring (3 characters or more), case-insensitively', async () => {
      await ctx.store.catalogue.write(SIX, [], []);
      assert.deepEqual((await ctx.store.catalogue.search('113.', 10)).map((e) => e.value), ['203.0.113.1', '203.0.113.2', '203.0.113.3']);
      assert.deepEqual((await ctx.store.catalogue.search('EVIL', 10)).map((e) => e.value), ['evil.example']);
      assert.deepEqual((await ctx.store.catalogue.search('2024-34', 10)).map((e) => e.value), ['CVE-2024-3400']);
      assert.deepEqual(await ctx.store.catalogue.search('%_', 10), [], 'wildcards are matched as themselves');
      assert.deepEqual(await ctx.store.catalogue.search('"a', 10), []);
      assert.deepEqual(await ctx.store.catalogue.search('113\u0000.', 10), [], 'a NUL matches nothing, without an error');
      assert.deepEqual((await ctx.store.catalogue.search('113.', 1)).length, 1);
      // removed entries leave the index
      await ctx.store.catalogue.write([], [{ type: 'domain', value: 'evil.example' }], []);
      assert.deepEqual(await ctx.store.catalogue.search('evil', 10), []);
    });

    it('names the indicators that share an origin', async () => {
      await ctx.store.catalogue.write(SIX, [], []);
      assert.deepEqual((await ctx.store.catalogue.related('ipv4', '203.0.113.1', 10)).map((e) => e.value), ['203.0.113.2']);
      assert.deepEqual(await ctx.store.catalogue.related('domain', 'evil.example', 10), []);
    });

    it('counts by type, level, term and age', async () => {
      await ctx.store.catalogue.write(SIX, [], []);
      const st = await ctx.store.catalogue.stats(NOW);
      assert.equal(st.total, 6);
      assert.equal(st.listed, 5);
      assert.deepEqual(st.byType, { ipv4: 3, domain: 1, cve: 1 });
      assert.deepEqual(st.byLevel, { low: 1, medium: 0, high: 2, critical: 2 });
      assert.deepEqual(st.terms['feed'], [{ term: 'feed-a', count: 4 }, { term: 'feed-b', count: 1 }]);
      assert.deepEqual(st.terms['technique'], [{ term: 'T1071', count: 1 }]);
      assert.equal(st.terms['origin'], undefined);
      assert.deepEqual(st.newSince, { d1: 0, d7: 1, d30: 6 });
      assert.equal(st.oldestComputedAt, '2026-01-09T00:00:00.000Z');
      assert.deepEqual((await ctx.store.catalogue.stale('2026-01-09T00:00:01.000Z', 2)).length, 2);
      assert.deepEqual(await ctx.store.catalogue.stale('2026-01-09T00:00:00.000Z', 10), []);
    });
  });
}
