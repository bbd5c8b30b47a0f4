/**
 * The composition root's wiring: every dependency is built here, once, from the config, and passed
 * down. Tests pass `overrides` to swap any part (a fixed clock, a fake scheduler, an in-memory store).
 */
import { randomBytes } from 'node:crypto';
import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';
import type { Intelligence, HuntingQueryBuilder } from './model.ts';
import type { Store } from './store/types.ts';
import type { RateLimiter } from './ratelimit/types.ts';
import type { LookupCache } from './cache/types.ts';
import type { RunLock } from './feeds/types.ts';
import type { FeedCatalog, FeedScheduler } from './feeds/index.ts';

export interface Ids {
  /** `req_` + 20 url-safe characters. */
  requestId(): string;
  /** `key_` + 16 url-safe characters. */
  keyId(): string;
}

export interface Deps {
  config: Config;
  logger: Logger;
  clock: () => Date;
  ids: Ids;
  store: Store;
  catalog: FeedCatalog;
  intel: Intelligence;
  hunting: HuntingQueryBuilder;
  rateLimiter: RateLimiter;
  /** Null when caching is off (`VERDICT_CACHE_TTL_SECONDS=0`). */
  cache: LookupCache | null;
  runLock: RunLock;
  /** Built here, started only by `serve` (so the CLI and tests never run feeds by accident). */
  scheduler: FeedScheduler;
  close(): Promise<void>;
}

/**
 * Request ids: a random part drawn once per process, then a counter. Unique across instances and
 * restarts without drawing randomness per request (they identify a request; they are no secret).
 */
export function requestIds(random: (n: number) => Buffer = randomBytes): () => string {
  const prefix = 'req_' + random(9).toString('base64url');
  let n = 0;
  return () => prefix + (n++).toString(36).padStart(8, '0');
}

export const randomIds: Ids = {
  requestId: requestIds(),
  keyId: () => 'key_' + randomBytes(12).toString('base64url'),
};

/** Paths pino blanks out wherever they appear in a log object: keys never reach the log. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'authorization',
  'key',
  'apiKey',
  'adminKey',
  'config.adminKey',
  '*.key',
  '*.apiKey',
  '*.adminKey',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const opts = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  return destination ? pino(opts, destination) : pino(opts);
}

export async function buildDeps(config: Config, overrides: Partial<Deps> = {}): Promise<Deps> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const clock = overrides.clock ?? (() => new Date());
  const ids = overrides.ids ?? randomIds;
  // Every module is loaded before the first connection opens. Loading modules through the
  // TypeScript loader while a PostgreSQL connection is open leaves Node's process.nextTick on a
  // slow V8 path for the life of the process (measured: ~0.3 µs a tick instead of ~0.05, a few
  // µs on every HTTP request); loaded first, nothing of the kind happens.
  const [storeModule, feeds, intelModule, huntingModule, leader, makeRateLimiter, makeCache] = await Promise.all([
    import('./store/index.ts'),
    import('./feeds/index.ts'),
    import('./intel.ts'),
    import('./hunting/index.ts'),
    import('./leader/postgres.ts'),
    rateLimiterFactory(config, logger),
    cacheFactory(config, logger),
  ]);
  // unzipper is otherwise loaded on the first zip feed, which on PostgreSQL would be too late
  if (storeModule.parseStoreUrl(config.databaseUrl).engine === 'postgres') await feeds.loadUnzipper();
  const opened: { close(): Promise<void> }[] = [];
  try {
    const catalog = overrides.catalog ?? feeds.loadCatalog({ extraFeedsFile: config.feedsFile });
    const intel = overrides.intel ?? intelModule.createIntelligence();
    const hunting = overrides.hunting ?? huntingModule.createHuntingQueryBuilder();
    const store = overrides.store ?? (await storeModule.openStore(config.databaseUrl, { logger }));
    if (!overrides.store) {
      opened.push(store);
      await store.migrate();
    }
    const rateLimiter = overrides.rateLimiter ?? makeRateLimiter();
    if (!overrides.rateLimiter) opened.push(rateLimiter);
    const cache = overrides.cache !== undefined ? overrides.cache : makeCache();
    if (overrides.cache === undefined && cache) opened.push(cache);
    // on PostgreSQL an advisory lock makes one instance run each feed; elsewhere an in-process lock
    const runLock = overrides.runLock ?? leader.runLockFor(store, feeds.createLocalRunLock);
    const scheduler = overrides.scheduler ?? feeds.createFeedScheduler({ store, catalog, logger, clock, runLock, delistedRetentionDays: config.delistedRetentionDays });
    const deps: Deps = {
      config,
      logger,
      clock,
      ids,
      store,
      catalog,
      intel,
      hunting,
      rateLimiter,
      cache,
      runLock,
      scheduler,
      async close() {
        await scheduler.stop();
        await closeAll(opened, logger);
      },
    };
    return deps;
  } catch (err) {
    await closeAll(opened, logger);
    throw err;
  }
}

/** Loads the limiter the config asks for; the returned function makes it (and connects). */
async function rateLimiterFactory(config: Config, logger: Logger): Promise<() => RateLimiter> {
  const { redisUrl } = config;
  if (redisUrl) {
    const { createRedisRateLimiter } = await import('./ratelimit/redis.ts');
    return () => createRedisRateLimiter({ url: redisUrl, failurePolicy: config.redisFailurePolicy, logger });
  }
  const { createMemoryRateLimiter } = await import('./ratelimit/memory.ts');
  return createMemoryRateLimiter;
}

/** Loads the lookup cache the config asks for (none when the TTL is 0). */
async function cacheFactory(config: Config, logger: Logger): Promise<() => LookupCache | null> {
  const { redisUrl, cacheTtlSeconds: ttlSeconds } = config;
  if (ttlSeconds === 0) return () => null;
  if (redisUrl) {
    const { createRedisLookupCache } = await import('./cache/redis.ts');
    return () => createRedisLookupCache({ url: redisUrl, ttlSeconds, logger });
  }
  const { createMemoryLookupCache } = await import('./cache/memory.ts');
  return () => createMemoryLookupCache({ ttlSeconds });
}

/** Closes in reverse order of opening; one failure does not keep the others open. */
async function closeAll(items: { close(): Promise<void> }[], logger: Logger): Promise<void> {
  for (const item of items.reverse()) {
    try {
      await item.close();
    } catch (err) {
      logger.warn({ err }, 'close failed');
    }
  }
}

/** The configured store, migrated: for CLI commands that need nothing else (keys). */
export async function openConfiguredStore(config: Config, logger?: Logger): Promise<Store> {
  const { openStore } = await import('./store/index.ts');
  const store = await openStore(config.databaseUrl, logger ? { logger } : {});
  try {
    await store.migrate();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
