/**
 * The catalogue's counts, kept by every write, on both engines: after any sequence of writes —
 * new rows, rows rewritten (listed or not, another level, other terms), rows removed — the stats
 * are what grouping every row and term gives.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RISK_LEVELS } from '../../src/model.ts';
import { openStore } from '../../src/store/index.ts';
import type { CatalogueEntry, CatalogueStats, CatalogueWrite, Store } from '../../src/store/types.ts';
import { postgresForTests } from '../scaleout/services.ts';
import { dropSchema, freshPostgresStore } from '../scaleout/postgres.ts';

const NOW = new Date('2026-11-30T12:00:00.000Z');
const DAY = 86_400_000;
const VALUES = Array.from({ length: 12 }, (_, i) => `198.51.100.${i}`);

/** What grouping every row gives: the stats as they were computed before the counts were kept. */
function grouped(rows: readonly CatalogueEntry[]): Omit<CatalogueStats, 'oldestComputedAt'> {
  const byType: Record<string, number> = {};
  const byLevel: Record<string, number> = { low: 0, medium: 0, high: 0, critical: 0 };
  const counts = new Map<string, Map<string, number>>();
  const add = (kind: string, terms: readonly string[]): void => {
    const m = counts.get(kind) ?? new Map<string, number>();
    counts.set(kind, m);
    for (const t of new Set(terms)) m.set(t, (m.get(t) ?? 0) + 1);
  };
  const listed = rows.filter((r) => r.listed);
  for (const r of listed) {
    byType[r.type] = (byType[r.type] ?? 0) + 1;
    byLevel[r.level] = (byLevel[r.level] ?? 0) + 1;
    add('feed', r.feeds);
    add('category', r.categories);
    add('threat_type', r.threatTypes);
    add('family', r.families.map((f) => f.toLowerCase()));
    add('technique', r.techniques);
    add('cve', r.cves);
  }
  const terms: Record<string, { term: string; count: number }[]> = {};
  for (const [kind, m] of counts) {
    if (m.size === 0) continue;
    terms[kind] = [...m].map(([term, count]) => ({ term, count })).sort((a, b) => b.count - a.count || (a.term < b.term ? -1 : a.term > b.term ? 1 : 0));
  }
  const since = (days: number) => rows.filter((r) => Date.parse(r.firstSeen) >= NOW.getTime() - days * DAY).length;
  return { total: rows.length, listed: listed.length, byType, byLevel, terms, newSince: { d1: since(1), d7: since(7), d30: since(30) } };
}

const pick = <T,>(xs: readonly T[]) => fc.subarray([...xs], { maxLength: Math.min(3, xs.length) });
const entry = fc.record({
  value: fc.constantFrom(...VALUES),
  listed: fc.boolean(),
  level: fc.constantFrom(...RISK_LEVELS),
  feeds: pick(['feed-a', 'feed-b', 'feed-c']),
  threatTypes: pick(['botnet_cc', 'malware', 'phishing']),
  families: pick(['Emotet', 'emotet', 'QakBot']),
  techniques: pick(['T1071', 'T1566']),
  firstSeenDaysAgo: fc.integer({ min: 0, max: 60 }),
});
type EntryInput = typeof entry extends fc.Arbitrary<infer T> ? T : never;
const step = fc.oneof(
  fc.record({ write: fc.array(entry, { maxLength: 5 }) }),
  fc.record({ remove: fc.subarray(VALUES, { maxLength: 4 }) }),
);

function toWrite(e: EntryInput): CatalogueWrite {
  return {
    entry: {
      type: 'ipv4',
      value: e.value,
      firstSeen: new Date(NOW.getTime() - e.firstSeenDaysAgo * DAY).toISOString(),
      lastSeen: NOW.toISOString(),
      score: 50,
      level: e.level,
      confidence: 'medium',
      listed: e.listed,
      feeds: e.feeds,
      categories: e.feeds.map((f) => (f === 'feed-a' ? 'government' : 'community')).filter((c, i, a) => a.indexOf(c) === i).sort(),
      threatTypes: e.threatTypes,
      families: e.families,
      techniques: e.techniques,
      cves: e.value.endsWith('1') ? ['CVE-2021-44228'] : [],
      computedAt: NOW.toISOString(),
    },
    origins: [`report:${e.value}`],
  };
}

function suites(engine: string, open: () => Promise<{ store: Store; close(): Promise<void> }>): void {
  describe(`catalogue counts (${engine})`, () => {
    let s: { store: Store; close(): Promise<void> };
    before(async () => {
      s = await open();
    });
    after(() => s.close());

    test('after any writes and removals, the stats are what grouping every row gives', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
          const store = s.store;
          // start from an empty catalogue
          await store.catalogue.write([], VALUES.map((value) => ({ type: 'ipv4' as const, value })), []);
          for (const st of steps) {
            if ('write' in st) {
              // one version per value in a batch, as the refresh writes
              const byValue = new Map(st.write.map((e) => [e.value, e]));
              await store.catalogue.write([...byValue.values()].map(toWrite), [], []);
            } else await store.catalogue.write([], st.remove.map((value) => ({ type: 'ipv4' as const, value })), []);
          }
          const rows = (await store.catalogue.list({ includeDelisted: true, limit: 100 })).entries;
          const { oldestComputedAt, ...stats } = await store.catalogue.stats(NOW);
          assert.deepEqual(stats, grouped(rows));
          assert.equal(oldestComputedAt, rows.length === 0 ? null : NOW.toISOString());
        }),
        { numRuns: engine === 'sqlite' ? 60 : 25 },
      );
    });
  });
}

suites('sqlite', async () => {
  const store = await openStore(':memory:');
  return { store, close: () => store.close() };
});

const pgUrl = await postgresForTests();
if (pgUrl !== null) {
  suites('postgres', async () => {
    const pg = await freshPostgresStore(pgUrl);
    return { store: pg.store, close: () => pg.cleanup() };
  });
}
