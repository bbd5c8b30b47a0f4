/** The last active admin key is kept: neither revoked nor stripped of `admin` through the API (409), so keys stay manageable. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHarness, NOW, type Harness } from '../http/harness.ts';

describe('the last admin key', () => {
  let h: Harness;
  let adminId: string;
  before(async () => {
    h = await makeHarness();
    const list = await h.app.inject({ url: '/api/v1/keys', headers: h.auth() });
    adminId = (list.json().keys as { id: string; scopes: string[] }[]).find((k) => k.scopes.includes('admin'))!.id;
  });
  after(() => h.close());

  const revoke = (id: string, key?: string) => h.app.inject({ method: 'DELETE', url: `/api/v1/keys/${id}`, headers: h.auth(key) });
  const patch = (id: string, body: unknown, key?: string) => h.app.inject({ method: 'PATCH', url: `/api/v1/keys/${id}`, headers: h.auth(key), payload: body as object });

  test('the only admin key cannot be revoked nor lose admin: 409 saying what to do; it still works', async () => {
    const r = await revoke(adminId);
    assert.equal(r.statusCode, 409, r.body);
    assert.equal(r.json().error.code, 'conflict');
    assert.equal(r.json().error.details.reason, 'last_admin_key');
    assert.match(r.json().error.message, /create another admin key/);
    const p = await patch(adminId, { scopes: ['read:lookup', 'read:iocs'] });
    assert.equal(p.statusCode, 409, p.body);
    assert.equal(p.json().error.details.reason, 'last_admin_key');
    // other changes are fine
    assert.equal((await patch(adminId, { name: 'ops admin' })).statusCode, 200);
    assert.equal((await patch(adminId, { scopes: ['admin', 'read:lookup'] })).statusCode, 200);
    assert.equal((await h.app.inject({ url: '/api/v1/keys', headers: h.auth() })).statusCode, 200, 'the key still works');
  });

  let second: { key: string; id: string };
  test('with a second admin key the first can go; then the second is the last', async () => {
    second = await h.createKey('enterprise', ['admin']);
    const r = await revoke(adminId, second.key);
    assert.equal(r.statusCode, 200, r.body);
    assert.notEqual(r.json().revoked_at, null);
    const last = await revoke(second.id, second.key);
    assert.equal(last.statusCode, 409, last.body);
    // a non-admin key is revoked as ever
    const reader = await h.createKey('free');
    assert.equal((await revoke(reader.id, second.key)).statusCode, 200);
  });

  test('an expired admin key does not count as another admin', async () => {
    const spare = await h.createKey('enterprise', ['admin'], 1);
    // while the spare is valid, the second may lose admin… (checked, then put back)
    assert.equal((await patch(second.id, { scopes: ['read:lookup'] }, spare.key)).statusCode, 200);
    assert.equal((await patch(second.id, { scopes: ['admin'] }, spare.key)).statusCode, 200);
    // …two days on, the spare has expired: the second is the last active admin again
    h.setNow(new Date(NOW.getTime() + 2 * 86_400_000));
    try {
      const r = await patch(second.id, { scopes: ['read:lookup'] }, second.key);
      assert.equal(r.statusCode, 409, r.body);
    } finally {
      h.setNow(NOW);
    }
  });
});
