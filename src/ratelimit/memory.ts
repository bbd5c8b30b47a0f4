/**
 * Per-instance rate limiter: a rolling minute in one-second buckets plus a UTC-day quota.
 * The Redis limiter runs the same algorithm in a Lua script; both share `decide` so they answer
 * identically (test/ratelimit/contract.ts runs against both).
 *
 * Given a quota ledger (the embedded store's), the day's counts survive a restart: the limiter
 * adds what it counted to the ledger about once a second (and when it closes), and a limiter
 * made by `createLedgerRateLimiter` starts from the counts the ledger holds for today. The
 * rolling minute is not kept: a restart forgets it.
 */
import type { QuotaLedger } from '../store/types.ts';
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

/**
 * Turns counts into the decision the HTTP layer reports. Quota refusal wins: waiting a minute
 * would not help. A refusal reports the limit that refused: the daily quota is a limit of its
 * own, with its own reset, not the per-minute one.
 */
export function decide(counts: WindowCounts, limits: RateLimits, nowMs: number): RateDecision {
  const nowSec = nowMs / 1000;
  const minuteReset = counts.oldestSecond + WINDOW_SECONDS;
  const dayReset = (Math.floor(nowMs / DAY_MS) + 1) * (DAY_MS / 1000);
  const remaining = Math.max(0, Math.min(limits.perMinute - counts.minuteCount, limits.perDay - counts.dayCount));
  if (counts.allowed) {
    return { allowed: true, limit: limits.perMinute, window: 'minute', remaining, resetAt: minuteReset };
  }
  const quota = counts.reason === 'quota_exceeded';
  const resetAt = quota ? dayReset : minuteReset;
  return {
    allowed: false,
    reason: counts.reason ?? 'rate_limit_exceeded',
    limit: quota ? limits.perDay : limits.perMinute,
    window: quota ? 'day' : 'minute',
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
/** How often counts are added to the quota ledger. */
export const LEDGER_FLUSH_MS = 1_000;

export interface MemoryRateLimiterOptions {
  /** Where the day's counts are kept across restarts (the embedded store). */
  ledger?: QuotaLedger;
  /** Counts the ledger held at start: `day`'s requests per key id. */
  start?: { day: number; counts: ReadonlyMap<string, number> };
  /** How often counts are added to the ledger (ms). */
  flushMs?: number;
  /** Told when counts could not be written (they are kept and written with the next ones), and when they could again (`null`). */
  onLedgerError?: (err: unknown | null) => void;
}

export function createMemoryRateLimiter(opts: MemoryRateLimiterOptions = {}): RateLimiter {
  const windows = new Map<string, KeyWindow>();
  let calls = 0;
  const ledger = opts.ledger;
  // requests counted and not yet added to the ledger, by day, then key id
  const unsaved = new Map<number, Map<string, number>>();
  let saving: Promise<void> | null = null;
  let failing = false;

  function dayStart(keyId: string, day: number): number {
    return opts.start !== undefined && opts.start.day === day ? (opts.start.counts.get(keyId) ?? 0) : 0;
  }

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

  function remember(keyId: string, day: number, n = 1): void {
    let counts = unsaved.get(day);
    if (counts === undefined) {
      counts = new Map();
      unsaved.set(day, counts);
    }
    counts.set(keyId, (counts.get(keyId) ?? 0) + n);
  }

  /** Adds what was counted since the last save; what fails is put back for the next one. */
  function save(): Promise<void> {
    if (ledger === undefined || unsaved.size === 0) return saving ?? Promise.resolve();
    if (saving !== null) return saving;
    const batch = [...unsaved].sort(([a], [b]) => a - b);
    unsaved.clear();
    saving = (async () => {
      for (const [day, counts] of batch) {
        try {
          await ledger.addDayCounts(day, counts);
          if (failing) {
            failing = false;
            opts.onLedgerError?.(null);
          }
        } catch (err) {
          for (const [keyId, n] of counts) {
            const back = unsaved.get(day) ?? new Map<string, number>();
            back.set(keyId, (back.get(keyId) ?? 0) + n);
            unsaved.set(day, back);
          }
          if (!failing) {
            failing = true;
            opts.onLedgerError?.(err);
          }
        }
      }
    })().finally(() => {
      saving = null;
    });
    return saving;
  }

  const timer = ledger === undefined ? null : setInterval(() => void save(), opts.flushMs ?? LEDGER_FLUSH_MS);
  // saving never keeps the process alive; close() saves the rest
  timer?.unref();

  /** The key's window, its minute pruned to `nowSecond` and its day count moved on to `day`. */
  function windowOf(keyId: string, nowSecond: number, day: number) {
    let w = windows.get(keyId);
    if (!w) {
      w = { buckets: [], minuteCount: 0, day, dayCount: dayStart(keyId, day) };
      windows.set(keyId, w);
    }
    prune(w, nowSecond);
    if (w.day !== day) {
      w.day = day;
      w.dayCount = dayStart(keyId, day);
    }
    return w;
  }

  return {
    consume(keyId: string, limits: RateLimits, nowMs: number): RateDecision {
      checkLimits(limits);
      const nowSecond = Math.floor(nowMs / 1000);
      const day = Math.floor(nowMs / DAY_MS);
      if (++calls % SWEEP_EVERY === 0) sweep(nowSecond, day);

      const w = windowOf(keyId, nowSecond, day);
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
        if (ledger !== undefined) remember(keyId, day);
      }
      const counts = { allowed: reason === null, reason, minuteCount: w.minuteCount, dayCount: w.dayCount, oldestSecond };
      return decide(counts, limits, nowMs);
    },
    chargeDay(keyId: string, n: number, limits: RateLimits, nowMs: number): RateDecision {
      checkLimits(limits);
      const nowSecond = Math.floor(nowMs / 1000);
      const day = Math.floor(nowMs / DAY_MS);
      const w = windowOf(keyId, nowSecond, day);
      const count = Math.max(0, Math.floor(n));
      const allowed = w.dayCount + count <= limits.perDay;
      if (allowed && count > 0) {
        w.dayCount += count;
        if (ledger !== undefined) remember(keyId, day, count);
      }
      const oldestSecond = w.buckets[0]?.[0] ?? nowSecond;
      const reason = allowed ? null : ('quota_exceeded' as const);
      return decide({ allowed, reason, minuteCount: w.minuteCount, dayCount: w.dayCount, oldestSecond }, limits, nowMs);
    },
    async close(): Promise<void> {
      if (timer !== null) clearInterval(timer);
      // one save may be running: wait for it, then save what came after
      await save();
      await save();
      windows.clear();
    },
  };
}

/**
 * The per-instance limiter over a quota ledger: starts from the counts the ledger holds for
 * today, so a restart keeps every key's daily quota (minus at most the last second's requests
 * if the process was killed without closing).
 */
export async function createLedgerRateLimiter(ledger: QuotaLedger, nowMs: number, opts: Omit<MemoryRateLimiterOptions, 'ledger' | 'start'> = {}): Promise<RateLimiter> {
  const day = Math.floor(nowMs / DAY_MS);
  const counts = await ledger.dayCounts(day);
  return createMemoryRateLimiter({ ...opts, ledger, start: { day, counts } });
}
