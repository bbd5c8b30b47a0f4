/**
 * The server process of `bench:bulk` (started by bench/bulk.ts, not on its own): Verdict as
 * production runs it — the compiled JavaScript in dist/, started as `verdict serve` starts it,
 * under plain node — so that the client's work (building bodies, reading answers) is not counted
 * in the server's memory or time.
 *
 * Plain JavaScript. Settings from the environment: BENCH_STORE (a database URL), BENCH_HUNTING
 * (`off`: no hunting queries are built), BENCH_RECORDS (a JSON file of the sightings to store).
 * It sends its address and key on the IPC channel; on {rss: 'start'} it starts sampling its own
 * RSS (after a garbage collection) and on {rss: 'stop'} answers {rss0, peak} in bytes. It stops
 * when the channel closes.
 *
 * BENCH_OLD_GEN_PROFILE=FILE writes, for the NDJSON stream, a sampling heap profile of what
 * reached V8's old generation (promoted or allocated there, kept or collected by a full
 * collection; not what a scavenge collected): the garbage that raises RSS. Chrome's DevTools
 * open it (Memory, Load profile).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import v8 from 'node:v8';
import { loadConfig } from '../dist/config.js';
import { createKeyService } from '../dist/keys/service.js';
import { startServer } from '../dist/main.js';

if (process.send === undefined || !process.env['BENCH_RECORDS']) {
  console.error('bench/bulk-server.mjs is started by bench/bulk.ts (npm run bench:bulk), not on its own');
  process.exit(2);
}

const config = loadConfig({
  VERDICT_DATABASE_URL: process.env['BENCH_STORE'] ?? ':memory:',
  VERDICT_HOST: '127.0.0.1',
  VERDICT_PORT: '0',
  VERDICT_SCHEDULER: 'off',
  VERDICT_LOG_LEVEL: 'warn',
  // uncached: every lookup, single or bulk, computes its answer
  VERDICT_CACHE_TTL_SECONDS: '0',
  VERDICT_TIER_ENTERPRISE_PER_MINUTE: '1000000000',
  VERDICT_TIER_ENTERPRISE_PER_DAY: '1000000000000',
});
const overrides = process.env['BENCH_HUNTING'] === 'off' ? { hunting: { build: () => ({}) } } : {};
const server = await startServer(config, { print: () => {}, overrides });
const { deps } = server;
const records = JSON.parse(readFileSync(process.env['BENCH_RECORDS'], 'utf8'));
await deps.store.ingest({ feedId: 'bench-feed', mode: 'incremental', runAt: new Date().toISOString() }, records);
const { key } = await createKeyService({ keys: deps.store.keys, clock: deps.clock, newId: deps.ids.keyId }).create({
  name: 'bench',
  tier: 'enterprise',
  scopes: ['read:lookup'],
});

/** Bytes V8 holds for its old generation: the old space and the large objects. */
const oldGeneration = () => v8.getHeapSpaceStatistics().reduce((n, s) => (s.space_name === 'old_space' || s.space_name === 'large_object_space' ? n + s.space_size : n), 0);

const oldGenProfile = process.env['BENCH_OLD_GEN_PROFILE'];
const profiler = oldGenProfile ? new Session() : null;
profiler?.connect();

let sampling = null;
process.on('message', async (m) => {
  if (m?.rss === 'start') {
    globalThis.gc?.();
    const { rss: rss0, heapUsed: heap0 } = process.memoryUsage();
    const old0 = oldGeneration();
    sampling = { rss0, heap0, old0, peak: rss0, oldPeak: old0, timer: setInterval(() => {
      const m = process.memoryUsage();
      sampling.peak = Math.max(sampling.peak, m.rss);
      sampling.heapPeak = Math.max(sampling.heapPeak, m.heapTotal);
      sampling.externalPeak = Math.max(sampling.externalPeak, m.external);
      sampling.oldPeak = Math.max(sampling.oldPeak, oldGeneration());
    }, 20), heapPeak: 0, externalPeak: 0 };
    await profiler?.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: false });
    process.send({ rss: 'started' });
  } else if (m?.rss === 'stop' && sampling !== null) {
    clearInterval(sampling.timer);
    sampling.peak = Math.max(sampling.peak, process.memoryUsage().rss);
    if (profiler !== null) writeFileSync(oldGenProfile, JSON.stringify((await profiler.post('HeapProfiler.stopSampling')).profile));
    // what the stream left behind once garbage is collected: retained memory, not garbage
    globalThis.gc?.();
    const after = process.memoryUsage();
    process.send({ rss0: sampling.rss0, peak: sampling.peak, rssAfterGc: after.rss, heapAfterGc: after.heapUsed, heap0: sampling.heap0, heapPeak: sampling.heapPeak, externalPeak: sampling.externalPeak, oldGrowth: sampling.oldPeak - sampling.old0 });
    sampling = null;
  }
});
process.send({ address: server.address, key });
process.on('disconnect', () => {
  void server.close().finally(() => process.exit(0));
});
