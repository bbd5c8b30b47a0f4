/**
 * Child process for the crash test: imports a large generated list into the store at argv[2]
 * and reports progress on stdout, so the parent can kill it (SIGKILL) mid-transaction.
 * A small write cache makes SQLite spill uncommitted pages into the WAL before the kill.
 */
import { openSqliteStore } from '../../src/store/sqlite/index.ts';
import type { SightingRecord } from '../../src/model.ts';

const [path, countArg] = process.argv.slice(2);
if (path === undefined || countArg === undefined) {
  console.error('usage: ingest-child.ts DB_PATH COUNT');
  process.exit(2);
}
const count = Number(countArg);

async function* generated(): AsyncGenerator<SightingRecord> {
  for (let i = 0; i < count; i++) {
    if (i > 0 && i % 50_000 === 0) process.stdout.write(`progress ${i}\n`);
    yield { type: 'ipv4', value: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, threatType: 'scanner', tags: ['child'] };
  }
}

const store = await openSqliteStore(path, { writeCacheKiB: 1024 });
const result = await store.ingest({ feedId: 'crash-feed', mode: 'snapshot', runAt: '2026-02-01T00:00:00.000Z' }, generated());
process.stdout.write(`done ${JSON.stringify(result)}\n`);
await store.close();
