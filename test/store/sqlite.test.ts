/**
 * The SQLite store: the shared contract, plus what only the embedded engine has — database
 * URLs, file settings, migrations, throttled key stamps and surviving a killed import.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { runStoreContract } from './contract.ts';
import { openStore, parseStoreUrl } from '../../src/store/index.ts';
import type { StoreLocation } from '../../src/store/index.ts';
import { openSqliteStore, RANGES_AT_SQL } from '../../src/store/sqlite/index.ts';
import { applyMigrations, MIGRATIONS, schemaVersion } from '../../src/store/sqlite/migrations.ts';
import { WriteGate } from '../../src/store/sqlite/write-gate.ts';
import type { SightingRecord } from '../../src/model.ts';

runStoreContract('sqlite', async () => {
  const store = await openStore(':memory:');
  return { store, cleanup: () => store.close() };
});

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'verdict-sqlite-test-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('database URLs', () => {
  const cases: { url: string; expect: StoreLocation }[] = [
    { url: './data/verdict.db', expect: { engine: 'sqlite', path: './data/verdict.db' } },
    { url: '/var/lib/verdict/v.db', expect: { engine: 'sqlite', path: '/var/lib/verdict/v.db' } },
    { url: 'sqlite:./data/v.db', expect: { engine: 'sqlite', path: './data/v.db' } },
    { url: 'sqlite:///var/lib/v.db', expect: { engine: 'sqlite', path: '/var/lib/v.db' } },
    { url: 'sqlite://data/v.db?mode=rwc', expect: { engine: 'sqlite', path: 'data/v.db' } },
    { url: 'file:/tmp/my%20db.sqlite', expect: { engine: 'sqlite', path: '/tmp/my db.sqlite' } },
    { url: ':memory:', expect: { engine: 'sqlite', path: ':memory:' } },
    { url: 'sqlite::memory:', expect: { engine: 'sqlite', path: ':memory:' } },
    { url: 'postgres://u@db:5432/verdict', expect: { engine: 'postgres', url: 'postgres://u@db:5432/verdict' } },
    { url: 'postgresql://u@db/verdict', expect: { engine: 'postgres', url: 'postgresql://u@db/verdict' } },
  ];
  for (const c of cases) {
    it(`${c.url} → ${c.expect.engine}`, () => {
      assert.deepEqual(parseStoreUrl(c.url), c.expect);
    });
  }
  const bad: { url: string; message: RegExp }[] = [
    { url: '', message: /empty/ },
    { url: '   ', message: /empty/ },
    { url: 'mysql://db/verdict', message: /"mysql:" is not supported/ },
    { url: 'sqlite:', message: /names no file/ },
  ];
  for (const c of bad) {
    it(`refuses ${JSON.stringify(c.url)}`, () => {
      assert.throws(() => parseStoreUrl(c.url), c.message);
    });
  }
  it('openStore refuses an unsupported URL before touching anything', async () => {
    await assert.rejects(openStore('redis://localhost'), /not supported/);
  });
});

describe('the database file', () => {
  it('creates the folder and a WAL file with 16 KiB pages, and keeps data across reopen', async () => {
    const path = join(dir, 'nested', 'deeper', 'verdict.db');
    const store = await openStore(`sqlite:${path}`);
    assert.equal(store.kind, 'sqlite');
    await store.ingest({ feedId: 'f', mode: 'snapshot', runAt: '2026-01-01T00:00:00.000Z' }, [{ type: 'domain', value: 'evil.example' }]);
    await store.close();
    assert.ok(existsSync(path));
    const db = new Database(path, { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('page_size', { simple: true }), 16384);
    db.close();
    const again = await openStore(path);
    assert.equal((await again.sightingsOf('domain', 'evil.example')).length, 1);
    await again.close();
  });

  it('reports a file it cannot create with its name', async () => {
    const blocker = join(dir, 'a-file');
    const store = await openStore(blocker);
    await store.close();
    await assert.rejects(openStore(join(blocker, 'x.db')), (err: Error) => err.message.includes('a-file') && /cannot open/.test(err.message));
  });

  it('refuses calls after close with an error, not a crash', async () => {
    const store = await openStore(':memory:');
    await store.close();
    await store.close();
    await assert.rejects(store.sightingsOf('ipv4', '192.0.2.1'), /not open/);
    await assert.rejects(store.ingest({ feedId: 'f', mode: 'snapshot', runAt: '2026-01-01T00:00:00.000Z' }, []), /cannot start the run/);
  });
});

describe('migrations', () => {
  it('apply once, in order, and record their versions', () => {
    const db = new Database(':memory:');
    assert.deepEqual(applyMigrations(db), MIGRATIONS.map((m) => m.version));
    assert.deepEqual(applyMigrations(db), [], 'second run is a no-op');
    const next = [...MIGRATIONS, { version: MIGRATIONS.length + 1, name: 'add a column', sql: 'ALTER TABLE overrides ADD COLUMN note TEXT' }];
    assert.deepEqual(applyMigrations(db, next), [MIGRATIONS.length + 1]);
    assert.equal(schemaVersion(db), MIGRATIONS.length + 1);
    db.close();
  });

  it('a store of schema 1 upgrades: its feeds get their data age, its rows a date source at their next run', async () => {
    const path = join(dir, 'schema1.db');
    const old = new Database(path);
    applyMigrations(old, MIGRATIONS.filter((m) => m.version === 1));
    const day = (d: number) => Date.UTC(2024, 0, d);
    const row = old.prepare(`INSERT INTO sightings (type, value, feed_id, first_seen, last_seen, listed, updated_at) VALUES ('ipv4', ?, 'f', ?, ?, ?, ?)`);
    row.run('192.0.2.1', day(1), day(5), 1, day(5));
    row.run('192.0.2.2', day(1), day(9), 0, day(9)); // delisted: not what the feed says today
    old.prepare(`INSERT INTO feed_state (feed_id, listed_count, total_count) VALUES ('f', 1, 2)`).run();
    old.close();

    const store = await openSqliteStore(path);
    try {
      assert.equal((await store.feedState('f'))?.dataAsOf, new Date(day(5)).toISOString());
      assert.equal((await store.sightingsOf('ipv4', '192.0.2.1'))[0]?.dateSource, null, 'unknown until the feed runs again');
      const next = await store.ingest({ feedId: 'f', mode: 'incremental', runAt: '2024-02-01T00:00:00.000Z' }, [{ type: 'ipv4', value: '192.0.2.1' }]);
      assert.deepEqual([next.updated, next.unchanged], [1, 0]);
      const [s] = await store.sightingsOf('ipv4', '192.0.2.1');
      assert.deepEqual([s?.firstSeen, s?.lastSeen, s?.dateSource], [new Date(day(1)).toISOString(), '2024-02-01T00:00:00.000Z', 'fetched']);
    } finally {
      await store.close();
    }
  });

  it('a failing migration rolls back and names itself', () => {
    const db = new Database(':memory:');
    applyMigrations(db);
    const broken = [...MIGRATIONS, { version: 99, name: 'broken', sql: 'CREATE TABLE t99 (a); SELECT * FROM no_such_table' }];
    assert.throws(() => applyMigrations(db, broken), /migration 99 \(broken\) failed/);
    assert.equal(schemaVersion(db), MIGRATIONS.length);
    assert.equal(db.prepare(`SELECT COUNT(*) FROM sqlite_master WHERE name = 't99'`).pluck().get(), 0, 'partial DDL rolled back');
    db.close();
  });
});

describe('query plans', () => {
  it('a range lookup seeks the range key first, then each sighting by its key', () => {
    const db = new Database(':memory:');
    applyMigrations(db);
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${RANGES_AT_SQL}`).all(4, 24, '00000000') as { detail: string }[]).map((r) => r.detail);
    db.close();
    assert.match(plan[0] ?? '', /SEARCH r USING PRIMARY KEY \(family=\? AND prefix=\? AND start=\?\)/, plan.join('\n'));
    assert.match(plan[1] ?? '', /SEARCH s USING PRIMARY KEY \(type=\? AND value=\?\)/, plan.join('\n'));
  });
});

describe('lookups of one event-loop turn share a read transaction', () => {
  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
  const run = { mode: 'incremental' as const, runAt: '2026-01-01T00:00:00.000Z' };

  it('a write of this process ends it at once: the next read sees the write', async () => {
    const store = await openSqliteStore(':memory:');
    const read = (value: string) => store.readTogether!(() => store.sightingsOf('ipv4', value));
    assert.deepEqual(await read('192.0.2.7'), []);
    // still in the same turn: the ingest's commit must not be hidden by the snapshot above
    await store.ingest({ feedId: 'f', ...run }, [{ type: 'ipv4', value: '192.0.2.7' }]);
    assert.equal((await read('192.0.2.7')).length, 1);
    await store.close();
  });

  it('ends with the turn: another connection then checkpoints the whole WAL and its writes are seen', async () => {
    const path = join(dir, 'turns', 'verdict.db');
    const store = await openSqliteStore(path);
    await store.ingest({ feedId: 'f', ...run }, [{ type: 'ipv4', value: '192.0.2.8' }]);
    const other = new Database(path);
    other.pragma('busy_timeout = 0');
    const read = (value: string) => store.readTogether!(() => store.sightingsOf('ipv4', value));
    assert.equal((await read('192.0.2.8')).length, 1);
    // the snapshot is held within the turn: the WAL cannot be emptied under it
    other.prepare("UPDATE sightings SET threat_type = 'botnet_cc' WHERE value = '192.0.2.8'").run();
    assert.equal((other.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[])[0]?.busy, 1);
    assert.equal((await read('192.0.2.8'))[0]?.threatType, null, 'one snapshot within the turn');
    await nextTurn();
    assert.deepEqual(other.pragma('wal_checkpoint(TRUNCATE)'), [{ busy: 0, log: 0, checkpointed: 0 }]);
    assert.equal((await read('192.0.2.8'))[0]?.threatType, 'botnet_cc');
    await nextTurn();
    other.close();
    await store.close();
  });

  it('the write gate ends it before each write of this process and after: enter hooks, the write, release hooks', async () => {
    const gate = new WriteGate(100);
    const seen: string[] = [];
    gate.onEnter(() => seen.push('enter'));
    gate.onRelease(() => seen.push('release'));
    await Promise.all([gate.run(async () => void seen.push('run')), gate.write(() => seen.push('write'))]);
    assert.deepEqual(seen, ['enter', 'run', 'release', 'enter', 'write', 'release']);
  });

  it('a store closed within the turn ends it without an error', async () => {
    const store = await openSqliteStore(':memory:');
    await store.readTogether!(() => store.sightingsOf('ipv4', '192.0.2.9'));
    await store.close();
    await nextTurn();
  });
});

describe('API key last-use stamps', () => {
  const key = {
    id: 'k1',
    keyPrefix: 'sk_live_abcd',
    keyHash: 'a'.repeat(64),
    name: 'k',
    tier: 'free' as const,
    scopes: ['read:lookup' as const],
    createdAt: '2026-01-01T00:00:00.000Z',
    lastUsedAt: null,
    expiresAt: null,
    revokedAt: null,
    allowedIps: [],
  };

  it('never move back (how often a key is stamped is src/keys/verify.ts\'s to decide)', async () => {
    const store = await openSqliteStore(':memory:');
    await store.keys.create(key);
    const stamps: [string, string][] = [
      ['2026-01-01T10:00:00.000Z', '2026-01-01T10:00:00.000Z'],
      ['2026-01-01T10:00:30.000Z', '2026-01-01T10:00:30.000Z'],
      ['2026-01-01T09:00:00.000Z', '2026-01-01T10:00:30.000Z'],
    ];
    for (const [at, expected] of stamps) {
      await store.keys.touch('k1', at);
      assert.equal((await store.keys.get('k1'))?.lastUsedAt, expected, `after touch at ${at}`);
    }
    await store.close();
  });

  it('do not wait for an import holding the write lock, and land once it commits', async () => {
    const store = await openSqliteStore(':memory:');
    await store.keys.create(key);
    let release!: () => void;
    const paused = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const inside = new Promise<void>((r) => (started = r));
    async function* slow(): AsyncGenerator<SightingRecord> {
      yield { type: 'ipv4', value: '192.0.2.1' };
      started();
      await paused;
    }
    const importing = store.ingest({ feedId: 'f', mode: 'snapshot', runAt: '2026-01-01T00:00:00.000Z' }, slow());
    await inside;
    const t0 = performance.now();
    await store.keys.touch('k1', '2026-01-01T12:00:00.000Z');
    assert.ok(performance.now() - t0 < 100, 'touch returned without waiting');
    assert.equal((await store.keys.get('k1'))?.lastUsedAt, null, 'deferred while the import runs');
    await store.keys.touch('k1', '2026-01-01T11:00:00.000Z');
    release();
    await importing;
    assert.equal((await store.keys.get('k1'))?.lastUsedAt, '2026-01-01T12:00:00.000Z', 'the later of the deferred stamps');
    await store.close();
  });
});

describe('two processes on one file', () => {
  it('the other sees a run only once it commits, cannot write meanwhile, and picks up new ranges', async () => {
    const path = join(dir, 'shared', 'verdict.db');
    const a = await openSqliteStore(path);
    const b = await openSqliteStore(path, { busyTimeoutMs: 50 });
    let release!: () => void;
    const paused = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const inside = new Promise<void>((r) => (started = r));
    async function* slow(): AsyncGenerator<SightingRecord> {
      yield { type: 'cidr', value: '198.51.100.0/24' };
      started();
      await paused;
      yield { type: 'ipv4', value: '192.0.2.1' };
    }
    assert.deepEqual(await b.rangesContaining('198.51.100.1'), [], 'nothing yet (and b has loaded its range index)');
    const running = a.ingest({ feedId: 'drop', mode: 'snapshot', runAt: '2026-01-01T00:00:00.000Z' }, slow());
    await inside;
    assert.deepEqual(await b.rangesContaining('198.51.100.1'), []);
    const c = await openSqliteStore(path, { busyTimeoutMs: 50 });
    assert.deepEqual(await c.sightingsOf('cidr', '198.51.100.0/24'), [], 'a third process starts (migrations up to date) and reads during the run');
    await c.close();
    await assert.rejects(
      b.ingest({ feedId: 'other', mode: 'snapshot', runAt: '2026-01-01T00:00:00.000Z' }, [{ type: 'domain', value: 'evil.example' }]),
      (err: Error) => err.name === 'IngestError' && /locked|busy/i.test(err.message),
    );
    const d = await openSqliteStore(path, { busyTimeoutMs: 5000 });
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    const override = { type: 'ipv4' as const, value: '192.0.2.9', verdict: 'deny' as const, reason: 'ours', createdAt: '2026-01-01T00:00:00.000Z', createdBy: null };
    const putting = d.overrides.put(override);
    await new Promise((r) => setTimeout(r, 80));
    assert.ok(ticks >= 3, `the event loop keeps running while a write waits for the lock (${ticks} ticks)`);
    assert.equal(await d.overrides.get('ipv4', '192.0.2.9'), null);
    release();
    await running;
    await putting;
    clearInterval(ticker);
    assert.deepEqual(await d.overrides.get('ipv4', '192.0.2.9'), override, 'the waiting write lands once the lock is free');
    await d.close();
    assert.deepEqual((await b.rangesContaining('198.51.100.1')).map((s) => s.value), ['198.51.100.0/24']);
    assert.equal(await b.dataVersion(), await a.dataVersion());
    assert.equal((await b.ingest({ feedId: 'other', mode: 'snapshot', runAt: '2026-01-02T00:00:00.000Z' }, [{ type: 'domain', value: 'evil.example' }])).added, 1);
    await a.close();
    await b.close();
  });
});

describe('a killed import', () => {
  it('kill -9 during a large import leaves the previous data, and the next run completes', { timeout: 60_000 }, async () => {
    const path = join(dir, 'crash', 'verdict.db');
    const baseline: SightingRecord[] = Array.from({ length: 1000 }, (_, i) => ({ type: 'ipv4', value: `172.16.${i >> 8}.${i & 255}` }));
    const first = await openSqliteStore(path);
    await first.ingest({ feedId: 'crash-feed', mode: 'snapshot', runAt: '2026-01-01T00:00:00.000Z' }, baseline);
    const versionBefore = await first.dataVersion();
    await first.close();

    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./ingest-child.ts', import.meta.url)), path, '5000000'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        // well into the transaction: several hundred thousand rows written, many spilled to the WAL
        if (/progress 300000/.test(out)) resolve();
        if (/done/.test(out)) reject(new Error('the child finished before it could be killed'));
      });
      void exited.then(({ code }) => reject(new Error(`child exited early (${code}): ${stderr}`)));
    });
    child.kill('SIGKILL');
    assert.equal((await exited).signal, 'SIGKILL');

    const db = new Database(path);
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    db.close();

    const store = await openSqliteStore(path);
    const state = await store.feedState('crash-feed');
    assert.deepEqual([state?.listedCount, state?.totalCount], [1000, 1000], 'counts as before the killed run');
    assert.equal((await store.stats()).sightings, 1000);
    assert.equal(await store.dataVersion(), versionBefore);
    assert.deepEqual(await store.sightingsOf('ipv4', '10.0.0.1'), [], 'nothing of the killed run is visible');
    assert.equal((await store.sightingsOf('ipv4', '172.16.0.1'))[0]?.listed, true);

    const next: SightingRecord[] = Array.from({ length: 20_000 }, (_, i) => ({ type: 'ipv4', value: `10.0.${i >> 8}.${i & 255}` }));
    const result = await store.ingest({ feedId: 'crash-feed', mode: 'snapshot', runAt: '2026-01-03T00:00:00.000Z' }, next);
    assert.deepEqual(result, { received: 20_000, added: 20_000, updated: 0, unchanged: 0, delisted: 1000 });
    assert.equal((await store.feedState('crash-feed'))?.listedCount, 20_000);
    await store.close();
  });
});
