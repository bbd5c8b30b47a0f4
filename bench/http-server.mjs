/**
 * The server process of `bench:http` (started by bench/http.ts, not on its own). It runs Verdict
 * the way production does — the compiled JavaScript in dist/, started by startServer as
 * `verdict serve` starts it, with no TypeScript loader — and, in the same process, a bare
 * Fastify route answering a constant of the lookup's own size: the baseline (and the same route
 * writing its answer at the end of the turn, as the lookup route does).
 *
 * Plain JavaScript, so that nothing but node loads it. Settings come from the environment:
 * BENCH_STORE (a database URL), BENCH_CACHE (`off` turns the cache off), BENCH_REDIS (a URL or
 * empty), BENCH_KNOWN (the indicator it stores), BENCH_SPREAD (how many more distinct ones). It sends its addresses and key on the IPC channel and stops when that closes.
 */
import Fastify from 'fastify';
import { loadConfig } from '../dist/config.js';
import { createKeyService } from '../dist/keys/service.js';
import { startServer } from '../dist/main.js';
import { turnEnd } from '../dist/http/turn-end.js';

const KNOWN = process.env['BENCH_KNOWN'];
/** BENCH_SPREAD distinct addresses (10.20.0.1 … 10.20.0.250, 10.20.1.1, …), stored besides KNOWN and sent to the bench. */
const SPREAD = Array.from({ length: Number(process.env['BENCH_SPREAD'] ?? '0') }, (_, i) => `10.20.${Math.floor(i / 250)}.${(i % 250) + 1}`);
if (!KNOWN || process.send === undefined) {
  console.error('bench/http-server.mjs is started by bench/http.ts (npm run bench:http), not on its own');
  process.exit(2);
}

const config = loadConfig({
  VERDICT_DATABASE_URL: process.env['BENCH_STORE'] ?? ':memory:',
  VERDICT_HOST: '127.0.0.1',
  VERDICT_PORT: '0',
  VERDICT_SCHEDULER: 'off',
  VERDICT_LOG_LEVEL: 'warn',
  VERDICT_CACHE_TTL_SECONDS: process.env['BENCH_CACHE'] === 'off' ? '0' : '60',
  // a very high limit: the limiter runs on every request but never refuses
  VERDICT_TIER_ENTERPRISE_PER_MINUTE: '1000000000',
  VERDICT_TIER_ENTERPRISE_PER_DAY: '1000000000000',
  ...(process.env['BENCH_REDIS'] ? { VERDICT_REDIS_URL: process.env['BENCH_REDIS'] } : {}),
});
// the first admin key's notice is not the bench's output
const server = await startServer(config, { print: () => {} });
const { deps } = server;
await deps.store.ingest({ feedId: 'bench-feed', mode: 'incremental', runAt: new Date().toISOString() }, [
  { type: 'ipv4', value: KNOWN, threatType: 'botnet_cc', malwareFamily: 'Emotet', tags: ['bench'] },
  // the distinct indicators of the bench's spread target, stored the same way
  ...SPREAD.map((value) => ({ type: 'ipv4', value, threatType: 'botnet_cc', malwareFamily: 'Emotet', tags: ['bench'] })),
]);
const { key } = await createKeyService({ keys: deps.store.keys, clock: deps.clock, newId: deps.ids.keyId }).create({
  name: 'bench',
  tier: 'enterprise',
  scopes: ['read:lookup'],
});
// The baseline answers with a constant of the lookup's own size, so the ratio measures the work
// the route does, not the bytes of its answer (which load the client as much as the server).
const sample = await server.app.inject({ method: 'GET', url: `/api/v1/lookup?value=${KNOWN}`, headers: { authorization: `Bearer ${key}` } });
if (sample.statusCode !== 200) throw new Error(`lookup failed: ${sample.body}`);
const constant = sample.body;
const bare = Fastify({ logger: false });
bare.get('/bare', async (_req, reply) => reply.type('application/json; charset=utf-8').send(constant));
bare.get('/bare-small', async () => ({ ok: true }));
// the same constant written at the end of the turn, as the lookup route writes its answers
bare.get('/bare-turn', (_req, reply) =>
  turnEnd().then(() => {
    reply.type('application/json; charset=utf-8').send(constant);
  }),
);
await bare.ready();
const bareAddr = await bare.listen({ host: '127.0.0.1', port: 0 });
process.send?.({ bare: `${bareAddr}/bare`, bareTurn: `${bareAddr}/bare-turn`, bareSmall: `${bareAddr}/bare-small`, lookup: `${server.address}/api/v1/lookup`, key, bytes: constant.length, spread: SPREAD });
process.on('disconnect', () => {
  // autocannon stops on time, not on an idle socket: let the last requests finish first
  void new Promise((r) => setTimeout(r, 300))
    .then(() => Promise.all([server.close(), bare.close()]))
    .finally(() => process.exit(0));
});
