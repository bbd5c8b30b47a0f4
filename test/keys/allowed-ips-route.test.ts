// Keys as the seed's service has them: an allow-list of addresses per key, enforced on every
// route (403 ip_not_allowed before the request counts), and GET /api/v1/keys/{id}/usage —
// requests per day and per route, last use and what is left of today's quota.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHarness, type Harness } from '../http/harness.ts';

describe('allowed_ips and key usage', () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness({ env: { VERDICT_TRUST_PROXY: 'true' } });
    await h.ingest('cisa-alerts', [{ type: 'ipv4', value: '192.0.2.1', threatType: 'botnet_cc' }]);
  });
  after(async () => h.close());

  const create = (body: Record<string, unknown>) => h.app.inject({ method: 'POST', url: '/api/v1/keys', headers: h.auth(h.adminKey), payload: body });
  const lookupFrom = (key: string, remoteAddress: string, headers: Record<string, string> = {}) =>
    h.app.inject({ method: 'GET', url: '/api/v1/lookup?value=192.0.2.1', headers: { ...h.auth(key), ...headers }, remoteAddress });

  test('a key with allowed_ips works from those addresses only; the list is kept canonical', async () => {
    const res = await create({ name: 'soar', tier: 'pro', scopes: ['read:lookup'], allowed_ips: ['203.0.113.0/24', '2001:db8::1'] });
    assert.equal(res.statusCode, 201, res.body);
    const { key, id, allowed_ips: allowed } = res.json();
    assert.deepEqual(allowed, ['203.0.113.0/24', '2001:db8::1/128']);
    assert.equal((await lookupFrom(key, '203.0.113.9')).statusCode, 200);
    assert.equal((await lookupFrom(key, '2001:db8::1')).statusCode, 200);
    const refused = await lookupFrom(key, '198.51.100.7');
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().error.code, 'ip_not_allowed');
    // behind a trusted proxy the client's address is the forwarded one
    assert.equal((await lookupFrom(key, '10.0.0.2', { 'x-forwarded-for': '203.0.113.77' })).statusCode, 200);
    assert.equal((await lookupFrom(key, '10.0.0.2', { 'x-forwarded-for': '198.51.100.7' })).statusCode, 403);
    const listed = (await h.app.inject({ method: 'GET', url: `/api/v1/keys/${id}`, headers: h.auth(h.adminKey) })).json();
    assert.deepEqual(listed.allowed_ips, ['203.0.113.0/24', '2001:db8::1/128']);
  });

  test('a key without allowed_ips works from anywhere; a bad entry is a 400 naming the field', async () => {
    const open = (await create({ name: 'open', tier: 'pro', scopes: ['read:lookup'] })).json();
    assert.deepEqual(open.allowed_ips, []);
    assert.equal((await lookupFrom(open.key, '198.51.100.7')).statusCode, 200);
    for (const bad of [['not-an-address'], ['203.0.113.5/24'], ['10.0.0.0/33']]) {
      const res = await create({ name: 'bad', tier: 'pro', scopes: ['read:lookup'], allowed_ips: bad });
      assert.equal(res.statusCode, 400, `${bad[0]}: ${res.body}`);
      assert.equal(res.json().error.details.parameter, 'allowed_ips');
    }
  });

  test('usage: requests per day and per route, the last use and the quota left; a key may read its own, not another\'s', async () => {
    const mine = (await create({ name: 'counted', tier: 'free', scopes: ['read:lookup'] })).json();
    const other = (await create({ name: 'other', tier: 'pro', scopes: ['read:lookup'] })).json();
    for (let i = 0; i < 3; i++) assert.equal((await lookupFrom(mine.key, '198.51.100.7')).statusCode, 200);
    const own = await h.app.inject({ method: 'GET', url: `/api/v1/keys/${mine.id}/usage`, headers: h.auth(mine.key) });
    assert.equal(own.statusCode, 200, own.body);
    const report = own.json();
    assert.equal(report.key_id, mine.id);
    assert.equal(report.days.length, 1);
    assert.equal(report.routes['/api/v1/lookup'], 3);
    assert.equal(report.quota.per_day, 1000);
    assert.ok(report.quota.used_today >= 3 && report.quota.remaining_today === 1000 - report.quota.used_today, JSON.stringify(report.quota));
    const asAdmin = await h.app.inject({ method: 'GET', url: `/api/v1/keys/${mine.id}/usage`, headers: h.auth(h.adminKey) });
    assert.equal(asAdmin.statusCode, 200);
    assert.equal(asAdmin.json().routes['/api/v1/lookup'], 3);
    const nosy = await h.app.inject({ method: 'GET', url: `/api/v1/keys/${mine.id}/usage`, headers: h.auth(other.key) });
    assert.equal(nosy.statusCode, 403);
    const unknown = await h.app.inject({ method: 'GET', url: '/api/v1/keys/key_nope/usage', headers: h.auth(h.adminKey) });
    assert.equal(unknown.statusCode, 404);
  });
});
