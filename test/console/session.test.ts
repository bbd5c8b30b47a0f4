/** Console sign-in and serving, through the real app: the session cookie, CSRF, scopes, sign-out, the static app and its CSP. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { makeHarness, type Harness } from '../http/harness.ts';
import { CONSOLE_CSP } from '../../src/http/console.ts';
import { createMemorySessionStore, SESSION_TTL_MS, type MemorySessionStore } from '../../src/http/sessions.ts';

function cookieOf(res: LightMyRequestResponse): { pair: string; attributes: string[] } {
  const raw = res.headers['set-cookie'];
  const line = Array.isArray(raw) ? raw[0] : raw;
  assert.ok(typeof line === 'string', 'a Set-Cookie header');
  const [pair, ...attributes] = line.split(';').map((p) => p.trim());
  return { pair: pair ?? '', attributes: attributes.map((a) => a.toLowerCase()) };
}

describe('console sessions', () => {
  let h: Harness;
  let sessions: MemorySessionStore;
  before(async () => {
    sessions = createMemorySessionStore();
    h = await makeHarness({ app: { sessions } });
  });
  after(() => h.close());

  const signIn = (key: string) => h.app.inject({ method: 'POST', url: '/api/v1/session', payload: { api_key: key } });
  const lookup = (headers: Record<string, string>) => h.app.inject({ method: 'GET', url: '/api/v1/lookup?value=198.51.100.7', headers });

  test('signing in sets an HttpOnly, SameSite=Strict, expiring cookie and answers the key and a CSRF token, not the key', async () => {
    const res = await signIn(h.adminKey);
    assert.equal(res.statusCode, 201, res.body);
    const { pair, attributes } = cookieOf(res);
    assert.match(pair, /^verdict_session=[A-Za-z0-9_-]{40,}$/);
    assert.ok(attributes.includes('httponly'), attributes.join(';'));
    assert.ok(attributes.includes('samesite=strict'), attributes.join(';'));
    assert.ok(attributes.includes('path=/'));
    assert.ok(attributes.includes(`max-age=${SESSION_TTL_MS / 1000}`), attributes.join(';'));
    const body = res.json();
    assert.deepEqual(body.key.scopes, ['admin']);
    assert.match(body.csrf_token, /^[A-Za-z0-9_-]{40,}$/);
    assert.equal(Date.parse(body.expires_at), h.deps.clock().getTime() + SESSION_TTL_MS);
    assert.ok(!res.body.includes(h.adminKey), 'the key is not echoed');
    assert.ok(!pair.includes(h.adminKey), 'the cookie is not the key');
    assert.equal(res.headers['cache-control'], 'no-store');
  });

  test('the cookie stands for the key on the API: reads with it, writes only with the CSRF token', async () => {
    const res = await signIn(h.adminKey);
    const cookie = cookieOf(res).pair;
    const csrf = res.json().csrf_token as string;
    assert.equal((await lookup({ cookie })).statusCode, 200);
    assert.equal((await lookup({})).statusCode, 401);
    const purge = (headers: Record<string, string>) => h.app.inject({ method: 'DELETE', url: '/api/v1/feeds/cisa-alerts/data', headers });
    const without = await purge({ cookie });
    assert.equal(without.statusCode, 403);
    assert.equal(without.json().error.code, 'csrf_token_invalid');
    const wrong = await purge({ cookie, 'x-csrf-token': csrf.slice(0, -1) + (csrf.endsWith('A') ? 'B' : 'A') });
    assert.equal(wrong.json().error.code, 'csrf_token_invalid');
    const right = await purge({ cookie, 'x-csrf-token': csrf });
    assert.equal(right.statusCode, 200, right.body);
    // a Bearer key still wins over a cookie, and needs no CSRF token
    assert.equal((await purge({ cookie: 'verdict_session=junk', ...h.auth() })).statusCode, 200);
  });

  test('GET /api/v1/session answers who is signed in; without a session 401', async () => {
    const reader = await h.createKey('pro', ['read:lookup']);
    const res = await signIn(reader.key);
    const cookie = cookieOf(res).pair;
    const me = await h.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } });
    assert.equal(me.statusCode, 200);
    assert.deepEqual([me.json().key.id, me.json().key.scopes, me.json().csrf_token], [reader.id, ['read:lookup'], res.json().csrf_token]);
    const none = await h.app.inject({ method: 'GET', url: '/api/v1/session' });
    assert.equal(none.statusCode, 401);
    assert.equal(none.json().error.code, 'missing_api_key');
  });

  test("a scope-limited key's session has that key's scopes: the API refuses the rest", async () => {
    const reader = await h.createKey('pro', ['read:lookup']);
    const cookie = cookieOf(await signIn(reader.key)).pair;
    assert.equal((await lookup({ cookie })).statusCode, 200);
    const keys = await h.app.inject({ method: 'GET', url: '/api/v1/keys', headers: { cookie } });
    assert.equal(keys.statusCode, 403);
    assert.deepEqual(keys.json().error.details, { required: 'admin' });
  });

  test('a wrong key is refused in the envelope and sets no cookie; a malformed body is a 400', async () => {
    const res = await signIn('sk_live_' + 'x'.repeat(40));
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error.code, 'invalid_api_key');
    assert.equal(res.headers['set-cookie'], undefined);
    const bad = await h.app.inject({ method: 'POST', url: '/api/v1/session', payload: { key: 'x' } });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'invalid_parameter');
    const notJson = await h.app.inject({ method: 'POST', url: '/api/v1/session', payload: 'api_key=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(notJson.statusCode, 415, 'a cross-site form cannot sign in');
  });

  test('signing out needs the CSRF token, revokes the session server-side and clears the cookie', async () => {
    const res = await signIn(h.adminKey);
    const cookie = cookieOf(res).pair;
    const before = sessions.size;
    const refused = await h.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie } });
    assert.equal(refused.statusCode, 403);
    const out = await h.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie, 'x-csrf-token': res.json().csrf_token } });
    assert.equal(out.statusCode, 204);
    assert.equal(sessions.size, before - 1);
    assert.match(cookieOf(out).pair, /^verdict_session=$/);
    const again = await lookup({ cookie });
    assert.equal(again.statusCode, 401, 'the old cookie no longer works');
    assert.equal(again.json().error.code, 'invalid_api_key');
  });

  test('revoking the key ends its sessions; an expired session is refused', async () => {
    const k = await h.createKey('pro', ['read:lookup']);
    const cookie = cookieOf(await signIn(k.key)).pair;
    assert.equal((await lookup({ cookie })).statusCode, 200);
    const del = await h.app.inject({ method: 'DELETE', url: `/api/v1/keys/${k.id}`, headers: h.auth() });
    assert.ok(del.statusCode < 300, del.body);
    assert.equal((await lookup({ cookie })).statusCode, 401);

    const cookie2 = cookieOf(await signIn(h.adminKey)).pair;
    h.setNow(new Date(h.deps.clock().getTime() + SESSION_TTL_MS + 1000));
    try {
      assert.equal((await lookup({ cookie: cookie2 })).statusCode, 401);
    } finally {
      h.setNow(new Date('2026-11-30T12:00:00Z'));
    }
  });

  test('the session cookie and the key never reach the logs', async () => {
    const res = await signIn(h.adminKey);
    const token = cookieOf(res).pair.split('=')[1] ?? '';
    await lookup({ cookie: `verdict_session=${token}` });
    const logs = h.logs.join('\n');
    assert.ok(token.length > 20 && !logs.includes(token));
    assert.ok(!logs.includes(h.adminKey));
  });
});

describe('console serving', () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(() => h.close());

  test('/ and deep links serve the app with a strict CSP and no inline script', async () => {
    for (const url of ['/', '/lookup', '/lookup/ipv4/1.2.3.4', '/lookup/url/hxxps%3A%2F%2Fevil%5B.%5Dexample%2Fa', '/signin']) {
      const res = await h.app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, `${url}: ${res.body.slice(0, 200)}`);
      assert.match(String(res.headers['content-type']), /^text\/html/);
      assert.equal(res.headers['content-security-policy'], CONSOLE_CSP);
      assert.match(res.body, /<script type="module" crossorigin src="\/assets\/[^"]+\.js"><\/script>/);
      assert.doesNotMatch(res.body, /<script(?![^>]*\ssrc=)[^>]*>/, 'no inline script');
    }
    assert.match(CONSOLE_CSP, /script-src 'self'(;|$)/);
    assert.doesNotMatch(CONSOLE_CSP, /unsafe-inline|unsafe-eval/);
  });

  test('its assets are served with the CSP and long caching; the API and unknown paths keep their JSON 404', async () => {
    const index = await h.app.inject({ method: 'GET', url: '/' });
    const js = /src="(\/assets\/[^"]+\.js)"/.exec(index.body)?.[1];
    assert.ok(js);
    const asset = await h.app.inject({ method: 'GET', url: js });
    assert.equal(asset.statusCode, 200);
    assert.match(String(asset.headers['content-type']), /javascript/);
    assert.equal(asset.headers['content-security-policy'], CONSOLE_CSP);
    assert.match(String(asset.headers['cache-control']), /immutable/);
    for (const url of ['/api/v1/nothing', '/assets/nothing.js', '/nothing']) {
      const res = await h.app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, url);
      assert.equal(res.json().error.code, 'not_found');
    }
    const post = await h.app.inject({ method: 'POST', url: '/lookup' });
    assert.equal(post.statusCode, 405);
  });

  test('without a built console, / says how to build it', async () => {
    const g = await makeHarness({ app: { consoleRoot: '/nonexistent-console-root' } });
    try {
      const res = await g.app.inject({ method: 'GET', url: '/lookup/ipv4/1.2.3.4' });
      assert.equal(res.statusCode, 404);
      assert.match(res.json().error.message, /npm run build/);
    } finally {
      await g.close();
    }
  });
});
