/**
 * The `otx` source against a loopback server that speaks OTX's DirectConnect API: the key in
 * `X-OTX-API-KEY` (403 without it), `modified_since`, `limit` and `page`, absolute `next` links,
 * and a pulse's further indicators at `/api/v1/pulses/{id}/indicators`. The key comes from the
 * variable the catalog entry names and is never in a run record or a log line.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { fetch } from 'undici';
import { createLogger } from '../../src/deps.ts';
import { loadCatalog, runFeed, type RunEnv } from '../../src/feeds/index.ts';
import type { FeedDefinition } from '../../src/feeds/types.ts';
import type { Store } from '../../src/store/types.ts';
import { fixture, quietLogger, tempStore } from './helpers.ts';
import { startServer, type TestServer } from './server.ts';

const KEY = 'otx-test-key-5f1e0c9a7b3d2e4f6a8b0c1d2e3f4a5b';
const NOW = Date.parse('2026-11-30T12:00:00Z');

type Pulse = Record<string, unknown> & { id: string; modified: string; indicators: Record<string, unknown>[] };

const exported = JSON.parse(readFileSync(fixture('otx-pulses-handmade.json'), 'utf8')) as Pulse[];
const paged = (JSON.parse(readFileSync(fixture('otx-page-handmade.json'), 'utf8')) as { results: Pulse[] }).results;
/** A pulse the list gives only part of: the rest is at /api/v1/pulses/{id}/indicators. */
const big: Pulse = {
  ...(paged[0] as Pulse),
  id: '6734c1f2a9e5d3b8c7f01a2e',
  name: 'Large pulse',
  modified: '2026-11-29T10:00:00.000000',
  more_indicators: true,
  indicators: [{ id: 1, indicator: '192.0.2.201', type: 'IPv4', created: '2026-11-29T09:00:00' }],
};
const bigAll = [1, 2, 3, 4, 5].map((i) => ({ id: i, indicator: `192.0.2.${200 + i}`, type: 'IPv4', created: '2026-11-29T09:00:00' }));
const old: Pulse = { ...(paged[0] as Pulse), id: '6734c1f2a9e5d3b8c7f01a2f', name: 'Old pulse', modified: '2026-09-01T00:00:00.000000', indicators: [{ id: 9, indicator: '192.0.2.99', type: 'IPv4' }] };
/** Newest first, as OTX lists them. */
let pulses: Pulse[] = [];

let server: TestServer;
let store: Store;
let cleanup: () => Promise<void>;
let nextHost = '';

function json(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

function authorized(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.headers['x-otx-api-key'] === KEY) return true;
  json(res, 403, { detail: 'Authentication credentials were not provided.' });
  return false;
}

/** DRF-style paging: `limit` and `page`, an absolute `next` with the other parameters kept. */
function pageOf<T>(req: IncomingMessage, items: T[], path: string, pageSize?: number) {
  const q = new URL(req.url ?? '/', 'http://x').searchParams;
  const limit = pageSize ?? Number(q.get('limit') ?? 50);
  const page = Number(q.get('page') ?? 1);
  const results = items.slice((page - 1) * limit, page * limit);
  let next: string | null = null;
  if (page * limit < items.length) {
    q.set('page', String(page + 1));
    next = `${nextHost || server.url}${path}?${q.toString()}`;
  }
  return { count: items.length, next, previous: null, results };
}

before(async () => {
  server = await startServer();
  ({ store, cleanup } = await tempStore());
  server.route('/api/v1/pulses/subscribed', (req, res) => {
    if (!authorized(req, res)) return;
    const since = new URL(req.url ?? '/', 'http://x').searchParams.get('modified_since');
    const shown = pulses.filter((p) => since === null || Date.parse(`${p.modified}Z`) >= Date.parse(since));
    json(res, 200, pageOf(req, shown, '/api/v1/pulses/subscribed'));
  });
  server.route(`/api/v1/pulses/${big.id}/indicators`, (req, res) => {
    if (!authorized(req, res)) return;
    // pages of two, whatever the limit asked
    json(res, 200, pageOf(req, bigAll, `/api/v1/pulses/${big.id}/indicators`, 2));
  });
});

after(async () => {
  await cleanup();
  await server.close();
});

const settings = { timeoutMs: 2000, maxBytes: 1_000_000, retries: 0, backoffMs: 0 };

function otxFeed(id: string, options: Record<string, unknown> = {}): FeedDefinition {
  const bundled = loadCatalog().get('alienvault-otx');
  assert.ok(bundled, 'the catalog has alienvault-otx');
  return { ...bundled, id, url: server.url, options: { ...bundled.options, authEnv: 'TEST_OTX_KEY', pageSize: 2, ...options } };
}

function env(at: number, key = KEY, logger = quietLogger): RunEnv {
  return { store, logger, clock: () => new Date(at), fetch, sleep: async () => {}, env: { TEST_OTX_KEY: key }, fetchSettings: settings };
}

const subscribedRequests = (from: number) => server.requests.slice(from).filter((r) => r.path.startsWith('/api/v1/pulses/subscribed'));
const param = (path: string, name: string) => new URL(path, 'http://x').searchParams.get(name);

describe('the otx source pages the DirectConnect API', () => {
  test('a first run: the key sent, the last 30 days asked for, every next page and a large pulse\'s indicators read', async () => {
    pulses = [big, ...exported.map((p) => ({ ...p })), ...paged, old].sort((a, b) => Date.parse(`${b.modified}Z`) - Date.parse(`${a.modified}Z`));
    const from = server.requests.length;
    const run = await runFeed(otxFeed('otx-paging'), { kind: 'remote' }, env(NOW));
    assert.equal(run.status, 'success', run.error ?? '');
    const sent = subscribedRequests(from);
    assert.deepEqual(sent.map((r) => param(r.path, 'page')), ['1', '2'], 'four pulses of the last 30 days, two a page');
    assert.ok(sent.every((r) => param(r.path, 'modified_since') === '2026-10-31T12:00:00.000Z' && param(r.path, 'limit') === '2'));
    assert.ok(server.requests.slice(from).every((r) => r.headers['x-otx-api-key'] === KEY), 'every request carries the key');
    assert.equal(server.requests.slice(from).filter((r) => r.path.startsWith(`/api/v1/pulses/${big.id}/indicators`)).length, 3, 'five indicators, two a page');
    // 12 of the export, 2 of the page, 5 of the large pulse; the old pulse is outside the 30 days
    assert.equal(run.result?.added, 19);
    assert.deepEqual(run.skipped, { URI: 1, 'FileHash-IMPHASH': 1, FilePath: 1, Mutex: 1, YARA: 1, JA3: 1, BitcoinAddress: 1 });
    assert.equal(run.rejected, 1);
    assert.equal(run.cursor, '2026-11-29T10:00:00.000Z', 'the newest pulse modified is where the next run starts');
    assert.equal((await store.sightingsOf('ipv4', '192.0.2.205'))[0]?.attributes['report_name'], 'Large pulse');
    assert.equal((await store.sightingsOf('ipv4', '192.0.2.99')).length, 0);
    const [c2] = await store.sightingsOf('ipv4', '203.0.113.45');
    assert.deepEqual([c2?.feedId, c2?.malwareFamily, c2?.attackIds, c2?.attributes['report_type']], ['otx-paging', 'Emotet', ['T1204.002', 'T1566.001'], 'otx-pulse']);
  });

  test('the next run asks only for pulses modified since the watermark', async () => {
    const modified = { ...(exported[1] as Pulse), modified: '2026-11-30T13:00:00.000000', indicators: [{ id: 77, indicator: '198.51.100.77', type: 'IPv4', created: '2026-11-30T12:59:00' }] };
    pulses = [modified, ...pulses];
    const from = server.requests.length;
    const run = await runFeed(otxFeed('otx-paging'), { kind: 'remote' }, env(NOW + 3_600_000));
    assert.equal(run.status, 'success', run.error ?? '');
    const sent = subscribedRequests(from);
    assert.deepEqual(sent.map((r) => param(r.path, 'modified_since')), ['2026-11-29T10:00:00.000Z']);
    assert.deepEqual({ ...run.result }, { received: 6, added: 1, updated: 0, unchanged: 5, delisted: 0 }, 'the large pulse again (modified at the watermark) and the changed one');
    assert.equal(run.cursor, '2026-11-30T13:00:00.000Z');
  });

  test('a key OTX refuses fails the run naming the variable, and keeps the watermark', async () => {
    const wrong = 'not-the-key-0123456789';
    const run = await runFeed(otxFeed('otx-paging'), { kind: 'remote' }, env(NOW + 7_200_000, wrong));
    assert.equal(run.status, 'failure');
    assert.match(run.error ?? '', /^OTX refused the API key in TEST_OTX_KEY \(HTTP 403\): check the key/);
    assert.equal(run.cursor, '2026-11-30T13:00:00.000Z');
    assert.ok(!JSON.stringify(await store.feedState('otx-paging')).includes(wrong), 'the key is nowhere in the feed state');
    const again = await runFeed(otxFeed('otx-paging'), { kind: 'remote' }, env(NOW + 7_300_000));
    assert.equal(again.status, 'success', again.error ?? '');
    assert.equal(param(subscribedRequests(0).at(-1)?.path ?? '/', 'modified_since'), '2026-11-30T13:00:00.000Z');
  });

  test('without a key nothing is asked; the error names the variable to set', async () => {
    const from = server.requests.length;
    const run = await runFeed(otxFeed('otx-nokey'), { kind: 'remote' }, env(NOW, ''));
    assert.equal(run.status, 'failure');
    assert.equal(run.error, 'feed "otx-nokey": the OTX API needs a key; set TEST_OTX_KEY to your OTX API key (options.authEnv)');
    assert.equal(server.requests.length, from);
  });

  test('initialDays 0 asks for every subscribed pulse; a run past maxPages fails saying which option to raise', async () => {
    const from = server.requests.length;
    const all = await runFeed(otxFeed('otx-all', { initialDays: 0, pageSize: 50 }), { kind: 'remote' }, env(NOW));
    assert.equal(all.status, 'success', all.error ?? '');
    assert.equal(param(subscribedRequests(from)[0]?.path ?? '/', 'modified_since'), null);
    assert.equal((await store.sightingsOf('ipv4', '192.0.2.99'))[0]?.feedId, 'otx-all', 'the old pulse too');
    const capped = await runFeed(otxFeed('otx-capped', { pageSize: 1, maxPages: 2 }), { kind: 'remote' }, env(NOW));
    assert.equal(capped.status, 'failure');
    assert.match(capped.error ?? '', /OTX: more than 2 pages of pulses modified since 2026-10-31T12:00:00\.000Z in one run; raise options\.maxPages/);
    assert.equal((await store.feedState('otx-capped'))?.totalCount ?? 0, 0, 'nothing stored');
  });

  test('a next link to another host is refused (the key would go with it); an http:// link to the same host stays on the feed origin', async () => {
    nextHost = 'http://otx.example.invalid';
    try {
      const run = await runFeed(otxFeed('otx-elsewhere'), { kind: 'remote' }, env(NOW));
      assert.equal(run.status, 'failure');
      assert.match(run.error ?? '', /OTX: the server's "next" link leads to otx\.example\.invalid, outside the feed's server 127\.0\.0\.1; refused/);
    } finally {
      nextHost = '';
    }
  });

  test('a redirect off the feed origin loses the key and is refused by the egress rules', async () => {
    const other = await startServer();
    const from = server.requests.length;
    try {
      other.route('/api/v1/pulses/subscribed', (req, res) => json(res, 200, { count: 0, next: null, results: [], key: req.headers['x-otx-api-key'] ?? null }));
      const redirecting = await startServer();
      try {
        redirecting.route('/api/v1/pulses/subscribed', (_req, res) => {
          res.statusCode = 302;
          res.setHeader('location', `${other.url}/api/v1/pulses/subscribed`);
          res.end();
        });
        const run = await runFeed({ ...otxFeed('otx-redirect'), url: redirecting.url }, { kind: 'remote' }, env(NOW));
        assert.equal(run.status, 'failure');
        assert.match(run.error ?? '', /redirect refused: http:\/\/127\.0\.0\.1:\d+ is outside the feed's origin and is not a public address/);
        assert.equal(other.requests.length, 0, 'nothing reached the other server');
      } finally {
        await redirecting.close();
      }
    } finally {
      await other.close();
    }
    assert.equal(server.requests.length, from);
  });

  test('the key is never logged, even at trace level, on success or failure', async () => {
    const lines: string[] = [];
    const logger = createLogger('trace', new Writable({ write: (chunk: Buffer, _enc, cb) => (lines.push(chunk.toString()), cb()) }));
    await runFeed(otxFeed('otx-logged'), { kind: 'remote' }, env(NOW, KEY, logger));
    await runFeed(otxFeed('otx-logged'), { kind: 'remote' }, env(NOW + 60_000, `${KEY}-wrong`, logger));
    assert.ok(lines.length >= 2, 'the runs logged');
    assert.ok(lines.some((l) => l.includes('HTTP 403')), 'the failure is logged');
    logger.warn({ request: { url: server.url, headers: { 'x-otx-api-key': KEY } } }, 'a request, should one be logged');
    logger.warn({ headers: { 'x-otx-api-key': KEY } }, 'its headers');
    assert.ok(lines.at(-2)?.includes('[redacted]'));
    assert.ok(!lines.join('').includes(KEY), 'no log line holds the key');
  });
});
