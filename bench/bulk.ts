/**
 * Bulk lookup benchmark, in one run: 1,000 distinct mixed indicators (half known) in one
 * POST /api/v1/lookup/bulk call, with the seed's two hunting queries and without any, against the
 * same indicators looked up one by one over HTTP (uncached, 10 at a time); on SQLite and (when
 * reachable) PostgreSQL; 100,000 values of five types streamed as NDJSON with the server's RSS growth; and
 * extract-and-enrich of a 1 MB report.
 *
 * The server runs in its own process (bench/bulk-server.mjs: the compiled dist/ under plain
 * node, as production runs it), so its memory and time are its own, not the client's. What is
 * compared takes turns — the servers with and without hunting queries call by call, a bulk call
 * and the one-by-one lookups round by round — so that load from elsewhere on a shared machine
 * weighs on both sides of a ratio alike.
 *
 *   npm run bench:bulk                  # SQLite, and PostgreSQL at VERDICT_TEST_POSTGRES_URL if it answers
 *   npm run bench:bulk -- --no-postgres
 *   npm run bench:bulk -- --quick       # the 1,000-value calls only (no one-by-one, NDJSON or extract)
 *   npm run bench:bulk -- --ndjson      # the NDJSON stream's memory only (SQLite)
 *
 * The NDJSON line gives the server's RSS growth, the goal's figure, and beside it how much V8's
 * old generation grew: garbage that outlived the young generation and waits there for a full
 * collection is what raises RSS. BENCH_OLD_GEN_PROFILE=FILE writes a heap profile of what reached
 * it (bench/bulk-server.mjs); BENCH_SERVER_NODE_ARGS passes node options to the server
 * (--trace-gc-nvp, say).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SightingRecord } from '../src/model.ts';
import { benchSchema, dropSchema } from './postgres.ts';

const SERVER = fileURLToPath(new URL('./bulk-server.mjs', import.meta.url));
const N = 1_000;
const STREAMED = 100_000;
const ROUNDS = 7;
const quick = process.argv.includes('--quick');
const ndjsonOnly = process.argv.includes('--ndjson');

/** N distinct values, a quarter each IPv4, domain, URL and SHA-256; every other one stored. */
function indicators(): { values: string[]; known: SightingRecord[] } {
  const values: string[] = [];
  const known: SightingRecord[] = [];
  for (let i = 0; i < N; i++) {
    const kind = i % 4;
    const v = kind === 0 ? `10.${(i >> 8) & 255}.${i & 255}.1` : kind === 1 ? `host${i}.bulk-bench.com` : kind === 2 ? `http://bulk-bench${i}.net/p` : `${'0'.repeat(56)}${i.toString(16).padStart(8, '0')}`;
    values.push(v);
    if (i % 2 === 0) known.push({ type: kind === 0 ? 'ipv4' : kind === 1 ? 'domain' : kind === 2 ? 'url' : 'sha256', value: v, threatType: 'botnet_cc', malwareFamily: 'Emotet' });
  }
  return { values, known };
}

/** A report of about 1 MB: prose paragraphs, each naming two of the N indicators (defanged as reports write them). */
function report(values: string[]): string {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < 1024 * 1024; i++) {
    const a = values[(i * 2) % values.length]!.replace(/\./g, '[.]').replace(/^http/, 'hxxp');
    const b = values[(i * 2 + 1) % values.length]!.replace(/\./g, '[.]').replace(/^http/, 'hxxp');
    const p =
      `During the intrusion the operators staged tooling on ${a} and later moved laterally using stolen credentials; ` +
      `the loader beaconed every sixty seconds to ${b}, and defenders observed scheduled tasks, encoded PowerShell and ` +
      `archive utilities used to collect data before exfiltration over an encrypted channel (paragraph ${i}).\n\n`;
    parts.push(p);
    size += p.length;
  }
  return parts.join('');
}

interface Server {
  child: ChildProcess;
  address: string;
  key: string;
}

async function start(store: string, hunting: boolean, records: string): Promise<Server> {
  const child = fork(SERVER, [], {
    execArgv: ['--expose-gc', ...(process.env['BENCH_SERVER_NODE_ARGS']?.split(' ').filter(Boolean) ?? []), ...(process.env['BENCH_SERVER_PROF'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_SERVER_PROF']}`] : [])],
    env: { ...process.env, BENCH_STORE: store, BENCH_HUNTING: hunting ? 'on' : 'off', BENCH_RECORDS: records },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<{ address: string; key: string }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { address: string; key: string }));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { child, ...ready };
}

function stop(s: Server): Promise<void> {
  if (s.child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    s.child.once('exit', () => resolve());
    s.child.disconnect();
  });
}

const ask = <T>(s: Server, msg: unknown): Promise<T> =>
  new Promise((resolve) => {
    s.child.once('message', (m) => resolve(m as T));
    s.child.send(msg as never);
  });

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const headersOf = (s: Server) => ({ authorization: `Bearer ${s.key}`, 'content-type': 'application/json' });

async function bulkMs(s: Server, values: string[]): Promise<number> {
  const t = performance.now();
  const res = await fetch(`${s.address}/api/v1/lookup/bulk`, { method: 'POST', headers: headersOf(s), body: JSON.stringify({ values }) });
  // the whole answer is read, as the one-by-one lookups' are, and only its summary decoded and
  // parsed: the figure is the server's, not the client's (decoding 6 MB to a string alone took
  // some 19 ms, where the one-by-one lookups decode nothing)
  const bytes = Buffer.from(await res.arrayBuffer());
  const at = bytes.lastIndexOf('],"summary":');
  const body = (at < 0 ? { summary: undefined } : JSON.parse(`{${bytes.subarray(at + 2).toString('utf8')}`)) as { summary?: { answered: number; found: number } };
  if (body.summary?.answered !== values.length) throw new Error(`bulk answered ${JSON.stringify(body).slice(0, 300)}`);
  if (body.summary.found !== values.length / 2) throw new Error(`bulk found ${body.summary.found} of ${values.length}, expected half`);
  return performance.now() - t;
}

/** Median of ROUNDS calls after as many warm-up calls (JIT, statement caches). */
async function bulkRate(s: Server, values: string[]): Promise<{ ms: number; rate: number }> {
  return (await bulkRates([s], values))[0]!;
}

/** The same for several servers, their calls taking turns: a burst of load from elsewhere weighs on all alike. */
async function bulkRates(servers: Server[], values: string[]): Promise<{ ms: number; rate: number }[]> {
  for (let i = 0; i < ROUNDS; i++) for (const s of servers) await bulkMs(s, values);
  const times = servers.map(() => [] as number[]);
  for (let i = 0; i < ROUNDS; i++) for (const [k, s] of servers.entries()) times[k]!.push(await bulkMs(s, values));
  return times.map((t) => {
    const ms = median(t);
    return { ms, rate: (values.length / ms) * 1000 };
  });
}

async function oneByOneMs(s: Server, values: string[]): Promise<number> {
  const t = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (next < values.length) {
        const v = values[next++]!;
        const res = await fetch(`${s.address}/api/v1/lookup?value=${encodeURIComponent(v)}`, { headers: headersOf(s) });
        if (res.status !== 200) throw new Error(`lookup ${v}: ${res.status}`);
        await res.arrayBuffer();
      }
    }),
  );
  return performance.now() - t;
}

interface StreamFigures {
  lines: number;
  seconds: number;
  growthMb: number;
  oldGrowthMb: number;
  retainedMb: number;
  heapPeakMb: number;
  heapRetainedMb: number;
}

/** STREAMED distinct values, a fifth each IPv4 (public and special), IPv6, domain, URL and SHA-256: none stored. */
function streamed(): string[] {
  return Array.from({ length: STREAMED }, (_, i) => {
    switch (i % 5) {
      case 0:
        return `${20 + (i % 180)}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      case 1:
        return `2a02:${(i >> 16).toString(16)}:${(i & 65535).toString(16)}::1`;
      case 2:
        return `h${i}.stream-bench.com`;
      case 3:
        return `http://s${i}.stream-bench.net/p?q=${i}`;
      default:
        return i.toString(16).padStart(64, '0');
    }
  });
}

async function ndjson(s: Server): Promise<StreamFigures> {
  const big = streamed();
  await ask(s, { rss: 'start' });
  const t = performance.now();
  const res = await fetch(`${s.address}/api/v1/lookup/bulk`, { method: 'POST', headers: { ...headersOf(s), accept: 'application/x-ndjson' }, body: JSON.stringify({ values: big }) });
  let lines = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) for (const c of chunk) if (c === 10) lines++;
  const seconds = (performance.now() - t) / 1000;
  const m = await ask<{ rss0: number; peak: number; rssAfterGc: number; heap0: number; heapAfterGc: number; heapPeak: number; oldGrowth: number }>(s, { rss: 'stop' });
  // one line per value (all distinct and valid) and the summary's
  if (lines !== STREAMED + 1) throw new Error(`NDJSON: ${lines} lines for ${STREAMED} values`);
  const mb = (bytes: number) => bytes / 1048576;
  return {
    lines,
    seconds,
    growthMb: mb(m.peak - m.rss0),
    oldGrowthMb: mb(m.oldGrowth),
    retainedMb: mb(m.rssAfterGc - m.rss0),
    heapPeakMb: mb(m.heapPeak),
    heapRetainedMb: mb(m.heapAfterGc - m.heap0),
  };
}

function ndjsonLine(label: string, n: StreamFigures): string {
  return (
    `${label}: NDJSON ${STREAMED.toLocaleString('en')} values: ${n.lines} lines in ${n.seconds.toFixed(1)} s; server RSS growth ${n.growthMb.toFixed(0)} MB (goal < 100), ` +
    `of which V8's old generation ${n.oldGrowthMb.toFixed(0)} MB; peak V8 heap ${n.heapPeakMb.toFixed(0)} MB; after a gc at the end: RSS ${n.retainedMb.toFixed(0)} MB, heap used ${n.heapRetainedMb.toFixed(0)} MB above the start`
  );
}

async function extractMs(s: Server, text: string): Promise<{ ms: number; distinct: number; enriched: number }> {
  const once = async () => {
    const t = performance.now();
    const res = await fetch(`${s.address}/api/v1/extract?enrich=true`, { method: 'POST', headers: headersOf(s), body: JSON.stringify({ text }) });
    const body = (await res.json()) as { distinct?: unknown[]; summary?: { enriched: number } };
    if (res.status !== 200 || body.summary === undefined) throw new Error(`extract: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
    return { ms: performance.now() - t, distinct: body.distinct!.length, enriched: body.summary.enriched };
  };
  await once();
  const runs = [await once(), await once(), await once(), await once(), await once()];
  return { ...runs[0]!, ms: median(runs.map((r) => r.ms)) };
}

async function benchStore(label: string, store: string, records: string, values: string[]): Promise<number> {
  if (ndjsonOnly) {
    const s = await start(store, true, records);
    try {
      // as a server that has answered before: the first lookup builds what every later one shares
      // (the warning lists' indexes, ~27 MB), which is no part of the stream's memory
      await bulkRate(s, values);
      const n = await ndjson(s);
      console.log(ndjsonLine(label, n));
    } finally {
      await stop(s);
    }
    return 0;
  }
  // one server without hunting queries, one with the seed's two, their calls taking turns
  const bare = await start(store, false, records);
  let s: Server;
  try {
    s = await start(store, true, records);
  } catch (err) {
    await stop(bare);
    throw err;
  }
  try {
    const [without, withSeed] = (await bulkRates([bare, s], values)) as [{ ms: number; rate: number }, { ms: number; rate: number }];
    await stop(bare);
    console.log(`${label}: bulk ${N} without hunting queries ${without.ms.toFixed(0)} ms = ${without.rate.toFixed(0)}/s (goal >= 20000)`);
    console.log(`${label}: bulk ${N} with the seed's two       ${withSeed.ms.toFixed(0)} ms = ${withSeed.rate.toFixed(0)}/s (goal >= 8000)`);
    if (!quick) {
      await oneByOneMs(s, values); // warm-up
      // the two take turns, a bulk call then the same values one by one, so that a burst of load
      // from elsewhere on the machine weighs on both alike and their ratio keeps its meaning
      const bulkTimes: number[] = [];
      const singleTimes: number[] = [];
      for (let i = 0; i < 5; i++) {
        bulkTimes.push(await bulkMs(s, values));
        singleTimes.push(await oneByOneMs(s, values));
      }
      const [bulkMedian, single] = [median(bulkTimes), median(singleTimes)];
      console.log(
        `${label}: one by one over HTTP (uncached, 10 at a time) ${single.toFixed(0)} ms = ${((N / single) * 1000).toFixed(0)}/s; bulk in the same turns ${bulkMedian.toFixed(0)} ms; bulk/one-by-one ${(single / bulkMedian).toFixed(2)}× (goal >= 5)`,
      );
    }
    if (label === 'sqlite' && !quick) {
      const n = await ndjson(s);
      console.log(ndjsonLine(label, n));
      const text = report(values);
      const e = await extractMs(s, text);
      console.log(`${label}: extract-and-enrich of a ${(Buffer.byteLength(text) / 1048576).toFixed(2)} MB report (${e.distinct} distinct, ${e.enriched} enriched): ${e.ms.toFixed(0)} ms (goal < 1000)`);
    }
    return withSeed.rate;
  } finally {
    await Promise.all([stop(bare), stop(s)]);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'verdict-bench-bulk-'));
try {
  const { values, known } = indicators();
  const records = join(dir, 'records.json');
  writeFileSync(records, JSON.stringify(known));
  const sqlite = await benchStore('sqlite', join(dir, 'bench.db'), records, values);
  if (!process.argv.includes('--no-postgres') && !ndjsonOnly) {
    const pgBench = benchSchema('bulk');
    try {
      const pg = await benchStore('postgres', pgBench.url, records, values);
      console.log(`postgres/sqlite bulk throughput (seed queries): ${(pg / sqlite).toFixed(2)} (goal >= 0.5)`);
    } catch (err) {
      console.log(`postgres: skipped (${(err as Error).message})`);
    } finally {
      await dropSchema(pgBench.schema).catch(() => undefined);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
