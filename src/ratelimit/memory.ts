/**
 * Per-instance rate limiter: a rolling minute in one-second buckets plus a UTC-day quota.
 * The Redis limiter runs the same algorithm in a Lua script; both share `decide` so they answer
 * identically (test/ratelimit/contract.ts runs against both).
 */
import type { RateDecision, RateLimiter, RateLimits } from './types.ts';

export const WINDOW_SECONDS = 60;
const DAY_MS = 86_400_000;

/** What the counting step found, before it is turned into headers. */
export interface WindowCounts {
  allowed: boolean;
  reason: 'rate_limit_exceeded' | 'quota_exceeded' | null;
  /** Requests counted in the rolling minute, including this one when allowed. */
  minuteCount: number;
  /** Requests counted today (UTC), including this one when allowed. */
  dayCount: number;
  /** Unix second of the oldest bucket still in the window (this second when empty). */
  oldestSecond: number;
}

/** Rejects limits that would make the arithmetic meaningless; the caller's config is at fault. */
export function checkLimits(limits: RateLimits): void {
  for (const name of ['perMinute', 'perDay'] as const) {
    const v = limits[name];
    if (typeof v !== 'number' || Number.isNaN(v) || v < 0) {
      throw new RangeError(`rate limit ${name} must be a number >= 0, got ${String(v)}`);
    }
  }
}

/** Turns counts into the decision the HTTP layer reports. Quota refusal wins: waiting a minute would not help. */
export function decide(counts: WindowCounts, limits: RateLimits, nowMs: number): RateDecision {
  const nowSec = nowMs / 1000;
  const minuteReset = counts.oldestSecond + WINDOW_SECONDS;
  const dayReset = (Math.floor(nowMs / DAY_MS) + 1) * (DAY_MS / 1000);
  const remaining = Math.max(0, Math.min(limits.perMinute - counts.minuteCount, limits.perDay - counts.dayCount));
  if (counts.allowed) {
    return { allowed: true, limit: limits.perMinute, remaining, resetAt: minuteReset };
  }
  const resetAt = counts.reason === 'quota_exceeded' ? dayReset : minuteReset;
  return {
    allowed: false,
    reason: counts.reason ?? 'rate_limit_exceeded',
    limit: limits.perMinute,
    remaining: 0,
    resetAt,
    retryAfter: Math.max(1, Math.ceil(resetAt - nowSec)),
  };
}

interface KeyWindow {
  /** [unix second, count] pairs, oldest first. */
  buckets: [number, number][];
  minuteCount: number;
  day: number;
  dayCount: number;
}

/** How many consume calls between sweeps of idle keys (keeps memory bounded by active keys). */
const SWEEP_EVERY = 10_000;

export function createMemoryRateLimiter(): RateLimiter {
  const windows = new Map<string, KeyWindow>();
  let calls = 0;

  function prune(w: KeyWindow, nowSecond: number): void {
    while (w.buckets.length > 0 && w.buckets[0]![0] <= nowSecond - WINDOW_SECONDS) {
      w.minuteCount -= w.buckets.shift()![1];
    }
  }

  function sweep(nowSecond: number, day: number): void {
    for (const [key, w] of windows) {
      prune(w, nowSecond);
      if (w.buckets.length === 0 && w.day !== day) windows.delete(key);
    }
  }

  return {
    consume(keyId: string, limits: RateLimits, nowMs: number): RateDecision {
      checkLimits(limits);
      const nowSecond = Math.floor(nowMs / 1000);
      const day = Math.floor(nowMs / DAY_MS);
      if (++calls % SWEEP_EVERY === 0) sweep(nowSecond, day);

      let w = windows.get(keyId);
      if (!w) {
        w = { buckets: [], minuteCount: 0, day, dayCount: 0 };
        windows.set(keyId, w);
      }
      prune(w, nowSecond);
      if (w.day !== day) {
        w.day = day;
        w.dayCount = 0;
      }
      const oldestSecond = w.buckets[0]?.[0] ?? nowSecond;
      let reason: WindowCounts['reason'] = null;
      if (w.dayCount >= limits.perDay) reason = 'quota_exceeded';
      else if (w.minuteCount >= limits.perMinute) reason = 'rate_limit_exceeded';
      if (reason === null) {
        const last = w.buckets[w.buckets.length - 1];
        if (last && last[0] === nowSecond) last[1] += 1;
        else w.buckets.push([nowSecond, 1]);
        w.minuteCount += 1;
        w.dayCount += 1;
      }
      const counts = { allowed: reason === null, reason, minuteCount: w.minuteCount, dayCount: w.dayCount, oldestSecond };
      return decide(counts, limits, nowMs);
    },
    async close(): Promise<void> {
      windows.clear();
    },
  };
}
