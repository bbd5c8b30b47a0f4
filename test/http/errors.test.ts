/** Every catalog code is produced by a real request, with the envelope, status and request id. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { LightMyRequestResponse } from 'fastify';
import { ERROR_CATALOG, ERROR_CODES, type ErrorCode } from '../../src/http/errors.ts';
import { makeHarness, keysOf, NOW, type Harness } from './harness.ts';
import { rawRequest, type RawResponse } from './raw.ts';

function assertEnvelope(res: LightMyRequestResponse, code: ErrorCode, exactMessage = true): void {
  assert.equal(res.statusCode, ERROR_CATALOG[code].status, `${code}: ${res.body}`);
  const body = res.json();
  assert.deepEqual(keysOf(body), ['error']);
  const keys = keysOf(body.error);
  assert.deepEqual(keys.slice(0, 3), ['code', 'message', 'request_id']);
  assert.ok(keys.length === 3 || (keys.length === 4 && keys[3] === 'details'), `unexpected fields ${keys.join(',')}`);
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, 'string');
  if (exactMessage) assert.equal(body.error.message, ERROR_CATALOG[code].message);
  assert.equal(body.error.request_id, res.headers['x-request-id']);
  assert.match(body.error.request_id, /^req_[A-Za-z0-9_-]{12,}$/);
}

/** The same checks on an answer read from the socket (what Node's server answers before the app). */
function assertRawEnvelope(res: RawResponse, code: ErrorCode): void {
  assert.equal(res.status, ERROR_CATALOG[code].status, `${code}: ${res.raw.toString('latin1').slice(0, 300)}`);
  const body = JSON.parse(res.body);
  assert.deepEqual(keysOf(body), ['error']);
  assert.equal(body.error.code, code);
  assert.equal(body.error.request_id, res.headers['x-request-id']);
  assert.match(body.error.request_id, /^req_[A-Za-z0-9_-]{12,}$/);
  assert.match(res.headers['content-type'] ?? '', /^application\/json/);
}

describe('error catalog', () => {
  let h: Harness;
  let failing = false;
  before(async () => {
    h = await makeHarness({
      env: {
        VERDICT_BODY_LIMIT: '2048',
        VERDICT_TIER_FREE_PER_MINUTE: '1',
        VERDICT_TIER_PRO_PER_MINUTE: '100',
        VERDICT_TIER_PRO_PER_DAY: '1',
        VERDICT_REQUEST_TIMEOUT_MS: '400',
      },
    });
    // intel that can be told to fail stands in for a bug in the lookup path
    const real = h.deps.intel;
    h.deps.intel = {
      assess(e, now) {
        if (failing) throw new Error('boom: secret internal detail');
        return real.assess(e, now);
      },
    };
  });
  after(() => h.close());

  const lookup = (q: string, headers: Record<string, string> = h.auth()) => h.app.inject({ method: 'GET', url: `/api/v1/lookup?${q}`, headers });
  const produced = new Set<ErrorCode>();
  const check = (res: LightMyRequestResponse, code: ErrorCode, exact = true) => {
    assertEnvelope(res, code, exact);
    produced.add(code);
  };

  test('400s', async () => {
    check(await lookup('type=ipv4'), 'missing_parameter', false);
    check(await lookup('value=1.2.3.4&type=bogus'), 'invalid_parameter', false);
    check(await lookup('value=1.2.3.4&type=sha256'), 'invalid_indicator', false);
  });

  test('401s and 403', async () => {
    const missing = await lookup('value=1.2.3.4', {});
    check(missing, 'missing_api_key');
    assert.equal(missing.json().error.message, 'API key is required. Include it in the Authorization header as "Bearer sk_live_..." or in the X-API-Key header.');
    check(await lookup('value=1.2.3.4', h.auth('sk_live_short')), 'invalid_api_key');
    check(await lookup('value=1.2.3.4', { authorization: 'Basic dXNlcjpwYXNz' }), 'invalid_api_key');
    // Given a key with one day to live, When the clock moves two days on, Then it is expired
    const expiring = await h.createKey('pro', ['read:lookup'], 1);
    h.setNow(new Date(NOW.getTime() + 2 * 86_400_000));
    try {
      check(await lookup('value=1.2.3.4', h.auth(expiring.key)), 'expired_api_key');
    } finally {
      h.setNow(NOW);
    }
    const reader = await h.createKey('pro', ['read:lookup']);
    const scope = await h.app.inject({ method: 'GET', url: '/api/v1/keys', headers: h.auth(reader.key) });
    check(scope, 'insufficient_scope', false);
    assert.deepEqual(scope.json().error.details, { required: 'admin' });
    assert.match(String(scope.headers['x-ratelimit-remaining']), /^\d+$/, 'an authenticated refusal still reports the limits');
  });

  test('403 csrf_token_invalid: a write under a console session without its CSRF token', async () => {
    const signIn = await h.app.inject({ method: 'POST', url: '/api/v1/session', payload: { api_key: h.adminKey } });
    assert.equal(signIn.statusCode, 201, signIn.body);
    const cookie = String(signIn.headers['set-cookie']).split(';')[0] ?? '';
    check(await h.app.inject({ method: 'DELETE', url: '/api/v1/feeds/cisa-alerts/data', headers: { cookie } }), 'csrf_token_invalid');
  });

  test('403 ip_not_allowed: a key used from an address outside its allowed_ips', async () => {
    const created = await h.app.inject({ method: 'POST', url: '/api/v1/keys', headers: h.auth(h.adminKey), payload: { name: 'fenced', tier: 'pro', scopes: ['read:lookup'], allowed_ips: ['203.0.113.0/24'] } });
    assert.equal(created.statusCode, 201, created.body);
    check(await h.app.inject({ method: 'GET', url: '/api/v1/lookup?value=1.2.3.4', headers: h.auth(created.json().key), remoteAddress: '198.51.100.7' }), 'ip_not_allowed');
  });

  test('409', async () => {
    const fake = h.deps.scheduler as unknown as { busy: Set<string> };
    fake.busy.add('cisa-alerts');
    const res = await h.app.inject({ method: 'DELETE', url: '/api/v1/feeds/cisa-alerts/data', headers: h.auth() });
    fake.busy.delete('cisa-alerts');
    check(res, 'conflict', false);
    assert.ok(Number(res.headers['retry-after']) > 0, 'Retry-After set');
  });

  test('404, 405, 413, 415', async () => {
    check(await h.app.inject({ method: 'GET', url: '/api/v1/nothing-here', headers: h.auth() }), 'not_found', false);
    check(await h.app.inject({ method: 'GET', url: '/api/v1/keys/key_missing', headers: h.auth() }), 'not_found', false);
    const wrong = await h.app.inject({ method: 'POST', url: '/api/v1/lookup?value=1.2.3.4', headers: h.auth() });
    check(wrong, 'method_not_allowed', false);
    assert.equal(wrong.headers['allow'], 'GET, HEAD');
    check(
      await h.app.inject({ method: 'POST', url: '/api/v1/keys', headers: { ...h.auth(), 'content-type': 'application/json' }, payload: JSON.stringify({ name: 'x'.repeat(5000), tier: 'free' }) }),
      'payload_too_large',
    );
    check(await h.app.inject({ method: 'POST', url: '/api/v1/keys', headers: { ...h.auth(), 'content-type': 'text/plain' }, payload: 'name=x' }), 'unsupported_media_type');
  });

  test('408 and 431 come from the HTTP server itself, in the envelope, on the socket', async () => {
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (h.app.server.address() as { port: number }).port;
    // a body promised and never sent: answered when the request timeout passes, with the request's own id
    const head = `POST /api/v1/keys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${h.adminKey}\r\nX-Request-Id: req_stalledbody0000001\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"na`;
    const stalled = await rawRequest(port, head, { timeoutMs: 5_000 });
    assertRawEnvelope(stalled, 'request_timeout');
    assert.equal(stalled.headers['x-request-id'], 'req_stalledbody0000001');
    assert.ok(stalled.elapsedMs >= 350 && stalled.elapsedMs < 2_500, `answered at the timeout (${Math.round(stalled.elapsedMs)} ms)`);
    produced.add('request_timeout');
    // headers that never end: the same, with an id of its own
    const slowHeaders = await rawRequest(port, 'GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: 1', { timeoutMs: 5_000 });
    assertRawEnvelope(slowHeaders, 'request_timeout');
    // a request refused before its body was read keeps its one answer: no second, unasked-for 408
    const refused = await rawRequest(port, 'POST /api/v1/keys HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"na', { timeoutMs: 3_000 });
    assert.equal(refused.status, 401);
    assert.equal((refused.raw.toString('latin1').match(/HTTP\/1\.1 /g) ?? []).length, 1, refused.raw.toString('latin1'));
    const huge = await rawRequest(port, `GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assertRawEnvelope(huge, 'headers_too_large');
    produced.add('headers_too_large');
  });

  test('429 rate_limit_exceeded and quota_exceeded carry Retry-After', async () => {
    const free = await h.createKey('free');
    assert.equal((await lookup('value=1.2.3.4', h.auth(free.key))).statusCode, 200);
    const limited = await lookup('value=1.2.3.4', h.auth(free.key));
    check(limited, 'rate_limit_exceeded');
    assert.ok(Number(limited.headers['retry-after']) >= 1);
    assert.equal(limited.headers['x-ratelimit-remaining'], '0');
    const pro = await h.createKey('pro');
    assert.equal((await lookup('value=1.2.3.4', h.auth(pro.key))).statusCode, 200);
    const quota = await lookup('value=1.2.3.4', h.auth(pro.key));
    check(quota, 'quota_exceeded');
    assert.ok(Number(quota.headers['retry-after']) >= 1);
    // the answer describes the limit that refused: the daily quota of 1, not the 100 per minute
    assert.deepEqual(quota.json().error.details, { retry_after: Number(quota.headers['retry-after']), limit: 1, window: 'day', per: 'key' });
    assert.equal(quota.headers['x-ratelimit-limit'], '1');
    assert.equal(quota.headers['x-ratelimit-reset'], String(Date.UTC(2026, 11, 1) / 1000), 'the next UTC midnight');
    assert.equal(limited.json().error.details.limit, 1);
    assert.equal(limited.json().error.details.window, 'minute');
  });

  test('500 internal_error says nothing internal and is logged with the request id', async () => {
    failing = true;
    try {
      const res = await lookup('value=198.51.100.9');
      check(res, 'internal_error');
      assert.ok(!res.body.includes('boom'));
      const logged = h.logs.find((l) => l.includes('boom'));
      assert.ok(logged, 'the bug is logged');
      assert.ok(logged.includes(res.json().error.request_id));
    } finally {
      failing = false;
    }
  });

  test('503 service_unavailable when the store is gone, with Retry-After', async () => {
    const g = await makeHarness();
    try {
      await g.store.close();
      const res = await g.app.inject({ method: 'GET', url: '/api/v1/lookup?value=1.2.3.4', headers: g.auth() });
      check(res, 'service_unavailable');
      assert.ok(Number(res.headers['retry-after']) >= 1);
      const health = await g.app.inject({ method: 'GET', url: '/api/v1/health' });
      assert.equal(health.statusCode, 503);
      assert.equal(health.json().status, 'unavailable');
    } finally {
      await g.app.close();
    }
  });

  test('503 when a marked dependency (Redis fail-closed, PostgreSQL) is down, with its Retry-After', async () => {
    const down = Object.assign(new Error('redis down'), { unavailable: true, retryAfter: 7 });
    const g = await makeHarness({
      overrides: {
        rateLimiter: {
          consume: async () => {
            throw down;
          },
          close: async () => {},
        },
      },
    });
    try {
      const res = await g.app.inject({ method: 'GET', url: '/api/v1/lookup?value=1.2.3.4', headers: g.auth() });
      assertEnvelope(res, 'service_unavailable');
      assert.equal(res.headers['retry-after'], '7');
    } finally {
      await g.close();
    }
  });

  test('every catalog code was produced above', () => {
    assert.deepEqual([...produced].sort(), [...ERROR_CODES].sort());
  });

  test('the OpenAPI document and docs/api.md stay in step with the catalog', async () => {
    const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const statuses = new Set<string>();
    const codes = new Set<string>();
    for (const ops of Object.values(doc.paths) as Record<string, { responses: Record<string, { content?: Record<string, { schema: { properties?: { error?: { properties?: { code?: { enum?: string[] } } } } } }> }> }>[]) {
      for (const op of Object.values(ops)) {
        for (const [status, r] of Object.entries(op.responses)) {
          statuses.add(status);
          for (const c of r.content?.['application/json']?.schema.properties?.error?.properties?.code?.enum ?? []) codes.add(c);
        }
      }
    }
    assert.deepEqual([...codes].sort(), [...ERROR_CODES].sort(), 'the documented error codes are the catalog');
    for (const code of ERROR_CODES) {
      const status = String(ERROR_CATALOG[code].status);
      // 405 comes from the router on any route, 408 and 431 from the HTTP server before any route
      if (!['405', '408', '431'].includes(status)) assert.ok(statuses.has(status), `some route documents ${status} (${code})`);
    }
    const md = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    for (const code of ERROR_CODES) {
      const row = new RegExp(`\\|\\s*${ERROR_CATALOG[code].status}\\s*\\|\\s*\`${code}\``);
      assert.match(md, row, `docs/api.md lists ${code} with status ${ERROR_CATALOG[code].status}`);
    }
  });
});
