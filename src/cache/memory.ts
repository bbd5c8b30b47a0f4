/**
 * Per-instance lookup cache: LRU with a TTL, entries tagged with the store's data version so a
 * feed run (which bumps the version) makes every older entry a miss.
 */
import type { LookupCache } from './types.ts';

export interface MemoryLookupCacheOptions {
  ttlSeconds: number;
  /** Oldest entries are evicted past this count. */
  maxEntries?: number;
  /** Milliseconds clock; tests pass their own. */
  clock?: () => number;
}

interface Entry {
  dataVersion: number;
  expiresAt: number;
  value: unknown;
}

export function checkTtl(ttlSeconds: number): void {
  if (!Number.isFinite(ttlSeconds) || ttlSeconds < 0) {
    throw new RangeError(`cache ttlSeconds must be a finite number >= 0, got ${String(ttlSeconds)}`);
  }
}

export function createMemoryLookupCache(opts: MemoryLookupCacheOptions): LookupCache {
  checkTtl(opts.ttlSeconds);
  const maxEntries = opts.maxEntries ?? 10_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError(`cache maxEntries must be an integer >= 1, got ${String(opts.maxEntries)}`);
  }
  const clock = opts.clock ?? Date.now;
  const ttlMs = opts.ttlSeconds * 1000;
  // A Map iterates in insertion order: re-inserting on hit makes the first key the least recently used.
  const entries = new Map<string, Entry>();

  function peek(key: string, dataVersion: number): unknown | undefined {
    const e = entries.get(key);
    if (!e) return undefined;
    if (e.dataVersion !== dataVersion || e.expiresAt <= clock()) {
      entries.delete(key);
      return undefined;
    }
    entries.delete(key);
    entries.set(key, e);
    return e.value;
  }

  return {
    peek,
    async get(key: string, dataVersion: number): Promise<unknown | undefined> {
      return peek(key, dataVersion);
    },
    async set(key: string, dataVersion: number, value: unknown): Promise<void> {
      if (ttlMs === 0) return;
      entries.delete(key);
      entries.set(key, { dataVersion, expiresAt: clock() + ttlMs, value });
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next().value as string;
        entries.delete(oldest);
      }
    },
    async close(): Promise<void> {
      entries.clear();
    },
  };
}
