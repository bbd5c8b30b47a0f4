import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hashKey } from '../../src/keys/keys.ts';
import { VerifiedKeys } from '../../src/keys/verify.ts';
import { makeHarness, keysOf, type Harness } from './harness.ts';

const KEY_FIELDS = ['id', 'key_prefix', 'name', 'tier', 'scopes', 'created_at', 'last_used_at', 'expires_at', 'revoked_at', 'allowed_ips'];

describe('key admin routes', () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(() => h.close());

  const post = (payload: unknown, headers = h.auth()) => h.app.inject({ method: 'POST', url: '/api/v1/keys', headers, payload: payload as object });

  test('POST creates a key shown once; only its hash is stored', async () => {
    const res = await post({ name: 'soar', tier: 'pro', scopes: ['read:lookup', 'read:iocs'], expires_in_days: 30 });
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    assert.deepEqual(keysOf(body), [...KEY_FIELDS, 'key']);
    assert.match(body.key, /^sk_live_[0-9A-Za-z]{32,}$/);
    assert.equal(body.key_prefix, body.key.slice(0, 12));
    assert.equal(body.expires_at, '2026-12-30T12:00:00Z');
    const stored = await h.store.keys.get(body.id);
    assert.ok(stored);
    assert.equal(stored.keyHash, hashKey(body.key));
    assert.ok(!JSON.stringify(stored).includes(body.key), 'the key itself is not stored');
    // the new key works, within its scope
    const use = await h.app.inject({ method: 'GET', url: '/api/v1/lookup?value=192.0.2.1', headers: h.auth(body.key) });
    assert.equal(use.statusCode, 200, use.body);
    assert.equal(use.headers['x-ratelimit-limit'], '1000');
  });

  test('GET lists and shows keys without hashes or keys', async () => {
    const list = await h.app.inject({ method: 'GET', url: '/api/v1/keys', headers: h.auth() });
    assert.equal(list.statusCode, 200);
    const keys = list.json().keys;
    assert.ok(keys.length >= 2);
    for (const k of keys) assert.deepEqual(keysOf(k), KEY_FIELDS);
    assert.ok(!list.body.includes(h.adminKey));
    const one = await h.app.inject({ method: 'GET', url: `/api/v1/keys/${keys[0].id}`, headers: h.auth() });
    assert.equal(one.statusCode, 200);
    assert.equal(one.json().id, keys[0].id);
  });

  test('DELETE revokes: the key stops working at once; a second revoke is a 404', async () => {
    const { key, id } = await h.createKey('free');
    const del = await h.app.inject({ method: 'DELETE', url: `/api/v1/keys/${id}`, headers: h.auth() });
    assert.equal(del.statusCode, 200, del.body);
    assert.equal(del.json().revoked_at, '2026-11-30T12:00:00Z');
    const use = await h.app.inject({ method: 'GET', url: '/api/v1/lookup?value=192.0.2.1', headers: h.auth(key) });
    assert.equal(use.json().error.code, 'invalid_api_key');
    const again = await h.app.inject({ method: 'DELETE', url: `/api/v1/keys/${id}`, headers: h.auth() });
    assert.equal(again.json().error.code, 'not_found');
  });

  const BAD_BODIES: [string, unknown][] = [
    ['no name', { tier: 'free' }],
    ['blank name', { name: '   ', tier: 'free' }],
    ['unknown tier', { name: 'x', tier: 'platinum' }],
    ['unknown scope', { name: 'x', tier: 'free', scopes: ['write:everything'] }],
    ['empty scopes', { name: 'x', tier: 'free', scopes: [] }],
    ['negative expiry', { name: 'x', tier: 'free', expires_in_days: -1 }],
    ['fractional expiry', { name: 'x', tier: 'free', expires_in_days: 1.5 }],
  ];
  for (const [name, body] of BAD_BODIES) {
    test(`POST with ${name} → 400 invalid_parameter`, async () => {
      const res = await post(body);
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().error.code, 'invalid_parameter');
    });
  }

  test('POST with broken JSON → 400, not 500', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/keys', headers: { ...h.auth(), 'content-type': 'application/json' }, payload: '{"name": ' });
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().error.code, 'invalid_parameter');
  });

  test('security: key routes need the admin scope', async () => {
    const reader = await h.createKey('enterprise', ['read:lookup', 'read:iocs', 'read:export']);
    for (const [method, url] of [
      ['GET', '/api/v1/keys'],
      ['POST', '/api/v1/keys'],
      ['GET', '/api/v1/keys/key_x'],
      ['DELETE', '/api/v1/keys/key_x'],
    ] as const) {
      const res = await h.app.inject({ method, url, headers: h.auth(reader.key), ...(method === 'POST' ? { payload: { name: 'x', tier: 'free' } } : {}) });
      assert.equal(res.statusCode, 403, `${method} ${url}`);
      assert.equal(res.json().error.code, 'insufficient_scope');
      const anon = await h.app.inject({ method, url });
      assert.equal(anon.statusCode, 401, `${method} ${url} without a key`);
    }
  });

  test('authenticated responses carry the rate-limit headers', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/v1/keys', headers: h.auth() });
    for (const name of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']) {
      assert.match(String(res.headers[name]), /^\d+$/, name);
    }
    assert.ok(Number(res.headers['x-ratelimit-reset']) > NOW_SECONDS);
  });
});

 describe('verified-key cache', () => {
  test('a key revoked outside this instance stops working once the one-second cache entry lapses', async () => {
    let ms = 0;
    const h = await makeHarness({ app: { verifiedKeys: new VerifiedKeys(1_000, 100, () => ms) } });
    try {
      const { key, id } = await h.createKey('pro');
      const lookup = () => h.app.inject({ method: 'GET', url: '/api/v1/lookup?value=192.0.2.1', headers: h.auth(key) });
      assert.equal((await lookup()).statusCode, 200);
      // Given the CLI (another process) revokes the key
      await h.store.keys.revoke(id, '2026-11-30T12:00:00Z');
      ms = 500;
      assert.equal((await lookup()).statusCode, 200, 'still cached within the second');
      ms = 1_501;
      const res = await lookup();
      assert.equal(res.statusCode, 401);
      assert.equal(res.json().error.code, 'invalid_api_key');
    } finally {
      await h.close();
    }
  });
});

const NOW_SECONDS = Date.parse('2026-11-30T12:00:00Z') / 1000;
