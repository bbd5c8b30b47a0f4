/**
 * Rate limits shared by every API instance: the memory limiter's algorithm (rolling minute in
 * one-second buckets + UTC-day quota) as one Lua script, so check-and-count is atomic in Redis.
 * When Redis cannot be reached the configured policy applies: `open` falls back to this
 * instance's own memory limits, `closed` refuses with RedisUnavailableError (HTTP 503).
 * Either way the outage is logged once when it starts and once when it ends.
 */
import { Redis } from 'ioredis';
import type { RateDecision, RateLimiter, RateLimits } from './types.ts';
import { createOutageLog, type OutageLogger } from './outage.ts';
import { WINDOW_SECONDS, checkLimits, createMemoryRateLimiter, decide, type WindowCounts } from './memory.ts';

/** Thrown under the fail-closed policy while Redis is unreachable; the HTTP layer answers 503. */
export class RedisUnavailableError extends Error {
  /** Same marker as the PostgreSQL store's StoreUnavailableError: the HTTP layer answers 503. */
  readonly unavailable = true;
  readonly retryAfter: number;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedisUnavailableError';
    this.retryAfter = 5;
  }
}

export { createOutageLog, type OutageLog, type OutageLogger, type OutageOptions } from './outage.ts';

/**
 * One client tuned to fail fast: a request must never hang on Redis. Commands wait at most
 * `commandTimeoutMs`; reconnects retry every few hundred ms in the background.
 */
export function connectRedis(url: string, commandTimeoutMs = 500): Redis {
  const redis = new Redis(url, {
    commandTimeout: commandTimeoutMs,
    connectTimeout: 2000,
    maxRetriesPerRequest: 1,
    retryStrategy: (times: number) => Math.min(100 * times, 1000),
    // commands issued in the same tick (many concurrent requests) share one write and one read
    enableAutoPipelining: true,
    // The connection error is reported through the outage log by the caller's failed command.
    lazyConnect: false,
  });
  redis.on('error', () => {
    /* reported once per outage by the users of the client */
  });
  return redis;
}

// Keys share a hash tag so a Redis Cluster keeps both on one slot (scripts need that).
// ARGV[5] asks for a lease of that many requests (1 = this request only); more than one is
// granted only while more than ARGV[6] (the margin) would still remain afterwards, so near
// the limit every request is counted here, one by one, and the total stays exact.
const CONSUME_LUA = `
local nowMs = tonumber(ARGV[1])
local perMinute = tonumber(ARGV[2])
local perDay = tonumber(ARGV[3])
local window = tonumber(ARGV[4])
local want = tonumber(ARGV[5])
local margin = tonumber(ARGV[6])
local sec = math.floor(nowMs / 1000)
local dayCount = tonumber(redis.call('GET', KEYS[2]) or '0')
local fields = redis.call('HGETALL', KEYS[1])
local count = 0
local oldest = sec
local stale = {}
for i = 1, #fields, 2 do
  local s = tonumber(fields[i])
  if s <= sec - window then
    stale[#stale + 1] = fields[i]
  else
    count = count + tonumber(fields[i + 1])
    if s < oldest then oldest = s end
  end
end
if #stale > 0 then redis.call('HDEL', KEYS[1], unpack(stale)) end
if dayCount >= perDay then return {0, 2, count, dayCount, oldest, 0} end
if count >= perMinute then return {0, 1, count, dayCount, oldest, 0} end
local grant = 1
if want > 1 then
  local spare = math.min(perMinute - count, perDay - dayCount) - margin
  if spare > 1 then grant = math.min(want, spare) end
end
redis.call('HINCRBY', KEYS[1], tostring(sec), grant)
redis.call('EXPIRE', KEYS[1], window + 1)
redis.call('INCRBY', KEYS[2], grant)
redis.call('EXPIRE', KEYS[2], 90000)
return {1, 0, count + 1, dayCount + 1, oldest, grant}
`;

// Gives back the unspent part of a lease: ARGV[2] requests from the bucket of second ARGV[1]
// (gone once it aged out) and from the day counter, never below what is there.
const RELEASE_LUA = `
local sec = tostring(ARGV[1])
local n = tonumber(ARGV[2])
local have = tonumber(redis.call('HGET', KEYS[1], sec) or '0')
if have > 0 and n >= have then
  redis.call('HDEL', KEYS[1], sec)
elseif have > 0 then
  redis.call('HINCRBY', KEYS[1], sec, -n)
end
local day = tonumber(redis.call('GET', KEYS[2]) or '0')
local dback = math.min(n, day)
if dback > 0 then redis.call('DECRBY', KEYS[2], dback) end
return 0
`;

// Counts ARGV[1] more requests against the day's counter only if they all fit under ARGV[2]:
// {allowed, dayCount}.
const CHARGE_DAY_LUA = `
local n = tonumber(ARGV[1])
local perDay = tonumber(ARGV[2])
local dayCount = tonumber(redis.call('GET', KEYS[1]) or '0')
if dayCount + n > perDay then return {0, dayCount} end
if n > 0 then
  redis.call('INCRBY', KEYS[1], n)
  redis.call('EXPIRE', KEYS[1], 90000)
end
return {1, dayCount + n}
`;

const DAY_MS = 86_400_000;

type ConsumeReply = [number, number, number, number, number, number];
interface LimiterCommands {
  verdictRateConsume(
    minuteKey: string,
    dayKey: string,
    nowMs: number,
    perMinute: number,
    perDay: number,
    window: number,
    want: number,
    margin: number,
  ): Promise<ConsumeReply>;
  verdictRateRelease(minuteKey: string, dayKey: string, second: number, n: number): Promise<number>;
  verdictRateChargeDay(dayKey: string, n: number, perDay: number): Promise<[number, number]>;
}

/** Lua numbers are doubles; an unlimited (Infinity) limit is sent as the largest exact integer. */
function finite(n: number): number {
  return Number.isFinite(n) ? Math.floor(n) : Number.MAX_SAFE_INTEGER;
}

/**
 * Token leasing. A busy key would otherwise cost one Redis round trip per request; instead an
 * instance reserves a small batch of the key's remaining allowance in the same atomic script
 * (counted in Redis at once, in the current second's bucket and the day's counter) and spends
 * it locally. The batch is at most 1 % of the smaller limit (and LEASE_MAX), none at all for
 * limits under 200, and none once fewer than LEASE_MARGIN leases' worth would remain, so small
 * limits and the last stretch before any limit are counted request by request. A lease is spent
 * within LEASE_SECONDS of its reservation and within its UTC day; whatever is left then is given
 * back to Redis. See docs/deploy.md for what this costs in exactness.
 */
export const LEASE_FRACTION = 0.01;
export const LEASE_MAX = 1000;
export const LEASE_SECONDS = 2;
export const LEASE_MARGIN = 10;

/** The lease size asked for under these limits (1 = no lease). */
export function leaseSize(limits: RateLimits): number {
  const smaller = Math.min(finite(limits.perMinute), finite(limits.perDay));
  return Math.max(1, Math.min(LEASE_MAX, Math.floor(smaller * LEASE_FRACTION)));
}

interface Lease {
  perMinute: number;
  perDay: number;
  /** Unix second the lease was counted in (its bucket) and the UTC day of its counter. */
  second: number;
  day: number;
  /** Requests of the lease not yet spent. */
  left: number;
  /** Shared counts just before the lease's first request, and requests spent from it since. */
  minuteBase: number;
  dayBase: number;
  spent: number;
  oldestSecond: number;
}

export interface RedisRateLimiterOptions {
  url: string;
  failurePolicy: 'open' | 'closed';
  logger: OutageLogger;
  /** Prefix for every key; lets tests and several deployments share one Redis. */
  keyPrefix?: string;
  /** An existing client (tests use one pointed at an unreachable port). */
  client?: Redis;
}

export function createRedisRateLimiter(opts: RedisRateLimiterOptions): RateLimiter {
  const redis = opts.client ?? connectRedis(opts.url);
  redis.defineCommand('verdictRateConsume', { numberOfKeys: 2, lua: CONSUME_LUA });
  redis.defineCommand('verdictRateRelease', { numberOfKeys: 2, lua: RELEASE_LUA });
  redis.defineCommand('verdictRateChargeDay', { numberOfKeys: 1, lua: CHARGE_DAY_LUA });
  const script = redis as unknown as LimiterCommands;
  const prefix = opts.keyPrefix ?? 'verdict:rl:';
  const consequence =
    opts.failurePolicy === 'open' ? 'falling back to per-instance rate limits' : 'refusing requests (fail-closed)';
  const outage = createOutageLog(opts.logger, 'rate-limiter', consequence, { probe: () => redis.ping() });
  const local = createMemoryRateLimiter();
  // A busy key spends its lease without asking Redis, so a lost connection is reported when it
  // drops rather than when a request next needs Redis (which could be seconds later).
  let closing = false;
  redis.on('close', () => {
    if (!closing) outage.failed(new Error('Redis connection closed'));
  });
  const minuteKey = (keyId: string) => `${prefix}{${keyId}}:m`;
  const dayKey = (keyId: string, day: number) => `${prefix}{${keyId}}:d:${day}`;

  const leases = new Map<string, Lease & { releaseAtMs: number }>();
  // One lease request per key in flight: concurrent requests wait for it instead of each leasing.
  const acquiring = new Map<string, Promise<unknown>>();

  // A request stamped a little before the reservation (concurrent requests near a second's
  // boundary) may spend it too: counted in a later bucket, it stays in the window longer, never shorter.
  function usable(lease: Lease, limits: RateLimits, nowMs: number): boolean {
    return (
      lease.left > 0 &&
      lease.perMinute === limits.perMinute &&
      lease.perDay === limits.perDay &&
      Math.floor(nowMs / 1000) < lease.second + LEASE_SECONDS &&
      Math.floor(nowMs / DAY_MS) === lease.day
    );
  }

  function spend(lease: Lease, limits: RateLimits, nowMs: number): RateDecision {
    lease.left -= 1;
    lease.spent += 1;
    const counts: WindowCounts = {
      allowed: true,
      reason: null,
      minuteCount: lease.minuteBase + lease.spent,
      dayCount: lease.dayBase + lease.spent,
      oldestSecond: lease.oldestSecond,
    };
    return decide(counts, limits, nowMs);
  }

  /** Gives the unspent part back. If that fails the part stays counted until its bucket ages out: stricter, never looser. */
  function release(keyId: string, lease: Lease): Promise<unknown> {
    const n = lease.left;
    lease.left = 0;
    if (n <= 0) return Promise.resolve();
    return script
      .verdictRateRelease(minuteKey(keyId), dayKey(keyId, lease.day), lease.second, n)
      .catch(() => undefined);
  }

  // Leases of keys that went quiet are given back within a couple of seconds.
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const [keyId, lease] of leases) {
      if (lease.left === 0 || now >= lease.releaseAtMs) {
        leases.delete(keyId);
        void release(keyId, lease);
      }
    }
  }, LEASE_SECONDS * 1000);
  sweeper.unref();

  function fallback(keyId: string, limits: RateLimits, nowMs: number, cause: unknown): RateDecision | Promise<RateDecision> {
    if (opts.failurePolicy === 'open') return local.consume(keyId, limits, nowMs);
    return Promise.reject(new RedisUnavailableError('rate limiter unavailable: Redis unreachable', { cause }));
  }

  /** Asks Redis: no lease, or the lease is spent, stale or for other limits. */
  async function consumeRemote(keyId: string, limits: RateLimits, nowMs: number, want: number): Promise<RateDecision> {
    if (want > 1) {
      let lease = leases.get(keyId);
      const inFlight = acquiring.get(keyId);
      if (inFlight) {
        await inFlight;
        lease = leases.get(keyId);
        if (lease && usable(lease, limits, nowMs)) return spend(lease, limits, nowMs);
      }
      if (lease) {
        leases.delete(keyId);
        void release(keyId, lease);
      }
    }
    // During a known outage do not make every request wait for a command timeout: a connection
    // can be open ('ready') and still never answer; the probe says when Redis is back.
    if (outage.down) {
      outage.skipped();
      return fallback(keyId, limits, nowMs, null);
    }
    const day = Math.floor(nowMs / DAY_MS);
    let reply: ConsumeReply;
    try {
      const call = script.verdictRateConsume(
        minuteKey(keyId),
        dayKey(keyId, day),
        nowMs,
        finite(limits.perMinute),
        finite(limits.perDay),
        WINDOW_SECONDS,
        want,
        want * LEASE_MARGIN,
      );
      if (want > 1 && !acquiring.has(keyId)) {
        const settled = call.then(
          () => undefined,
          () => undefined,
        );
        acquiring.set(keyId, settled);
        void settled.then(() => {
          if (acquiring.get(keyId) === settled) acquiring.delete(keyId);
        });
      }
      reply = await call;
    } catch (err) {
      outage.failed(err);
      return fallback(keyId, limits, nowMs, err);
    }
    outage.recovered();
    const [allowed, reasonCode, minuteCount, dayCount, oldestSecond, granted] = reply;
    if (allowed === 1 && granted > 1) {
      const previous = leases.get(keyId);
      if (previous) void release(keyId, previous);
      leases.set(keyId, {
        perMinute: limits.perMinute,
        perDay: limits.perDay,
        second: Math.floor(nowMs / 1000),
        day,
        left: granted - 1,
        minuteBase: minuteCount - 1,
        dayBase: dayCount - 1,
        spent: 1,
        oldestSecond,
        releaseAtMs: Date.now() + LEASE_SECONDS * 1000,
      });
    }
    const reason = reasonCode === 2 ? 'quota_exceeded' : reasonCode === 1 ? 'rate_limit_exceeded' : null;
    const counts: WindowCounts = { allowed: allowed === 1, reason, minuteCount, dayCount, oldestSecond };
    return decide(counts, limits, nowMs);
  }

  return {
    consume(keyId: string, limits: RateLimits, nowMs: number): RateDecision | Promise<RateDecision> {
      checkLimits(limits);
      const want = leaseSize(limits);
      // a lease in hand answers at once: no round trip, no promise
      const lease = want > 1 ? leases.get(keyId) : undefined;
      if (lease !== undefined && usable(lease, limits, nowMs)) return spend(lease, limits, nowMs);
      return consumeRemote(keyId, limits, nowMs, want);
    },
    async chargeDay(keyId: string, n: number, limits: RateLimits, nowMs: number): Promise<RateDecision> {
      checkLimits(limits);
      if (outage.down) {
        outage.skipped();
        if (opts.failurePolicy === 'open') return local.chargeDay!(keyId, n, limits, nowMs);
        throw new RedisUnavailableError('rate limiter unavailable: Redis unreachable');
      }
      const day = Math.floor(nowMs / DAY_MS);
      let reply: [number, number];
      try {
        reply = await script.verdictRateChargeDay(dayKey(keyId, day), Math.max(0, Math.floor(n)), finite(limits.perDay));
      } catch (err) {
        outage.failed(err);
        if (opts.failurePolicy === 'open') return local.chargeDay!(keyId, n, limits, nowMs);
        throw new RedisUnavailableError('rate limiter unavailable: Redis unreachable', { cause: err });
      }
      outage.recovered();
      const [allowed, dayCount] = reply;
      const sec = Math.floor(nowMs / 1000);
      const counts: WindowCounts = { allowed: allowed === 1, reason: allowed === 1 ? null : 'quota_exceeded', minuteCount: 0, dayCount, oldestSecond: sec };
      return decide(counts, limits, nowMs);
    },
    async close(): Promise<void> {
      closing = true;
      outage.stop();
      clearInterval(sweeper);
      const held = [...leases];
      leases.clear();
      await Promise.all(held.map(([keyId, lease]) => release(keyId, lease)));
      await local.close();
      if (!opts.client) redis.disconnect();
    },
  };
}
