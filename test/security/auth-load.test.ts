/**
 * Unauthenticated load, through a real server on loopback: a wrong key costs at most one store
 * lookup for a while; an address that keeps failing is refused with 429 (and its new keys are no
 * longer looked up) while keys in use keep working; /metrics needs the read:metrics scope, or
 * its own listener.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pino from 'pino';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';
import { createRedisAuthFailureLimiter } from '../../src/ratelimit/auth-failures-redis.ts';
import type { AuthFailureLimiter } from '../../src/ratelimit/auth-failures.ts';
import { redisForTests, uniqueSuffix } from '../scaleout/services.ts';
import { randomKey, startTestServer, type TestServer } from './server.ts';

const redisUrl = await redisForTests();

interface Envelope {
  error: { code: string; request_id: string; details?: Record<string, unknown> };
}

describe('unauthenticated load', () => {
  let s: TestServer;
  let store: Store;
  let dir: string;
  let lookups = 0;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verdict-auth-load-'));
    store = await openStore(join(dir, 'verdict.db'));
    // count every key the store is asked for
    const find = store.keys.findByHash.bind(store.keys);
    store.keys.findByHash = (hash) => {
      lookups += 1;
      return find(hash);
    };
    s = await startTestServer({ env: { VERDICT_AUTH_FAILURES_PER_MINUTE: '10', VERDICT_METRICS_ADDRESS: '127.0.0.1:0' }, overrides: { store } });
  });
  after(async () => {
    await s.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const lookup = (key: string | null) => s.fetch('/api/v1/lookup?value=192.0.2.1', { key });

  test('one wrong key asked again and again costs one store lookup', async () => {
    // the admin key, once: known to exist from now on
    assert.equal((await lookup(s.adminKey)).status, 200);
    const wrong = randomKey();
    const before = lookups;
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await lookup(wrong)).status);
    assert.deepEqual(statuses, [401, 401, 401, 401, 401]);
    assert.equal(lookups - before, 1, 'the store was asked once; the "no such key" answer is remembered');
  });

  test('an address failing past the limit gets 429 with Retry-After, and its new keys are not looked up', async () => {
    // five failures so far (above); five more random keys reach the limit of 10
    for (let i = 0; i < 5; i++) assert.equal((await lookup(randomKey())).status, 401);
    const before = lookups;
    const refused = await lookup(randomKey());
    assert.equal(refused.status, 429);
    const body = (await refused.json()) as Envelope;
    assert.equal(body.error.code, 'rate_limit_exceeded');
    assert.equal(body.error.request_id, refused.headers.get('x-request-id'));
    assert.deepEqual({ ...body.error.details, retry_after: 0 }, { retry_after: 0, limit: 10, window: 'minute', per: 'address' });
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.equal(refused.headers.get('x-ratelimit-limit'), '10');
    assert.equal(refused.headers.get('x-ratelimit-remaining'), '0');
    // the failure that crossed the limit was looked up; what follows is not
    const during = lookups;
    for (let i = 0; i < 20; i++) assert.equal((await lookup(randomKey())).status, 429);
    assert.equal(lookups, during, 'no store lookup for keys the address presents while refused');
    assert.ok(during - before <= 1);
    // a request without a key costs nothing and is not counted: a plain 401
    assert.equal((await lookup(null)).status, 401);
  });

  test('while the address is refused, a key in use keeps working', async () => {
    const ok = await lookup(s.adminKey);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('x-ratelimit-limit'), '10000', 'the key\'s own limits, as usual');
  });

  test('after the minute the address may try again', async () => {
    s.advance(61_000);
    assert.equal((await lookup(randomKey())).status, 401);
    assert.equal((await lookup(s.adminKey)).status, 200);
  });

  test('a key created through the API works at once', async () => {
    const made = await s.fetch('/api/v1/keys', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'new', tier: 'pro' }) });
    assert.equal(made.status, 201);
    const { key } = (await made.json()) as { key: string };
    assert.equal((await lookup(key)).status, 200);
  });

  test('/metrics needs a key with read:metrics; the metrics listener serves it without one, and nothing else', async () => {
    assert.equal((await s.fetch('/metrics', { key: null })).status, 401);
    const made = await s.fetch('/api/v1/keys', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'prometheus', tier: 'pro', scopes: ['read:metrics'] }) });
    assert.equal(made.status, 201, await made.clone().text());
    const { key } = (await made.json()) as { key: string };
    const scraped = await s.fetch('/metrics', { key });
    assert.equal(scraped.status, 200);
    assert.match(await scraped.text(), /verdict_http_requests_total\{method="GET",route="\/api\/v1\/lookup",status="429"\}/);
    assert.equal((await s.fetch('/api/v1/lookup?value=192.0.2.1', { key })).status, 403, 'a metrics key looks nothing up');
    const listener = s.server.metricsAddress;
    assert.ok(listener !== null);
    const open = await fetch(`${listener}/metrics`);
    assert.equal(open.status, 200);
    assert.match(await open.text(), /verdict_http_request_duration_seconds_bucket/);
    const other = await fetch(`${listener}/api/v1/lookup?value=192.0.2.1`, { headers: { authorization: `Bearer ${s.adminKey}` } });
    assert.equal(other.status, 404);
    const body = (await other.json()) as Envelope;
    assert.equal(body.error.code, 'not_found');
    assert.equal(body.error.request_id, other.headers.get('x-request-id'));
  });
});

describe('failed authentications shared through Redis', { skip: redisUrl === null ? 'no Redis reachable' : false }, () => {
  const keyPrefix = `verdict:test:${uniqueSuffix()}:authfail:`;
  const url = redisUrl ?? '';
  let dir: string;
  let a: TestServer;
  let b: TestServer;
  const limiters: AuthFailureLimiter[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verdict-auth-shared-'));
    const env = { VERDICT_REDIS_URL: url, VERDICT_AUTH_FAILURES_PER_MINUTE: '4', VERDICT_CACHE_TTL_SECONDS: '0' };
    const limiter = () => {
      const l = createRedisAuthFailureLimiter({ url, perMinute: 4, logger: pino({ level: 'silent' }), keyPrefix });
      limiters.push(l);
      return l;
    };
    // two instances on one store (the same SQLite file here, as PostgreSQL would be shared)
    a = await startTestServer({ dir, env, overrides: { authFailures: limiter() } });
    b = await startTestServer({ dir, env, adminKey: a.adminKey, overrides: { authFailures: limiter() } });
  });
  after(async () => {
    await a.stop();
    await b.stop();
    // given to the servers, so theirs to use and ours to close
    await Promise.all(limiters.map((l) => l.close()));
    rmSync(dir, { recursive: true, force: true });
    const redis = new Redis(url);
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  test('failures on one instance count on the other: past the shared limit both answer 429', async () => {
    const lookup = (s: TestServer, key: string) => s.fetch('/api/v1/lookup?value=192.0.2.1', { key });
    assert.equal((await lookup(b, b.adminKey)).status, 200);
    const statuses = [];
    for (const s of [a, b, a, b]) statuses.push((await lookup(s, randomKey())).status);
    assert.deepEqual(statuses, [401, 401, 401, 401], 'four failures, two on each instance: at the limit');
    const onA = await lookup(a, randomKey());
    assert.equal(onA.status, 429, 'the fifth, on a, counts the four before it wherever they were');
    assert.equal(((await onA.json()) as Envelope).error.details?.['per'], 'address');
    assert.equal((await lookup(b, randomKey())).status, 429, 'b hears it from Redis at its next failure');
    assert.equal((await lookup(b, randomKey())).status, 429, 'and refuses from memory after that');
    assert.equal((await lookup(b, b.adminKey)).status, 200, 'a key in use still works');
  });
});
