/**
 * A running API process through database and Redis outages: PostgreSQL down → 503
 * service_unavailable with Retry-After (never a hang, never a 500) and recovery on its own;
 * Redis down under fail-open → lookups go on with per-instance limits.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { postgresForTests, redisForTests } from './services.ts';
import { dropSchema, freshSchemaName } from './postgres.ts';
import { startOutageProxy, type OutageProxy } from './proxy.ts';
import { getJson, randomAdminKey, startInstance, type Instance } from './instances.ts';

const pgUrl = await postgresForTests();
const redisUrl = await redisForTests();
const skip = pgUrl === null ? 'no PostgreSQL reachable' : redisUrl === null ? 'no Redis reachable' : false;

async function eventually(what: string, fn: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not within ${ms} ms: ${what}`);
}

describe('an API instance through PostgreSQL and Redis outages', { skip }, () => {
  const schema = freshSchemaName();
  const adminKey = randomAdminKey();
  let pgProxy: OutageProxy;
  let redisProxy: OutageProxy;
  let api: Instance;

  before(async () => {
    const pgTarget = new URL(pgUrl ?? '');
    const redisTarget = new URL(redisUrl ?? '');
    pgProxy = await startOutageProxy(pgTarget.hostname, Number(pgTarget.port || 5432));
    redisProxy = await startOutageProxy(redisTarget.hostname, Number(redisTarget.port || 6379));
    const db = new URL(pgUrl ?? '');
    db.host = pgProxy.address;
    db.searchParams.set('schema', schema);
    api = await startInstance({
      VERDICT_DATABASE_URL: db.toString(),
      VERDICT_REDIS_URL: `redis://${redisProxy.address}${redisTarget.pathname}`,
      VERDICT_REDIS_FAILURE_POLICY: 'open',
      VERDICT_ADMIN_KEY: adminKey,
      VERDICT_CACHE_TTL_SECONDS: '0',
    });
  });
  after(async () => {
    await api?.stop();
    await pgProxy?.close();
    await redisProxy?.close();
    if (pgUrl) await dropSchema(pgUrl, schema);
  });

  const lookup = () => getJson(`${api.base}/api/v1/lookup?value=192.0.2.44&type=ipv4`, adminKey);

  it('answers 503 with Retry-After while PostgreSQL is down, quickly, and recovers by itself', async () => {
    assert.equal((await lookup()).status, 200);
    await pgProxy.down();
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const r = await lookup();
      assert.equal(r.status, 503, JSON.stringify(r.body));
      assert.equal((r.body['error'] as { code: string }).code, 'service_unavailable');
      assert.ok(Number(r.headers.get('retry-after')) >= 1, 'Retry-After set');
      assert.ok(Date.now() - started < 5000, 'answers within seconds, never hangs');
    }
    await pgProxy.up();
    await eventually('lookups succeed again after PostgreSQL returns', async () => (await lookup()).status === 200);
  });

  it('keeps answering under fail-open while Redis is down, then uses Redis again', async () => {
    await redisProxy.down();
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await lookup()).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200], 'per-instance limits take over');
    await redisProxy.up();
    await eventually('lookups succeed with Redis back', async () => (await lookup()).status === 200);
    const logged = api.output().match(/Redis unreachable/g) ?? [];
    assert.equal(logged.length, 1, `one log line per outage, not per request:\n${api.output()}`);
  });
});
