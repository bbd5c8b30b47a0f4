/**
 * Instances starting together on an empty store: none crashes (on the key table's unique index,
 * a migration, the bundled data) and exactly one admin key is made — with two real `verdict
 * serve` processes on one SQLite file, and two `startServer`s at once on one SQLite file and on
 * one PostgreSQL schema.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config.ts';
import { startServer } from '../../src/main.ts';
import { openStore } from '../../src/store/index.ts';
import { postgresForTests } from '../scaleout/services.ts';
import { dropSchema, freshSchemaName } from '../scaleout/postgres.ts';
import { getJson, startInstance } from '../scaleout/instances.ts';
import { randomKey } from './server.ts';

const pgUrl = await postgresForTests();
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'verdict-race-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const NOTICE = /Created the first admin key/g;

async function keysIn(databaseUrl: string) {
  const store = await openStore(databaseUrl);
  try {
    return await store.keys.list();
  } finally {
    await store.close();
  }
}

/** Resolves once `n` callers have arrived (or after 5 s, so a test cannot hang on it). */
function barrier(n: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
    setTimeout(resolve, 5_000).unref();
  });
  return () => {
    if (++arrived >= n) open();
    return opened;
  };
}

/**
 * Two `startServer`s at once, each with its own connections to one store. Both find the key
 * table empty before either stores a key (each waits for the other after counting): the
 * narrowest race there is. Both must listen, and one admin key exist.
 */
async function twoAtOnce(databaseUrl: string, adminKey: string | null) {
  const printed: string[] = [];
  const config = loadConfig({
    VERDICT_DATABASE_URL: databaseUrl,
    VERDICT_HOST: '127.0.0.1',
    VERDICT_PORT: '0',
    VERDICT_SCHEDULER: 'off',
    VERDICT_LOG_LEVEL: 'silent',
    ...(adminKey ? { VERDICT_ADMIN_KEY: adminKey } : {}),
  });
  const stores = await Promise.all([openStore(databaseUrl), openStore(databaseUrl)]);
  const bothCounted = barrier(2);
  for (const store of stores) {
    const count = store.keys.count.bind(store.keys);
    store.keys.count = async () => {
      const n = await count();
      await bothCounted();
      return n;
    };
  }
  const start = (i: number) => startServer(config, { print: (t) => printed.push(t), overrides: { logger: pino({ level: 'silent' }), store: stores[i]! } });
  const servers = await Promise.all([start(0), start(1)]).catch(async (err: unknown) => {
    await Promise.all(stores.map((s) => s.close()));
    throw err;
  });
  try {
    for (const s of servers) {
      const res = await fetch(`${s.address}/api/v1/health`);
      assert.equal(res.status, 200, `${s.address} answers`);
    }
    return { printed: printed.join('\n'), keys: await keysIn(databaseUrl) };
  } finally {
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all(stores.map((s) => s.close()));
  }
}

describe('instances starting together on an empty store', () => {
  test('two verdict serve processes on one new SQLite file: both serve, one admin key, printed once', async () => {
    const dir = tempDir();
    const db = join(dir, 'verdict.db');
    const [a, b] = await Promise.all([startInstance({ VERDICT_DATABASE_URL: db }), startInstance({ VERDICT_DATABASE_URL: db })]);
    try {
      const printed = [...a.output().matchAll(NOTICE), ...b.output().matchAll(NOTICE)].length;
      assert.equal(printed, 1, `exactly one process made and printed a key:\n--- a\n${a.output()}\n--- b\n${b.output()}`);
      const key = /^\s+(sk_live_[A-Za-z0-9]+)$/m.exec(a.output() + '\n' + b.output())?.[1];
      assert.ok(key);
      for (const inst of [a, b]) assert.equal((await getJson(`${inst.base}/api/v1/lookup?value=192.0.2.1`, key)).status, 200, 'the one key works on both');
      for (const inst of [a, b]) assert.doesNotMatch(inst.output(), /UNIQUE|SQLITE_BUSY|database is locked/i);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    const keys = await keysIn(db);
    assert.equal(keys.length, 1);
    assert.deepEqual(keys[0]!.scopes, ['admin']);
  });

  test('two startServers at once on one SQLite file, generated and configured key', async () => {
    const generated = await twoAtOnce(join(tempDir(), 'verdict.db'), null);
    assert.equal(generated.keys.length, 1);
    assert.equal([...generated.printed.matchAll(NOTICE)].length, 1);
    const configured = await twoAtOnce(join(tempDir(), 'verdict.db'), randomKey());
    assert.equal(configured.keys.length, 1, 'the same configured key is stored once, not refused by the unique index');
    assert.equal(configured.printed, '');
  });

  test('two startServers at once on one new PostgreSQL schema, generated and configured key', { skip: pgUrl === null ? 'no PostgreSQL reachable' : false }, async () => {
    for (const adminKey of [null, randomKey()]) {
      const schema = freshSchemaName();
      const url = new URL(pgUrl ?? '');
      url.searchParams.set('schema', schema);
      try {
        const got = await twoAtOnce(url.toString(), adminKey);
        assert.equal(got.keys.length, 1, `one admin key (${adminKey === null ? 'generated' : 'configured'})`);
        assert.equal([...got.printed.matchAll(NOTICE)].length, adminKey === null ? 1 : 0);
      } finally {
        await dropSchema(pgUrl ?? '', schema);
      }
    }
  });
});
