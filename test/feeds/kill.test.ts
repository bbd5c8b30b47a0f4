/**
 * `kill -9` of a child process in the middle of `verdict feeds import`: the SQLite store must be
 * consistent afterwards (the feed's previous data intact, none of the killed run's rows visible)
 * and the next run must complete.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetch } from 'undici';
import { loadCatalog, runFeed } from '../../src/feeds/index.ts';
import { openStore } from '../../src/store/index.ts';
import { fixture, quietLogger, tempStore } from './helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/verdict.js', import.meta.url));
// large enough that the import outgrows the write cache and spills into the WAL while still running
const ROWS = 1_000_000;

function bigList(path: string): void {
  // the feed's current list plus many more, so the next run is a plain growth, not a suspect drop
  const lines: string[] = ['# generated list for the kill test', readFileSync(fixture('et-compromised-ips.txt'), 'utf8').trim()];
  for (let i = 0; i < ROWS; i++) lines.push(`${11 + ((i >> 16) & 127)}.${(i >> 8) & 255}.${i & 255}.7`);
  writeFileSync(path, lines.join('\n') + '\n');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A bound for a stuck test, not a speed figure: a million-row import takes ~5 s alone and far longer on a loaded 2-core machine.
test('kill -9 during an import leaves the store consistent and the next run completes', { timeout: 240_000 }, async () => {
  const t = await tempStore();
  const catalog = loadCatalog();
  const def = catalog.get('et-compromised');
  assert.ok(def);
  const env = { store: t.store, logger: quietLogger, clock: () => new Date(), fetch, sleep: async () => {} };
  const first = await runFeed(def, { kind: 'file', path: fixture('et-compromised-ips.txt') }, env);
  assert.equal(first.status, 'success', first.error ?? '');
  const before = await t.store.feedState('et-compromised');
  const versionBefore = await t.store.dataVersion();
  await t.store.close();

  const big = join(t.dir, 'big.txt');
  bigList(big);

  const child = spawn(process.execPath, [BIN, 'feeds', 'import', 'et-compromised', big, '--json'], {
    env: { ...process.env, VERDICT_DATABASE_URL: t.url, VERDICT_LOG_LEVEL: 'error' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let exited = false;
  const exit = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => { exited = true; resolve(signal); }));
  // the write-ahead log grows once the import's transaction is writing rows: kill it then
  const wal = `${t.url}-wal`;
  const deadline = Date.now() + 30_000;
  while (!exited && Date.now() < deadline && !(existsSync(wal) && statSync(wal).size > 1_000_000)) await sleep(20);
  assert.equal(exited, false, 'the import was still running when killed');
  child.kill('SIGKILL');
  assert.equal(await exit, 'SIGKILL');

  const store = await openStore(t.url, { logger: quietLogger });
  try {
    await store.migrate();
    const after = await store.feedState('et-compromised');
    assert.equal(after?.listedCount, before?.listedCount, 'the previous snapshot is intact');
    assert.equal(after?.totalCount, before?.totalCount);
    assert.equal(await store.dataVersion(), versionBefore, 'no partial run was committed');
    assert.deepEqual(await store.sightingsOf('ipv4', '11.0.0.7'), [], 'none of the killed run\'s rows are visible');
    const next = await runFeed(def, { kind: 'file', path: big }, { ...env, store });
    assert.equal(next.status, 'success', next.error ?? '');
    assert.equal(next.result?.received, ROWS + (before?.listedCount ?? 0));
    assert.equal((await store.sightingsOf('ipv4', '11.0.0.7')).length, 1);
  } finally {
    await store.close();
    t.store = store;
    await t.cleanup().catch(() => {});
  }
});
