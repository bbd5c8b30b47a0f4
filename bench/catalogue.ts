/**
 * IOC catalogue benchmark, in one run per engine (SQLite, and PostgreSQL when reachable): a store
 * of --size indicators (default 1,000,000; a quarter each IPv4, domain, URL, SHA-256, with a few
 * families and techniques), the catalogue computed from it (the refresh's rate), then
 *   - the whole catalogue as CSV through stream() (what GET /api/v1/iocs?format=csv and the
 *     exports read), rows/s and the process's RSS growth, against the bare keyset pages
 *     (store.catalogue.list, no formatting) measured in the same run: the ratio is the cost of CSV;
 *   - exact search (a normalized value's point read) p50/p99 over 2,000 random values;
 *   - substring search (FTS5 trigram / pg_trgm, 6 characters, limit 50) p50/p99 over 200;
 *   - stats uncached once, then cached p99 over 1,000.
 * Goals (issue 18): CSV ≥ 100,000 rows/s with RSS growth < 100 MB; exact p99 < 5 ms; substring
 * p99 < 100 ms; cached stats < 50 ms.
 *
 *   npm run bench:catalogue
 *   npm run bench:catalogue -- --size 200000 --no-postgres
 *   npm run bench:catalogue -- --no-sqlite
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { createCatalogue } from '../src/catalogue/index.ts';
import { CSV_COLUMNS } from '../src/http/routes/iocs.ts';
import { parseIndicator } from '../src/indicators/detect.ts';
import { createIntelligence } from '../src/intel.ts';
import type { SightingRecord } from '../src/model.ts';
import { openStore } from '../src/store/index.ts';
import type { CatalogueEntry, Store } from '../src/store/types.ts';
import { benchSchema, dropSchema } from './postgres.ts';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
};
const SIZE = Number(arg('--size') ?? 1_000_000);
const NOW = new Date('2026-11-30T12:00:00.000Z');
const FAMILIES = ['Emotet', 'QakBot', 'IcedID', 'AgentTesla', null, null, null, null];

const valueOf = (i: number): { type: SightingRecord['type']; value: string } => {
  const k = i % 4;
  if (k === 0) return { type: 'ipv4', value: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` };
  if (k === 1) return { type: 'domain', value: `host${i}.catalogue-bench.com` };
  if (k === 2) return { type: 'url', value: `http://catalogue-bench${i}.net/p/${i}` };
  return { type: 'sha256', value: i.toString(16).padStart(64, 'a') };
};

function* records(): Generator<SightingRecord> {
  for (let i = 0; i < SIZE; i++) {
    yield {
      ...valueOf(i),
      threatType: i % 3 === 0 ? 'botnet_cc' : 'malware',
      malwareFamily: FAMILIES[i % FAMILIES.length] ?? undefined,
      lastSeen: new Date(NOW.getTime() - (i % 90) * 86_400_000).toISOString(),
      attackIds: i % 5 === 0 ? ['T1071'] : [],
    } as SightingRecord;
  }
}

const feedInfo = { info: (id: string) => ({ id, name: id, category: 'community' as const, reliability: 'B' as const }) };

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const ms = (x: number): string => `${x.toFixed(2)} ms`;
const rss = (): number => process.memoryUsage().rss;

async function bench(engine: string, store: Store): Promise<void> {
  const intel = createIntelligence();
  let t = performance.now();
  await store.ingest({ feedId: 'bench-feed', mode: 'snapshot', runAt: NOW.toISOString() }, records());
  console.log(`${engine}: ingested ${SIZE} indicators in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const catalogue = createCatalogue({ store, intel, catalog: feedInfo, clock: () => NOW });
  t = performance.now();
  const r = await catalogue.refresh();
  const refreshS = (performance.now() - t) / 1000;
  console.log(`${engine}: catalogue computed: ${r.written} rows in ${refreshS.toFixed(1)} s (${Math.round(r.written / refreshS)}/s)`);

  // the bare keyset pages first (the baseline), then the same through stream() as CSV
  global.gc?.();
  t = performance.now();
  let bare = 0;
  let cursor: string | null = null;
  do {
    const page: { entries: CatalogueEntry[]; next: string | null } = await store.catalogue.list({ limit: 2_000, cursor, includeDelisted: true });
    bare += page.entries.length;
    cursor = page.next;
  } while (cursor !== null);
  const bareRate = bare / ((performance.now() - t) / 1000);
  global.gc?.();
  const rss0 = rss();
  let peak = rss0;
  t = performance.now();
  let rows = 0;
  let bytes = stringify([[...CSV_COLUMNS]]).length;
  let batch: unknown[][] = [];
  for await (const e of catalogue.stream({ includeDelisted: true })) {
    batch.push([e.type, e.value, e.level, e.score, e.confidence, e.firstSeen, e.lastSeen, e.listed ? 'true' : 'false', e.feeds.join(' '), e.categories.join(' '), e.threatTypes.join(' '), e.families.join(' '), e.techniques.join(' '), e.cves.join(' ')]);
    if (batch.length === 2_000) {
      bytes += stringify(batch, { escape_formulas: true }).length;
      batch = [];
      rows += 2_000;
      const now = rss();
      if (now > peak) peak = now;
    }
  }
  bytes += stringify(batch, { escape_formulas: true }).length;
  rows += batch.length;
  const csvRate = rows / ((performance.now() - t) / 1000);
  console.log(
    `${engine}: CSV of everything: ${rows} rows, ${(bytes / 1e6).toFixed(0)} MB at ${Math.round(csvRate)} rows/s (goal >= 100,000), RSS growth ${((peak - rss0) / 1e6).toFixed(0)} MB (goal < 100); bare keyset pages ${Math.round(bareRate)} rows/s; CSV/bare ${(csvRate / bareRate).toFixed(2)}`,
  );

  const exact: number[] = [];
  for (let i = 0; i < 2_000; i++) {
    const v = valueOf(Math.floor(Math.random() * SIZE));
    const s = performance.now();
    const p = parseIndicator(v.value);
    if (p.ok) await catalogue.get(p.type, p.value);
    exact.push(performance.now() - s);
  }
  console.log(`${engine}: exact search p50 ${ms(pct(exact, 50))}, p99 ${ms(pct(exact, 99))} (goal p99 < 5 ms)`);

  const sub: number[] = [];
  for (let i = 0; i < 200; i++) {
    const n = Math.floor(Math.random() * SIZE);
    const q = i % 2 === 0 ? `host${n}.`.slice(0, 10) : `bench${n}`;
    const s = performance.now();
    await catalogue.search(q, 50);
    sub.push(performance.now() - s);
  }
  console.log(`${engine}: substring search p50 ${ms(pct(sub, 50))}, p99 ${ms(pct(sub, 99))} (goal p99 < 100 ms)`);

  const version = await store.dataVersion();
  t = performance.now();
  await catalogue.stats(version);
  const uncached = performance.now() - t;
  const cached: number[] = [];
  for (let i = 0; i < 1_000; i++) {
    const s = performance.now();
    await catalogue.stats(version);
    cached.push(performance.now() - s);
  }
  console.log(`${engine}: stats uncached ${ms(uncached)}; cached p99 ${ms(pct(cached, 99))} (goal < 50 ms); cached/uncached ${(pct(cached, 99) / uncached).toFixed(4)}`);
}

const dir = mkdtempSync(join(tmpdir(), 'verdict-catalogue-bench-'));
try {
  if (!process.argv.includes('--no-sqlite')) {
    const sqlite = await openStore(join(dir, 'bench.db'));
    try {
      await bench('sqlite', sqlite);
    } finally {
      await sqlite.close();
    }
  }
  if (!process.argv.includes('--no-postgres')) {
    const pg = benchSchema('catalogue');
    try {
      const { openPostgresStore } = await import('../src/store/postgres/index.ts');
      const store = await openPostgresStore(pg.url, { ingestTimeoutMs: 3_600_000, statementTimeoutMs: 600_000 });
      try {
        await bench('postgres', store);
      } finally {
        await store.close();
      }
    } catch (err) {
      console.log(`postgres: skipped (${(err as Error).message})`);
    } finally {
      await dropSchema(pg.schema).catch(() => undefined);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
