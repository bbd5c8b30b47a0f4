/**
 * A large page of GET /api/v1/iocs (20,000 indicators, streamed as it is read) on both engines:
 * the same bytes as the list's keyset pages written through csv-stringify (what format=csv sent
 * before), for the whole catalogue, with filters, and page by page through the Link header; the
 * other formats and the exports' stream agree with the same rows.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'csv-stringify/sync';
import { onBothEngines, NOW, type Harness } from '../http/harness.ts';
import { CSV_COLUMNS } from '../../src/catalogue/formats.ts';
import { createCatalogue } from '../../src/catalogue/index.ts';
import { STREAM_FROM } from '../../src/http/routes/iocs.ts';
import type { SightingRecord } from '../../src/model.ts';
import type { CatalogueEntry, CatalogueFilters, CatalogueQuery } from '../../src/store/types.ts';

const N = 20_000;
const day = (n: number): string => new Date(NOW.getTime() - n * 86_400_000).toISOString();
/** Families a spreadsheet would read as formulas, or that need quoting. */
const FAMILIES = ['=cmd|calc', '-Bad', '+Plus', '@Mention', 'Comma,Family', 'Say "hi"', 'Back\\slash\tTab', '\uFF1DFull', 'Emotet'];

function records(feed: 'a' | 'b'): SightingRecord[] {
  const out: SightingRecord[] = [];
  for (let i = feed === 'a' ? 0 : N / 2; i < (feed === 'a' ? N / 2 : N); i++) {
    const k = i % 4;
    const rec =
      k === 0
        ? { type: 'ipv4', value: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }
        : k === 1
          ? { type: 'domain', value: `host${i}.export-test.com` }
          : k === 2
            ? { type: 'url', value: `http://export-test${i}.net/p?a=1,b="${i}"` }
            : { type: 'sha256', value: i.toString(16).padStart(64, '0') };
    out.push({
      ...rec,
      threatType: i % 3 === 0 ? 'botnet_cc' : 'malware',
      malwareFamily: i % 5 === 0 ? FAMILIES[i % FAMILIES.length] : undefined,
      // many rows share a last_seen: the keyset's ties are broken by type and value
      lastSeen: day(i % 40),
      firstSeen: day(40 + (i % 7)),
      attackIds: i % 7 === 0 ? ['T1071'] : [],
    } as SightingRecord);
  }
  return out;
}

/** What format=csv wrote before: the list's keyset pages through csv-stringify. */
const referenceRow = (e: CatalogueEntry) => [e.type, e.value, e.level, e.score, e.confidence, e.firstSeen, e.lastSeen, e.listed ? 'true' : 'false', e.feeds.join(' '), e.categories.join(' '), e.threatTypes.join(' '), e.families.join(' '), e.techniques.join(' '), e.cves.join(' ')];

function suites(engine: string, open: () => Promise<Harness>): void {
  describe(`large catalogue pages (${engine})`, () => {
    let h: Harness;
    let key: string;
    before(async () => {
      h = await open();
      key = (await h.createKey('enterprise', ['read:iocs', 'read:export'])).key;
      await h.ingest('feed-a', records('a'));
      await h.ingest('feed-b', records('b'));
      // the catalogue computed once, as the first request would
      const first = await h.app.inject({ method: 'GET', url: '/api/v1/iocs?limit=1', headers: h.auth(key) });
      assert.equal(first.statusCode, 200, first.body);
    });
    after(() => h.close());

    const get = (url: string) => h.app.inject({ method: 'GET', url, headers: h.auth(key) });

    async function entries(filters: CatalogueFilters, order: CatalogueQuery['order'] = 'last_seen'): Promise<CatalogueEntry[]> {
      const out: CatalogueEntry[] = [];
      let cursor: string | null = null;
      do {
        const page: { entries: CatalogueEntry[]; next: string | null } = await h.store.catalogue.list({ ...filters, order, limit: 2_000, cursor });
        out.push(...page.entries);
        cursor = page.next;
      } while (cursor !== null);
      return out;
    }
    const referenceCsv = (es: CatalogueEntry[]): string => stringify([[...CSV_COLUMNS]]) + (es.length === 0 ? '' : stringify(es.map(referenceRow), { escape_formulas: true }));

    test('the whole catalogue as CSV: the same bytes as before, hostile cells made inert', async () => {
      const all = await entries({ includeDelisted: true });
      assert.equal(all.length, N);
      const expected = referenceCsv(all);
      assert.ok(expected.includes(`"http://export-test2.net/p?a=1,b=""2"""`), 'a value that needs quoting');
      assert.ok(expected.includes(",'=cmd|calc,"), 'a family made inert');
      assert.ok(expected.includes('Back\\slash'), 'a backslash (escaped in COPY text) comes through');
      const res = await get(`/api/v1/iocs?format=csv&include_delisted=true&limit=${N}`);
      assert.equal(res.statusCode, 200, res.body.slice(0, 500));
      assert.match(String(res.headers['content-type']), /^text\/csv/);
      assert.equal(res.headers.link, undefined, 'one page holds everything');
      assert.ok(res.body === expected, `bodies differ (${res.body.length} vs ${expected.length} characters)`);
    });

    test('page by page through the Link header: the pages join into the same rows, each ending where its Link said', async () => {
      const expected = referenceCsv(await entries({}, 'risk'));
      const size = STREAM_FROM + 4_321;
      let url: string | null = `/api/v1/iocs?format=csv&order=risk&limit=${size}`;
      let body = '';
      let pages = 0;
      while (url !== null) {
        const res = await get(url);
        assert.equal(res.statusCode, 200, res.body.slice(0, 500));
        const text = res.body;
        body += pages === 0 ? text : text.slice(text.indexOf('\n') + 1);
        pages++;
        const link = res.headers.link as string | undefined;
        url = link === undefined ? null : link.slice(1, link.indexOf('>'));
        if (url !== null) assert.equal(text.split('\n').length - 2, size, 'a full page');
      }
      assert.equal(pages, Math.ceil(N / size));
      assert.ok(body === expected, 'pages join into the whole');
    });

    test('filters: the same rows as the list, in CSV, NDJSON, txt and streamed JSON', async () => {
      const filters = { feed: 'feed-b', threatType: 'malware' } as const;
      const want = await entries(filters);
      assert.ok(want.length > STREAM_FROM, 'large enough to stream');
      const qs = `feed=feed-b&threat_type=malware&limit=${N}`;
      const csv = await get(`/api/v1/iocs?format=csv&${qs}`);
      assert.ok(csv.body === referenceCsv(want));
      const nd = await get(`/api/v1/iocs?format=ndjson&${qs}`);
      const lines = nd.body.trimEnd().split('\n').map((l) => JSON.parse(l) as { value: string; malware_families: string[]; score: number });
      assert.deepEqual(lines.map((l) => l.value), want.map((e) => e.value));
      assert.deepEqual(lines.map((l) => [l.score, l.malware_families]), want.map((e) => [e.score, e.families]));
      const txt = await get(`/api/v1/iocs?format=txt&${qs}`);
      assert.equal(txt.body, want.map((e) => `${e.value}\n`).join(''));
      const json = await get(`/api/v1/iocs?${qs}`);
      assert.equal(json.statusCode, 200);
      const body = json.json();
      assert.equal(body.iocs.length, want.length);
      assert.deepEqual(body.iocs[5], (await get(`/api/v1/iocs?${qs.replace(`limit=${N}`, 'limit=10')}`)).json().iocs[5], 'a streamed item is what a small page shows');
      assert.deepEqual(body.links, { next: null });
      assert.equal(body.meta.total, want.length);
      const paged = await get(`/api/v1/iocs?${qs.replace(`limit=${N}`, `limit=${STREAM_FROM + 1}`)}`);
      assert.equal(paged.json().iocs.length, STREAM_FROM + 1);
      assert.equal(paged.json().links.next, String(paged.headers.link).slice(1, String(paged.headers.link).indexOf('>')));
    });

    test('the exports read the same rows from the stream', async () => {
      const catalogue = createCatalogue({ store: h.store, intel: h.deps.intel, catalog: h.deps.catalog, clock: () => NOW });
      const got: CatalogueEntry[] = [];
      for await (const e of catalogue.stream({ family: 'emotet' }, 'risk')) got.push(e);
      assert.ok(got.length > 100);
      assert.deepEqual(got, await entries({ family: 'emotet' }, 'risk'));
      const some: CatalogueEntry[] = [];
      for await (const e of catalogue.stream({}, 'last_seen', 2_345)) some.push(e);
      assert.deepEqual(some, (await entries({})).slice(0, 2_345));
    });

    test('a large page with a cursor this service did not give is a 400 in the envelope', async () => {
      const res = await get(`/api/v1/iocs?format=csv&limit=${N}&cursor=bm9wZQ`);
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().error.code, 'invalid_parameter');
      assert.equal(res.json().error.details.parameter, 'cursor');
    });
  });
}

await onBothEngines(suites);
