/** A MISP feed over HTTP: manifest first, then only the events changed since the last success. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fetch } from 'undici';
import { loadCatalog, runFeed } from '../../src/feeds/index.ts';
import { fixture, quietLogger, tempStore } from './helpers.ts';
import { startServer } from './server.ts';

const EV1 = '5f1a2b3c-0000-4000-8000-000000000001';
const EV2 = '5f1a2b3c-0000-4000-8000-000000000002';

test('fetches the manifest and its events, then only events newer than the last success', async () => {
  const server = await startServer();
  const t = await tempStore();
  try {
    const manifest = JSON.parse(readFileSync(fixture('misp-feed-handmade/manifest.json'), 'utf8')) as Record<string, { timestamp: number }>;
    server.route('/feed-osint/manifest.json', (_req, res) => res.end(JSON.stringify(manifest)));
    for (const id of [EV1, EV2]) server.route(`/feed-osint/${id}.json`, (_req, res) => res.end(readFileSync(fixture(`misp-feed-handmade/${id}.json`))));
    const base = loadCatalog().get('circl-osint');
    assert.ok(base);
    const def = { ...base, url: `${server.url}/feed-osint/` };
    // the first run happens a few days after both events
    let now = Date.parse('2026-12-01T00:00:00Z');
    const env = { store: t.store, logger: quietLogger, clock: () => new Date(now), fetch, sleep: async () => {} };
    const first = await runFeed(def, { kind: 'remote' }, env);
    assert.equal(first.status, 'success', first.error ?? '');
    assert.equal(first.result?.added, 7);
    assert.equal(server.hits.get(`/feed-osint/${EV1}.json`), 1);
    // a week later: event 2 changed, event 1 did not
    now += 7 * 86_400_000;
    const ev2 = manifest[EV2];
    assert.ok(ev2);
    ev2.timestamp = Math.floor(now / 1000) - 3600;
    const second = await runFeed(def, { kind: 'remote' }, env);
    assert.equal(second.status, 'success', second.error ?? '');
    assert.equal(second.result?.received, 2, 'only the changed event is read');
    assert.equal(server.hits.get(`/feed-osint/${EV1}.json`), 1, 'the unchanged event is not fetched again');
    assert.equal(server.hits.get(`/feed-osint/${EV2}.json`), 2);
    assert.equal((await t.store.feedState('circl-osint'))?.listedCount, 7, 'incremental: nothing delisted');
  } finally {
    await t.cleanup();
    await server.close();
  }
});
