/**
 * The PostgreSQL run lock: one holder per name across instances (separate pools stand for
 * separate instances), release on error, and handover when the holder's process dies.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import pg from 'pg';
import { runLockFor } from '../../src/leader/postgres.ts';
import { createPostgresRunLock, handoverBoundSeconds } from '../../src/store/postgres/run-lock.ts';
import type { Store } from '../../src/store/types.ts';
import { freshPostgresStore } from './postgres.ts';
import { postgresForTests } from './services.ts';

const url = await postgresForTests();

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('PostgreSQL run lock', { skip: url === null ? 'no PostgreSQL reachable' : false }, () => {
  const pools = [new pg.Pool({ connectionString: url ?? '', max: 3 }), new pg.Pool({ connectionString: url ?? '', max: 3 })];
  after(() => Promise.all(pools.map((p) => p.end())));
  const [lockA, lockB] = pools.map((p) => createPostgresRunLock(p));
  const name = () => `feed:test-${process.pid}-${Math.random().toString(36).slice(2)}`;

  it('lets one instance run a name while another skips it, then hands it over', async () => {
    const n = name();
    const gate = deferred();
    const started = deferred();
    const running = lockA!.withLock(n, async () => {
      started.resolve();
      await gate.promise;
      return 'a';
    });
    await started.promise;
    let ranB = false;
    assert.equal(await lockB!.withLock(n, async () => (ranB = true)), undefined);
    assert.equal(ranB, false, 'the other instance did not run it');
    assert.equal(await lockA!.withLock(n, async () => 'again'), undefined, 'nor does a second run on the same instance');
    assert.equal(await lockB!.withLock(name(), async () => 'other'), 'other', 'other names are independent');
    gate.resolve();
    assert.equal(await running, 'a');
    assert.equal(await lockB!.withLock(n, async () => 'b'), 'b', 'free once the holder finished');
  });

  it('releases the lock when the run throws', async () => {
    const n = name();
    await assert.rejects(lockA!.withLock(n, async () => { throw new Error('feed broke'); }), /feed broke/);
    assert.equal(await lockB!.withLock(n, async () => 'ok'), 'ok');
  });

  it('frees the lock when the holding process dies', async () => {
    const n = name();
    // A separate process takes the lock exactly as the worker would, then is killed.
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', `
      import pg from 'pg';
      import { createPostgresRunLock } from './src/store/postgres/run-lock.ts';
      const pool = new pg.Pool({ connectionString: ${JSON.stringify(url)} });
      await createPostgresRunLock(pool).withLock(${JSON.stringify(n)}, async () => {
        process.stdout.write('locked\\n');
        await new Promise(() => {});
      });
    `], { stdio: ['ignore', 'pipe', 'inherit'], cwd: process.cwd() });
    try {
      const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
      assert.match(chunk.toString(), /locked/);
      assert.equal(await lockB!.withLock(n, async () => 'stolen'), undefined, 'held while the leader lives');
      child.kill('SIGKILL');
      await once(child, 'exit');
      const killedAt = Date.now();
      let got: string | undefined;
      while (got === undefined && Date.now() - killedAt < handoverBoundSeconds() * 1000) {
        got = await lockB!.withLock(n, async () => 'taken over');
        if (got === undefined) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(got, 'taken over');
      assert.ok(Date.now() - killedAt < 5000, 'a crashed leader frees its lock at once (its socket closes)');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('takes the store\'s own lock when it offers one, an in-process one otherwise', async () => {
    let fallbackUsed = 0;
    const fallback = () => {
      fallbackUsed++;
      return { withLock: async <T>(_n: string, fn: () => Promise<T>) => fn() };
    };
    runLockFor({ kind: 'sqlite', offThreadParsing: true } as Store, fallback);
    assert.equal(fallbackUsed, 1, 'a store without a run lock: the in-process one');
    const { store, cleanup } = await freshPostgresStore(url ?? '');
    try {
      const lock = runLockFor(store, fallback);
      assert.equal(fallbackUsed, 1, 'the PostgreSQL store offers its own');
      const n = name();
      const gate = deferred();
      const started = deferred();
      const running = lock.withLock(n, async () => {
        started.resolve();
        await gate.promise;
      });
      await started.promise;
      assert.equal(await lockB!.withLock(n, async () => 'other instance'), undefined, 'and it holds across instances');
      gate.resolve();
      await running;
    } finally {
      await cleanup();
    }
  });
});
