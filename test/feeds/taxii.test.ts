/** The TAXII 2.1 client against a loopback server that pages `objects/` by `next` (OpenCTI-style) or by `X-TAXII-Date-Added-Last` (header-cursor style). */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fetch } from 'undici';
import { runFeed, type RunEnv } from '../../src/feeds/index.ts';
import { fetchTaxiiObjects, TAXII_MEDIA_TYPE } from '../../src/feeds/sources.ts';
import type { FeedDefinition } from '../../src/feeds/types.ts';
import type { Store } from '../../src/store/types.ts';
import { fixture, quietLogger, tempStore } from './helpers.ts';
import { startServer, type TestServer } from './server.ts';

const BUNDLE = JSON.parse(readFileSync(fixture('stix-relationships-handmade.json'), 'utf8')) as { objects: Record<string, unknown>[] };
// relationships first, indicators last: the client must join across pages
const OBJECTS = [...BUNDLE.objects].reverse();
const PAGE = 3;
let server: TestServer;
let store: Store;
let cleanup: () => Promise<void>;

function page(objects: unknown[], start: number) {
  return objects.slice(start, start + PAGE);
}

before(async () => {
  server = await startServer();
  ({ store, cleanup } = await tempStore());
  const json = (res: import('node:http').ServerResponse, body: unknown, headers: Record<string, string> = {}) => {
    res.setHeader('content-type', TAXII_MEDIA_TYPE);
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    res.end(JSON.stringify(body));
  };
  server.route('/api1/collections/', (req, res) => {
    if (!String(req.headers.accept).includes('application/taxii+json;version=2.1')) {
      res.statusCode = 406;
      res.end();
      return;
    }
    json(res, { collections: [{ id: 'write-only', title: 'Submissions', can_read: false }, { id: 'c0ffee00-0000-4000-8000-000000000001', title: 'Indicators', can_read: true }] });
  });
  // OpenCTI-style: `next` is an opaque cursor (here the offset)
  server.route('/api1/collections/c0ffee00-0000-4000-8000-000000000001/objects/', (req, res) => {
    if (req.headers.authorization !== 'Bearer t0ken') {
      res.statusCode = 401;
      res.end();
      return;
    }
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    const start = Number(q.get('next') ?? 0);
    const objects = page(OBJECTS, start);
    const more = start + PAGE < OBJECTS.length;
    json(res, { more, ...(more ? { next: String(start + PAGE) } : {}), objects });
  });
  // header-cursor style: no `next`; the client follows X-TAXII-Date-Added-Last with added_after
  server.route('/api2/collections/hdr/objects/', (req, res) => {
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    const after = q.get('added_after');
    const start = after === null ? 0 : Number(after.slice(-4, -1)); // cursor encoded in the milliseconds
    const objects = page(OBJECTS, start);
    const end = start + objects.length;
    json(res, { more: end < OBJECTS.length, objects }, { 'x-taxii-date-added-last': `2026-11-01T00:00:00.${String(end).padStart(3, '0')}Z` });
  });
});

after(async () => {
  await cleanup();
  await server.close();
});

const settings = { timeoutMs: 2000, maxBytes: 1_000_000, retries: 0, backoffMs: 0 };
const deps = { fetch, sleep: async () => {} };

test('pages with next until more is false, picking the first readable collection', async () => {
  const r = await fetchTaxiiObjects({ apiRoot: `${server.url}/api1/`, pageSize: PAGE, headers: { authorization: 'Bearer t0ken' } }, settings, deps);
  assert.equal(r.collectionId, 'c0ffee00-0000-4000-8000-000000000001');
  assert.equal(r.objects.length, OBJECTS.length);
  assert.equal(r.pages, Math.ceil(OBJECTS.length / PAGE));
});

test('follows X-TAXII-Date-Added-Last when the server gives no next', async () => {
  const r = await fetchTaxiiObjects({ apiRoot: `${server.url}/api2`, collectionId: 'hdr', pageSize: PAGE }, settings, deps);
  assert.equal(r.objects.length, OBJECTS.length);
  const sent = server.requests.filter((x) => x.path.startsWith('/api2/')).map((x) => new URL(x.path, 'http://x').searchParams.get('added_after'));
  assert.deepEqual(sent.slice(0, 2), [null, '2026-11-01T00:00:00.003Z']);
});

test('a feed run joins relationships across pages, and the next run asks only for what was added after', async () => {
  const def: FeedDefinition = {
    id: 'taxii-test', name: 'TAXII test', category: 'government', reliability: 'B', format: 'taxii21', url: `${server.url}/api1/`,
    interval: 3600, mode: 'incremental', enabled: true, license: 'test', options: { authEnv: 'TEST_TAXII_AUTH', pageSize: PAGE },
  };
  let now = Date.parse('2026-11-30T12:00:00Z');
  const env: RunEnv = { store, logger: quietLogger, clock: () => new Date(now), fetch, sleep: async () => {}, env: { TEST_TAXII_AUTH: 'Bearer t0ken' }, fetchSettings: settings };
  const run = await runFeed(def, { kind: 'remote' }, env);
  assert.equal(run.status, 'success', run.error ?? '');
  assert.equal(run.result?.added, 4);
  const [ip] = await store.sightingsOf('ipv4', '198.51.100.10');
  assert.equal(ip?.malwareFamily, 'Emotet');
  assert.deepEqual(ip?.attackIds, ['T1071.001']);
  now += 3600_000;
  const again = await runFeed(def, { kind: 'remote' }, env);
  assert.equal(again.status, 'success');
  const last = server.requests.filter((x) => x.path.startsWith('/api1/collections/c0ffee00')).at(-1);
  assert.equal(new URL(last?.path ?? '/', 'http://x').searchParams.get('added_after'), '2026-11-30T11:55:00.000Z', 'last success minus five minutes of overlap');
});

test('without credentials the server refuses and the run records it', async () => {
  const def: FeedDefinition = { id: 'taxii-noauth', name: 'x', category: 'government', reliability: 'B', format: 'taxii21', url: `${server.url}/api1/`, interval: 3600, mode: 'incremental', enabled: true, license: 'x' };
  const run = await runFeed(def, { kind: 'remote' }, { store, logger: quietLogger, clock: () => new Date(), fetch, sleep: async () => {}, env: {}, fetchSettings: settings });
  assert.equal(run.status, 'failure');
  assert.match(run.error ?? '', /HTTP 401/);
});
