/**
 * IOC catalogue benchmark, in one run per engine (SQLite, and PostgreSQL when reachable): a store
 * of --size indicators (default 1,000,000; a quarter each IPv4, domain, URL, SHA-256, with a few
 * families and techniques), the catalogue computed from it (the refresh's rate), then
 *   - the whole catalogue as CSV in process, as GET /api/v1/iocs?format=csv writes it (tuples in
 *     keyset batches, CSV by hand, 64 KB chunks), rows/s and the process's RSS growth, against the
 *     bare keyset pages (store.catalogue.list, no formatting) and those pages through csv-stringify
 *     (what format=csv did before), measured in the same run;
 *   - the same over HTTP from a server process of its own (the build: run `npm run build` first, as
 *     the npm script does), pages of 100,000 followed through the Link header, with the server's
 *     RSS growth;
 *   - a STIX 2.1 export of 100,000 indicators over HTTP (--stix N for another count) with the
 *     server's RSS growth and the heap it keeps after it (a streamed export keeps nothing);
 *   - exact search (a normalized value's point read) p50/p99 over 2,000 random values;
 *   - substring search (FTS5 trigram / pg_trgm, 6 characters, limit 50) p50/p99 over 200;
 *   - stats uncached once, then cached p99 over 1,000.
 *   - TAXII: objects and manifest pages of 1,000 at 20 depths, against the bare recording-order
 *     pages (bench/catalogue-taxii.ts; goal < 150 ms a page); `--taxii-only` stops after it.
 * Goals: CSV ≥ 100,000 rows/s with RSS growth < 100 MB; exact p99 < 5 ms; substring
 * p99 < 100 ms; cached stats < 50 ms.
 *
 *   npm run bench:catalogue
 *   npm run bench:catalogue -- --size 200000 --no-postgres
 *   npm run bench:catalogue -- --no-sqlite
 *   npm run bench:catalogue -- --taxii-only --no-postgres
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stringify } from 'csv-stringify/sync';
import { CSV_HEADER, chunked, csvWriter } from '../src/catalogue/formats.ts';
import { createCatalogue } from '../src/catalogue/index.ts';
import type { CatalogueTuple } from '../src/store/catalogue-scan.ts';
import { parseIndicator } from '../src/indicators/detect.ts';
import { createIntelligence } from '../src/intel.ts';
import type { SightingRecord } from '../src/model.ts';
import { openStore } from '../src/store/index.ts';
import type { CatalogueEntry, Store } from '../src/store/types.ts';
import { benchSchema, dropSchema, testPostgresUrl } from './postgres.ts';
import { taxiiBench } from './catalogue-taxii.ts';

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
  return { type: 'sha256', value: i.toString(16).padStart(64, '0') };
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

/** A row as format=csv wrote it through csv-stringify before. */
const referenceRow = (e: CatalogueEntry) => [e.type, e.value, e.level, e.score, e.confidence, e.firstSeen, e.lastSeen, e.listed ? 'true' : 'false', e.feeds.join(' '), e.categories.join(' '), e.threatTypes.join(' '), e.families.join(' '), e.techniques.join(' '), e.cves.join(' ')];

/** The tier's largest page: GET /api/v1/iocs?format=csv is followed through its Link headers. */
const HTTP_PAGE = 100_000;
/** Indicators in the STIX export measured over HTTP. */
const STIX_EXPORT = Number(arg('--stix') ?? 100_000);
const SERVER = fileURLToPath(new URL('./catalogue-server.mjs', import.meta.url));

/**
 * The whole catalogue through GET /api/v1/iocs?format=csv (pages of HTTP_PAGE, following the Link
 * header) from a server of its own (the build, as `verdict serve` runs), with the server's RSS growth.
 */
async function overHttp(engine: string, storeUrl: string, bareRate: number): Promise<void> {
  const child = fork(SERVER, [], {
    execArgv: ['--expose-gc', ...(process.env['BENCH_SERVER_PROF'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_SERVER_PROF']}`] : [])],
    env: { ...process.env, BENCH_STORE: storeUrl, BENCH_NOW: NOW.toISOString() },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const { address, key } = await new Promise<{ address: string; key: string }>((resolve, reject) => {
      child.once('message', (m) => resolve(m as { address: string; key: string }));
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    const ask = <R>(m: object): Promise<R> =>
      new Promise((resolve) => {
        child.once('message', (r) => resolve(r as R));
        child.send(m);
      });
    // one small page first: the server computes nothing during the measure
    await (await fetch(`${address}/api/v1/iocs?limit=1`, { headers: { authorization: `Bearer ${key}` } })).arrayBuffer();
    await ask({ rss: 'start' });
    const t = performance.now();
    let url: string | null = `/api/v1/iocs?format=csv&include_delisted=true&limit=${HTTP_PAGE}`;
    let lines = 0;
    let pages = 0;
    while (url !== null) {
      const res: Response = await fetch(`${address}${url}`, { headers: { authorization: `Bearer ${key}` } });
      if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
      }
      pages++;
      const link = res.headers.get('link');
      url = link === null ? null : link.slice(1, link.indexOf('>'));
    }
    const seconds = (performance.now() - t) / 1000;
    const m = await ask<{ rss0: number; peak: number }>({ rss: 'stop' });
    const rows = lines - pages;
    console.log(
      `${engine}: CSV of everything over HTTP (GET /api/v1/iocs?format=csv, ${pages} pages of ${HTTP_PAGE}): ${rows} rows in ${seconds.toFixed(1)} s, ${Math.round(rows / seconds)} rows/s (goal >= 100,000), server RSS growth ${((m.peak - m.rss0) / 1e6).toFixed(0)} MB (goal < 100); /bare keyset pages in process ${(rows / seconds / bareRate).toFixed(2)}`,
    );

    // a STIX 2.1 bundle of 100,000 indicators (GET /api/v1/iocs/stix): streamed, so the server's
    // memory must not grow with it
    await ask({ rss: 'start' });
    const ts = performance.now();
    const stix = await fetch(`${address}/api/v1/iocs/stix?limit=${STIX_EXPORT}`, { headers: { authorization: `Bearer ${key}` } });
    if (stix.status !== 200) throw new Error(`stix export: ${stix.status} ${await stix.text()}`);
    let bytes = 0;
    let indicators = 0;
    const marker = Buffer.from('"type":"indicator"');
    let tail = Buffer.alloc(0);
    for await (const chunk of stix.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      // the indicator objects, also where one's marker spans two chunks: the tail kept is too short to hold a whole marker
      const joined = Buffer.concat([tail, chunk]);
      for (let i = joined.indexOf(marker); i >= 0; i = joined.indexOf(marker, i + 1)) indicators++;
      tail = Buffer.from(joined.subarray(Math.max(0, joined.length - (marker.length - 1))));
    }
    const stixSeconds = (performance.now() - ts) / 1000;
    const ms2 = await ask<{ rss0: number; peak: number; heapRetained: number }>({ rss: 'stop' });
    console.log(
      `${engine}: STIX 2.1 export of ${STIX_EXPORT.toLocaleString('en')} indicators over HTTP (GET /api/v1/iocs/stix): ${indicators} indicator objects, ${(bytes / 1e6).toFixed(0)} MB in ${stixSeconds.toFixed(1)} s (${Math.round(indicators / stixSeconds)} indicators/s), server RSS growth ${((ms2.peak - ms2.rss0) / 1e6).toFixed(0)} MB, heap kept after it ${(ms2.heapRetained / 1e6).toFixed(1)} MB (streamed: nothing of the export is held)`,
    );
  } finally {
    child.disconnect();
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

const feedInfo = { info: (id: string) => ({ id, name: id, category: 'community' as const, reliability: 'B' as const }) };

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const ms = (x: number): string => `${x.toFixed(2)} ms`;
const rss = (): number => process.memoryUsage().rss;

async function bench(engine: string, store: Store, storeUrl: string, settle?: () => Promise<void>): Promise<void> {
  const intel = createIntelligence();
  let t = performance.now();
  await store.ingest({ feedId: 'bench-feed', mode: 'snapshot', runAt: NOW.toISOString() }, records());
  console.log(`${engine}: ingested ${SIZE} indicators in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const catalogue = createCatalogue({ store, intel, catalog: feedInfo, clock: () => NOW });
  t = performance.now();
  const r = await catalogue.refresh();
  const refreshS = (performance.now() - t) / 1000;
  console.log(`${engine}: catalogue computed: ${r.written} rows in ${refreshS.toFixed(1)} s (${Math.round(r.written / refreshS)}/s)`);
  if (settle !== undefined) {
    // what autovacuum does after a large import, done here so that it does not run during the measures
    t = performance.now();
    await settle();
    console.log(`${engine}: tables vacuumed and analyzed in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  // TAXII pages of 1,000 at depths across the catalogue (bench/catalogue-taxii.ts); --taxii-only stops after it
  await taxiiBench(engine, store, intel, catalogue);
  if (process.argv.includes('--taxii-only')) return;

  // the bare keyset pages first (the baseline), then CSV as format=csv wrote it before (those pages
  // through csv-stringify), then as it writes it now (tuples in keyset batches, CSV by hand, 64 KB chunks)
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
  t = performance.now();
  let beforeRows = 0;
  cursor = null;
  do {
    const page: { entries: CatalogueEntry[]; next: string | null } = await store.catalogue.list({ limit: 2_000, cursor, includeDelisted: true });
    stringify(page.entries.map(referenceRow), { escape_formulas: true });
    beforeRows += page.entries.length;
    cursor = page.next;
  } while (cursor !== null);
  const beforeRate = beforeRows / ((performance.now() - t) / 1000);
  global.gc?.();
  const rss0 = rss();
  let peak = rss0;
  t = performance.now();
  let rows = 0;
  let bytes = 0;
  async function* counted(): AsyncGenerator<CatalogueTuple[]> {
    for await (const batch of catalogue.rows({ includeDelisted: true, limit: Number.MAX_SAFE_INTEGER })) {
      rows += batch.length;
      yield batch;
    }
  }
  for await (const chunk of chunked(counted(), csvWriter(), { head: CSV_HEADER })) {
    bytes += chunk.length;
    const now = rss();
    if (now > peak) peak = now;
  }
  const csvRate = rows / ((performance.now() - t) / 1000);
  console.log(
    `${engine}: CSV of everything in process: ${rows} rows, ${(bytes / 1e6).toFixed(0)} MB at ${Math.round(csvRate)} rows/s, RSS growth ${((peak - rss0) / 1e6).toFixed(0)} MB; ` +
      `bare keyset pages ${Math.round(bareRate)} rows/s; those pages through csv-stringify (format=csv before) ${Math.round(beforeRate)} rows/s; CSV now/bare ${(csvRate / bareRate).toFixed(2)}, now/before ${(csvRate / beforeRate).toFixed(2)}`,
  );
  await overHttp(engine, storeUrl, bareRate);

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
      await bench('sqlite', sqlite, join(dir, 'bench.db'));
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
        await bench('postgres', store, pg.url, async () => {
          const { default: pgm } = await import('pg');
          const c = new pgm.Client({ connectionString: testPostgresUrl() });
          await c.connect();
          try {
            await c.query(`SET search_path = ${pg.schema}`);
            await c.query('VACUUM (ANALYZE) catalogue, catalogue_terms, catalogue_dirty, sightings');
          } finally {
            await c.end();
          }
        });
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
