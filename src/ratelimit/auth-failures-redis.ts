/**
 * Failed authentications counted in Redis, so that every instance counts the same failures of an
 * address (see auth-failures.ts). Redis being down never refuses anyone: failures are then
 * counted per instance, and the outage is logged once when it starts and once when it ends.
 */
import type { Redis } from 'ioredis';
import { AUTH_FAILURE_WINDOW_MS, LocalCounts, clientAddressKey, createMemoryAuthFailureLimiter, type AuthFailureLimiter } from './auth-failures.ts';
import { createOutageLog, type OutageLogger } from './outage.ts';
import { connectRedis } from './redis.ts';

// One atomic step: count the failure, open the window with the first one; the count and the
// milliseconds left in the window.
const FAIL_LUA = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
`;

interface FailCommands {
  verdictAuthFail(key: string, windowMs: number): Promise<[number, number]>;
}

export interface RedisAuthFailureOptions {
  url: string;
  perMinute: number;
  logger: OutageLogger;
  keyPrefix?: string;
  /** An existing client (tests). */
  client?: Redis;
}

export function createRedisAuthFailureLimiter(opts: RedisAuthFailureOptions): AuthFailureLimiter {
  const { perMinute } = opts;
  if (perMinute === 0) return createMemoryAuthFailureLimiter(0);
  const redis = opts.client ?? connectRedis(opts.url);
  redis.defineCommand('verdictAuthFail', { numberOfKeys: 1, lua: FAIL_LUA });
  const script = redis as unknown as FailCommands;
  const prefix = opts.keyPrefix ?? 'verdict:authfail:';
  const outage = createOutageLog(opts.logger, 'auth-failures', 'counting failed authentications per instance', { probe: () => redis.ping() });
  const local = new LocalCounts(perMinute);

  return {
    perMinute,
    get counting() {
      return !local.empty;
    },
    refusedFor: (ip, nowMs) => (local.empty ? 0 : local.refusedFor(clientAddressKey(ip), nowMs)),
    failed(ip, nowMs) {
      const address = clientAddressKey(ip);
      if (outage.down) {
        outage.skipped();
        return local.failed(address, nowMs);
      }
      return script.verdictAuthFail(prefix + address, AUTH_FAILURE_WINDOW_MS).then(
        ([count, ttl]) => {
          outage.recovered();
          local.set(address, Number(count), nowMs + Number(ttl));
          return local.refusedFor(address, nowMs);
        },
        (err: unknown) => {
          outage.failed(err);
          return local.failed(address, nowMs);
        },
      );
    },
    async close() {
      outage.stop();
      local.clear();
      if (!opts.client) redis.disconnect();
    },
  };
}
