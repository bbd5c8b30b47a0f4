import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHarness, TEST_FEEDS, type Harness } from './harness.ts';
import { requestIds } from '../../src/deps.ts';
import { feedStatuses, type FeedStatusView } from '../../src/feeds/status.ts';

describe('service routes', () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
    await h.ingest('cisa-alerts', [{ type: 'ipv4', value: '198.51.100.1' }]);
  });
  after(() => h.close());

  test('health needs no key and reports the store and data freshness', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/v1/health' });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.status, 'ok');
    assert.deepEqual(body.store, { kind: 'sqlite', reachable: true });
    assert.equal(body.data.indicators, 1);
    assert.equal(typeof body.data.last_ingest_at, 'string');
    assert.equal(res.headers['x-ratelimit-limit'], undefined, 'no key, no rate-limit headers');
  });

  test('health says how old the data is by the dates the feeds state, not when it was imported', async () => {
    // Given a feed file dated months before it was imported (the harness clock is 2026-11-30)
    await h.store.ingest({ feedId: 'emerging-threats', mode: 'snapshot', runAt: '2026-11-30T12:00:00.000Z' }, [{ type: 'ipv4', value: '198.51.100.2', lastSeen: '2026-06-01T00:00:00Z', dateSource: 'file' }]);
    const body = (await h.app.inject({ method: 'GET', url: '/api/v1/health' })).json();
    const et = body.data.feeds.find((f: { id: string }) => f.id === 'emerging-threats');
    assert.equal(et.data_as_of, '2026-06-01T00:00:00.000Z');
    assert.equal(et.age_seconds, (Date.parse('2026-11-30T12:00:00Z') - Date.parse('2026-06-01T00:00:00Z')) / 1000);
    const cisa = body.data.feeds.find((f: { id: string }) => f.id === 'cisa-alerts');
    assert.equal(cisa.data_as_of, '2026-11-30T12:00:00.000Z', 'an undated import is as old as its fetch');
    assert.equal(body.data.data_as_of, cisa.data_as_of, 'overall: the newest data of any feed');
    assert.equal(body.data.age_seconds, 0);
  });

  test('X-Request-Id: a safe incoming id is reused, an unsafe one replaced', async () => {
    const kept = await h.app.inject({ method: 'GET', url: '/api/v1/health', headers: { 'x-request-id': 'trace-123_abc' } });
    assert.equal(kept.headers['x-request-id'], 'trace-123_abc');
    const replaced = await h.app.inject({ method: 'GET', url: '/api/v1/health', headers: { 'x-request-id': 'bad id <script>' } });
    assert.match(String(replaced.headers['x-request-id']), /^req_/);
    const long = await h.app.inject({ method: 'GET', url: '/api/v1/health', headers: { 'x-request-id': 'a'.repeat(65) } });
    assert.match(String(long.headers['x-request-id']), /^req_/);
  });

  test('generated request ids: req_ + 20 url-safe characters, distinct within and across processes', () => {
    const a = requestIds();
    const b = requestIds();
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) for (const id of [a(), b()]) seen.add(id);
    assert.equal(seen.size, 20_000);
    for (const id of seen) assert.match(id, /^req_[A-Za-z0-9_-]{20}$/);
    // the random part is drawn once; the counter tells requests of one process apart
    const fixed = requestIds(() => Buffer.alloc(9));
    assert.deepEqual([fixed(), fixed()], ['req_AAAAAAAAAAAA00000000', 'req_AAAAAAAAAAAA00000001']);
  });

  test('an unmatched route still carries the request id and speaks the catalog, even when its body fails to parse', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/v1/nowhere' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.request_id, res.headers['x-request-id']);
    // the body is parsed before the not-found handler would run, and no route hook ran
    const bad = await h.app.inject({ method: 'PUT', url: '/api/v1/overrides/ipv4/', headers: { ...h.auth(), 'content-type': 'application/json' }, payload: '{"__proto__":{"a":1}}' });
    assert.equal(bad.statusCode, 400, bad.body);
    assert.equal(typeof bad.headers['x-request-id'], 'string');
    assert.equal(bad.json().error.request_id, bad.headers['x-request-id']);
  });

  test('router-level errors still speak the catalog: malformed path, over-long parameter; a trailing slash is fine', async () => {
    for (const url of ['/api/v1/%E0%A4%A', `/api/v1/overrides/url/${'a'.repeat(3000)}`]) {
      const res = await h.app.inject({ method: 'GET', url, headers: h.auth() });
      assert.equal(res.statusCode, 400, `${url.slice(0, 30)}: ${res.body.slice(0, 200)}`);
      assert.equal(res.json().error.code, 'invalid_parameter');
      assert.equal(res.json().error.request_id, res.headers['x-request-id']);
      assert.ok(!res.body.includes('aaaaaaaa'), 'the path is not echoed');
    }
    const slash = await h.app.inject({ method: 'GET', url: '/api/v1/lookup/?value=198.51.100.1', headers: h.auth() });
    assert.equal(slash.statusCode, 200, slash.body);
  });

  test('metrics: Prometheus text by route pattern, with no indicator values or keys', async () => {
    await h.app.inject({ method: 'GET', url: '/api/v1/lookup?value=198.51.100.1', headers: h.auth() });
    await h.app.inject({ method: 'GET', url: '/api/v1/lookup?value=bad', headers: h.auth() });
    const scraper = await h.createKey('pro', ['read:metrics']);
    const res = await h.app.inject({ method: 'GET', url: '/metrics', headers: h.auth(scraper.key) });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    assert.match(res.body, /verdict_http_requests_total\{method="GET",route="\/api\/v1\/lookup",status="200"\} [1-9]\d*/);
    assert.match(res.body, /verdict_http_requests_total\{method="GET",route="\/api\/v1\/lookup",status="400"\} [1-9]\d*/);
    assert.match(res.body, /verdict_http_request_duration_seconds_bucket\{method="GET",route="\/api\/v1\/lookup",status="200",le="\+Inf"\} [1-9]\d*/);
    assert.ok(!res.body.includes('198.51.100.1'));
    assert.ok(!res.body.includes(h.adminKey));
  });

  test('metrics need the read:metrics scope (or admin): no key is a 401, a lookup key a 403', async () => {
    const none = await h.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(none.statusCode, 401);
    assert.equal(none.json().error.code, 'missing_api_key');
    const reader = await h.createKey('pro', ['read:lookup']);
    const refused = await h.app.inject({ method: 'GET', url: '/metrics', headers: h.auth(reader.key) });
    assert.equal(refused.statusCode, 403);
    assert.deepEqual(refused.json().error.details, { required: 'read:metrics' });
    const admin = await h.app.inject({ method: 'GET', url: '/metrics', headers: h.auth() });
    assert.equal(admin.statusCode, 200);
  });

  test('a missing file under /docs/static is a 404, not a 405', async () => {
    const present = await h.app.inject({ method: 'GET', url: '/docs/static/index.css' });
    assert.equal(present.statusCode, 200);
    const missing = await h.app.inject({ method: 'GET', url: '/docs/static/no-such-file.js' });
    assert.equal(missing.statusCode, 404, missing.body);
    assert.equal(missing.json().error.code, 'not_found');
    assert.equal(missing.json().error.request_id, missing.headers['x-request-id']);
    assert.equal(missing.headers['allow'], undefined);
    const wrong = await h.app.inject({ method: 'DELETE', url: '/docs/static/index.css' });
    assert.equal(wrong.statusCode, 405, 'another method on the same path is still a 405');
  });

  test('OpenAPI 3 document from the route schemas, and the docs UI', async () => {
    const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    assert.match(doc.openapi, /^3\./);
    const lookup = doc.paths['/api/v1/lookup'].get;
    assert.deepEqual(Object.keys(lookup.responses['200'].content['application/json'].schema.properties).slice(0, 7), [
      'value', 'type', 'risk_score', 'confidence', 'mitre_techniques', 'hunting_queries', 'sources',
    ]);
    assert.ok(lookup.parameters.some((p: { name: string }) => p.name === 'value'));
    for (const path of ['/api/v1/keys', '/api/v1/keys/{id}', '/api/v1/health', '/api/v1/feeds', '/api/v1/feeds/{id}/sync', '/api/v1/feeds/{id}/data', '/api/v1/overrides/{type}/{value}']) {
      assert.ok(doc.paths[path], `${path} is documented`);
    }
    const ui = await h.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(ui.statusCode, 200);
    assert.match(ui.body, /swagger/i);
  });

  test('feeds: the catalog with health; sync is admin-only and runs the scheduler', async () => {
    const list = await h.app.inject({ method: 'GET', url: '/api/v1/feeds', headers: h.auth() });
    assert.equal(list.statusCode, 200, list.body);
    const cisa = list.json().feeds.find((f: { id: string }) => f.id === 'cisa-alerts');
    assert.equal(cisa.name, 'CISA Alerts');
    assert.equal(cisa.health.listed_count, 1);
    assert.ok('next_run_at' in cisa.health, 'next run included');
    // the feed status view, field for field, as `verdict feeds list --json` prints it
    await h.store.recordFeedRun({ feedId: 'cisa-alerts', startedAt: '2026-11-30T11:00:00Z', finishedAt: '2026-11-30T11:00:05Z', status: 'success', result: { received: 1, added: 1, updated: 0, unchanged: 0, delisted: 0 }, rejected: 2, rejectedSamples: ['line 2: x', 'line 3: y'], error: null, etag: '"e"', lastModified: null });
    const again = (await h.app.inject({ method: 'GET', url: '/api/v1/feeds', headers: h.auth() })).json<{ feeds: FeedStatusView[] }>();
    assert.deepEqual(again, { feeds: feedStatuses(TEST_FEEDS, await h.store.feedStates(), h.deps.clock()) });
    assert.deepEqual(again.feeds[0]?.health.last_run?.rejected_samples, ['line 2: x', 'line 3: y'], 'the last run with its details');
    const reader = await h.createKey('pro');
    // a reader sees the counts and statuses, not the rejected rows or the raw error texts
    await h.store.recordFeedRun({ feedId: 'emerging-threats', startedAt: '2026-11-30T11:10:00Z', finishedAt: '2026-11-30T11:10:01Z', status: 'failure', result: null, rejected: 3, rejectedSamples: ['line 9: secret-token=abc'], error: 'HTTP 401 from http://10.0.0.5/feed?token=abc', etag: null, lastModified: null });
    const asReader = (await h.app.inject({ method: 'GET', url: '/api/v1/feeds', headers: h.auth(reader.key) })).json<{ feeds: FeedStatusView[] }>();
    const et = asReader.feeds.find((f) => f.id === 'emerging-threats')!;
    assert.deepEqual(et.health.last_run, { feed_id: 'emerging-threats', started_at: '2026-11-30T11:10:00Z', finished_at: '2026-11-30T11:10:01Z', status: 'failure', result: null, rejected: 3 });
    assert.equal('last_error' in et.health, false);
    assert.equal(typeof et.health.last_error_at, 'string', 'when it failed is shown');
    const text = JSON.stringify(asReader);
    for (const secret of ['secret-token', 'token=abc', '10.0.0.5', 'line 2: x']) assert.ok(!text.includes(secret), `a reader does not see ${secret}`);
    const asAdmin = (await h.app.inject({ method: 'GET', url: '/api/v1/feeds', headers: h.auth() })).json<{ feeds: FeedStatusView[] }>();
    assert.equal(asAdmin.feeds.find((f) => f.id === 'emerging-threats')!.health.last_error, 'HTTP 401 from http://10.0.0.5/feed?token=abc');
    const refused = await h.app.inject({ method: 'POST', url: '/api/v1/feeds/cisa-alerts/sync', headers: h.auth(reader.key) });
    assert.equal(refused.statusCode, 403);
    const sync = await h.app.inject({ method: 'POST', url: '/api/v1/feeds/cisa-alerts/sync', headers: h.auth() });
    assert.equal(sync.statusCode, 200, sync.body);
    assert.equal(sync.json().feed_id, 'cisa-alerts');
    assert.deepEqual((h.deps.scheduler as unknown as { runs: string[] }).runs, ['cisa-alerts']);
    const unknown = await h.app.inject({ method: 'POST', url: '/api/v1/feeds/nope/sync', headers: h.auth() });
    assert.equal(unknown.json().error.code, 'not_found');
  });

  test("feeds: an admin purges a feed's data; lookups stop showing it at once; others may not; a busy feed is a 409", async () => {
    await h.ingest('emerging-threats', [{ type: 'ipv4', value: '203.0.113.77', threatType: 'scanner' }]);
    const look = async () => (await h.app.inject({ method: 'GET', url: '/api/v1/lookup?value=203.0.113.77', headers: h.auth() })).json();
    assert.ok((await look()).sources.some((s: { feed_name: string }) => s.feed_name === 'Emerging Threats'), 'cached before the purge');
    const reader = await h.createKey('pro');
    assert.equal((await h.app.inject({ method: 'DELETE', url: '/api/v1/feeds/emerging-threats/data', headers: h.auth(reader.key) })).statusCode, 403);
    const fake = h.deps.scheduler as unknown as { busy: Set<string> };
    fake.busy.add('emerging-threats');
    const busy = await h.app.inject({ method: 'DELETE', url: '/api/v1/feeds/emerging-threats/data', headers: h.auth() });
    assert.equal(busy.statusCode, 409, busy.body);
    assert.equal(busy.json().error.code, 'conflict');
    assert.equal(busy.headers['retry-after'], '30');
    fake.busy.delete('emerging-threats');
    const purged = await h.app.inject({ method: 'DELETE', url: '/api/v1/feeds/emerging-threats/data', headers: h.auth() });
    assert.equal(purged.statusCode, 200, purged.body);
    assert.ok(purged.json().removed >= 1);
    assert.equal(purged.json().feed_id, 'emerging-threats');
    assert.ok(!(await look()).sources.some((s: { feed_name: string }) => s.feed_name === 'Emerging Threats'), 'no cached answer serves purged data');
    const unknown = await h.app.inject({ method: 'DELETE', url: '/api/v1/feeds/nope/data', headers: h.auth() });
    assert.equal(unknown.statusCode, 404);
  });

  test('overrides: put, get (normalized), list, delete; bad input is a 400', async () => {
    const put = await h.app.inject({
      method: 'PUT',
      url: `/api/v1/overrides/url/${encodeURIComponent('hxxp://Evil.EXAMPLE.com/login')}`,
      headers: h.auth(),
      payload: { verdict: 'deny', reason: 'phishing seen internally' },
    });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(put.json().value, 'http://evil.example.com/login');
    assert.match(put.json().created_by, /^key_/);
    const got = await h.app.inject({ method: 'GET', url: `/api/v1/overrides/url/${encodeURIComponent('http://evil.example.com/login')}`, headers: h.auth() });
    assert.equal(got.statusCode, 200, got.body);
    assert.equal(got.json().verdict, 'deny');
    const list = await h.app.inject({ method: 'GET', url: '/api/v1/overrides', headers: h.auth() });
    assert.equal(list.json().overrides.length, 1);
    const badVerdict = await h.app.inject({ method: 'PUT', url: '/api/v1/overrides/ipv4/192.0.2.1', headers: h.auth(), payload: { verdict: 'maybe', reason: 'x' } });
    assert.equal(badVerdict.json().error.code, 'invalid_parameter');
    const badType = await h.app.inject({ method: 'PUT', url: '/api/v1/overrides/ipv9/192.0.2.1', headers: h.auth(), payload: { verdict: 'allow', reason: 'x' } });
    assert.equal(badType.json().error.code, 'invalid_parameter');
    const badValue = await h.app.inject({ method: 'PUT', url: '/api/v1/overrides/ipv4/not-an-ip', headers: h.auth(), payload: { verdict: 'allow', reason: 'x' } });
    assert.equal(badValue.json().error.code, 'invalid_indicator');
    const del = await h.app.inject({ method: 'DELETE', url: `/api/v1/overrides/url/${encodeURIComponent('http://evil.example.com/login')}`, headers: h.auth() });
    assert.equal(del.statusCode, 204);
    const gone = await h.app.inject({ method: 'GET', url: `/api/v1/overrides/url/${encodeURIComponent('http://evil.example.com/login')}`, headers: h.auth() });
    assert.equal(gone.statusCode, 404);
    const reader = await h.createKey('pro');
    const refused = await h.app.inject({ method: 'GET', url: '/api/v1/overrides', headers: h.auth(reader.key) });
    assert.equal(refused.statusCode, 403);
  });
});
