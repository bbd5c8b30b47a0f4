/**
 * Lookup cache shared by every API instance. The store's data version is part of each key, so
 * when a feed run commits (the version goes up) every instance misses on the old entries at
 * once, without a purge or a message; the stale ones expire by TTL. A Redis outage makes the
 * cache a miss (lookups go to the store), logged once per outage.
 */
import type { Redis } from 'ioredis';
import type { LookupCache } from './types.ts';
import { checkTtl, createMemoryLookupCache } from './memory.ts';
import { connectRedis, createOutageLog, type OutageLogger } from '../ratelimit/redis.ts';

export interface RedisLookupCacheOptions {
  url: string;
  ttlSeconds: number;
  logger: OutageLogger;
  keyPrefix?: string;
  /** An existing client (tests point one at a proxy they can cut). */
  client?: Redis;
  /**
   * Entries also kept in this process (0 turns it off). Safe because entries are keyed by data
   * version, exactly like the Redis ones: a hit here saves the Redis round trip. Default 10 000.
   */
  localEntries?: number;
  /** Milliseconds clock for the local level (tests). */
  clock?: () => number;
}

export function createRedisLookupCache(opts: RedisLookupCacheOptions): LookupCache {
  checkTtl(opts.ttlSeconds);
  // A cache must answer faster than the store it saves, so it gives up sooner than the limiter.
  const redis = opts.client ?? connectRedis(opts.url, 250);
  const prefix = opts.keyPrefix ?? 'verdict:lookup:';
  const outage = createOutageLog(opts.logger, 'lookup-cache', 'serving lookups uncached', { probe: () => redis.ping() });
  const ttl = Math.ceil(opts.ttlSeconds);
  const keyOf = (key: string, dataVersion: number) => `${prefix}${dataVersion}:${key}`;
  // a connection may be open and still never answer: while the probe has not seen Redis back, do not ask
  const skip = (): boolean => {
    if (!outage.down) return false;
    outage.skipped();
    return true;
  };
  const localEntries = opts.localEntries ?? 10_000;
  const local =
    localEntries > 0 && ttl > 0
      ? createMemoryLookupCache({ ttlSeconds: ttl, maxEntries: localEntries, ...(opts.clock ? { clock: opts.clock } : {}) })
      : null;

  return {
    peek(key: string, dataVersion: number): unknown | undefined {
      return local?.peek(key, dataVersion);
    },
    async get(key: string, dataVersion: number): Promise<unknown | undefined> {
      const near = local?.peek(key, dataVersion);
      if (near !== undefined) return near;
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
      let value: unknown;
      try {
        value = JSON.parse(raw) as unknown;
      } catch {
        return undefined; // written by something else under our prefix: treat as a miss
      }
      await local?.set(key, dataVersion, value);
      return value;
    },
    async set(key: string, dataVersion: number, value: unknown): Promise<void> {
      if (ttl === 0) return;
      await local?.set(key, dataVersion, value);
      if (skip()) return;
      try {
        await redis.set(keyOf(key, dataVersion), JSON.stringify(value), 'EX', ttl);
        outage.recovered();
      } catch (err) {
        outage.failed(err);
      }
    },
    async close(): Promise<void> {
      outage.stop();
      await local?.close();
      if (!opts.client) redis.disconnect();
    },
  };
}
