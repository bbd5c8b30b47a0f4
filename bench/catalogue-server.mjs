/**
 * The server process of `bench:catalogue` (started by bench/catalogue.ts, not on its own):
 * Verdict as production runs it — the compiled JavaScript in dist/, started as `verdict serve`
 * starts it, under plain node — over the store the bench built (BENCH_STORE, a database URL), so
 * that GET /api/v1/iocs?format=csv is measured with the server's own time and memory.
 *
 * Plain JavaScript. Its clock is BENCH_NOW (the bench's). It sends its address and a key (enterprise, read:iocs) on the IPC channel;
 * on {rss: 'start'} it samples its own RSS (after a garbage collection) and on {rss: 'stop'}
 * answers {rss0, peak} in bytes. It stops when the channel closes.
 */
import { loadConfig } from '../dist/config.js';
import { createKeyService } from '../dist/keys/service.js';
import { startServer } from '../dist/main.js';

if (process.send === undefined || !process.env['BENCH_STORE']) {
  console.error('bench/catalogue-server.mjs is started by bench/catalogue.ts (npm run bench:catalogue), not on its own');
  process.exit(2);
}

const config = loadConfig({
  VERDICT_DATABASE_URL: process.env['BENCH_STORE'],
  VERDICT_HOST: '127.0.0.1',
  VERDICT_PORT: '0',
  VERDICT_SCHEDULER: 'off',
  VERDICT_LOG_LEVEL: 'warn',
  VERDICT_TIER_ENTERPRISE_PER_MINUTE: '1000000000',
  VERDICT_TIER_ENTERPRISE_PER_DAY: '1000000000000',
});
// the bench's clock (BENCH_NOW): the rows it computed are fresh, so no decay refresh of every row
// runs in the background while the stream is measured
const now = new Date(process.env['BENCH_NOW'] ?? Date.now());
const server = await startServer(config, { print: () => {}, overrides: { clock: () => now } });
const { deps } = server;
const { key } = await createKeyService({ keys: deps.store.keys, clock: deps.clock, newId: deps.ids.keyId }).create({ name: 'bench', tier: 'enterprise', scopes: ['read:iocs', 'read:export'] });

let sampling = null;
process.on('message', (m) => {
  if (m?.rss === 'start') {
    globalThis.gc?.();
    const { rss: rss0, heapUsed: heap0 } = process.memoryUsage();
    sampling = { rss0, heap0, peak: rss0, timer: setInterval(() => (sampling.peak = Math.max(sampling.peak, process.memoryUsage().rss)), 20) };
    process.send({ rss: 'started' });
  } else if (m?.rss === 'stop' && sampling !== null) {
    clearInterval(sampling.timer);
    const peak = Math.max(sampling.peak, process.memoryUsage().rss);
    // what the measured work left behind once garbage is collected: retained, not garbage
    globalThis.gc?.();
    process.send({ rss0: sampling.rss0, peak, heapRetained: process.memoryUsage().heapUsed - sampling.heap0 });
    sampling = null;
  }
});
process.send({ address: server.address, key });
process.on('disconnect', () => {
  void server.close().finally(() => process.exit(0));
});
