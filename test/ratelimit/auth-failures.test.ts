/**
 * Failed authentications per client address: counted per minute, past the limit the address
 * waits until the minute is over; IPv6 counted by /64; in Redis, every instance counts the same
 * failures, and a Redis outage falls back to counting per instance (never refusing anyone).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import pino from 'pino';
import { clientAddressKey, createMemoryAuthFailureLimiter } from '../../src/ratelimit/auth-failures.ts';
import { createRedisAuthFailureLimiter } from '../../src/ratelimit/auth-failures-redis.ts';
import { redisForTests, uniqueSuffix } from '../scaleout/services.ts';

const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
const redisUrl = await redisForTests();

describe('failed authentications per address (memory)', () => {
  it('allows perMinute failures, then refuses the address until its minute is over', () => {
    const l = createMemoryAuthFailureLimiter(3);
    assert.deepEqual([0, 1, 2].map((i) => l.failed('198.51.100.7', T0 + i)), [0, 0, 0]);
    assert.equal(l.refusedFor('198.51.100.7', T0 + 10), 0, 'at the limit, not past it');
    assert.equal(l.failed('198.51.100.7', T0 + 10_000), 50, 'the fourth: refused for what is left of the minute');
    assert.equal(l.refusedFor('198.51.100.7', T0 + 30_000), 30);
    assert.equal(l.refusedFor('198.51.100.8', T0 + 30_000), 0, 'other addresses are not concerned');
    assert.equal(l.refusedFor('198.51.100.7', T0 + 60_000), 0, 'a new minute');
    assert.equal(l.failed('198.51.100.7', T0 + 60_001), 0);
  });

  it('counts an IPv6 client by its /64 and an IPv4-mapped one as IPv4', () => {
    assert.equal(clientAddressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(clientAddressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
    assert.equal(clientAddressKey('::ffff:192.0.2.9'), '192.0.2.9');
    assert.equal(clientAddressKey('192.0.2.9'), '192.0.2.9');
    const l = createMemoryAuthFailureLimiter(2);
    l.failed('2001:db8:1:2::1', T0);
    l.failed('2001:db8:1:2::2', T0);
    assert.ok(Number(l.failed('2001:db8:1:2:ffff::3', T0)) > 0, 'addresses of one /64 count together');
    assert.equal(l.refusedFor('2001:db8:1:3::1', T0), 0, 'the next /64 does not');
  });

  it('a limit of 0 counts nothing and refuses no one', () => {
    const l = createMemoryAuthFailureLimiter(0);
    for (let i = 0; i < 100; i++) assert.equal(l.failed('192.0.2.1', T0), 0);
    assert.equal(l.refusedFor('192.0.2.1', T0), 0);
  });
});

describe('failed authentications per address (Redis)', { skip: redisUrl === null ? 'no Redis reachable' : false }, () => {
  const url = redisUrl ?? '';
  const keyPrefix = `verdict:test:${uniqueSuffix()}:authfail:`;
  after(async () => {
    if (redisUrl === null) return;
    const redis = new Redis(url);
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('two instances count the same failures; each learns of the refusal from its next failure', async () => {
    const silent = pino({ level: 'silent' });
    const a = createRedisAuthFailureLimiter({ url, perMinute: 4, logger: silent, keyPrefix });
    const b = createRedisAuthFailureLimiter({ url, perMinute: 4, logger: silent, keyPrefix });
    try {
      const now = Date.now();
      assert.deepEqual(await Promise.all([a.failed('203.0.113.5', now), b.failed('203.0.113.5', now), a.failed('203.0.113.5', now), b.failed('203.0.113.5', now)]), [0, 0, 0, 0]);
      const fifth = await a.failed('203.0.113.5', now);
      assert.ok(fifth > 0 && fifth <= 60, `the fifth failure, on either instance, is past the shared limit (${fifth})`);
      assert.ok(a.refusedFor('203.0.113.5', now) > 0);
      assert.equal(b.refusedFor('203.0.113.5', now), 0, 'b has not heard yet: it asks Redis at its next failure');
      assert.ok((await b.failed('203.0.113.5', now)) > 0);
      assert.ok(b.refusedFor('203.0.113.5', now) > 0);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('Redis down: failures are counted per instance, logged once, never refusing for want of Redis', async () => {
    const lines: { msg: string }[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (c: Buffer, _e, done) => (lines.push(JSON.parse(c.toString()) as { msg: string }), done()) }));
    const client = new Redis('redis://127.0.0.1:1/0', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, commandTimeout: 200 });
    client.on('error', () => {});
    const l = createRedisAuthFailureLimiter({ url: 'redis://127.0.0.1:1/0', perMinute: 3, logger, keyPrefix, client });
    try {
      const now = Date.now();
      const waits = [];
      for (let i = 0; i < 5; i++) waits.push(await l.failed('192.0.2.200', now));
      assert.deepEqual(waits.map((w) => w > 0), [false, false, false, true, true], 'counted in memory instead');
      assert.equal(lines.filter((x) => x.msg.includes('Redis unreachable')).length, 1, lines.map((x) => x.msg).join('\n'));
    } finally {
      await l.close();
      client.disconnect();
    }
  });
});
