/**
 * Outages are logged when they start and when they end, never once per refused request: a
 * fail-closed instance without Redis, and an instance whose PostgreSQL goes away and comes back,
 * each answering many requests (and health checks) with 503 meanwhile.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { postgresForTests } from '../scaleout/services.ts';
import { dropSchema, freshSchemaName } from '../scaleout/postgres.ts';
import { startOutageProxy, type OutageProxy } from '../scaleout/proxy.ts';
import { startTestServer, type TestServer } from './server.ts';

const pgUrl = await postgresForTests();
const WARN = 40;

/** Log lines at warn or above, besides the ones named. */
const loud = (s: TestServer) => s.logs.filter((l) => l.level >= WARN);

describe('outages are logged once when they start and once when they end', () => {
  test('fail-closed without Redis: 60 refused requests, one log line', async () => {
    // nothing listens on port 1: Redis is unreachable from the start
    const s = await startTestServer({ env: { VERDICT_REDIS_URL: 'redis://127.0.0.1:1/0', VERDICT_REDIS_FAILURE_POLICY: 'closed', VERDICT_CACHE_TTL_SECONDS: '0' } });
    try {
      const statuses = new Set<number>();
      for (let i = 0; i < 60; i++) {
        const res = await s.fetch('/api/v1/lookup?value=192.0.2.1');
        statuses.add(res.status);
        assert.ok(Number(res.headers.get('retry-after')) >= 1);
        await res.arrayBuffer();
      }
      assert.deepEqual([...statuses], [503]);
      const lines = loud(s);
      assert.equal(lines.filter((l) => /rate-limiter: Redis unreachable, refusing requests/.test(l.msg)).length, 1, JSON.stringify(lines, null, 1));
      assert.ok(lines.length <= 2, `no line per request: ${lines.map((l) => l.msg).join(' | ')}`);
      assert.ok(!s.logs.some((l) => l.msg === 'dependency unavailable' && l.level >= WARN));
    } finally {
      await s.close();
    }
  });

  describe('PostgreSQL down, then back', { skip: pgUrl === null ? 'no PostgreSQL reachable' : false }, () => {
    const schema = freshSchemaName();
    let proxy: OutageProxy | undefined;
    after(async () => {
      await proxy?.close();
      if (pgUrl) await dropSchema(pgUrl, schema);
    });

    test('60 refused lookups and 20 failed health checks: one line when it starts, one when it ends, with the count', async () => {
      const target = new URL(pgUrl ?? '');
      proxy = await startOutageProxy(target.hostname, Number(target.port || 5432));
      const db = new URL(pgUrl ?? '');
      db.host = proxy.address;
      db.searchParams.set('schema', schema);
      const s = await startTestServer({ env: { VERDICT_DATABASE_URL: db.toString(), VERDICT_CACHE_TTL_SECONDS: '0' } });
      try {
        assert.equal((await s.fetch('/api/v1/lookup?value=192.0.2.1')).status, 200);
        const before = loud(s).length;
        await proxy.down();
        const statuses = new Set<number>();
        for (let i = 0; i < 60; i++) {
          const res = await s.fetch(`/api/v1/lookup?value=192.0.2.${i + 2}`);
          statuses.add(res.status);
          await res.arrayBuffer();
        }
        for (let i = 0; i < 20; i++) statuses.add((await s.fetch('/api/v1/health', { key: null })).status);
        assert.deepEqual([...statuses], [503]);
        await proxy.up();
        const deadline = Date.now() + 10_000;
        while (!s.logs.some((l) => /store: PostgreSQL reachable again/.test(l.msg)) && Date.now() < deadline) await sleep(100);
        assert.equal((await s.fetch('/api/v1/lookup?value=192.0.2.1')).status, 200, 'serving again');

        const started = s.logs.filter((l) => /store: PostgreSQL unreachable, answering 503/.test(l.msg));
        const ended = s.logs.filter((l) => /store: PostgreSQL reachable again/.test(l.msg));
        assert.equal(started.length, 1, 'one line when it starts');
        assert.equal(ended.length, 1, 'one line when it ends');
        assert.ok(Number(ended[0]!['refused_requests']) >= 80, `the count in between: ${String(ended[0]!['refused_requests'])}`);
        assert.ok(Number(ended[0]!['outage_ms']) > 0);
        const during = loud(s).slice(before);
        // besides the outage's own line: at most the pool's and the change listener's lost connections (one each), never one per request
        assert.ok(during.length <= 1 + 12, `${during.length} lines: ${during.map((l) => l.msg).join(' | ')}`);
        for (const quiet of ['dependency unavailable', 'health: store unreachable', 'store unreachable', 'internal error']) {
          assert.ok(!during.some((l) => l.msg === quiet), `no "${quiet}" line per request`);
        }
      } finally {
        await s.close();
      }
    });
  });
});
