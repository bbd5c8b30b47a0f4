/**
 * Redis-only behaviour: limits shared by several instances, and the failure policy when Redis
 * goes away (fail-open to per-instance limits, or fail-closed), logged once per outage.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createRedisRateLimiter, RedisUnavailableError } from '../../src/ratelimit/redis.ts';
import { redisForTests, uniqueSuffix } from '../scaleout/services.ts';
import { startOutageProxy } from '../scaleout/proxy.ts';

const url = await redisForTests();
const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);

function capturingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

async function waitFor(cond: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await sleep(50);
  }
  throw new Error('condition not met in time');
}

describe('Redis rate limiter across instances and outages', { skip: url === null ? 'no Redis reachable' : false }, () => {
  const redisUrl = url ?? '';
  const keyPrefix = `verdict:test:${uniqueSuffix()}:rl:`;
  after(async () => {
    if (!url) return;
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('two instances share one limit: N per minute in total', async () => {
    const silent = pino({ level: 'silent' });
    const a = createRedisRateLimiter({ url: redisUrl, failurePolicy: 'closed', logger: silent, keyPrefix });
    const b = createRedisRateLimiter({ url: redisUrl, failurePolicy: 'closed', logger: silent, keyPrefix });
    try {
      const limits = { perMinute: 7, perDay: 100 };
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).consume('shared-key', limits, T0 + i)),
      );
      assert.equal(results.filter((d) => d.allowed).length, 7);
    } finally {
      await a.close();
      await b.close();
    }
  });

  for (const policy of ['open', 'closed'] as const) {
    it(`fail-${policy}: an outage is handled by policy, logged once, and recovery is logged`, async () => {
      const target = new URL(redisUrl);
      const proxy = await startOutageProxy(target.hostname, Number(target.port || 6379));
      const { logger, lines } = capturingLogger();
      const limiter = createRedisRateLimiter({
        url: `redis://${proxy.address}${target.pathname}`,
        failurePolicy: policy,
        logger,
        keyPrefix,
      });
      const limits = { perMinute: 3, perDay: 100 };
      try {
        assert.equal((await limiter.consume(`outage-${policy}`, limits, T0)).allowed, true, 'works while Redis is up');
        await proxy.down();
        const started = Date.now();
        const during = [];
        for (let i = 0; i < 6; i++) {
          during.push(await Promise.resolve(limiter.consume(`outage-${policy}`, limits, T0 + 1000)).then((d) => d, (e: unknown) => e));
        }
        assert.ok(Date.now() - started < 3000, 'requests do not hang on a dead Redis');
        if (policy === 'open') {
          const allowed = during.map((d) => (d as { allowed: boolean }).allowed);
          assert.deepEqual(allowed, [true, true, true, false, false, false], 'falls back to per-instance limits');
        } else {
          assert.ok(during.every((e) => e instanceof RedisUnavailableError), 'refuses every request');
        }
        const errors = lines.filter((l) => l.level === 50);
        assert.equal(errors.length, 1, 'one log line per outage, not per request');
        assert.match(errors[0]!.msg, /Redis unreachable/);

        await proxy.up();
        await waitFor(async () => {
          const d = await Promise.resolve(limiter.consume(`recover-${policy}-${Date.now()}`, limits, T0)).catch(() => null);
          return d !== null && lines.some((l) => l.level === 30 && /reachable again/.test(l.msg));
        }, 5000);
        assert.equal(lines.filter((l) => l.level === 50).length, 1);
      } finally {
        await limiter.close();
        await proxy.close();
      }
    });
  }
});
