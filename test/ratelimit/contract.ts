/**
 * The rate-limiter contract: every RateLimiter (memory, Redis) must pass these same cases.
 * Time is passed in, so nothing sleeps.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import type { RateLimiter, RateLimits } from '../../src/ratelimit/types.ts';

export interface RateLimiterFixture {
  limiter: RateLimiter;
  cleanup(): Promise<void>;
}

// A fixed instant in the middle of a UTC day, on a whole second.
const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
const DAY_END_SECONDS = Date.UTC(2026, 11, 1, 0, 0, 0) / 1000;

let keySeq = 0;
function freshKey(): string {
  keySeq += 1;
  return `key_${process.pid}_${Date.now()}_${keySeq}`;
}

async function consumeMany(l: RateLimiter, key: string, limits: RateLimits, n: number, nowMs: number) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await l.consume(key, limits, nowMs));
  return out;
}

export function runRateLimiterContract(name: string, factory: () => Promise<RateLimiterFixture>): void {
  describe(`RateLimiter contract: ${name}`, () => {
    let fixture: RateLimiterFixture | undefined;
    const limiter = async (): Promise<RateLimiter> => {
      fixture ??= await factory();
      return fixture.limiter;
    };
    after(async () => {
      await fixture?.cleanup();
    });

    it('allows perMinute requests, counting remaining down, then refuses with rate_limit_exceeded', async () => {
      const l = await limiter();
      const key = freshKey();
      const limits = { perMinute: 5, perDay: 1000 };
      const got = await consumeMany(l, key, limits, 6, T0 + 250);
      assert.deepEqual(got.map((d) => d.allowed), [true, true, true, true, true, false]);
      assert.deepEqual(got.slice(0, 5).map((d) => d.remaining), [4, 3, 2, 1, 0]);
      for (const d of got) assert.equal(d.limit, 5);
      const refused = got[5]!;
      assert.equal(refused.reason, 'rate_limit_exceeded');
      assert.equal(refused.window, 'minute');
      assert.equal(refused.remaining, 0);
      assert.equal(refused.resetAt, T0 / 1000 + 60, 'the window frees when the oldest request is a minute old');
      assert.equal(refused.retryAfter, 60);
    });

    it('is a rolling minute: capacity returns as the oldest requests age out, not all at once', async () => {
      const l = await limiter();
      const key = freshKey();
      const limits = { perMinute: 10, perDay: 1000 };
      await consumeMany(l, key, limits, 6, T0);
      await consumeMany(l, key, limits, 4, T0 + 30_000);
      const atFull = await l.consume(key, limits, T0 + 59_999);
      assert.equal(atFull.allowed, false, 'still inside the minute of the first six');
      assert.equal(atFull.retryAfter, 1);
      const after60 = await consumeMany(l, key, limits, 7, T0 + 60_000);
      assert.deepEqual(after60.map((d) => d.allowed), [true, true, true, true, true, true, false],
        'exactly the six requests from T0 have left the window');
      const refused = after60[6]!;
      assert.equal(refused.resetAt, (T0 + 30_000) / 1000 + 60);
      assert.equal(refused.retryAfter, 30);
    });

    it('does not count refused requests against the window', async () => {
      const l = await limiter();
      const key = freshKey();
      const limits = { perMinute: 3, perDay: 1000 };
      await consumeMany(l, key, limits, 3, T0);
      const hammer = await consumeMany(l, key, limits, 20, T0 + 10_000);
      assert.ok(hammer.every((d) => !d.allowed));
      const later = await consumeMany(l, key, limits, 4, T0 + 60_000);
      assert.deepEqual(later.map((d) => d.allowed), [true, true, true, false]);
    });

    it('enforces the daily quota until the next UTC midnight', async () => {
      const l = await limiter();
      const key = freshKey();
      const limits = { perMinute: 100, perDay: 3 };
      const first = await consumeMany(l, key, limits, 2, T0);
      assert.deepEqual(first.map((d) => d.remaining), [2, 1], 'remaining never promises more than the quota allows');
      const third = await l.consume(key, limits, T0 + 3_600_000);
      assert.equal(third.allowed, true);
      assert.equal(third.remaining, 0);
      const fourth = await l.consume(key, limits, T0 + 7_200_000);
      assert.equal(fourth.allowed, false);
      assert.equal(fourth.reason, 'quota_exceeded');
      // the refusal describes the limit that refused: the daily quota, resetting at midnight
      assert.equal(fourth.limit, 3);
      assert.equal(fourth.window, 'day');
      assert.equal(fourth.remaining, 0);
      assert.equal(fourth.resetAt, DAY_END_SECONDS);
      assert.equal(fourth.retryAfter, DAY_END_SECONDS - (T0 + 7_200_000) / 1000);
      const tomorrow = await l.consume(key, limits, DAY_END_SECONDS * 1000 + 1);
      assert.equal(tomorrow.allowed, true, 'a new UTC day starts a new quota');
    });

    it('reports quota_exceeded when both the minute and the day are used up', async () => {
      const l = await limiter();
      const key = freshKey();
      const limits = { perMinute: 2, perDay: 2 };
      await consumeMany(l, key, limits, 2, T0);
      const d = await l.consume(key, limits, T0 + 1);
      assert.equal(d.reason, 'quota_exceeded');
    });

    it('keeps keys independent', async () => {
      const l = await limiter();
      const a = freshKey();
      const b = freshKey();
      const limits = { perMinute: 1, perDay: 10 };
      assert.equal((await l.consume(a, limits, T0)).allowed, true);
      assert.equal((await l.consume(a, limits, T0)).allowed, false);
      assert.equal((await l.consume(b, limits, T0)).allowed, true);
    });

    it('counts concurrent requests atomically: exactly the limit is allowed', async () => {
      const l = await limiter();
      const key = freshKey();
      const limits = { perMinute: 20, perDay: 1000 };
      const all = await Promise.all(Array.from({ length: 60 }, () => l.consume(key, limits, T0 + 500)));
      assert.equal(all.filter((d) => d.allowed).length, 20);
    });

    it('a limit of zero refuses everything', async () => {
      const l = await limiter();
      const d = await l.consume(freshKey(), { perMinute: 0, perDay: 10 }, T0);
      assert.equal(d.allowed, false);
      assert.equal(d.reason, 'rate_limit_exceeded');
    });

    it('an unlimited (Infinity) limit allows and stays finite in its headers', async () => {
      const l = await limiter();
      const d = await l.consume(freshKey(), { perMinute: 5, perDay: Number.POSITIVE_INFINITY }, T0);
      assert.equal(d.allowed, true);
      assert.equal(d.remaining, 4);
    });

    it('rejects nonsensical limits with a clear error', async () => {
      const l = await limiter();
      await assert.rejects(async () => l.consume(freshKey(), { perMinute: -1, perDay: 10 }, T0), /perMinute must be a number >= 0/);
      await assert.rejects(async () => l.consume(freshKey(), { perMinute: 1, perDay: Number.NaN }, T0), /perDay must be a number >= 0/);
    });
  });
}
