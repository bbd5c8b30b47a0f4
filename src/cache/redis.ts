/**
 * Lookup cache shared by every API instance. The store's data version is part of each key, so
 * when a feed run commits (the version goes up) every instance misses on the old entries at
 * once, without a purge or a message; the stale ones expire by TTL. A Redis outage makes the
 * cache a miss (lookups go to the store), logged once per outage.
 */
import type { Redis } from 'ioredis';
import type { LookupCache } from './types.ts';
import { checkTtl } from './memory.ts';
import { connectRedis, createOutageLog, type OutageLogger } from '../ratelimit/redis.ts';

export interface RedisLookupCacheOptions {
  url: string;
  ttlSeconds: number;
  logger: OutageLogger;
  keyPrefix?: string;
  /** An existing client (tests point one at a proxy they can cut). */
  client?: Redis;
}

export function createRedisLookupCache(opts: RedisLookupCacheOptions): LookupCache {
  checkTtl(opts.ttlSeconds);
  // A cache must answer faster than the store it saves, so it gives up sooner than the limiter.
  const redis = opts.client ?? connectRedis(opts.url, 250);
  const prefix = opts.keyPrefix ?? 'verdict:lookup:';
  const outage = createOutageLog(opts.logger, 'lookup-cache', 'serving lookups uncached');
  const ttl = Math.ceil(opts.ttlSeconds);
  const keyOf = (key: string, dataVersion: number) => `${prefix}${dataVersion}:${key}`;
  const skip = () => outage.down && redis.status !== 'ready';

  return {
    async get(key: string, dataVersion: number): Promise<unknown | undefined> {
      if (skip()) return undefined;
      let raw: string | null;
      try {
        raw = await redis.get(keyOf(key, dataVersion));
      } catch (err) {
        outage.failed(err);
        return undefined;
      }
      outage.recovered();
      if (raw === null) return undefined;
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        return undefined; // written by something else under our prefix: treat as a miss
      }
    },
    async set(key: string, dataVersion: number, value: unknown): Promise<void> {
      if (ttl === 0 || skip()) return;
      try {
        await redis.set(keyOf(key, dataVersion), JSON.stringify(value), 'EX', ttl);
        outage.recovered();
      } catch (err) {
        outage.failed(err);
      }
    },
    async close(): Promise<void> {
      if (!opts.client) redis.disconnect();
    },
  };
}
