/**
 * Token leasing in the Redis limiter: several instances on one Redis still share one limit.
 * Small limits are counted request by request (exact totals); large ones lease small batches
 * and never allow more than the limit in total; headers stay truthful and unspent leases go back.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createRedisRateLimiter, leaseSize, LEASE_MAX } from '../../src/ratelimit/redis.ts';
import type { RateDecision, RateLimiter, RateLimits } from '../../src/ratelimit/types.ts';
import { redisForTests, uniqueSuffix } from '../scaleout/services.ts';

const url = await redisForTests();
const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
const DAY = Math.floor(T0 / 86_400_000);

describe('lease size', () => {
  it('is at most 1 % of the smaller limit and LEASE_MAX, and none under 200', () => {
    assert.equal(leaseSize({ perMinute: 5, perDay: 100 }), 1);
    assert.equal(leaseSize({ perMinute: 199, perDay: 1_000_000 }), 1);
    assert.equal(leaseSize({ perMinute: 200, perDay: 1_000_000 }), 2);
    assert.equal(leaseSize({ perMinute: 10_000, perDay: 1_000 }), 10, 'the daily quota bounds it too');
    assert.equal(leaseSize({ perMinute: 1e9, perDay: Number.POSITIVE_INFINITY }), LEASE_MAX);
    assert.equal(leaseSize({ perMinute: 0, perDay: 0 }), 1);
  });
});

describe('Redis rate limiter leases across instances', { skip: url === null ? 'no Redis reachable' : false }, () => {
  const redisUrl = url ?? '';
  const keyPrefix = `verdict:test:${uniqueSuffix()}:rl:`;
  const silent = pino({ level: 'silent' });
  const redis = url ? new Redis(redisUrl) : null;
  after(async () => {
    if (!redis) return;
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });
  const make = () => createRedisRateLimiter({ url: redisUrl, failurePolicy: 'closed', logger: silent, keyPrefix });

  /** What Redis counts for a key: requests in the minute hash and today's counter. */
  async function counted(keyId: string): Promise<{ minute: number; day: number }> {
    const fields = await redis!.hgetall(`${keyPrefix}{${keyId}}:m`);
    const minute = Object.values(fields).reduce((sum, v) => sum + Number(v), 0);
    const day = Number((await redis!.get(`${keyPrefix}{${keyId}}:d:${DAY}`)) ?? '0');
    return { minute, day };
  }

  /** `total` requests spread over the limiters in turn, `concurrency` at a time. */
  async function hammer(ls: RateLimiter[], keyId: string, limits: RateLimits, total: number, concurrency: number, nowMs: number) {
    const out: RateDecision[] = [];
    for (let done = 0; done < total; done += concurrency) {
      const n = Math.min(concurrency, total - done);
      out.push(...(await Promise.all(Array.from({ length: n }, (_, i) => ls[(done + i) % ls.length]!.consume(keyId, limits, nowMs)))));
    }
    return out;
  }

  for (const perMinute of [7, 150, 199]) {
    it(`a small limit (${perMinute}/min) is exact in total across two instances`, async () => {
      const [a, b] = [make(), make()];
      const keyId = `small-${perMinute}`;
      try {
        const got = await hammer([a, b], keyId, { perMinute, perDay: 1_000_000 }, perMinute * 2 + 10, 25, T0 + 100);
        assert.equal(got.filter((d) => d.allowed).length, perMinute);
        assert.deepEqual(await counted(keyId), { minute: perMinute, day: perMinute });
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  }

  for (const concurrency of [1, 40]) {
    it(`a large limit leases, yet never allows more than the limit in total (concurrency ${concurrency})`, async () => {
      const [a, b] = [make(), make()];
      const keyId = `large-${concurrency}`;
      const limits = { perMinute: 10_000, perDay: 1_000_000 };
      try {
        const got = await hammer([a, b], keyId, limits, 11_000, concurrency, T0 + 200);
        const allowed = got.filter((d) => d.allowed).length;
        assert.ok(allowed <= 10_000, `allowed ${allowed}`);
        // every lease is spent before its instance asks Redis again, so nothing is stranded
        assert.equal(allowed, 10_000);
        assert.deepEqual(await counted(keyId), { minute: 10_000, day: 10_000 });
        assert.ok(got.slice(-100).every((d) => !d.allowed && d.reason === 'rate_limit_exceeded'));
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  }

  it('a large daily quota is never exceeded either', async () => {
    const [a, b] = [make(), make()];
    const keyId = 'quota';
    const limits = { perMinute: 1_000_000, perDay: 5_000 };
    try {
      const got = await hammer([a, b], keyId, limits, 6_000, 30, T0 + 300);
      assert.equal(got.filter((d) => d.allowed).length, 5_000);
      assert.equal(got.at(-1)!.reason, 'quota_exceeded');
      assert.equal((await counted(keyId)).day, 5_000);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('remaining counts down one per request while spending a lease; another instance sees the rest', async () => {
    const [a, b, c] = [make(), make(), make()];
    const keyId = 'headers';
    const limits = { perMinute: 10_000, perDay: 1_000_000 };
    try {
      const first = await hammer([a], keyId, limits, 250, 1, T0 + 400);
      assert.deepEqual(first.map((d) => d.remaining), Array.from({ length: 250 }, (_, i) => 9_999 - i));
      assert.ok(first.every((d) => d.resetAt === T0 / 1000 + 60));
      // b's reservation counts a's unspent lease as used: it never promises more than is left
      const fromB = await b.consume(keyId, limits, T0 + 500);
      assert.ok(fromB.remaining <= 10_000 - 251, `b says ${fromB.remaining}`);
      assert.ok(fromB.remaining >= 10_000 - 251 - leaseSize(limits), `b says ${fromB.remaining}`);
      // both give their unspent leases back when they close: only the 251 requests stay counted
      await a.close();
      await b.close();
      assert.deepEqual(await counted(keyId), { minute: 251, day: 251 });
      assert.equal((await c.consume(keyId, limits, T0 + 600)).remaining, 10_000 - 252);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  it('gives unspent leases back on close and when they expire, so quiet keys do not lose allowance', async () => {
    const a = make();
    const keyId = 'release';
    const limits = { perMinute: 10_000, perDay: 1_000_000 };
    try {
      await a.consume(keyId, limits, T0);
      assert.deepEqual(await counted(keyId), { minute: 100, day: 100 }, 'a lease of 1 % is counted at once');
      // three seconds later the lease has expired: its rest goes back before the next reservation
      await a.consume(keyId, limits, T0 + 3_000);
      await a.consume(keyId, limits, T0 + 3_000);
      const mid = await counted(keyId);
      assert.equal(mid.day, 1 + 100, 'the first lease kept only its one spent request');
      await a.close();
      assert.deepEqual(await counted(keyId), { minute: 3, day: 3 }, 'close gives back the rest');
    } finally {
      await a.close();
    }
  });

  it('near the limit no lease is granted: the last requests are counted one by one', async () => {
    const a = make();
    const keyId = 'margin';
    const limits = { perMinute: 1_000, perDay: 1_000_000 };
    try {
      // lease size 10, margin 100: reach 950 through requests, then a lone reservation takes one
      await hammer([a], keyId, limits, 950, 1, T0);
      await a.close();
      const before = await counted(keyId);
      const b = make();
      try {
        await b.consume(keyId, limits, T0 + 1);
        assert.equal((await counted(keyId)).minute, before.minute + 1);
      } finally {
        await b.close();
      }
    } finally {
      await a.close();
    }
  });
});
