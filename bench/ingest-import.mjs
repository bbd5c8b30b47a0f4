/**
 * The importing process of `bench:ingest` (started by bench/ingest.ts, not on its own): it opens
 * the store and imports the files it is given, as `verdict worker` would, and reports each run's
 * time and its own peak memory. The files' generation and the parse-only baseline happen in the
 * parent, so the memory figure is the import's and not the bench's.
 *
 * It runs the compiled JavaScript in dist/ under plain node, as production does (`npm run
 * bench:ingest` builds first): no TypeScript loader in this process or its parse thread. Plain
 * JavaScript for that reason; the job and report it exchanges are typed in bench/ingest.ts.
 */
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { fetch } from 'undici';
import { runFeed } from '../dist/feeds/run.js';
import { openStore } from '../dist/store/index.js';

let peakRss = process.memoryUsage().rss;
let peakAnon = 0;
// Linux splits RSS into anonymous memory (heaps, SQLite's page cache) and file-backed pages
// (mostly the node binary's code; the writer reads the database without mmap)
function rssAnon() {
  try {
    const m = /RssAnon:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
const sample = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  peakAnon = Math.max(peakAnon, rssAnon());
};
const sampler = setInterval(sample, 20);

/** @param {import('./ingest.ts').ImportJob} job @returns {Promise<import('./ingest.ts').ImportReport>} */
async function run(job) {
  const logger = pino({ level: 'silent' });
  const store = await openStore(job.store, { logger });
  for (const r of job.runs) await store.purgeFeed(r.def.id);
  const env = { store, logger, clock: () => new Date(), fetch, sleep: async () => {}, ...(job.inline ? { parseThreadMinBytes: Infinity } : {}) };
  const seconds = [];
  for (const { def, path, rows } of job.runs) {
    const t = performance.now();
    const result = await runFeed(def, { kind: 'file', path }, env);
    seconds.push((performance.now() - t) / 1000);
    if (result.status !== 'success' || result.result?.received !== rows || result.result.added !== rows) {
      throw new Error(`${def.id}: ${result.status} ${result.error ?? ''} received ${result.result?.received} added ${result.result?.added}, expected ${rows}`);
    }
  }
  let reimport = null;
  const first = job.runs[0];
  if (job.reimport && first !== undefined) {
    const t = performance.now();
    const again = await runFeed(first.def, { kind: 'file', path: first.path }, env);
    reimport = { seconds: (performance.now() - t) / 1000, unchanged: again.result?.unchanged ?? 0 };
  }
  // what follows is clean-up, not import: the memory figure stops here
  sample();
  clearInterval(sampler);
  const report = {
    storeKind: store.kind,
    seconds,
    reimport,
    peakRss: Math.max(peakRss, process.resourceUsage().maxRSS * 1024),
    peakAnon,
  };
  if (job.keep) for (const r of job.runs) await store.purgeFeed(r.def.id);
  await store.close();
  return report;
}

if (process.send === undefined) {
  console.error('bench/ingest-import.mjs is started by bench/ingest.ts (npm run bench:ingest), not on its own');
  process.exit(2);
}

process.once('message', (job) => {
  run(job)
    .then((report) => process.send?.({ ok: true, report }))
    .catch((err) => process.send?.({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }))
    .finally(() => {
      clearInterval(sampler);
      process.disconnect?.();
    });
});
