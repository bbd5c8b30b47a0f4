/**
 * A Redis that accepts connections but never answers (a black hole, not a refusal): after the
 * first command times out the rate limiter and the lookup cache stop asking it — every request is
 * answered from the policy at once, and only a background probe knocks — until it answers again.
 * The outage is logged once at its start and once at its end, with a count. Through a loopback
 * TCP proxy that holds connections open and forwards nothing, then forwards to the real Redis.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createRedisRateLimiter, connectRedis, RedisUnavailableError } from '../../src/ratelimit/redis.ts';
import { createRedisLookupCache } from '../../src/cache/redis.ts';
import { redisForTests } from './services.ts';

const redisUrl = await redisForTests();

/**
 * A TCP proxy to Redis that forwards, until `hole()`: from then on it keeps every connection open
 * and holds back what arrives (counted), answering nothing — a stalled network or server — until
 * `forward()` delivers what it held and forwards again.
 */
async function startBlackHoleProxy(target: URL) {
  let holding = false;
  let swallowed = '';
  const sockets = new Set<net.Socket>();
  const flushes = new Set<() => void>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    const held: Buffer[] = [];
    flushes.add(() => {
      for (const d of held.splice(0)) upstream.write(d);
    });
    client.on('data', (d: Buffer) => {
      if (holding) {
        swallowed += d.toString('latin1');
        held.push(d);
      } else upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => client.write(d));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `redis://127.0.0.1:${port}${target.pathname}`,
    /** Commands of a kind that reached the hole (RESP bulk strings, case-insensitive). */
    count: (command: string) => (swallowed.match(new RegExp(`\\r\\n${command}\\r\\n`, 'gi')) ?? []).length,
    hole() {
      holding = true;
    },
    forward() {
      holding = false;
      for (const f of flushes) f();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A real logger whose lines the test reads back. */
function captureLog() {
  const lines: { level: string; msg: string; obj: Record<string, unknown> }[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      const o = JSON.parse(String(chunk)) as Record<string, unknown>;
      lines.push({ level: o['level'] === 50 ? 'error' : o['level'] === 30 ? 'info' : String(o['level']), msg: String(o['msg']), obj: o });
      cb();
    },
  });
  return { lines, logger: pino({ level: 'info' }, sink) };
}

async function eventually(what: string, fn: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not within ${ms} ms: ${what}`);
}

const LIMITS = { perMinute: 100, perDay: 10_000 };

describe('a Redis that never answers', { skip: redisUrl === null ? 'no Redis reachable' : false }, () => {
  let proxy: Awaited<ReturnType<typeof startBlackHoleProxy>>;
  before(async () => {
    proxy = await startBlackHoleProxy(new URL(redisUrl ?? ''));
  });
  after(async () => {
    await proxy?.close();
  });

  it('the limiter waits once, then answers from the policy without asking; the probe brings it back', async () => {
    const log = captureLog();
    const client = connectRedis(proxy.url);
    const limiter = createRedisRateLimiter({ url: proxy.url, client, failurePolicy: 'open', logger: log.logger, keyPrefix: `verdict:test:bh:${process.pid}:` });
    try {
      assert.equal((await limiter.consume('k1', LIMITS, Date.now())).allowed, true, 'through Redis');
      assert.equal(log.lines.length, 0);
      proxy.hole();
      const first = await limiter.consume('k1', LIMITS, Date.now());
      assert.equal(first.allowed, true, 'fail-open: the instance limits answer');
      const asked = proxy.count('evalsha') + proxy.count('eval');
      assert.ok(asked >= 1, 'the first request asked Redis');
      const started = Date.now();
      for (let i = 0; i < 50; i++) assert.equal((await limiter.consume('k1', LIMITS, Date.now())).allowed, true);
      // 50 requests that each waited for the 500 ms command timeout would take 25 s
      assert.ok(Date.now() - started < 5_000, `answered without waiting (${Date.now() - started} ms for 50)`);
      assert.equal(proxy.count('evalsha') + proxy.count('eval'), asked, 'no request asked the black hole again');
      assert.equal(log.lines.filter((l) => l.level === 'error').length, 1, 'the outage logged once');
      await eventually('the probe knocks', () => proxy.count('ping') >= 1);

      proxy.forward();
      await eventually('the probe sees Redis back', () => log.lines.some((l) => l.level === 'info'));
      const end = log.lines.find((l) => l.level === 'info');
      assert.match(end?.msg ?? '', /rate-limiter: Redis reachable again/);
      assert.ok((end?.obj['answered_without_redis'] as number) >= 50, 'the closing line counts what the policy answered');
      assert.equal((await limiter.consume('k1', LIMITS, Date.now())).allowed, true);
      assert.equal(log.lines.length, 2, 'one line at the start, one at the end');
    } finally {
      await limiter.close();
      client.disconnect();
    }
  });

  it('fail-closed refuses at once while the hole lasts, every request the same 503 cause', async () => {
    const hole = await startBlackHoleProxy(new URL(redisUrl ?? ''));
    const log = captureLog();
    const client = connectRedis(hole.url);
    const limiter = createRedisRateLimiter({ url: hole.url, client, failurePolicy: 'closed', logger: log.logger, keyPrefix: `verdict:test:bh2:${process.pid}:` });
    try {
      await limiter.consume('k', LIMITS, Date.now());
      hole.hole();
      await assert.rejects(Promise.resolve(limiter.consume('k', LIMITS, Date.now())), RedisUnavailableError);
      const asked = hole.count('evalsha') + hole.count('eval');
      assert.ok(asked >= 1, 'the first request after the hole asked Redis');
      const started = Date.now();
      for (let i = 0; i < 20; i++) await assert.rejects(Promise.resolve(limiter.consume('k', LIMITS, Date.now())), RedisUnavailableError);
      assert.ok(Date.now() - started < 5_000, `refused without waiting (${Date.now() - started} ms for 20)`);
      assert.equal(hole.count('evalsha') + hole.count('eval'), asked);
      assert.equal(log.lines.length, 1);
    } finally {
      await limiter.close();
      client.disconnect();
      await hole.close();
    }
  });

  it('the lookup cache misses at once while the hole lasts', async () => {
    const hole = await startBlackHoleProxy(new URL(redisUrl ?? ''));
    const log = captureLog();
    const client = connectRedis(hole.url, 250);
    const cache = createRedisLookupCache({ url: hole.url, client, ttlSeconds: 60, logger: log.logger, localEntries: 0, keyPrefix: `verdict:test:bhc:${process.pid}:` });
    try {
      await cache.set('a', 1, { a: 1 });
      assert.deepEqual(await cache.get('a', 1), { a: 1 }, 'through Redis');
      hole.hole();
      assert.equal(await cache.get('a', 1), undefined, 'a timed-out read is a miss');
      const asked = hole.count('get');
      assert.equal(asked, 1);
      const started = Date.now();
      for (let i = 0; i < 30; i++) {
        await cache.set(`k${i}`, 1, { i });
        assert.equal(await cache.get(`k${i}`, 1), undefined);
      }
      assert.ok(Date.now() - started < 5_000, `missed without waiting (${Date.now() - started} ms)`);
      assert.equal(hole.count('get'), asked);
      assert.equal(hole.count('set'), 0);
      assert.equal(log.lines.length, 1);
    } finally {
      await cache.close();
      client.disconnect();
      await hole.close();
    }
  });
});
