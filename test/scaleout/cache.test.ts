/**
 * Lookup caches (memory and Redis): the same cases against both, then what only one of them does.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import pino from 'pino';
import { Writable } from 'node:stream';
import type { LookupCache } from '../../src/cache/types.ts';
import { createMemoryLookupCache } from '../../src/cache/memory.ts';
import { createRedisLookupCache } from '../../src/cache/redis.ts';
import { redisForTests, uniqueSuffix } from './services.ts';
import { startOutageProxy } from './proxy.ts';

const redisUrl = await redisForTests();
const prefix = `verdict:test:${uniqueSuffix()}:lookup:`;
const silent = pino({ level: 'silent' });

const result = { value: '192.0.2.1', type: 'ipv4', risk_score: 'high', sources: [{ feed_name: 'X', category: 'community' }] };

function cacheCases(name: string, make: () => LookupCache) {
  describe(`LookupCache: ${name}`, () => {
    const cache = make();
    after(() => cache.close());

    it('misses, then returns what was stored for the same data version', async () => {
      assert.equal(await cache.get('ipv4:192.0.2.1', 7), undefined);
      await cache.set('ipv4:192.0.2.1', 7, result);
      assert.deepEqual(await cache.get('ipv4:192.0.2.1', 7), result);
    });

    it('never serves an entry from another data version', async () => {
      await cache.set('domain:evil.example', 3, { v: 3 });
      assert.equal(await cache.get('domain:evil.example', 4), undefined, 'a feed run bumped the version');
      await cache.set('domain:evil.example', 4, { v: 4 });
      assert.deepEqual(await cache.get('domain:evil.example', 4), { v: 4 });
    });

    it('keeps keys apart', async () => {
      await cache.set('md5:aa', 1, 'a');
      await cache.set('md5:bb', 1, 'b');
      assert.equal(await cache.get('md5:aa', 1), 'a');
      assert.equal(await cache.get('md5:bb', 1), 'b');
    });
  });
}

cacheCases('memory', () => createMemoryLookupCache({ ttlSeconds: 60 }));

describe('memory lookup cache: TTL and size', () => {
  it('expires entries after the TTL', async () => {
    let now = 1_000_000;
    const cache = createMemoryLookupCache({ ttlSeconds: 30, clock: () => now });
    await cache.set('k', 1, 'v');
    now += 29_999;
    assert.equal(await cache.get('k', 1), 'v');
    now += 1;
    assert.equal(await cache.get('k', 1), undefined);
  });

  it('evicts the least recently used entry past maxEntries', async () => {
    const cache = createMemoryLookupCache({ ttlSeconds: 60, maxEntries: 2 });
    await cache.set('a', 1, 'A');
    await cache.set('b', 1, 'B');
    assert.equal(await cache.get('a', 1), 'A'); // a is now the most recent
    await cache.set('c', 1, 'C');
    assert.equal(await cache.get('b', 1), undefined);
    assert.equal(await cache.get('a', 1), 'A');
    assert.equal(await cache.get('c', 1), 'C');
  });

  it('a TTL of zero disables caching; bad settings are refused clearly', async () => {
    const cache = createMemoryLookupCache({ ttlSeconds: 0 });
    await cache.set('k', 1, 'v');
    assert.equal(await cache.get('k', 1), undefined);
    assert.throws(() => createMemoryLookupCache({ ttlSeconds: -1 }), /ttlSeconds must be/);
    assert.throws(() => createMemoryLookupCache({ ttlSeconds: 5, maxEntries: 0 }), /maxEntries must be/);
  });
});

if (redisUrl === null) {
  it('Redis lookup cache', { skip: 'no Redis reachable' }, () => {});
} else {
  const url = redisUrl;
  cacheCases('redis', () => createRedisLookupCache({ url, ttlSeconds: 60, logger: silent, keyPrefix: prefix }));

  describe('Redis lookup cache: sharing, TTL and outages', () => {
    after(async () => {
      const redis = new Redis(url);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    });

    it('an entry written by one instance is read by another, and expires by TTL in Redis', async () => {
      const a = createRedisLookupCache({ url, ttlSeconds: 45, logger: silent, keyPrefix: prefix });
      const b = createRedisLookupCache({ url, ttlSeconds: 45, logger: silent, keyPrefix: prefix });
      const redis = new Redis(url);
      try {
        await a.set('url:http://x.example/', 9, result);
        assert.deepEqual(await b.get('url:http://x.example/', 9), result);
        const ttl = await redis.ttl(`${prefix}9:url:http://x.example/`);
        assert.ok(ttl > 40 && ttl <= 45, `TTL set on the key (got ${ttl})`);
      } finally {
        await a.close();
        await b.close();
        redis.disconnect();
      }
    });

    it('keeps an in-process level, keyed by version too, that answers without Redis', async () => {
      const target = new URL(url);
      const proxy = await startOutageProxy(target.hostname, Number(target.port || 6379));
      const cache = createRedisLookupCache({ url: `redis://${proxy.address}${target.pathname}`, ttlSeconds: 60, logger: silent, keyPrefix: prefix });
      try {
        await cache.set('near', 5, { v: 5 });
        await proxy.down();
        assert.deepEqual(await cache.get('near', 5), { v: 5 }, 'served from this process');
        assert.equal(await cache.get('near', 6), undefined, 'never for another data version');
      } finally {
        await cache.close();
        await proxy.close();
      }
    });

    it('a Redis outage turns the cache into misses, logged once, and it recovers', async () => {
      const target = new URL(url);
      const proxy = await startOutageProxy(target.hostname, Number(target.port || 6379));
      const lines: { level: number; msg: string }[] = [];
      const logger = pino({ level: 'info' }, new Writable({
        write(chunk: Buffer, _e, done) {
          lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
          done();
        },
      }));
      // the Redis level alone (no in-process level), so what is seen is Redis's behaviour
      const cache = createRedisLookupCache({ url: `redis://${proxy.address}${target.pathname}`, ttlSeconds: 60, logger, keyPrefix: prefix, localEntries: 0 });
      try {
        await cache.set('k', 1, 'v');
        assert.equal(await cache.get('k', 1), 'v');
        await proxy.down();
        const started = Date.now();
        for (let i = 0; i < 5; i++) {
          assert.equal(await cache.get('k', 1), undefined);
          await cache.set('k', 1, 'w');
        }
        assert.ok(Date.now() - started < 3000, 'a dead Redis does not stall lookups');
        assert.equal(lines.filter((l) => l.level === 50).length, 1);
        await proxy.up();
        const deadline = Date.now() + 5000;
        let back: unknown;
        while (Date.now() < deadline && back !== 'v') {
          back = await cache.get('k', 1);
          await new Promise((r) => setTimeout(r, 50));
        }
        assert.equal(back, 'v', 'served again once Redis is back');
        assert.ok(lines.some((l) => l.level === 30 && /reachable again/.test(l.msg)));
      } finally {
        await cache.close();
        await proxy.close();
      }
    });
  });
}
