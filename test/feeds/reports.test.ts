/**
 * Report feeds (`format: rss`) against a loopback server serving hand-made RSS 2.0, RSS 1.0
 * (RDF) and Atom feeds and the HTML pages of their entries: each entry's page is fetched and
 * read, its indicators (role `indicator` only) become sightings dated by the entry and grouped
 * by the report, and the report is stored with its indicators, ATT&CK ids and CVEs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { fetch } from 'undici';
import { runFeed, type RunEnv } from '../../src/feeds/index.ts';
import type { FeedDefinition } from '../../src/feeds/types.ts';
import { originOf } from '../../src/evidence/origin.ts';
import type { Store } from '../../src/store/types.ts';
import { fixture, quietLogger, tempStore } from './helpers.ts';
import { startServer, type TestServer } from './server.ts';

const NOW = Date.parse('2026-11-30T12:00:00Z');
let server: TestServer;
let store: Store;
let cleanup: () => Promise<void>;

const served = (name: string): string => readFileSync(fixture(`reports/${name}`), 'utf8').replaceAll('{{BASE}}', server.url);

before(async () => {
  server = await startServer();
  ({ store, cleanup } = await tempStore());
  const route = (path: string, name: string, type: string) =>
    server.route(path, (_req, res) => {
      res.setHeader('content-type', type);
      res.end(served(name));
    });
  route('/feed/', 'rss2-handmade.xml', 'application/rss+xml; charset=UTF-8');
  route('/rdf', 'rss1-rdf-handmade.xml', 'application/rdf+xml');
  route('/atom', 'atom-handmade.xml', 'application/atom+xml');
  route('/2025/11/03/icedid-to-dagon-locker/', 'page-icedid-handmade.html', 'text/html; charset=utf-8');
  route('/advisories/aa25-100a', 'page-advisory-handmade.html', 'text/html');
  route('/research/dcrat-returns', 'page-dcrat-handmade.html', 'text/html');
  server.route('/2025/10/20/cobalt-strike-dc/', (_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end('<html><body><p>Nothing to see.</p></body></html>');
  });
  server.route('/big', (_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(`<html><body>${'x'.repeat(50_000)}</body></html>`);
  });
});

after(async () => {
  await cleanup();
  await server.close();
});

const feed = (id: string, path: string, options: Record<string, unknown> = {}): FeedDefinition => ({
  id,
  name: id,
  category: 'research',
  reliability: 'B',
  format: 'rss',
  url: `${server.url}${path}`,
  interval: 3600,
  mode: 'incremental',
  enabled: true,
  license: 'test',
  options,
});

const env = (at = NOW): RunEnv => ({ store, logger: quietLogger, clock: () => new Date(at), fetch, sleep: async () => {}, fetchSettings: { timeoutMs: 2000, maxBytes: 1_000_000, retries: 0, backoffMs: 0 } });

describe('report feeds', () => {
  test('RSS 2.0: each entry\'s page read, its indicators sightings dated by the entry, one report one origin', async () => {
    const run = await runFeed(feed('rss2', '/feed/'), { kind: 'remote' }, env());
    assert.equal(run.status, 'success', run.error ?? '');
    const { reports } = await store.reports.list({ limit: 10, feed: 'rss2' });
    assert.deepEqual(reports.map((r) => r.title), ['From IcedID to Dagon Locker Ransomware in 29 Days', 'Cobalt Strike and a Domain Controller']);
    const icedid = reports[0]!;
    assert.equal(icedid.published, '2025-11-03T10:00:00.000Z');
    assert.equal(icedid.url, `${server.url}/2025/11/03/icedid-to-dagon-locker/`);
    assert.deepEqual(icedid.indicators.map((x) => `${x.type} ${x.value}`), [
      'ipv4 203.0.113.97',
      'domain ewacootili.example.com',
      'url https://moashraya.example.net/invoice.php',
      'domain moashraya.example.net',
      'sha256 4f5b8e8c3c1a0b7e6f2d9a1c5e3b7d9f0a2c4e6b8d0f1a3c5e7b9d1f3a5c7e9b',
    ]);
    assert.deepEqual(icedid.attackIds, ['T1059.001', 'T1486']);
    // references on the page (social links, ATT&CK, VirusTotal, the vendor's blog) are not indicators
    for (const ref of ['twitter.com', 'www.virustotal.com', 'www.microsoft.com', 'attack.mitre.org']) {
      assert.ok(!icedid.indicators.some((x) => x.value.includes(ref)), ref);
    }
    const [s] = await store.sightingsOf('ipv4', '203.0.113.97');
    assert.ok(s);
    assert.equal(s.firstSeen, '2025-11-03T10:00:00.000Z', 'the entry\'s date, not the fetch time');
    assert.equal(s.dateSource, 'feed');
    assert.equal(s.referenceUrl, icedid.url);
    assert.equal(s.attributes.report_name, icedid.title);
    // every indicator of the report shares one origin: the risk model counts the report once
    const origins = new Set<string | null>();
    for (const x of icedid.indicators) for (const y of await store.sightingsOf(x.type, x.value)) if (y.feedId === 'rss2') origins.add(originOf(y));
    assert.deepEqual([...origins], [`report:${icedid.id}`]);
    // the page named nothing: the feed's own text of the entry is read instead
    assert.deepEqual(reports[1]!.indicators.map((x) => x.value), ['198.51.100.11', 'update-check.example.org']);
  });

  test('a second run fetches no page of a report already stored', async () => {
    const before = server.hits.get('/2025/11/03/icedid-to-dagon-locker/') ?? 0;
    assert.ok(before >= 1);
    const run = await runFeed(feed('rss2', '/feed/'), { kind: 'remote' }, env(NOW + 3_600_000));
    assert.equal(run.status, 'success', run.error ?? '');
    assert.equal(server.hits.get('/2025/11/03/icedid-to-dagon-locker/'), before);
    assert.equal((await store.reports.list({ limit: 10, feed: 'rss2' })).reports.length, 2);
  });

  test('RSS 1.0 (RDF): the advisory\'s CVE and technique, dated by dc:date', async () => {
    const run = await runFeed(feed('rss1', '/rdf'), { kind: 'remote' }, env());
    assert.equal(run.status, 'success', run.error ?? '');
    const { reports } = await store.reports.list({ limit: 10, feed: 'rss1' });
    assert.equal(reports.length, 1);
    assert.equal(reports[0]!.published, '2025-04-10T14:00:00.000Z');
    assert.deepEqual(reports[0]!.cves, ['CVE-2024-3400']);
    assert.deepEqual(reports[0]!.attackIds, ['T1190']);
    const cve = (await store.sightingsOf('cve', 'CVE-2024-3400')).find((x) => x.feedId === 'rss1');
    assert.equal(cve?.lastSeen, '2025-04-10T14:00:00.000Z');
  });

  test('Atom: published, else updated; a page that is gone is read from the entry\'s summary and counted', async () => {
    const run = await runFeed(feed('atom', '/atom'), { kind: 'remote' }, env());
    assert.equal(run.status, 'success', run.error ?? '');
    const { reports } = await store.reports.list({ limit: 10, feed: 'atom' });
    assert.deepEqual(reports.map((r) => [r.title, r.published]), [
      ['Dark Crystal RAT returns', '2025-09-01T09:00:00.000Z'],
      ['An entry whose page is gone', '2025-08-15T07:00:00.000Z'],
    ]);
    assert.deepEqual(reports[0]!.indicators.map((x) => x.value), ['http://203.0.113.45/upd.exe', '203.0.113.45', '198.51.100.11']);
    assert.deepEqual(reports[1]!.indicators.map((x) => x.value), ['9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08']);
    assert.deepEqual(run.skipped, { 'report page not read': 1 });
    assert.equal(run.rejected, 0);
    // three feeds name 198.51.100.11: three reports, three origins
    const all = await store.sightingsOf('ipv4', '198.51.100.11');
    assert.equal(new Set(all.map((x) => originOf(x))).size, 3);
    assert.deepEqual((await store.reports.mentioning('ipv4', '198.51.100.11', 10)).length, 3);
  });

  test('a page over options.maxPageBytes is not read, and the log says which option', async () => {
    server.route('/one', (_req, res) => {
      res.setHeader('content-type', 'application/rss+xml');
      res.end(`<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>Big</title><link>${server.url}/big</link><guid>big-1</guid></item></channel></rss>`);
    });
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }));
    const run = await runFeed(feed('capped', '/one', { maxPageBytes: 10_000 }), { kind: 'remote' }, { ...env(), logger });
    assert.equal(run.status, 'success', run.error ?? '');
    assert.deepEqual(run.skipped, { 'report page not read': 1 });
    assert.ok(lines.some((l) => l.includes('options.maxPageBytes') && l.includes('/big')), lines.join(''));
    assert.deepEqual((await store.reports.list({ limit: 10, feed: 'capped' })).reports.map((r) => r.indicators.length), [0]);
  });

  test('a document that is no feed fails the run and stores nothing', async () => {
    server.route('/notfeed', (_req, res) => {
      res.setHeader('content-type', 'application/xml');
      res.end('<?xml version="1.0"?><catalog><book/></catalog>');
    });
    const run = await runFeed(feed('notfeed', '/notfeed'), { kind: 'remote' }, env());
    assert.equal(run.status, 'failure');
    assert.match(run.error ?? '', /not an RSS or Atom feed/);
    assert.equal((await store.reports.list({ limit: 10, feed: 'notfeed' })).reports.length, 0);
  });

  test('an import of a saved feed stores its reports from the entries\' own text', async () => {
    const run = await runFeed(feed('imported', '/feed/'), { kind: 'file', path: fixture('reports/atom-handmade.xml') }, env());
    assert.equal(run.status, 'success', run.error ?? '');
    const { reports } = await store.reports.list({ limit: 10, feed: 'imported' });
    assert.equal(reports.length, 2);
    assert.deepEqual(reports[1]!.indicators.map((x) => x.type), ['sha256']);
  });
});
