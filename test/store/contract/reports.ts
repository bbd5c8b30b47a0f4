/** Contract cases for threat reports: stored whole, listed newest first by cursor, filtered, found by the indicators they name. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ReportRecord } from '../../../src/store/types.ts';
import { ReportCursorError } from '../../../src/store/reports.ts';
import { T1, T2, T3 } from './helpers.ts';
import type { StoreContext } from './helpers.ts';

const report = (id: string, extra: Partial<ReportRecord> = {}): ReportRecord => ({
  id,
  feedId: 'dfir-report',
  title: `Report ${id}`,
  url: `https://example.org/${id}`,
  published: T1,
  fetched: T3,
  indicators: [],
  attackIds: [],
  cves: [],
  ...extra,
});

export function reportsContract(ctx: StoreContext): void {
  describe('threat reports', () => {
    it('stores a report whole and replaces it by id', async () => {
      const r = report('a', {
        indicators: [
          { type: 'ipv4', value: '203.0.113.7' },
          { type: 'domain', value: 'evil.example' },
        ],
        attackIds: ['T1059.001'],
        cves: ['CVE-2024-3400'],
      });
      await ctx.store.reports.put(r);
      assert.deepEqual(await ctx.store.reports.get('a'), r);
      const changed = { ...r, title: 'Renamed', indicators: [{ type: 'ipv4' as const, value: '198.51.100.1' }] };
      await ctx.store.reports.put(changed);
      assert.deepEqual(await ctx.store.reports.get('a'), changed);
      assert.deepEqual(await ctx.store.reports.mentioning('ipv4', '203.0.113.7', 10), [], 'a replaced report no longer names what it dropped');
      assert.deepEqual((await ctx.store.reports.mentioning('ipv4', '198.51.100.1', 10)).map((x) => x.id), ['a']);
      assert.equal(await ctx.store.reports.get('missing'), null);
    });

    it('lists newest first (published, else fetched) a page at a time', async () => {
      await ctx.store.reports.put(report('old', { published: T1 }));
      await ctx.store.reports.put(report('undated', { published: null, fetched: T3 }));
      await ctx.store.reports.put(report('mid', { published: T2 }));
      await ctx.store.reports.put(report('mid2', { published: '2026-01-02T00:00:00Z' }));
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: { reports: ReportRecord[]; next: string | null } = await ctx.store.reports.list({ limit: 3, cursor });
        seen.push(...page.reports.map((r) => r.id));
        cursor = page.next;
        pages++;
      } while (cursor !== null && pages < 5);
      assert.deepEqual(seen, ['undated', 'mid2', 'mid', 'old']);
      assert.equal(pages, 2);
      await assert.rejects(ctx.store.reports.list({ limit: 3, cursor: 'not-a-cursor' }), ReportCursorError);
    });

    it('filters by words, date, feed, indicators, CVE, technique and type', async () => {
      await ctx.store.reports.put(report('x', { title: 'IcedID to Dagon Locker', published: T1, indicators: [{ type: 'sha256', value: 'a'.repeat(64) }], attackIds: ['T1486'] }));
      await ctx.store.reports.put(report('y', { title: 'PAN-OS exploitation', feedId: 'cisa-advisories', published: T2, cves: ['CVE-2024-3400'] }));
      await ctx.store.reports.put(report('z', { title: '50%_off', published: T3 }));
      const ids = async (q: Omit<Parameters<typeof ctx.store.reports.list>[0], 'limit'>) => (await ctx.store.reports.list({ limit: 10, ...q })).reports.map((r) => r.id);
      assert.deepEqual(await ids({ q: 'icedid' }), ['x']);
      assert.deepEqual(await ids({ q: '%' }), ['z'], 'a % in the words is a character, not a wildcard');
      assert.deepEqual(await ids({ since: T2 }), ['z', 'y']);
      assert.deepEqual(await ids({ feed: 'cisa-advisories' }), ['y']);
      assert.deepEqual(await ids({ hasIocs: true }), ['x']);
      assert.deepEqual(await ids({ hasIocs: false }), ['z', 'y']);
      assert.deepEqual(await ids({ cve: 'CVE-2024-3400' }), ['y']);
      assert.deepEqual(await ids({ technique: 'T1486' }), ['x']);
      assert.deepEqual(await ids({ type: 'sha256' }), ['x']);
      assert.deepEqual(await ids({ type: 'ipv4' }), []);
    });

    it('finds the newest reports naming an indicator, at most the limit', async () => {
      const ioc = { type: 'domain' as const, value: 'c2.example' };
      for (const [id, at] of [['r1', T1], ['r2', T2], ['r3', T3]] as const) await ctx.store.reports.put(report(id, { published: at, indicators: [ioc] }));
      assert.deepEqual((await ctx.store.reports.mentioning('domain', 'c2.example', 2)).map((r) => r.id), ['r3', 'r2']);
      assert.deepEqual(await ctx.store.reports.mentioning('domain', 'other.example', 2), []);
    });

    it('answers many values of one type in one call, as mentioning answers each', async () => {
      const a = { type: 'domain' as const, value: 'a.example' };
      const b = { type: 'domain' as const, value: 'b.example' };
      await ctx.store.reports.put(report('r1', { published: T1, indicators: [a, b] }));
      await ctx.store.reports.put(report('r2', { published: T2, indicators: [a] }));
      await ctx.store.reports.put(report('r3', { published: T3, indicators: [a, { type: 'ipv4', value: '198.51.100.1' }] }));
      const asked = ['a.example', 'b.example', 'none.example', 'a.example', '198.51.100.1'];
      const many = await ctx.store.reports.mentioningMany('domain', asked, 2);
      assert.deepEqual([...many.keys()].sort(), ['198.51.100.1', 'a.example', 'b.example', 'none.example'], 'each value asked once, with its entry');
      for (const v of many.keys()) assert.deepEqual(many.get(v), await ctx.store.reports.mentioning('domain', v, 2), v);
      assert.deepEqual(many.get('a.example')!.map((r) => r.id), ['r3', 'r2']);
      assert.deepEqual(many.get('198.51.100.1'), [], 'another type is not matched');
      assert.deepEqual((await ctx.store.reports.mentioningMany('ipv4', ['198.51.100.1'], 10)).get('198.51.100.1')!.map((r) => r.id), ['r3']);
      assert.equal((await ctx.store.reports.mentioningMany('domain', [], 10)).size, 0);
    });

    it("a feed's purge removes its reports and their mentions, and only its own", async () => {
      const ioc = { type: 'domain' as const, value: 'c2.example' };
      await ctx.store.reports.put(report('mine', { feedId: 'blog-a', indicators: [ioc] }));
      await ctx.store.reports.put(report('theirs', { feedId: 'blog-b', published: T2, indicators: [ioc] }));
      const before = await ctx.store.dataVersion();
      await ctx.store.purgeFeed('blog-a');
      assert.equal(await ctx.store.reports.get('mine'), null);
      assert.deepEqual((await ctx.store.reports.mentioning('domain', 'c2.example', 10)).map((r) => r.id), ['theirs']);
      assert.deepEqual((await ctx.store.reports.list({ limit: 10, feed: 'blog-a' })).reports, []);
      assert.ok((await ctx.store.dataVersion()) > before, 'the data version moves: cached answers naming the report are stale');
      assert.notEqual(await ctx.store.reports.get('theirs'), null);
    });
  });
}
