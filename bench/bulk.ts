/**
 * Bulk lookup benchmark, in one process and one run: 1,000 distinct mixed indicators (half known)
 * in one POST /api/v1/lookup/bulk call, against the same indicators looked up one by one over
 * HTTP (uncached, 10 at a time), on SQLite and (when reachable) PostgreSQL; then 100,000 values
 * streamed as NDJSON with the process's RSS growth.
 *
 *   npm run bench:bulk                  # SQLite, and PostgreSQL at VERDICT_TEST_POSTGRES_URL if it answers
 *   npm run bench:bulk -- --no-postgres
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/deps.ts';
import { buildApp } from '../src/http/app.ts';
import { createKeyService } from '../src/keys/service.ts';
import { openStore } from '../src/store/index.ts';
import { createMemoryRateLimiter } from '../src/ratelimit/memory.ts';
import { createIntelligence } from '../src/intel.ts';
import { createHuntingQueryBuilder } from '../src/hunting/index.ts';
import type { SightingRecord } from '../src/model.ts';
import { benchSchema, dropSchema } from './postgres.ts';

const N = 1_000;
const catalog = {
  list: () => [],
  get: () => undefined,
  info: (id: string) => ({ id, name: id, category: 'community' as const, reliability: 'B' as const }),
};

function indicators(): { values: string[]; known: SightingRecord[] } {
  const values: string[] = [];
  const known: SightingRecord[] = [];
  for (let i = 0; i < N; i++) {
    const kind = i % 4;
    const v = kind === 0 ? `10.${(i >> 8) & 255}.${i & 255}.1` : kind === 1 ? `host${i}.bulk-bench.com` : kind === 2 ? `http://bulk-bench${i}.net/p` : `${'0'.repeat(56)}${i.toString(16).padStart(8, '0')}`;
    values.push(v);
    if (i % 2 === 0) known.push({ type: kind === 0 ? 'ipv4' : kind === 1 ? 'domain' : kind === 2 ? 'url' : 'sha256', value: v, threatType: 'botnet_cc' });
  }
  return { values, known };
}

async function bench(label: string, databaseUrl: string, intel: ReturnType<typeof createIntelligence>): Promise<number> {
  const config = loadConfig({ VERDICT_DATABASE_URL: databaseUrl, VERDICT_LOG_LEVEL: 'silent', VERDICT_CACHE_TTL_SECONDS: '0', VERDICT_TIER_ENTERPRISE_PER_MINUTE: '100000000' });
  const store = await openStore(config.databaseUrl);
  await store.migrate();
  const { values, known } = indicators();
  await store.ingest({ feedId: 'bench', mode: 'incremental', runAt: new Date().toISOString() }, known);
  let n = 0;
  const deps = {
    config,
    logger: createLogger('silent'),
    clock: () => new Date(),
    ids: { requestId: () => `req_${++n}`, keyId: () => `key_${++n}` },
    store,
    catalog: catalog as never,
    intel,
    hunting: createHuntingQueryBuilder(),
    rateLimiter: createMemoryRateLimiter(),
    cache: null,
    scheduler: { start() {}, async stop() {} } as never,
  };
  const app = await buildApp(deps as never);
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const keys = createKeyService({ keys: store.keys, clock: () => new Date(), newId: () => `key_b${++n}` });
  const { key } = await keys.create({ name: 'bench', tier: 'enterprise', scopes: ['read:lookup'], expiresInDays: null });
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  try {
    const bulkOnce = async () => {
      const t = performance.now();
      const res = await fetch(`${address}/api/v1/lookup/bulk`, { method: 'POST', headers, body: JSON.stringify({ values }) });
      const body = (await res.json()) as { summary: { answered: number; found: number } };
      if (body.summary.answered !== N) throw new Error(`bulk answered ${body.summary.answered}`);
      return performance.now() - t;
    };
    await bulkOnce(); // warm-up
    const bulkMs = Math.min(await bulkOnce(), await bulkOnce(), await bulkOnce());
    const oneByOne = async () => {
      const t = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          while (next < values.length) {
            const v = values[next++]!;
            const res = await fetch(`${address}/api/v1/lookup?value=${encodeURIComponent(v)}`, { headers });
            await res.arrayBuffer();
          }
        }),
      );
      return performance.now() - t;
    };
    await oneByOne();
    const singleMs = Math.min(await oneByOne(), await oneByOne());
    const bulkRate = (N / bulkMs) * 1000;
    console.log(`${label}: bulk ${N} in ${bulkMs.toFixed(0)} ms = ${bulkRate.toFixed(0)}/s; one by one over HTTP ${singleMs.toFixed(0)} ms = ${((N / singleMs) * 1000).toFixed(0)}/s; ratio ${(singleMs / bulkMs).toFixed(2)}×`);
    if (label === 'sqlite') {
      const big = Array.from({ length: 100_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
      global.gc?.();
      const rss0 = process.memoryUsage().rss;
      let peak = rss0;
      const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
      const t = performance.now();
      const res = await fetch(`${address}/api/v1/lookup/bulk`, { method: 'POST', headers: { ...headers, accept: 'application/x-ndjson' }, body: JSON.stringify({ values: big }) });
      let lines = 0;
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) for (const c of decoder.decode(chunk, { stream: true })) if (c === '\n') lines++;
      clearInterval(timer);
      console.log(`${label}: NDJSON 100,000 values: ${lines} lines in ${((performance.now() - t) / 1000).toFixed(1)} s; RSS growth ${((peak - rss0) / 1048576).toFixed(0)} MB (server and client in one process)`);
    }
    return bulkRate;
  } finally {
    await app.close();
    await store.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'verdict-bench-bulk-'));
const intel = createIntelligence();
try {
  const sqlite = await bench('sqlite', join(dir, 'bench.db'), intel);
  if (!process.argv.includes('--no-postgres')) {
    const pgBench = benchSchema('bulk');
    try {
      const pg = await bench('postgres', pgBench.url, intel);
      console.log(`postgres/sqlite bulk throughput: ${(pg / sqlite).toFixed(2)}`);
    } catch (err) {
      console.log(`postgres: skipped (${(err as Error).message})`);
    } finally {
      await dropSchema(pgBench.schema).catch(() => undefined);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
