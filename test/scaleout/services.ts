/**
 * Which external services the PostgreSQL/Redis suites can use. An unreachable service makes a
 * suite skip with one loud line; under CI=true it is a failure instead, so CI cannot go green by
 * silently skipping.
 */
import pg from 'pg';
import { Redis } from 'ioredis';

export const TEST_POSTGRES_URL = process.env.VERDICT_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.VERDICT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

/** Hides credentials in the skip line. */
function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

function unavailable(service: string, url: string, err: unknown): null {
  const reason = err instanceof Error ? err.message : String(err);
  const line = `skipped: no ${service} at ${redact(url)} (${reason})`;
  if (process.env.CI === 'true') throw new Error(`CI=true but ${line.replace(/^skipped: /, '')}`);
  console.error(`\n*** ${line} ***\n`);
  return null;
}

async function probePostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => {});
  }
}

async function probeRedis(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } finally {
    redis.disconnect();
  }
}

const cache = new Map<string, Promise<string | null>>();

/** The PostgreSQL URL when reachable, else null (after printing the skip line). */
export function postgresForTests(url = TEST_POSTGRES_URL): Promise<string | null> {
  const key = `pg:${url}`;
  let p = cache.get(key);
  if (!p) {
    p = probePostgres(url).then(() => url, (err: unknown) => unavailable('PostgreSQL', url, err));
    cache.set(key, p);
  }
  return p;
}

/** The Redis URL when reachable, else null (after printing the skip line). */
export function redisForTests(url = TEST_REDIS_URL): Promise<string | null> {
  const key = `redis:${url}`;
  let p = cache.get(key);
  if (!p) {
    p = probeRedis(url).then(() => url, (err: unknown) => unavailable('Redis', url, err));
    cache.set(key, p);
  }
  return p;
}

/** A short random suffix for schema names, key prefixes and the like. */
export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}
