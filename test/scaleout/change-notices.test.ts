/**
 * Instances learn of each other's changes through NOTIFY: the data version and overrides are
 * answered from memory, yet a change made through one store is seen by another within moments
 * (and a store that does not listen reads the database every time). API keys are read from the
 * database each time the store is asked (the verifier in front of it caches them for a second).
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/index.ts';
import { postgresForTests } from './services.ts';
import { dropSchema, freshSchemaName } from './postgres.ts';

const pgUrl = await postgresForTests();

async function within<T>(ms: number, read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const end = Date.now() + ms;
  let v = await read();
  while (!ok(v) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 10));
    v = await read();
  }
  return v;
}

describe('change notices between instances', { skip: pgUrl === null ? 'no PostgreSQL reachable' : false }, () => {
  const schema = freshSchemaName();
  const stores: PostgresStore[] = [];
  after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await dropSchema(pgUrl ?? '', schema);
  });
  const open = async (listen = true) => {
    const s = await openPostgresStore(pgUrl ?? '', { schema, listen });
    stores.push(s);
    return s;
  };

  it('a feed run on one instance moves the data version on the others', async () => {
    const [a, b, c] = [await open(), await open(), await open(false)];
    const before = await b.dataVersion();
    await a.ingest({ feedId: 'f', mode: 'snapshot', runAt: '2026-11-30T00:00:00Z' }, [{ type: 'domain', value: 'notice.example' }]);
    const own = await a.dataVersion();
    assert.ok(own > before, 'the writer knows at once');
    assert.equal(await within(1000, () => b.dataVersion(), (v) => v === own), own, 'a listening instance follows within moments');
    assert.equal(await c.dataVersion(), own, 'a non-listening instance reads the database');
  });

  it('a key revoked on one instance is revoked on another at its next read', async () => {
    const [a, b] = [stores[0]!, stores[1]!];
    const hash = 'c'.repeat(64);
    await a.keys.create({ id: 'key_notice', keyPrefix: 'sk_live_cccc', keyHash: hash, name: 'n', tier: 'free', scopes: ['read:lookup'], createdAt: '2026-11-30T00:00:00Z', lastUsedAt: null, expiresAt: null, revokedAt: null, allowedIps: [] });
    assert.equal((await b.keys.findByHash(hash))?.revokedAt, null);
    await a.keys.revoke('key_notice', '2026-11-30T01:00:00Z');
    assert.equal((await b.keys.findByHash(hash))?.revokedAt, '2026-11-30T01:00:00Z');
  });

  it('an override set on one instance is seen by another that had cached its absence', async () => {
    const [a, b] = [stores[0]!, stores[1]!];
    assert.equal(await b.overrides.get('domain', 'notice.example'), null);
    await a.overrides.put({ type: 'domain', value: 'notice.example', verdict: 'deny', reason: 'test', createdAt: '2026-11-30T00:00:00Z', createdBy: null });
    const seen = await within(1000, () => b.overrides.get('domain', 'notice.example'), (o) => o !== null);
    assert.equal(seen?.verdict, 'deny');
    await a.overrides.delete('domain', 'notice.example');
    assert.equal(await within(1000, () => b.overrides.get('domain', 'notice.example'), (o) => o === null), null);
  });
});
