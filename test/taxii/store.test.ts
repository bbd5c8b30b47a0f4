/**
 * The catalogue's recording order on both engines (what TAXII pages by): each write of a new or
 * changed row takes a recording time after every earlier one, unique per row; decay alone keeps
 * it; `byAdded` filters, pages after a row and leaves out rows without a STIX id.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../src/store/index.ts';
import type { AddedEntry, AddedQuery, CatalogueEntry, Store } from '../../src/store/types.ts';
import { stixSubjectId } from '../../src/taxii/ids.ts';
import { postgresForTests } from '../scaleout/services.ts';
import { freshPostgresStore } from '../scaleout/postgres.ts';
import { catalogueEntry } from '../store/contract/catalogue.ts';

const T0 = '2026-03-01T00:00:00.000Z';

/** The contract's catalogue entry, seen in February and computed at T0. */
const entry = (type: CatalogueEntry['type'], value: string, extra: Partial<CatalogueEntry> = {}): CatalogueEntry =>
  catalogueEntry(value, { type, firstSeen: '2026-02-01T00:00:00.000Z', lastSeen: '2026-02-20T00:00:00.000Z', threatTypes: ['botnet_cc'], computedAt: T0, ...extra });

const write = (e: CatalogueEntry, stixId: string | null = stixSubjectId(e.type, e.value)) => ({ entry: e, origins: [], stixId });

function suite(engine: string, open: () => Promise<{ store: Store; cleanup(): Promise<void> }>): void {
  describe(`catalogue recording order (${engine})`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ store, cleanup } = await open());
    });
    after(() => cleanup());

    const all = async (q: Omit<AddedQuery, 'limit'>, limit = 2): Promise<AddedEntry[]> => {
      const out: AddedEntry[] = [];
      let after: AddedQuery['after'] = null;
      for (let i = 0; i < 50; i++) {
        const page: { entries: AddedEntry[]; more: boolean } = await store.catalogue.byAdded({ ...q, limit, after });
        assert.ok(page.entries.length <= limit);
        out.push(...page.entries);
        const last = page.entries[page.entries.length - 1];
        if (!page.more) return out;
        assert.ok(last !== undefined, 'more with an empty page');
        after = { addedUs: last.addedUs, type: last.type, value: last.value };
      }
      assert.fail('the pages never ended');
    };

    test('every new row takes a unique time after the ones before, even with the clock standing still', async () => {
      await store.catalogue.write([write(entry('ipv4', '203.0.113.1')), write(entry('domain', 'evil.example', { categories: ['government'], level: 'high', confidence: 'high' }))], [], []);
      await store.catalogue.write([write(entry('cve', 'CVE-2024-3400')), write(entry('ipv4', '203.0.113.9'), null)], [], []);
      const rows = await all({}, 10);
      assert.deepEqual(rows.map((r) => r.value), ['203.0.113.1', 'evil.example', 'CVE-2024-3400'], 'recording order; the row without a STIX id is not served');
      const times = rows.map((r) => r.addedUs);
      assert.ok(times[0]! >= Date.parse(T0) * 1000, 'no earlier than the write');
      for (let i = 1; i < times.length; i++) assert.ok(times[i]! > times[i - 1]!, `strictly increasing: ${times.join(', ')}`);
      assert.equal(rows[2]!.stixId, stixSubjectId('cve', 'CVE-2024-3400'));
      assert.match(rows[2]!.stixId, /^vulnerability--/);
    });

    test('decay alone keeps the time; a change of what the STIX object says takes a new one', async () => {
      const before = await all({}, 10);
      const ip = before.find((r) => r.value === '203.0.113.1')!;
      // decay: score and computed_at move, nothing served changes
      await store.catalogue.write([write(entry('ipv4', '203.0.113.1', { score: 41, computedAt: '2026-03-02T00:00:00.000Z' }))], [], []);
      let rows = await all({}, 10);
      assert.equal(rows.find((r) => r.value === '203.0.113.1')!.addedUs, ip.addedUs);
      assert.equal(rows.find((r) => r.value === '203.0.113.1')!.score, 41);
      // sighted again: last seen moves, a new version, now the newest row
      await store.catalogue.write([write(entry('ipv4', '203.0.113.1', { lastSeen: '2026-02-28T00:00:00.000Z' }))], [], []);
      rows = await all({}, 10);
      assert.equal(rows[rows.length - 1]!.value, '203.0.113.1');
      assert.ok(rows[rows.length - 1]!.addedUs > Math.max(...before.map((r) => r.addedUs)));
      // a new feed (a category) is a new version too
      const t = rows[rows.length - 1]!.addedUs;
      await store.catalogue.write([write(entry('ipv4', '203.0.113.1', { lastSeen: '2026-02-28T00:00:00.000Z', feeds: ['feed-a', 'feed-b'], categories: ['community', 'government'] }))], [], []);
      rows = await all({}, 10);
      assert.ok(rows.find((r) => r.value === '203.0.113.1')!.addedUs > t);
    });

    test('filters: types, ids, after a time, exact times, catalogue filters; pages after a row without repeating one', async () => {
      const rows = await all({}, 10);
      const byValue = (v: string) => rows.find((r) => r.value === v)!;
      assert.deepEqual((await all({ types: ['cve'] })).map((r) => r.value), ['CVE-2024-3400']);
      assert.deepEqual(await all({ types: [] }), [], 'an empty list matches nothing');
      assert.deepEqual((await all({ stixIds: [byValue('evil.example').stixId] })).map((r) => r.value), ['evil.example']);
      assert.deepEqual((await all({ addedAfterUs: rows[0]!.addedUs }, 1)).map((r) => r.value), rows.slice(1).map((r) => r.value));
      assert.deepEqual((await all({ addedAtUs: [byValue('CVE-2024-3400').addedUs, 1] })).map((r) => r.value), ['CVE-2024-3400']);
      assert.deepEqual((await all({ category: 'government' })).map((r) => r.value).sort(), ['203.0.113.1', 'evil.example']);
      assert.deepEqual((await all({ level: 'high', confidence: 'medium' })).map((r) => r.value), ['evil.example']);
      const paged = await all({}, 1);
      assert.deepEqual(paged.map((r) => r.value), rows.map((r) => r.value));
    });

    test('delisted rows leave the order; removed rows are gone', async () => {
      await store.catalogue.write([write(entry('domain', 'evil.example', { listed: false, categories: ['government'], level: 'high', confidence: 'high' }))], [{ type: 'cve', value: 'CVE-2024-3400' }], []);
      assert.deepEqual((await all({}, 10)).map((r) => r.value), ['203.0.113.1']);
      assert.deepEqual((await all({ includeDelisted: true }, 10)).map((r) => r.value), ['203.0.113.1', 'evil.example']);
    });

    test('listed again, a row comes back as a new version after everything recorded before', async () => {
      const before = await all({ includeDelisted: true }, 10);
      await store.catalogue.write([write(entry('domain', 'evil.example', { listed: true, categories: ['government'], level: 'high', confidence: 'high' }))], [], []);
      const rows = await all({}, 10);
      assert.deepEqual(rows.map((r) => r.value), ['203.0.113.1', 'evil.example']);
      assert.ok(rows[1]!.addedUs > Math.max(...before.map((r) => r.addedUs)));
    });
  });
}

suite('sqlite', async () => {
  const store = await openStore(':memory:');
  return { store, cleanup: () => store.close() };
});

const pgUrl = await postgresForTests();
if (pgUrl === null) test('PostgreSQL recording order', { skip: 'no PostgreSQL reachable' }, () => {});
else suite('postgres', () => freshPostgresStore(pgUrl));
