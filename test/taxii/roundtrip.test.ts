/**
 * Round trip: Verdict's own TAXII 2.1 feed client (format `taxii21`) pointed at a Verdict server
 * listening on loopback, with the API key as the Basic password as TAXII clients send it, reads a
 * collection page by page and ingests into a second store the same indicators the first holds.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { fetch } from 'undici';
import { runFeed, type RunEnv } from '../../src/feeds/index.ts';
import type { FeedDefinition } from '../../src/feeds/types.ts';
import type { SightingRecord } from '../../src/model.ts';
import type { FeedRunRecord, Store } from '../../src/store/types.ts';
import { collectionId } from '../../src/taxii/ids.ts';
import { makeHarness, NOW, type Harness } from '../http/harness.ts';
import { quietLogger, tempStore } from '../feeds/helpers.ts';

const day = (n: number): string => new Date(NOW.getTime() - n * 86_400_000).toISOString();

const SEEDED: SightingRecord[] = [
  ...Array.from({ length: 12 }, (_, i): SightingRecord => ({ type: 'ipv4', value: `198.51.100.${i + 1}`, threatType: 'botnet_cc', firstSeen: day(30 + i), lastSeen: day(1 + i) })),
  { type: 'ipv6', value: '2001:db8::7', threatType: 'scanner', firstSeen: day(9), lastSeen: day(2) },
  { type: 'domain', value: 'c2.bad-harbor.net', threatType: 'botnet_cc', firstSeen: day(20), lastSeen: day(3) },
  { type: 'url', value: 'http://bad-harbor.net/gate.php?id=1', threatType: 'payload_delivery', firstSeen: day(8), lastSeen: day(2) },
  { type: 'sha256', value: 'b'.repeat(64), threatType: 'payload', firstSeen: day(15), lastSeen: day(15) },
  { type: 'md5', value: 'c'.repeat(32), threatType: 'payload', firstSeen: day(15), lastSeen: day(15) },
  { type: 'email', value: 'billing@bad-harbor.net', threatType: 'phishing', firstSeen: day(6), lastSeen: day(4) },
  { type: 'cve', value: 'CVE-2021-44228', threatType: 'exploited_vulnerability', firstSeen: day(400), lastSeen: day(5) },
];
/** What a STIX reader takes from the collection: every indicator (a CVE is a vulnerability, no indicator). */
const INDICATORS = SEEDED.filter((r) => r.type !== 'cve');

let h: Harness;
let url: string;
let second: { store: Store; cleanup(): Promise<void> };
let key: string;

before(async () => {
  h = await makeHarness();
  key = (await h.createKey('enterprise', ['read:export'])).key;
  await h.ingest('cisa-alerts', SEEDED);
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  second = await tempStore();
});
after(async () => {
  await second.cleanup();
  await h.close();
});

/**
 * One run of a taxii21 feed reading this server's TAXII API root into `store`, with `credentials`
 * (`user:key`) as the Basic credentials and `options` besides the one naming their variable.
 */
function pull(store: Store, feed: Pick<FeedDefinition, 'id' | 'name' | 'options'> & { credentials: string; maxBytes: number }): Promise<FeedRunRecord> {
  const def: FeedDefinition = {
    id: feed.id, name: feed.name, category: 'internal', reliability: 'B', format: 'taxii21', url: `${url}/taxii2/api/`,
    interval: 3600, mode: 'incremental', enabled: true, license: 'internal', options: { authEnv: 'UPSTREAM_AUTH', ...feed.options },
  };
  const env: RunEnv = {
    store, logger: quietLogger, clock: () => NOW, fetch, sleep: async () => {},
    env: { UPSTREAM_AUTH: `Basic ${Buffer.from(feed.credentials).toString('base64')}` },
    fetchSettings: { timeoutMs: 5_000, maxBytes: feed.maxBytes, retries: 0, backoffMs: 0 },
  };
  return runFeed(def, { kind: 'remote' }, env);
}

test("Verdict's taxii21 client reads a Verdict collection over loopback, page by page, into a second store with the same indicators", async () => {
  const run = await pull(second.store, {
    id: 'verdict-upstream',
    name: 'Upstream Verdict',
    credentials: `verdict:${key}`,
    // five objects a page: 6 reference objects and 18 indicators come only by following `next`
    options: { collectionId: collectionId('all'), pageSize: 5 },
    maxBytes: 10_000_000,
  });
  assert.equal(run.status, 'success', run.error ?? '');
  const missing: string[] = [];
  for (const r of INDICATORS) if ((await second.store.sightingsOf(r.type, r.value)).length === 0) missing.push(`${r.type} ${r.value}`);
  assert.deepEqual(missing, [], `rejected ${run.rejected}: ${JSON.stringify(run.rejectedSamples)}`);
  assert.equal(run.result?.added, INDICATORS.length);
  assert.equal((await second.store.stats()).indicators, INDICATORS.length, 'nothing else came across');
  for (const r of INDICATORS) {
    const [s] = await second.store.sightingsOf(r.type, r.value);
    assert.ok(s !== undefined, `${r.type} ${r.value} came across`);
    assert.equal(s.value, r.value);
    assert.equal(s.firstSeen, new Date(r.firstSeen!).toISOString(), `${r.value}: first seen is valid_from`);
  }
});

test('the same run with a key lacking read:export fails on a 403 and ingests nothing', async () => {
  const reader = (await h.createKey('pro', ['read:iocs'])).key;
  const other = await tempStore();
  try {
    const run = await pull(other.store, { id: 'verdict-refused', name: 'Refused', credentials: `x:${reader}`, maxBytes: 1_000_000 });
    assert.equal(run.status, 'failure');
    assert.match(run.error ?? '', /403/);
    assert.equal((await other.store.stats()).indicators, 0);
  } finally {
    await other.cleanup();
  }
});
