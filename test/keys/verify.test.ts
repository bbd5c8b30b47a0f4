/**
 * The key verifier: the one cache of verified keys and the one throttle of last-use stamps,
 * over a real store.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';
import { mintKey } from '../../src/keys/keys.ts';
import { createKeyVerifier, RecentHashes, TOUCH_INTERVAL_MS, UNCHECKED, UNKNOWN_KEY_TTL_MS, VerifiedKeys } from '../../src/keys/verify.ts';

const T0 = Date.parse('2026-11-30T12:00:00Z');
const at = (ms: number) => new Date(T0 + ms);
const settle = () => new Promise((r) => setImmediate(r));

describe('key verifier', () => {
  let store: Store;
  let key: string;
  let id: string;
  beforeEach(async () => {
    store = await openStore(':memory:');
    const minted = mintKey('key_a', { name: 'a', tier: 'pro', scopes: ['read:lookup'], expiresAt: '2026-12-01T00:00:00Z' }, at(0));
    await store.keys.create(minted.record);
    ({ key } = minted);
    id = minted.record.id;
  });
  afterEach(() => store.close());

  it('answers a recently verified key without a promise, and a key it has never seen with one', async () => {
    const verifier = createKeyVerifier({ keys: store.keys });
    const first = verifier.verify(key, at(0));
    assert.ok(first instanceof Promise, 'first time: the store is asked');
    assert.equal(((await first) as { id: string }).id, id);
    const again = verifier.verify(key, at(0));
    assert.ok(!(again instanceof Promise), 'then from memory');
    assert.equal((again as { id: string }).id, id);
  });

  const refusals: [string, () => string, string][] = [
    ['a malformed key', () => 'sk_live_short', 'invalid_api_key'],
    ['an unknown key', () => 'sk_live_' + 'x'.repeat(40), 'invalid_api_key'],
  ];
  for (const [name, presented, code] of refusals) {
    it(`refuses ${name}`, async () => {
      assert.equal(await createKeyVerifier({ keys: store.keys }).verify(presented(), at(0)), code);
    });
  }

  it('refuses a key past its expiry, even from memory', async () => {
    const verifier = createKeyVerifier({ keys: store.keys });
    await verifier.verify(key, at(0));
    assert.equal(verifier.verify(key, new Date('2026-12-01T00:00:00Z')), 'expired_api_key');
  });

  it('stops accepting a key revoked elsewhere once its cache entry lapses, and at once when told', async () => {
    let ms = 0;
    const verifier = createKeyVerifier({ keys: store.keys, verified: new VerifiedKeys(1_000, 100, () => ms) });
    await verifier.verify(key, at(0));
    await store.keys.revoke(id, at(0).toISOString());
    ms = 999;
    assert.equal(typeof verifier.verify(key, at(0)), 'object', 'within the second, still the cached record');
    ms = 1_001;
    assert.equal(await verifier.verify(key, at(0)), 'invalid_api_key');

    const other = createKeyVerifier({ keys: store.keys });
    const fresh = mintKey('key_b', { name: 'b', tier: 'pro', scopes: ['read:lookup'], expiresAt: null }, at(0));
    await store.keys.create(fresh.record);
    await other.verify(fresh.key, at(0));
    await store.keys.revoke('key_b', at(0).toISOString());
    other.forget('key_b');
    assert.equal(await other.verify(fresh.key, at(0)), 'invalid_api_key', 'a revoke through this process is seen at once');
  });

  it('stamps a key at most once per interval, never backwards, and retries a stamp that failed', async () => {
    const writes: string[] = [];
    let failNext = false;
    const keys = {
      ...store.keys,
      touch: async (keyId: string, stamp: string) => {
        if (failNext) {
          failNext = false;
          throw new Error('store down');
        }
        writes.push(stamp);
        await store.keys.touch(keyId, stamp);
      },
    };
    const errors: unknown[] = [];
    const verifier = createKeyVerifier({ keys, onTouchError: (err) => errors.push(err) });
    const record = (await store.keys.get(id))!;
    verifier.touch(record, at(0));
    verifier.touch(record, at(30_000));
    verifier.touch(record, at(TOUCH_INTERVAL_MS - 1));
    await settle();
    assert.deepEqual(writes, ['2026-11-30T12:00:00Z'], 'once within the interval');
    verifier.touch(record, at(TOUCH_INTERVAL_MS));
    await settle();
    assert.equal(writes.length, 2, 'again once the interval has passed');
    failNext = true;
    verifier.touch(record, at(2 * TOUCH_INTERVAL_MS));
    await settle();
    assert.equal(errors.length, 1, 'the failure is reported');
    verifier.touch(record, at(2 * TOUCH_INTERVAL_MS + 1_000));
    await settle();
    assert.equal(writes.length, 3, 'and the next use tries again');
    verifier.touch(record, at(-5_000));
    await settle();
    assert.equal((await store.keys.get(id))?.lastUsedAt, '2026-11-30T12:02:01Z', 'a clock that moved back never moves the stored stamp back');
  });

  it('does not stamp a key the store says was used within the interval', async () => {
    await store.keys.touch(id, at(0).toISOString());
    const writes: string[] = [];
    const verifier = createKeyVerifier({ keys: { ...store.keys, touch: async (_id, stamp) => void writes.push(stamp) } });
    verifier.touch((await store.keys.get(id))!, at(10_000));
    await settle();
    assert.deepEqual(writes, []);
  });

  it('remembers a key the store did not hold: asked again, no store lookup, for the TTL', async () => {
    let ms = 0;
    let lookups = 0;
    const keys = { ...store.keys, findByHash: (h: string) => (lookups++, store.keys.findByHash(h)) };
    const verifier = createKeyVerifier({ keys, unknown: new RecentHashes(UNKNOWN_KEY_TTL_MS, 100, () => ms) });
    const wrong = 'sk_live_' + 'w'.repeat(40);
    assert.equal(await verifier.verify(wrong, at(0)), 'invalid_api_key');
    assert.equal(verifier.verify(wrong, at(0)), 'invalid_api_key', 'answered from memory, without a promise');
    assert.equal(lookups, 1);
    ms = UNKNOWN_KEY_TTL_MS + 1;
    assert.equal(await verifier.verify(wrong, at(0)), 'invalid_api_key');
    assert.equal(lookups, 2, 'asked again once the TTL passed');
  });

  it('a key created after it was refused: at once here, within the TTL when created elsewhere', async () => {
    let ms = 0;
    const verifier = createKeyVerifier({ keys: store.keys, unknown: new RecentHashes(UNKNOWN_KEY_TTL_MS, 100, () => ms) });
    // Given two keys tried before they exist
    const here = mintKey('key_here', { name: 'here', tier: 'pro', scopes: ['read:lookup'], expiresAt: null }, at(0));
    const elsewhere = mintKey('key_elsewhere', { name: 'elsewhere', tier: 'pro', scopes: ['read:lookup'], expiresAt: null }, at(0));
    for (const k of [here, elsewhere]) assert.equal(await verifier.verify(k.key, at(0)), 'invalid_api_key');
    // When both are created: one through this process (which tells the verifier), one elsewhere
    for (const k of [here, elsewhere]) await store.keys.create(k.record);
    verifier.created(here.record.keyHash);
    // Then the first works at once, the second once the "no such key" lapses
    assert.equal(((await verifier.verify(here.key, at(0))) as { id: string }).id, 'key_here');
    assert.equal(await verifier.verify(elsewhere.key, at(0)), 'invalid_api_key');
    ms = UNKNOWN_KEY_TTL_MS + 1;
    assert.equal(((await verifier.verify(elsewhere.key, at(0))) as { id: string }).id, 'key_elsewhere');
  });

  it('asked for known keys only, looks up no key it has not found in the store lately', async () => {
    let lookups = 0;
    const keys = { ...store.keys, findByHash: (h: string) => (lookups++, store.keys.findByHash(h)) };
    let ms = 0;
    const verifier = createKeyVerifier({ keys, verified: new VerifiedKeys(1_000, 100, () => ms), known: new RecentHashes(3_600_000, 100, () => ms) });
    assert.equal(verifier.verify('sk_live_' + 'n'.repeat(40), at(0), true), UNCHECKED);
    assert.equal(lookups, 0);
    await verifier.verify(key, at(0));
    ms = 5_000; // the verified record lapsed; the key is still known to exist
    const again = await verifier.verify(key, at(0), true);
    assert.equal((again as { id: string }).id, id, 'a key found lately is looked up (a revoke still shows)');
    assert.equal(lookups, 2);
  });

  it('keeps a bounded memory of hashes, forgetting the oldest first', () => {
    const recent = new RecentHashes(60_000, 3, () => 0);
    for (const h of ['a', 'b', 'c', 'd']) recent.add(h);
    assert.deepEqual(['a', 'b', 'c', 'd'].map((h) => recent.has(h)), [false, true, true, true]);
    assert.equal(recent.size, 3);
  });
});
