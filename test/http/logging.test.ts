/** Keys never reach the log, whatever path they take through the service. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHarness, type Harness } from './harness.ts';

describe('logging', () => {
  let h: Harness;
  before(async () => {
    // trace level: every line Fastify and the routes can write
    h = await makeHarness({ logLevel: 'trace' });
  });
  after(() => h.close());

  test('valid, invalid, revoked and newly created keys never appear in the logs', async () => {
    const made = await h.app.inject({ method: 'POST', url: '/api/v1/keys', headers: h.auth(), payload: { name: 'log test', tier: 'free' } });
    assert.equal(made.statusCode, 201);
    const newKey: string = made.json().key;
    const wrongKey = 'sk_live_' + 'Q'.repeat(40);
    const junk = 'sk_live_not-a-key-at-all';
    const secrets = [h.adminKey, newKey, wrongKey, junk];
    await h.app.inject({ method: 'GET', url: '/api/v1/lookup?value=192.0.2.1', headers: h.auth() });
    await h.app.inject({ method: 'GET', url: '/api/v1/lookup?value=192.0.2.1', headers: { 'x-api-key': newKey } });
    await h.app.inject({ method: 'GET', url: '/api/v1/lookup?value=192.0.2.1', headers: h.auth(wrongKey) });
    await h.app.inject({ method: 'GET', url: '/api/v1/lookup?value=192.0.2.1', headers: { 'x-api-key': junk } });
    await h.app.inject({ method: 'DELETE', url: `/api/v1/keys/${made.json().id}`, headers: h.auth() });
    await h.app.inject({ method: 'GET', url: '/api/v1/lookup?value=192.0.2.1', headers: h.auth(newKey) });
    // an error path that logs the request: the store fails mid-request
    const real = h.deps.intel;
    h.deps.intel = {
      assess() {
        throw new Error('fail');
      },
    };
    await h.app.inject({ method: 'GET', url: '/api/v1/lookup?value=198.51.100.3', headers: h.auth() });
    h.deps.intel = real;
    // Also log a request object directly, headers included, to prove the redaction paths.
    h.deps.logger.info({ req: { headers: { authorization: `Bearer ${h.adminKey}`, 'x-api-key': newKey } } }, 'direct');
    h.deps.logger.info({ key: newKey, apiKey: wrongKey }, 'direct fields');

    const text = h.logs.join('');
    assert.ok(h.logs.length > 10, `the logger was capturing (${h.logs.length} lines)`);
    for (const s of secrets) assert.ok(!text.includes(s), `a key leaked into the logs: ${s.slice(0, 12)}…`);
    for (const s of secrets) assert.ok(!text.includes(s.slice(8)), 'no key body either');
    assert.ok(text.includes('[redacted]'), 'redaction ran');
  });
});
