/**
 * Rate limits shared by every API instance: the memory limiter's algorithm (rolling minute in
 * one-second buckets + UTC-day quota) as one Lua script, so check-and-count is atomic in Redis.
 * When Redis cannot be reached the configured policy applies: `open` falls back to this
 * instance's own memory limits, `closed` refuses with RedisUnavailableError (HTTP 503).
 * Either way the outage is logged once when it starts and once when it ends.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RateDecision, RateLimiter, RateLimits } from './types.ts';
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

/** The part of a logger the outage log needs (a pino.Logger fits). */
export type OutageLogger = Pick<Logger, 'error' | 'info'>;

/** Remembers whether Redis is down so an outage is logged once, not per request. */
export interface OutageLog {
  readonly down: boolean;
  failed(err: unknown): void;
  recovered(): void;
}

export function createOutageLog(logger: OutageLogger, component: string, consequence: string): OutageLog {
  let down = false;
  return {
    get down() {
      return down;
    },
    failed(err: unknown) {
      if (down) return;
      down = true;
      logger.error({ err, component }, `${component}: Redis unreachable, ${consequence}`);
    },
    recovered() {
      if (!down) return;
      down = false;
      logger.info({ component }, `${component}: Redis reachable again`);
    },
  };
}

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
const CONSUME_LUA = `
local nowMs = tonumber(ARGV[1])
local perMinute = tonumber(ARGV[2])
local perDay = tonumber(ARGV[3])
local window = tonumber(ARGV[4])
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
if dayCount >= perDay then return {0, 2, count, dayCount, oldest} end
if count >= perMinute then return {0, 1, count, dayCount, oldest} end
redis.call('HINCRBY', KEYS[1], tostring(sec), 1)
redis.call('EXPIRE', KEYS[1], window + 1)
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], 90000)
return {1, 0, count + 1, dayCount + 1, oldest}
`;

type ConsumeReply = [number, number, number, number, number];
interface ConsumeCommand {
  verdictRateConsume(minuteKey: string, dayKey: string, nowMs: number, perMinute: number, perDay: number, window: number): Promise<ConsumeReply>;
}

/** Lua numbers are doubles; an unlimited (Infinity) limit is sent as the largest exact integer. */
function finite(n: number): number {
  return Number.isFinite(n) ? Math.floor(n) : Number.MAX_SAFE_INTEGER;
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
  const script = redis as unknown as ConsumeCommand;
  const prefix = opts.keyPrefix ?? 'verdict:rl:';
  const consequence =
    opts.failurePolicy === 'open' ? 'falling back to per-instance rate limits' : 'refusing requests (fail-closed)';
  const outage = createOutageLog(opts.logger, 'rate-limiter', consequence);
  const local = createMemoryRateLimiter();

  function fallback(keyId: string, limits: RateLimits, nowMs: number, cause: unknown): Promise<RateDecision> {
    if (opts.failurePolicy === 'open') return local.consume(keyId, limits, nowMs);
    return Promise.reject(new RedisUnavailableError('rate limiter unavailable: Redis unreachable', { cause }));
  }

  return {
    async consume(keyId: string, limits: RateLimits, nowMs: number): Promise<RateDecision> {
      checkLimits(limits);
      // During a known outage do not make every request wait for a command timeout.
      if (outage.down && redis.status !== 'ready') return fallback(keyId, limits, nowMs, null);
      const day = Math.floor(nowMs / 86_400_000);
      let reply: ConsumeReply;
      try {
        reply = await script.verdictRateConsume(
          `${prefix}{${keyId}}:m`,
          `${prefix}{${keyId}}:d:${day}`,
          nowMs,
          finite(limits.perMinute),
          finite(limits.perDay),
          WINDOW_SECONDS,
        );
      } catch (err) {
        outage.failed(err);
        return fallback(keyId, limits, nowMs, err);
      }
      outage.recovered();
      const [allowed, reasonCode, minuteCount, dayCount, oldestSecond] = reply;
      const reason = reasonCode === 2 ? 'quota_exceeded' : reasonCode === 1 ? 'rate_limit_exceeded' : null;
      const counts: WindowCounts = { allowed: allowed === 1, reason, minuteCount, dayCount, oldestSecond };
      return decide(counts, limits, nowMs);
    },
    async close(): Promise<void> {
      await local.close();
      if (!opts.client) redis.disconnect();
    },
  };
}
