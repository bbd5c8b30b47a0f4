/**
 * The console's session stores, one contract for both: in this process's memory, and in Redis
 * (several instances behind one address). Redis is real (VERDICT_TEST_REDIS_URL); without it the
 * Redis half says loudly that it was skipped.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createMemorySessionStore, tokenHash, type SessionStore } from '../../src/http/sessions.ts';
import { createRedisSessionStore } from '../../src/http/sessions-redis.ts';
import { redisForTests, uniqueSuffix } from '../scaleout/services.ts';

const TTL = 60_000;
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

function contract(name: string, make: () => Promise<{ store: SessionStore; close(): Promise<void> }>, skip: string | false = false): void {
  describe(`console sessions: ${name}`, { skip }, () => {
    let store: SessionStore;
    let close: () => Promise<void>;
    before(async () => {
      ({ store, close } = await make());
    });
    after(() => close?.());

    test('a new session is found by its token, with the key, a CSRF token and the expiry', async () => {
      const { token, session } = await store.create('key_a', 'hash_a', T0);
      assert.match(token, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(session.expiresAt, T0 + TTL);
      assert.notEqual(session.csrfToken, token);
      assert.deepEqual(await store.get(token, T0 + 1), session);
    });

    test('an unknown token finds nothing; two sign-ins are two sessions', async () => {
      assert.equal(await store.get(randomBytes(32).toString('base64url'), T0), undefined);
      const one = await store.create('key_a', 'hash_a', T0);
      const two = await store.create('key_a', 'hash_a', T0);
      assert.notEqual(one.token, two.token);
      assert.notEqual(one.session.csrfToken, two.session.csrfToken);
    });

    test('a session past its expiry is refused and forgotten', async () => {
      const { token } = await store.create('key_b', 'hash_b', T0);
      assert.equal(await store.get(token, T0 + TTL), undefined);
      // forgotten: even a clock set back does not bring it back
      assert.equal(await store.get(token, T0 + 1), undefined);
    });

    test('signing out ends that session only', async () => {
      const mine = await store.create('key_c', 'hash_c', T0);
      const other = await store.create('key_c', 'hash_c', T0);
      assert.equal(await store.revoke(mine.token), true);
      assert.equal(await store.revoke(mine.token), false);
      assert.equal(await store.get(mine.token, T0 + 1), undefined);
      assert.deepEqual(await store.get(other.token, T0 + 1), other.session);
    });

    test("revoking a key ends every session of that key and none of another's", async () => {
      const a1 = await store.create('key_d', 'hash_d', T0);
      const a2 = await store.create('key_d', 'hash_d', T0);
      const b = await store.create('key_e', 'hash_e', T0);
      await store.revokeKey('key_d');
      assert.equal(await store.get(a1.token, T0 + 1), undefined);
      assert.equal(await store.get(a2.token, T0 + 1), undefined);
      assert.deepEqual(await store.get(b.token, T0 + 1), b.session);
      await store.revokeKey('key_unknown'); // nothing to end: no error
    });
  });
}

contract('in memory', async () => ({ store: createMemorySessionStore(TTL), close: async () => {} }));

const redisUrl = await redisForTests();
const skipRedis = redisUrl === null ? 'no Redis reachable' : false;
const newPrefix = (): string => `verdict-test:session:${uniqueSuffix()}:`;

/** Deletes every key under the prefix, then disconnects the client. */
async function dropKeys(client: Redis, prefix: string): Promise<void> {
  try {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
  } finally {
    client.disconnect();
  }
}

contract(
  'in Redis',
  async () => {
    const prefix = newPrefix();
    const client = new Redis(redisUrl!);
    const store = createRedisSessionStore({ url: redisUrl!, ttlMs: TTL, keyPrefix: prefix, client });
    return { store, close: () => dropKeys(client, prefix) };
  },
  skipRedis,
);

describe('console sessions in Redis: what is stored', { skip: skipRedis }, () => {
  const prefix = newPrefix();
  let client: Redis | null = null;
  before(() => {
    client = new Redis(redisUrl!);
  });
  after(async () => {
    if (client !== null) await dropKeys(client, prefix);
  });

  test('the token is never stored; the entry expires with the session; a second instance finds it', async () => {
    const first = createRedisSessionStore({ url: redisUrl!, ttlMs: TTL, keyPrefix: prefix });
    const second = createRedisSessionStore({ url: redisUrl!, ttlMs: TTL, keyPrefix: prefix });
    try {
      const { token, session } = await first.create('key_f', 'hash_f', Date.now());
      const raw = await client!.get(`${prefix}s:${tokenHash(token)}`);
      assert.ok(raw !== null, 'stored under the hash of the token');
      assert.ok(!raw.includes(token), 'the token itself is not in the value');
      for (const k of await client!.keys(`${prefix}*`)) assert.ok(!k.includes(token), `no key names the token: ${k}`);
      const pttl = await client!.pttl(`${prefix}s:${tokenHash(token)}`);
      assert.ok(pttl > TTL - 5_000 && pttl <= TTL, `expires with the session: ${pttl} ms`);
      // another instance: same Redis, its own client
      assert.deepEqual(await second.get(token, Date.now()), session);
      assert.equal(await second.revoke(token), true);
      assert.equal(await first.get(token, Date.now()), undefined);
    } finally {
      await first.close();
      await second.close();
    }
  });

  test('Redis unreachable: the check fails as unavailable (a 503 to the caller), not as signed out', async () => {
    const down = createRedisSessionStore({ url: 'redis://127.0.0.1:1/0', ttlMs: TTL, keyPrefix: prefix });
    try {
      await assert.rejects(down.get('some-token', Date.now()), (err: Error & { unavailable?: boolean }) => {
        assert.equal(err.name, 'RedisUnavailableError');
        assert.equal(err.unavailable, true);
        return true;
      });
    } finally {
      await down.close();
    }
  });
});
