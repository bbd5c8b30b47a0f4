/**
 * Test harness: the real app over a real SQLite store in a temp dir, with a fixed clock,
 * counting ids, a two-feed catalog and an in-memory rate limiter.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../src/config.ts';
import { createLogger, type Deps } from '../../src/deps.ts';
import { buildApp, type AppDeps, type AppOptions } from '../../src/http/app.ts';
import { createKeyService } from '../../src/keys/service.ts';
import { openStore } from '../../src/store/index.ts';
import { createMemoryRateLimiter } from '../../src/ratelimit/memory.ts';
import { createIntelligence } from '../../src/intel.ts';
import { createHuntingQueryBuilder } from '../../src/hunting/index.ts';
import type { FeedDefinition } from '../../src/feeds/types.ts';
import { FeedBusyError } from '../../src/feeds/index.ts';
import type { FeedInfo, SightingRecord } from '../../src/model.ts';
import type { FeedRunRecord, Scope, Store, Tier } from '../../src/store/types.ts';

/** Loaded once per test file: the ATT&CK tables and warning lists take a moment to compile. */
let sharedIntel: ReturnType<typeof createIntelligence> | undefined;
const intelligence = () => (sharedIntel ??= createIntelligence());

export const NOW = new Date('2026-11-30T12:00:00Z');

export const TEST_FEEDS: FeedDefinition[] = [
  { id: 'cisa-alerts', name: 'CISA Alerts', category: 'government', reliability: 'A', format: 'plain-list', url: null, interval: 3600, mode: 'snapshot', enabled: true, license: 'public domain' },
  { id: 'emerging-threats', name: 'Emerging Threats', category: 'community', reliability: 'B', format: 'plain-list', url: null, interval: 3600, mode: 'snapshot', enabled: true, license: 'BSD' },
];

export const testCatalog = {
  list: () => TEST_FEEDS,
  get: (id: string) => TEST_FEEDS.find((f) => f.id === id),
  info: (id: string): FeedInfo | undefined => {
    const f = TEST_FEEDS.find((x) => x.id === id);
    return f && { id: f.id, name: f.name, category: f.category, reliability: f.reliability };
  },
};

/** Records what the sync route asked for; never touches the network. Purges for real, unless told the feed is busy. */
export function fakeScheduler(now: Date, store: Store) {
  const runs: string[] = [];
  const busy = new Set<string>();
  return {
    runs,
    busy,
    async purge(feedId: string) {
      if (busy.has(feedId)) throw new FeedBusyError(feedId);
      return { feedId, removed: await store.purgeFeed(feedId) };
    },
    start() {},
    async stop() {},
    async runNow(feedId: string): Promise<FeedRunRecord> {
      runs.push(feedId);
      const at = now.toISOString();
      return { feedId, startedAt: at, finishedAt: at, status: 'not_modified', result: null, rejected: 0, rejectedSamples: [], error: null, etag: null, lastModified: null };
    },
    async importFile(feedId: string): Promise<FeedRunRecord> {
      return this.runNow(feedId);
    },
  };
}

export interface Harness {
  app: FastifyInstance;
  store: Store;
  deps: AppDeps;
  config: Config;
  adminKey: string;
  /** Everything the logger wrote, one JSON line each. */
  logs: string[];
  createKey(tier: Tier, scopes?: Scope[], expiresInDays?: number): Promise<{ key: string; id: string }>;
  ingest(feedId: string, records: SightingRecord[]): Promise<void>;
  auth(key?: string): Record<string, string>;
  /** Moves the app's clock (the default clock only). */
  setNow(d: Date): void;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  clock?: () => Date;
  overrides?: Partial<AppDeps>;
  app?: AppOptions;
  logLevel?: string;
}

export async function makeHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'verdict-http-'));
  const config = loadConfig({ VERDICT_DATABASE_URL: join(dir, 'verdict.db'), VERDICT_LOG_LEVEL: 'silent', ...opts.env });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger(opts.logLevel ?? 'info', sink);
  // a store given in the overrides (a PostgreSQL one) is the one everything uses, keys included
  const store = opts.overrides?.store ?? (await openStore(config.databaseUrl, { logger }));
  let now = NOW;
  const clock = opts.clock ?? (() => now);
  let n = 0;
  const deps: AppDeps = {
    config,
    logger,
    clock,
    ids: { requestId: () => `req_test${String(++n).padStart(16, '0')}`, keyId: () => `key_test${String(++n).padStart(8, '0')}` },
    store,
    catalog: testCatalog as unknown as Deps['catalog'], // the test catalog has the three methods routes use
    intel: intelligence(),
    hunting: createHuntingQueryBuilder(),
    rateLimiter: createMemoryRateLimiter(),
    cache: null,
    scheduler: fakeScheduler(NOW, store) as unknown as Deps['scheduler'], // no network in tests
    ...opts.overrides,
  };
  const app = await buildApp(deps, opts.app);
  const keys = createKeyService({ keys: store.keys, clock, newId: deps.ids.keyId });
  const admin = await keys.ensureAdminKey(null);
  if (admin === null || admin.key === null) throw new Error('harness: admin key not created');
  const adminKey = admin.key;
  return {
    app,
    store,
    deps,
    config,
    adminKey,
    logs,
    async createKey(tier, scopes = ['read:lookup'], expiresInDays) {
      const { key, record } = await keys.create({ name: `test ${tier}`, tier, scopes, expiresInDays: expiresInDays ?? null });
      return { key, id: record.id };
    },
    async ingest(feedId, records) {
      await store.ingest({ feedId, mode: 'incremental', runAt: NOW.toISOString() }, records);
    },
    auth: (key = adminKey) => ({ authorization: `Bearer ${key}` }),
    setNow(d) {
      now = d;
    },
    async close() {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Registers `suites` on a SQLite harness, then on one over a fresh PostgreSQL schema when PostgreSQL
 * is reachable; when it is not, postgresForTests has printed its loud skip line (or failed, under
 * CI=true) and this resolves to false. The PostgreSQL harness's close() closes the app and the store
 * as every harness does, then drops the schema.
 */
export async function onBothEngines(suites: (engine: 'sqlite' | 'postgres', open: () => Promise<Harness>) => void): Promise<boolean> {
  suites('sqlite', () => makeHarness());
  // loaded here, so the many SQLite-only files using this harness do not load the PostgreSQL code
  const { postgresForTests } = await import('../scaleout/services.ts');
  const pgUrl = await postgresForTests();
  if (pgUrl === null) return false;
  const { dropSchema, freshPostgresStore } = await import('../scaleout/postgres.ts');
  suites('postgres', async () => {
    const { store, schema } = await freshPostgresStore(pgUrl);
    const h = await makeHarness({ overrides: { store } });
    return {
      ...h,
      async close() {
        await h.close();
        await dropSchema(pgUrl, schema);
      },
    };
  });
  return true;
}

/** Keys of an object in order. */
export const keysOf = (o: unknown): string[] => Object.keys(o as object);
