/** The offline path: local files (plain, gzip, a MISP feed directory), bundled data, and refusing the wrong format. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fetch } from 'undici';
import { catalogFrom, loadBundledData, loadCatalog, runFeed, type RunEnv } from '../../src/feeds/index.ts';
import type { FeedDefinition } from '../../src/feeds/types.ts';
import type { Store } from '../../src/store/types.ts';
import { fixture, quietLogger, tempStore } from './helpers.ts';

const catalog = loadCatalog();
const env = (store: Store, at = '2026-11-30T12:00:00Z'): RunEnv => ({ store, logger: quietLogger, clock: () => new Date(at), fetch, sleep: async () => {} });
const def = (id: string): FeedDefinition => {
  const d = catalog.get(id);
  assert.ok(d, id);
  return d;
};

test('bundled KEV snapshot is loaded once into an empty store and not again', async () => {
  const t = await tempStore();
  try {
    await loadBundledData(t.store, catalog, new Date('2026-11-30T12:00:00Z'));
    const state = await t.store.feedState('cisa-kev');
    assert.equal(state?.listedCount, 1404);
    const [kev] = await t.store.sightingsOf('cve', 'CVE-2025-48384');
    assert.equal(kev?.feedId, 'cisa-kev');
    assert.equal(kev?.attributes.vendorProject, 'Git');
    const runs = state?.lastRun?.startedAt;
    await loadBundledData(t.store, catalog, new Date('2026-12-01T12:00:00Z'));
    assert.equal((await t.store.feedState('cisa-kev'))?.lastRun?.startedAt, runs, 'a store that has the feed is left alone');
  } finally {
    await t.cleanup();
  }
});

test('a gzip file imports like the plain one', async () => {
  const t = await tempStore();
  try {
    const gz = join(t.dir, 'drop.txt.gz');
    writeFileSync(gz, gzipSync(readFileSync(fixture('drop_v4.json'))));
    const run = await runFeed(def('spamhaus-drop'), { kind: 'file', path: gz }, env(t.store));
    assert.equal(run.status, 'success', run.error ?? '');
    assert.equal(run.result?.added, 1406);
    assert.equal((await t.store.rangesContaining('1.19.200.1'))[0]?.value, '1.19.0.0/16');
  } finally {
    await t.cleanup();
  }
});

test('a MISP feed directory imports every event in its manifest', async () => {
  const t = await tempStore();
  try {
    const run = await runFeed(def('circl-osint'), { kind: 'file', path: fixture('misp-feed-handmade') }, env(t.store));
    assert.equal(run.status, 'success', run.error ?? '');
    assert.equal(run.result?.added, 7);
    assert.equal(run.rejected, 1);
    const [ip] = await t.store.sightingsOf('ipv4', '203.0.113.45');
    assert.deepEqual(ip?.attackIds, ['T1105', 'T1566', 'T1566.001']);
    assert.equal((await t.store.sightingsOf('email', 'billing@example-bank.com')).length, 1);
  } finally {
    await t.cleanup();
  }
});

test('internal lists: the denylist CSV and the allowlist text import with their verdict threat types', async () => {
  const t = await tempStore();
  try {
    const deny = await runFeed(def('internal-denylist'), { kind: 'file', path: fixture('internal-denylist-handmade.csv') }, env(t.store));
    assert.equal(deny.result?.added, 3);
    const allow = await runFeed(def('internal-allowlist'), { kind: 'file', path: fixture('internal-allowlist-handmade.txt') }, env(t.store));
    assert.equal(allow.result?.added, 2);
    assert.equal((await t.store.sightingsOf('domain', 'evil.example.com'))[0]?.threatType, 'denylisted');
    assert.equal((await t.store.sightingsOf('ipv4', '192.0.2.53'))[0]?.threatType, 'allowlisted');
  } finally {
    await t.cleanup();
  }
});

test('the wrong format fails the run instead of importing a few stray rows; HTML saved as a file is refused', async () => {
  const t = await tempStore();
  try {
    const wrong = await runFeed(def('et-compromised'), { kind: 'file', path: fixture('urlhaus-handmade.csv') }, env(t.store));
    assert.equal(wrong.status, 'failure');
    assert.match(wrong.error ?? '', /^0 of 4 rows are IPv4 addresses; /);
    assert.equal(wrong.rejected, 4);
    assert.equal((await t.store.feedState('et-compromised'))?.totalCount ?? 0, 0);
    const html = join(t.dir, 'page.txt');
    writeFileSync(html, '<!DOCTYPE html>\n<html><body>Access denied</body></html>\n');
    const page = await runFeed(def('et-compromised'), { kind: 'file', path: html }, env(t.store));
    assert.match(page.error ?? '', /HTML page/);
    const missing = await runFeed(def('et-compromised'), { kind: 'file', path: join(t.dir, 'nope.txt') }, env(t.store));
    assert.equal(missing.status, 'failure');
    assert.match(missing.error ?? '', /^no such file: .*nope\.txt$/);
  } finally {
    await t.cleanup();
  }
});

test('a snapshot import that empties a list is refused unless the drop is allowed', async () => {
  const t = await tempStore();
  try {
    const catalog1 = catalogFrom([{ ...def('internal-allowlist') }]);
    const d = catalog1.get('internal-allowlist');
    assert.ok(d);
    await runFeed(d, { kind: 'file', path: fixture('internal-allowlist-handmade.txt') }, env(t.store));
    const empty = join(t.dir, 'empty.txt');
    writeFileSync(empty, '# nothing on the list any more\n');
    const refused = await runFeed(d, { kind: 'file', path: empty }, env(t.store, '2026-11-30T13:00:00Z'));
    assert.equal(refused.status, 'failure');
    assert.match(refused.error ?? '', /suspect/);
    const allowed = await runFeed(d, { kind: 'file', path: empty, allowDrop: true }, env(t.store, '2026-11-30T14:00:00Z'));
    assert.equal(allowed.status, 'success');
    assert.equal(allowed.result?.delisted, 2);
  } finally {
    await t.cleanup();
  }
});
