/**
 * HTTP benchmark: the lookup route (auth, rate limit with a very high limit, store hit) against a
 * bare Fastify route returning a constant of the same size, both served by the same child process, started the same
 * way, measured in the same run with autocannon on loopback (50 connections). The lookup route
 * writes its answers at the end of the event loop's turn; a second bare route that does the same
 * is measured too, for reading the route's own work apart from how its answers are written. The child runs the
 * compiled JavaScript in dist/ under plain node, as production does (bench/http-server.mjs;
 * `npm run bench:http` builds first). On Linux each row also gives the server's CPU per request and the
 * share of the time its main thread was ready to run but waited for a core: the client shares the
 * machine, and a p99 that misses while the server waited says as much about the machine as the route.
 *
 *   npm run bench:http                         # embedded SQLite store
 *   npm run bench:http -- --store postgres     # VERDICT_TEST_POSTGRES_URL (or --store postgres://…)
 *   npm run bench:http -- --seconds 2 --no-cache   # seconds per target per round (3 rounds)
 *
 * With a store other than SQLite, an SQLite server runs beside it in the same run and the lookup
 * throughput of the chosen store is also printed as a ratio to SQLite's. A PostgreSQL server uses
 * Redis for rate limits and the cache (VERDICT_TEST_REDIS_URL, or --redis URL; --no-redis for
 * per-instance limits and cache).
 *
 * BENCH_SERVER_NODE_ARGS passes node options to the server (--trace-gc-nvp, say); BENCH_SERVER_PROF=DIR
 * writes its CPU profiles there.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { benchSchema, dropSchema } from './postgres.ts';

const SERVER = fileURLToPath(new URL('./http-server.mjs', import.meta.url));
const CONNECTIONS = 50;
const ROUNDS = 3;
const KNOWN = '198.51.100.23';
/**
 * Distinct stored indicators of the spread target: every request asks for another, so nothing is
 * answered twice in a row and lookups computed together read different values.
 */
const SPREAD = 1000;
const UNKNOWN = '203.0.113.99';

interface Ready {
  bare: string;
  bareTurn: string;
  bareSmall: string;
  bytes: number;
  lookup: string;
  key: string;
  /** Distinct stored indicators, for the target that asks for a different one each time. */
  spread: string[];
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** A throw-away schema in the test database, so the bench leaves nothing behind. */
const BENCH = benchSchema('http');

/** `sqlite` (a temp file), `postgres` (a fresh schema in the test database) or a database URL. */
function storeUrl(choice: string, dir: string): string {
  if (choice === 'sqlite') return join(dir, 'bench.db');
  if (choice === 'postgres') return BENCH.url;
  return choice;
}


interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  /** The server process that answers it. */
  pid: number | undefined;
  /** Each request asks for the next of these (cycling) instead of `url`'s query. */
  values?: string[];
}

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  /** Server CPU (all its threads) per request, µs; null where /proc cannot tell. */
  cpuPerRequest: number | null;
  /** Share of the target's time the server's main thread was ready to run but waited for a core. */
  queued: number | null;
}

/**
 * What the server process spent while a target ran, read from Linux's /proc: CPU time of all its
 * threads (stat: utime + stime, in clock ticks) and its main thread's time waiting on the run queue
 * (schedstat, ns). A p99 that misses while the main thread waited for a core says the machine was
 * busy elsewhere; CPU per request says what the route itself costs. Elsewhere: null.
 */
const TICK_MS = (() => {
  try {
    return 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  } catch {
    return 10;
  }
})();

interface ProcessTimes {
  cpuMs: number;
  queuedMs: number;
}

function processTimes(pid: number | undefined): ProcessTimes | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const sched = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').trim().split(' ');
    return { cpuMs: (Number(fields[11]) + Number(fields[12])) * TICK_MS, queuedMs: Number(sched[1]) / 1e6 };
  } catch {
    return null;
  }
}

async function once(t: Target, seconds: number) {
  const values = t.values;
  let next = 0;
  const requests =
    values === undefined
      ? undefined
      : [
          {
            setupRequest: (req: autocannon.Request) => {
              req.path = `${new URL(t.url).pathname}?value=${values[next++ % values.length]}`;
              return req;
            },
          },
        ];
  const r = await autocannon({ url: t.url, connections: CONNECTIONS, duration: seconds, headers: t.headers, ...(requests ? { requests } : {}) });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${t.name}: ${r.non2xx} non-2xx responses, ${r.errors} errors`);
  return r;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/**
 * Targets take turns in short rounds rather than one long run each, so a burst of load from
 * elsewhere on the machine hits them all alike and the ratios stay meaningful.
 */
async function measureAll(targets: Target[], seconds: number, rounds: number): Promise<Measured[]> {
  for (const t of targets) await once(t, 1); // warm-up: JIT, caches, connections
  const acc = targets.map(() => ({ requests: 0, p50: [] as number[], p99: [] as number[], cpuMs: 0, queuedMs: 0, known: true }));
  for (let round = 0; round < rounds; round++) {
    for (const [i, t] of targets.entries()) {
      const a = acc[i]!;
      const before = processTimes(t.pid);
      const r = await once(t, seconds);
      const after = processTimes(t.pid);
      a.requests += r.requests.total;
      a.p50.push(r.latency.p50);
      a.p99.push(r.latency.p99);
      if (before === null || after === null) a.known = false;
      else {
        a.cpuMs += after.cpuMs - before.cpuMs;
        a.queuedMs += after.queuedMs - before.queuedMs;
      }
    }
  }
  return acc.map((a) => ({
    rps: a.requests / (seconds * rounds),
    p50: median(a.p50),
    p99: median(a.p99),
    cpuPerRequest: a.known && a.requests > 0 ? (a.cpuMs * 1000) / a.requests : null,
    queued: a.known ? a.queuedMs / (seconds * rounds * 1000) : null,
  }));
}

interface Server {
  ready: Ready;
  child: ChildProcess;
}

async function startServer(store: string, cache: string, redis: string | null): Promise<Server> {
  // plain node: no TypeScript loader in the server's process
  const child: ChildProcess = fork(SERVER, [], {
    execArgv: [...(process.env['BENCH_SERVER_NODE_ARGS']?.split(' ').filter(Boolean) ?? []), ...(process.env['BENCH_SERVER_PROF'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_SERVER_PROF']}`] : [])],
    env: { ...process.env, BENCH_STORE: store, BENCH_CACHE: cache, BENCH_REDIS: redis ?? '', BENCH_KNOWN: KNOWN, BENCH_SPREAD: String(SPREAD) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('message', (m) => resolve(m as Ready));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { ready, child };
}

async function main(): Promise<void> {
  const seconds = Number(arg('seconds') ?? '2');
  const store = arg('store') ?? 'sqlite';
  const cache = process.argv.includes('--no-cache') ? 'off' : 'on';
  const redis = store === 'sqlite' || process.argv.includes('--no-redis') ? null : (arg('redis') ?? process.env['VERDICT_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379/0');
  const dir = mkdtempSync(join(tmpdir(), 'verdict-bench-'));
  const servers: Server[] = [];
  try {
    servers.push(await startServer(storeUrl('sqlite', dir), cache, null));
    if (store !== 'sqlite') servers.push(await startServer(storeUrl(store, dir), cache, redis));
    const base = servers[0]!.ready;
    const basePid = servers[0]!.child.pid;
    const targets: Target[] = [
      { name: 'bare-small', url: base.bareSmall, headers: {}, pid: basePid },
      { name: 'bare', url: base.bare, headers: {}, pid: basePid },
      { name: 'bare-turn', url: base.bareTurn, headers: {}, pid: basePid },
    ];
    for (const { ready, child } of servers) {
      const auth = { authorization: `Bearer ${ready.key}` };
      targets.push({ name: 'known', url: `${ready.lookup}?value=${KNOWN}`, headers: auth, pid: child.pid });
      targets.push({ name: 'unknown', url: `${ready.lookup}?value=${UNKNOWN}`, headers: auth, pid: child.pid });
      targets.push({ name: 'spread', url: ready.lookup, headers: auth, pid: child.pid, values: ready.spread });
    }
    const [small, bare, bareTurn, known, unknown, spread, otherKnown, otherUnknown, otherSpread] = await measureAll(targets, seconds, ROUNDS);
    const server = (m: Measured) =>
      m.cpuPerRequest === null || m.queued === null ? '' : `   server ${m.cpuPerRequest.toFixed(0).padStart(3)} µs CPU/req, main thread queued ${(100 * m.queued).toFixed(1).padStart(4)} %`;
    const row = (name: string, m: Measured) =>
      `${name.padEnd(44)} ${m.rps.toFixed(0).padStart(8)} req/s   p50 ${String(m.p50).padStart(3)} ms   p99 ${String(m.p99).padStart(3)} ms   ratio ${(m.rps / bare!.rps).toFixed(2)}${server(m)}`;
    console.log(`HTTP lookup benchmark: ${CONNECTIONS} connections, ${ROUNDS} rounds of ${seconds} s per target, cache ${cache}, log level warn`);
    console.log(row('bare route, tiny constant', small!));
    console.log(row(`bare route, ${base.bytes} B constant`, bare!));
    console.log(row('bare route, the same, written at turn end', bareTurn!));
    console.log(row('lookup sqlite, known indicator', known!));
    console.log(row('lookup sqlite, unknown indicator', unknown!));
    console.log(row(`lookup sqlite, ${SPREAD} distinct known`, spread!));
    console.log(`ratio lookup/bare (sqlite): known ${(known!.rps / bare!.rps).toFixed(2)}, unknown ${(unknown!.rps / bare!.rps).toFixed(2)} (goal >= ${cache === 'on' ? '0.6 with the cache on' : '0.3 with the cache off'}); p99 known ${known!.p99} ms, unknown ${unknown!.p99} ms (goal <= 10 ms)`);
    // The lookup route writes its answers at the end of the event loop's turn (src/http/turn-end.ts);
    // against a bare route that does the same, the ratio shows the route's own work alone.
    console.log(`ratio lookup/bare written at turn end (sqlite): known ${(known!.rps / bareTurn!.rps).toFixed(2)}, unknown ${(unknown!.rps / bareTurn!.rps).toFixed(2)} (for reading; the goal is against the bare route)`);
    if (otherKnown && otherUnknown) {
      const label = `${store}${redis ? ' + redis' : ''}`;
      console.log(row(`lookup ${label}, known indicator`, otherKnown));
      console.log(row(`lookup ${label}, unknown indicator`, otherUnknown));
      if (otherSpread) console.log(row(`lookup ${label}, ${SPREAD} distinct known`, otherSpread));
      console.log(
        `ratio ${label}/sqlite: known ${(otherKnown.rps / known!.rps).toFixed(2)}, unknown ${(otherUnknown.rps / unknown!.rps).toFixed(2)}, ${SPREAD} distinct known ${otherSpread ? (otherSpread.rps / spread!.rps).toFixed(2) : '-'} (goal >= ${cache === 'on' ? '0.9 with the cache on' : '0.5 with the cache off'})`,
      );
    }
  } finally {
    await Promise.all(servers.map(({ child }) => stopped(child)));
    if (store === 'postgres') await dropSchema(BENCH.schema);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Closes the server's channel (it then stops) and waits for it to exit. */
function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.disconnect();
  });
}

await main();
