/**
 * The composition root's wiring: every dependency is built here, from the config, and passed
 * down. `buildDeps` builds all of them (`serve`); the narrower builders beside it build what one
 * command needs from the same parts — one logger (keys redacted), one way to open the store — so
 * no command wires its own. Tests pass `overrides` to swap any part (a fixed clock, a fake
 * scheduler, an in-memory store).
 */
import { randomBytes } from 'node:crypto';
import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';
import type { Intelligence, HuntingQueryBuilder } from './model.ts';
import type { Store } from './store/types.ts';
import type { RateLimiter } from './ratelimit/types.ts';
import type { AuthFailureLimiter } from './ratelimit/auth-failures.ts';
import type { SessionStore } from './http/sessions.ts';
import type { LookupCache } from './cache/types.ts';
import type { RunLock } from './feeds/types.ts';
import type { FeedScheduler } from './feeds/scheduler.ts';
import { loadCatalog, type FeedCatalog } from './feeds/catalog.ts';
import { withStoredDefinitions } from './feeds/stored-definitions.ts';
import { createHuntingQueryBuilder } from './hunting/index.ts';
import { createIntelligence } from './intel.ts';
import type { KeyService } from './keys/service.ts';
import { openStore } from './store/index.ts';

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
  /** Failed authentications per client address (shared through Redis when configured). */
  authFailures: AuthFailureLimiter;
  /** Console sessions: in Redis when configured (several instances share them), else none here and the app keeps them in memory. */
  sessions?: SessionStore;
  /** Null when caching is off (`VERDICT_CACHE_TTL_SECONDS=0`). */
  cache: LookupCache | null;
  runLock: RunLock;
  /** Built here, started only by `serve` and `worker` (so the CLI and tests never run feeds by accident). */
  scheduler: FeedScheduler;
  close(): Promise<void>;
}

/** What the feed commands and `verdict worker` use: the store, the catalog and the scheduler. */
export type FeedDeps = Pick<Deps, 'config' | 'logger' | 'clock' | 'store' | 'catalog' | 'runLock' | 'scheduler' | 'close'>;

/** What `verdict lookup` uses: the lookup's own parts on a store that exists; nothing that writes. */
export type LookupDeps = Pick<Deps, 'config' | 'logger' | 'clock' | 'store' | 'catalog' | 'intel' | 'hunting' | 'close'> & { cache: null };

/** What `verdict keys` uses. */
export type KeyDeps = Pick<Deps, 'config' | 'logger' | 'store' | 'close'> & { keys: KeyService };

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
  // a feed's credential headers (the OTX key), should a request's headers ever be logged
  'headers["x-otx-api-key"]',
  '*.headers["x-otx-api-key"]',
  'authorization',
  'key',
  'apiKey',
  'adminKey',
  'config.adminKey',
  // the summary endpoint's key (src/llm), wherever the config or its llm part is logged
  'config.llm.apiKey',
  'llm.apiKey',
  '*.key',
  '*.apiKey',
  '*.adminKey',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const opts = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  return destination ? pino(opts, destination) : pino(opts);
}

/**
 * The logger of a command whose stdout carries its output (and `--json`): to stderr, and at the
 * default level only what needs attention (`quiet`); a level set in the config is kept as set.
 */
export function commandLogger(config: Config, quiet: 'warn' | 'error' = 'warn'): Logger {
  return createLogger(config.logLevel === 'info' ? quiet : config.logLevel, process.stderr);
}

interface Closable {
  close(): Promise<void>;
}

/**
 * The configured store, migrated (opening migrates). `existing`: a store that does not exist yet
 * is an error (StoreNotFoundError) instead of being created — for commands that only read.
 */
export function openConfiguredStore(config: Config, logger: Logger, opts: { existing?: boolean } = {}): Promise<Store> {
  return openStore(config.databaseUrl, { logger, ...(opts.existing ? { create: false } : {}) });
}

/** Builds what `deps` needs opened, closing what was opened if a later part fails. */
async function building<T>(logger: Logger, build: (opened: Closable[]) => Promise<T>): Promise<T> {
  const opened: Closable[] = [];
  try {
    return await build(opened);
  } catch (err) {
    await closeAll(opened, logger);
    throw err;
  }
}

async function storeOf(config: Config, logger: Logger, overrides: Partial<Deps>, opened: Closable[], opts: { existing?: boolean } = {}): Promise<Store> {
  if (overrides.store) return overrides.store;
  const store = await openConfiguredStore(config, logger, opts);
  opened.push(store);
  return store;
}

/**
 * The run lock and the scheduler of `store`. Their modules (fetcher, parsers, HTTP client) are
 * loaded here, by the commands that run feeds, and not by a lookup.
 */
async function feedParts(config: Config, logger: Logger, clock: () => Date, store: Store, catalog: FeedCatalog, overrides: Partial<Deps>) {
  const [{ createFeedScheduler }, { createLocalRunLock }, { runLockFor }] = await Promise.all([
    import('./feeds/scheduler.ts'),
    import('./feeds/run-lock.ts'),
    import('./leader/postgres.ts'),
  ]);
  // on PostgreSQL an advisory lock makes one instance run each feed; elsewhere an in-process lock
  const runLock = overrides.runLock ?? runLockFor(store, createLocalRunLock);
  const scheduler = overrides.scheduler ?? createFeedScheduler({ store, catalog, logger, clock, runLock, delistedRetentionDays: config.delistedRetentionDays });
  return { runLock, scheduler };
}

const systemClock = (): Date => new Date();
const catalogOf = (config: Config, overrides: Partial<Deps>): FeedCatalog => overrides.catalog ?? loadCatalog({ extraFeedsFile: config.feedsFile });
/** The catalog, with what the store remembers of feeds it no longer defines (read once the store is open). */
const withStored = (catalog: FeedCatalog, store: Store): Promise<FeedCatalog> => withStoredDefinitions(catalog, store);

/** Everything: what `serve` runs on. */
export async function buildDeps(config: Config, overrides: Partial<Deps> = {}): Promise<Deps> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const clock = overrides.clock ?? systemClock;
  const ids = overrides.ids ?? randomIds;
  return building(logger, async (opened) => {
    // checked before the store opens: a mistake in the feeds file stops start-up first
    const configured = catalogOf(config, overrides);
    const intel = overrides.intel ?? createIntelligence();
    const hunting = overrides.hunting ?? createHuntingQueryBuilder();
    const store = await storeOf(config, logger, overrides, opened);
    const catalog = await withStored(configured, store);
    const rateLimiter = overrides.rateLimiter ?? (await createRateLimiter(config, logger, store, clock));
    if (!overrides.rateLimiter) opened.push(rateLimiter);
    const authFailures = overrides.authFailures ?? (await createAuthFailureLimiter(config, logger));
    if (!overrides.authFailures) opened.push(authFailures);
    const redisSessions = overrides.sessions === undefined ? await createSessionStore(config) : undefined;
    if (redisSessions) opened.push(redisSessions);
    const sessions = overrides.sessions ?? redisSessions;
    const cache = overrides.cache !== undefined ? overrides.cache : await createCache(config, logger);
    if (overrides.cache === undefined && cache) opened.push(cache);
    const { runLock, scheduler } = await feedParts(config, logger, clock, store, catalog, overrides);
    return {
      config,
      logger,
      clock,
      ids,
      store,
      catalog,
      intel,
      hunting,
      rateLimiter,
      authFailures,
      ...(sessions ? { sessions } : {}),
      cache,
      runLock,
      scheduler,
      async close() {
        await scheduler.stop();
        await closeAll(opened, logger);
      },
    };
  });
}

/** The store, catalog and scheduler (not started): the feed commands and `verdict worker`. */
export async function buildFeedDeps(config: Config, overrides: Partial<Deps> = {}): Promise<FeedDeps> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const clock = overrides.clock ?? systemClock;
  return building(logger, async (opened) => {
    const configured = catalogOf(config, overrides);
    const store = await storeOf(config, logger, overrides, opened);
    const catalog = await withStored(configured, store);
    const { runLock, scheduler } = await feedParts(config, logger, clock, store, catalog, overrides);
    return {
      config,
      logger,
      clock,
      store,
      catalog,
      runLock,
      scheduler,
      async close() {
        await scheduler.stop();
        await closeAll(opened, logger);
      },
    };
  });
}

/**
 * What one lookup reads, and nothing that writes: the store must exist already (a lookup creates
 * none; StoreNotFoundError otherwise), no bundled data is loaded, no cache or rate limiter.
 */
export async function buildLookupDeps(config: Config, overrides: Partial<Deps> = {}): Promise<LookupDeps> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const clock = overrides.clock ?? systemClock;
  return building(logger, async (opened) => {
    const configured = catalogOf(config, overrides);
    const store = await storeOf(config, logger, overrides, opened, { existing: true });
    const catalog = await withStored(configured, store);
    const intel = overrides.intel ?? createIntelligence();
    const hunting = overrides.hunting ?? createHuntingQueryBuilder();
    return { config, logger, clock, store, catalog, intel, hunting, cache: null, close: () => closeAll(opened, logger) };
  });
}

/** The store and the key service on it: `verdict keys`. */
export async function buildKeyDeps(config: Config, overrides: Partial<Deps> = {}): Promise<KeyDeps> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const clock = overrides.clock ?? systemClock;
  const ids = overrides.ids ?? randomIds;
  return building(logger, async (opened) => {
    const store = await storeOf(config, logger, overrides, opened);
    const { createKeyService } = await import('./keys/service.ts');
    const keys = createKeyService({ keys: store.keys, clock, newId: ids.keyId });
    return { config, logger, store, keys, close: () => closeAll(opened, logger) };
  });
}

/**
 * The limiter the config asks for (Redis's client is loaded only when it is configured). Without
 * Redis, limits live in this process; on the embedded store its daily quota counts are kept in
 * the store, so a restart does not reset them.
 */
async function createRateLimiter(config: Config, logger: Logger, store: Store, clock: () => Date): Promise<RateLimiter> {
  const { redisUrl } = config;
  if (redisUrl) {
    const { createRedisRateLimiter } = await import('./ratelimit/redis.ts');
    return createRedisRateLimiter({ url: redisUrl, failurePolicy: config.redisFailurePolicy, logger });
  }
  const { createLedgerRateLimiter, createMemoryRateLimiter } = await import('./ratelimit/memory.ts');
  if (store.quotas === undefined) {
    logger.warn(
      { store: store.kind },
      'rate limits and daily quotas are counted in this process only: each instance counts its own and a restart resets them; set VERDICT_REDIS_URL to share and keep them',
    );
    return createMemoryRateLimiter();
  }
  return createLedgerRateLimiter(store.quotas, clock().getTime(), {
    onLedgerError: (err) =>
      err === null ? logger.info('quota counts are written to the store again') : logger.error({ err }, 'quota counts could not be written to the store; kept in memory and retried'),
  });
}

/** Failed authentications per client address: in Redis when configured (every instance counts the same), else in memory. */
async function createAuthFailureLimiter(config: Config, logger: Logger): Promise<AuthFailureLimiter> {
  const { redisUrl, authFailuresPerMinute: perMinute } = config;
  if (redisUrl && perMinute > 0) {
    const { createRedisAuthFailureLimiter } = await import('./ratelimit/auth-failures-redis.ts');
    return createRedisAuthFailureLimiter({ url: redisUrl, perMinute, logger });
  }
  const { createMemoryAuthFailureLimiter } = await import('./ratelimit/auth-failures.ts');
  return createMemoryAuthFailureLimiter(perMinute);
}

/** Console sessions in Redis when configured; otherwise undefined (the app keeps them in its own memory). */
async function createSessionStore(config: Config): Promise<(SessionStore & Closable) | undefined> {
  if (!config.redisUrl) return undefined;
  const { createRedisSessionStore } = await import('./http/sessions-redis.ts');
  return createRedisSessionStore({ url: config.redisUrl });
}

/** The lookup cache the config asks for (none when the TTL is 0). */
async function createCache(config: Config, logger: Logger): Promise<LookupCache | null> {
  const { redisUrl, cacheTtlSeconds: ttlSeconds } = config;
  if (ttlSeconds === 0) return null;
  if (redisUrl) {
    const { createRedisLookupCache } = await import('./cache/redis.ts');
    return createRedisLookupCache({ url: redisUrl, ttlSeconds, logger });
  }
  const { createMemoryLookupCache } = await import('./cache/memory.ts');
  return createMemoryLookupCache({ ttlSeconds });
}

/** Closes in reverse order of opening; one failure does not keep the others open. */
async function closeAll(items: Closable[], logger: Logger): Promise<void> {
  for (const item of items.reverse()) {
    try {
      await item.close();
    } catch (err) {
      logger.warn({ err }, 'close failed');
    }
  }
}
