/**
 * PATCH /api/v1/keys/{id} on both engines: a key's name, tier, scopes, allowed addresses and expiry
 * change (its secret does not), the next request sees the change, bad bodies answer in the error
 * envelope, only admins may, the change is logged with what changed; the store's update itself.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { onBothEngines, type Harness } from '../http/harness.ts';
import { checkKeyUpdate } from '../../src/keys/service.ts';

function suites(engine: string, open: () => Promise<Harness>): void {
  describe(`key updates (${engine})`, () => {
    let h: Harness;
    before(async () => {
      h = await open();
      await h.ingest('cisa-alerts', [{ type: 'ipv4', value: '192.0.2.1', threatType: 'botnet_cc' }]);
    });
    after(() => h.close());

    const patch = (id: string, payload: unknown, key = h.adminKey) => h.app.inject({ method: 'PATCH', url: `/api/v1/keys/${id}`, headers: h.auth(key), payload: payload as object });
    const lookup = (key: string, remoteAddress = '127.0.0.1') => h.app.inject({ method: 'GET', url: '/api/v1/lookup?value=192.0.2.1', headers: h.auth(key), remoteAddress });
    const iocs = (key: string) => h.app.inject({ method: 'GET', url: '/api/v1/iocs?limit=1', headers: h.auth(key) });

    test('name, tier, scopes, allowed addresses and expiry change; the secret stays; the next request sees it', async () => {
      const { key, id } = await h.createKey('free', ['read:lookup']);
      const hash = (await h.store.keys.get(id))!.keyHash;
      // verified once: the record is now cached by the auth layer
      const first = await lookup(key);
      assert.equal(first.statusCode, 200, first.body);
      assert.equal(first.headers['x-ratelimit-limit'], '10');
      assert.equal((await iocs(key)).statusCode, 403);

      const res = await patch(id, { name: '  SOAR playbook ', tier: 'pro', scopes: ['read:iocs', 'read:iocs'], expires_at: '2027-06-01T00:00:00.000Z' });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(body.name, 'SOAR playbook');
      assert.equal(body.tier, 'pro');
      assert.deepEqual(body.scopes, ['read:iocs']);
      assert.equal(body.expires_at, '2027-06-01T00:00:00Z');
      assert.deepEqual(body.allowed_ips, [], 'unchanged');
      assert.equal(body.key, undefined, 'no secret in the answer');
      const stored = (await h.store.keys.get(id))!;
      assert.equal(stored.keyHash, hash, 'the secret is the same');
      assert.equal(stored.name, 'SOAR playbook');
      // at once, without waiting for the verified-key cache to expire
      assert.equal((await lookup(key)).statusCode, 403, 'read:lookup was taken away');
      const now = await iocs(key);
      assert.equal(now.statusCode, 200, now.body);
      assert.equal(now.headers['x-ratelimit-limit'], '1000', 'the pro tier applies');

      const fenced = await patch(id, { allowed_ips: ['203.0.113.0/24', '2001:db8::1'] });
      assert.deepEqual(fenced.json().allowed_ips, ['203.0.113.0/24', '2001:db8::1/128']);
      assert.equal((await iocs(key)).json().error.code, 'ip_not_allowed');
      assert.equal((await patch(id, { allowed_ips: [], expires_at: null })).json().expires_at, null);
      assert.equal((await iocs(key)).statusCode, 200, 'any address again');
      assert.deepEqual((await h.app.inject({ method: 'GET', url: `/api/v1/keys/${id}`, headers: h.auth() })).json().allowed_ips, []);
    });

    test('the change is logged with what changed, from what to what, and who changed it — never a secret', async () => {
      const { key, id } = await h.createKey('free', ['read:lookup']);
      const admin = (await h.store.keys.list()).find((k) => k.scopes.includes('admin'))!;
      assert.equal((await patch(id, { tier: 'enterprise', name: 'renamed' })).statusCode, 200);
      const line = h.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === 'api_key_updated' && l.key_id === id);
      assert.ok(line, 'an api_key_updated line');
      assert.equal(line.by_key_id, admin.id);
      assert.deepEqual(line.changes, { name: { from: 'test free', to: 'renamed' }, tier: { from: 'free', to: 'enterprise' } });
      const all = h.logs.join('\n');
      assert.ok(!all.includes(key) && !all.includes(h.adminKey), 'no key in the logs');
    });

    const BAD: [string, unknown, string][] = [
      ['nothing to change', {}, ''],
      ['only an unknown field (the secret cannot be set)', { key: 'sk_live_0123456789012345678901234567890123456789' }, ''],
      ['an empty name', { name: '' }, 'name'],
      ['an unknown tier', { tier: 'gold' }, 'tier'],
      ['no scopes', { scopes: [] }, 'scopes'],
      ['an unknown scope', { scopes: ['root'] }, 'scopes'],
      ['a bad address', { allowed_ips: ['300.1.1.1'] }, 'allowed_ips'],
      ['host bits set', { allowed_ips: ['203.0.113.5/24'] }, 'allowed_ips'],
      ['not a time', { expires_at: 'next week' }, 'expires_at'],
      ['a time past', { expires_at: '2020-01-01T00:00:00Z' }, 'expires_at'],
      ['a name of spaces', { name: '   ' }, 'name'],
    ];
    for (const [what, payload, field] of BAD) {
      test(`a bad body is a 400 in the envelope: ${what}`, async () => {
        const { id } = await h.createKey('free');
        const before = await h.store.keys.get(id);
        const res = await patch(id, payload);
        assert.equal(res.statusCode, 400, res.body);
        assert.equal(typeof res.json().error.code, 'string');
        if (field !== '') assert.match(JSON.stringify(res.json().error), new RegExp(field));
        assert.deepEqual(await h.store.keys.get(id), before, 'nothing changed');
      });
    }

    test('an unknown or revoked key is a 404; only an admin key may; no key is a 401', async () => {
      assert.equal((await patch('key_missing', { name: 'x' })).json().error.code, 'not_found');
      const { id } = await h.createKey('free');
      assert.equal((await h.app.inject({ method: 'DELETE', url: `/api/v1/keys/${id}`, headers: h.auth() })).statusCode, 200);
      const revoked = await patch(id, { name: 'back' });
      assert.equal(revoked.statusCode, 404);
      assert.equal((await h.store.keys.get(id))!.name, 'test free');
      const other = await h.createKey('enterprise', ['read:lookup', 'read:iocs', 'read:export']);
      const self = await patch(other.id, { scopes: ['admin'] }, other.key);
      assert.equal(self.statusCode, 403, 'a key cannot raise itself');
      assert.deepEqual((await h.store.keys.get(other.id))!.scopes, ['read:lookup', 'read:iocs', 'read:export']);
      assert.equal((await h.app.inject({ method: 'PATCH', url: `/api/v1/keys/${other.id}`, payload: { name: 'x' } })).statusCode, 401);
    });

    test('the route is in the OpenAPI document with its body', async () => {
      const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
      const op = doc.paths['/api/v1/keys/{id}'].patch;
      assert.ok(op, 'PATCH /api/v1/keys/{id}');
      const schema = op.requestBody.content['application/json'].schema;
      assert.deepEqual(Object.keys(schema.properties).sort(), ['allowed_ips', 'expires_at', 'name', 'scopes', 'tier']);
      assert.ok(op.responses['400'] && op.responses['404']);
    });

    test('the store changes only the fields given, and says when there is no such key', async () => {
      const { id } = await h.createKey('pro', ['read:lookup']);
      const before = (await h.store.keys.get(id))!;
      const after = await h.store.keys.update(id, { allowedIps: ['192.0.2.0/24'] });
      assert.deepEqual(after, { ...before, allowedIps: ['192.0.2.0/24'] });
      assert.equal(await h.store.keys.update('key_missing', { name: 'x' }), null);
      await assert.rejects(h.store.keys.update(id, { tier: 'gold' as never }), TypeError);
      assert.deepEqual(await h.store.keys.get(id), after);
    });
  });
}

test('checkKeyUpdate: canonical changes, or the field at fault', () => {
  const now = new Date('2026-11-30T12:00:00Z');
  assert.deepEqual(checkKeyUpdate({ allowed_ips: ['2001:db8::1', '2001:db8::1/128'], expires_at: '2027-01-01T01:00:00+01:00' }, now), {
    ok: true,
    changes: { allowedIps: ['2001:db8::1/128'], expiresAt: '2027-01-01T00:00:00Z' },
  });
  const r = checkKeyUpdate({ expires_at: '2026-11-30T11:59:59Z' }, now);
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.problem.field, 'expires_at');
});

await onBothEngines(suites);
