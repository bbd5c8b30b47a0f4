// `{env:NAME}` in a feed URL: a credential a source wants in its path (PhishTank's application
// key) is put in at fetch time from the environment, and stays out of the definition, the run
// record, the feed state, the stored definition and GET /api/v1/feeds.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fetch } from 'undici';
import { loadCatalog, runFeed, type RunEnv } from '../../src/feeds/index.ts';
import { expandFeedUrl } from '../../src/feeds/run.ts';
import { publicFeedUrl } from '../../src/feeds/status.ts';
import type { FeedDefinition } from '../../src/feeds/types.ts';
import type { Store } from '../../src/store/types.ts';
import { fixture, quietLogger, tempStore } from './helpers.ts';
import { startServer, type TestServer } from './server.ts';

const APP_KEY = 'pt-app-key-8c1d2e3f4a5b6c7d8e9f';
let server: TestServer;
let store: Store;
let cleanup: () => Promise<void>;

before(async () => {
  server = await startServer();
  ({ store, cleanup } = await tempStore());
  const body = readFileSync(fixture('phishtank-online-valid-handmade.json'));
  server.route(`/data/${APP_KEY}/online-valid.json`, (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(body);
  });
});

after(async () => {
  await cleanup();
  await server.close();
});

const settings = { timeoutMs: 2000, maxBytes: 10_000_000, retries: 0, backoffMs: 0 };

function feed(id: string, path: string): FeedDefinition {
  const bundled = loadCatalog().get('phishtank');
  assert.ok(bundled, 'the catalog has phishtank');
  return { ...bundled, id, url: `${server.url}${path}` };
}

const env = (vars: Record<string, string>): RunEnv => ({ store, logger: quietLogger, clock: () => new Date('2026-12-01T00:00:00Z'), fetch, sleep: async () => {}, env: vars, fetchSettings: settings });

describe('{env:NAME} in a feed URL', () => {
  test('the value is put in at fetch time; the URL kept and shown holds the placeholder', async () => {
    const def = feed('pt-key', '/data/{env:TEST_PT_APP_KEY}/online-valid.json');
    const run = await runFeed(def, { kind: 'remote' }, env({ TEST_PT_APP_KEY: APP_KEY }));
    assert.equal(run.status, 'success', run.error ?? '');
    assert.ok((run.result?.added ?? 0) > 0);
    assert.equal(server.hits.get(`/data/${APP_KEY}/online-valid.json`), 1);
    assert.ok(!JSON.stringify(run).includes(APP_KEY), 'not in the run record');
    assert.ok(!JSON.stringify(await store.feedState('pt-key')).includes(APP_KEY), 'not in the feed state');
    assert.ok(!JSON.stringify(await store.feedDefinitions.list()).includes(APP_KEY), "not in the stored definition");
    assert.ok(JSON.stringify(await store.feedDefinitions.list()).includes("{env:TEST_PT_APP_KEY}"), "the stored definition keeps the placeholder");
    assert.ok(publicFeedUrl(def.url)?.includes('%7Benv:TEST_PT_APP_KEY%7D'), 'what readers of GET /api/v1/feeds see');
  });

  test('an unset variable fails the run before any request, naming it', async () => {
    const before = server.requests.length;
    const run = await runFeed(feed('pt-unset', '/data/{env:TEST_PT_APP_KEY}/online-valid.json'), { kind: 'remote' }, env({}));
    assert.equal(run.status, 'failure');
    assert.equal(run.error, 'feed "pt-unset": its URL takes {env:TEST_PT_APP_KEY} from the environment; set TEST_PT_APP_KEY');
    assert.equal(server.requests.length, before);
  });

  test('a failed fetch: the value was sent, and is in no error', async () => {
    const run = await runFeed(feed('pt-404', '/missing/{env:TEST_PT_APP_KEY}/online-valid.json'), { kind: 'remote' }, env({ TEST_PT_APP_KEY: APP_KEY }));
    assert.equal(run.status, 'failure');
    assert.match(run.error ?? '', /404/);
    assert.ok(!JSON.stringify(run).includes(APP_KEY));
    assert.ok(server.requests.some((r) => r.path === `/missing/${APP_KEY}/online-valid.json`), 'the value was sent');
  });

  test('expandFeedUrl: every placeholder filled, the value encoded for a URL, the secrets listed to keep out of errors', () => {
    const def = feed('pt-unit', '/');
    const r = expandFeedUrl(def, 'https://feeds.example/{env:A}/x/{env:B}.json', { A: 'k/1 2', B: 'b' });
    assert.equal(r.url, 'https://feeds.example/k%2F1%202/x/b.json');
    assert.deepEqual(r.secrets, [['k/1 2', '{env:A}'], ['b', '{env:B}']]);
    assert.deepEqual(expandFeedUrl(def, 'https://feeds.example/plain', {}), { url: 'https://feeds.example/plain', secrets: [] });
    assert.throws(() => expandFeedUrl(def, 'https://feeds.example/{env:A}', { A: ' ' }), /set A$/);
  });
});
