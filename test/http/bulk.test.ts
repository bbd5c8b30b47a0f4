import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHarness, type Harness } from './harness.ts';
import { createBulkLookup } from '../../src/bulk.ts';
import type { HuntingQueryBuilder } from '../../src/model.ts';

const json = { 'content-type': 'application/json' };

describe('POST /api/v1/lookup/bulk', () => {
  let h: Harness;
  let pro: string;
  let free: string;
  before(async () => {
    h = await makeHarness();
    await h.ingest('cisa-alerts', [
      { type: 'ipv4', value: '203.0.113.7', threatType: 'botnet_cc', malwareFamily: 'Emotet' },
      { type: 'domain', value: 'evil-bulk.com', threatType: 'phishing' },
      { type: 'cidr', value: '198.51.100.0/24', threatType: 'hijacked_range' },
      { type: 'url', value: 'http://bad-host.net/x' },
    ]);
    await h.ingest('emerging-threats', [{ type: 'ipv4', value: '203.0.113.7', threatType: 'botnet_cc', confidence: 80 }]);
    pro = (await h.createKey('pro')).key;
    free = (await h.createKey('free')).key;
  });
  after(() => h.close());

  const post = (body: unknown, key = pro, headers: Record<string, string> = {}) =>
    h.app.inject({ method: 'POST', url: '/api/v1/lookup/bulk', headers: { ...h.auth(key), ...json, ...headers }, payload: JSON.stringify(body) });
  const single = async (value: string, type?: string) => {
    const res = await h.app.inject({ method: 'GET', url: `/api/v1/lookup?value=${encodeURIComponent(value)}${type ? `&type=${type}` : ''}`, headers: h.auth(pro) });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  };

  test('each result is the single lookup\'s object, in input order, with per-item errors and duplicates answered once', async () => {
    const values = ['203.0.113.7', { value: 'evil-bulk[.]com', type: 'domain' }, 'not an indicator', '198.51.100.20', ' 203.0.113.7 ', 'a.b.evil-bulk.com', { value: 'x.com', type: 'hash' }, 'http://bad-host.net/x/y'];
    const res = await post({ values });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const body = res.json();
    assert.equal(body.results.length, 7, 'the repeated 203.0.113.7 is answered once');
    assert.deepEqual(body.results[0], await single('203.0.113.7'));
    assert.deepEqual(body.results[1], await single('evil-bulk.com', 'domain'));
    assert.equal(body.results[2].error.code, 'invalid_indicator');
    assert.equal(body.results[2].error.details.index, 2);
    assert.equal(body.results[2].error.details.value, 'not an indicator');
    assert.deepEqual(body.results[3], await single('198.51.100.20'));
    assert.equal(body.results[3].sources[0].match, 'range');
    assert.deepEqual(body.results[4], await single('a.b.evil-bulk.com'));
    assert.equal(body.results[4].sources[0].match, 'parent_domain');
    assert.equal(body.results[5].error.code, 'invalid_parameter');
    assert.equal(body.results[5].error.details.parameter, 'type');
    assert.deepEqual(body.results[6], await single('http://bad-host.net/x/y'));
    assert.deepEqual(body.summary, {
      total: 8,
      answered: 7,
      duplicates: 1,
      errors: 2,
      found: 4,
      by_type: { ipv4: 2, domain: 2, url: 1 },
      by_level: body.summary.by_level,
    });
    const levels = Object.values(body.summary.by_level as Record<string, number>).reduce((a, b) => a + b, 0);
    assert.equal(levels, 5, 'every result has a level, found or not');
    assert.equal(body.summary.by_level.critical, body.results.filter((r: { risk_score?: string }) => r.risk_score === 'critical').length);
  });

  test("an analyst's override applies in bulk as in the single lookup", async () => {
    const put = await h.app.inject({ method: 'PUT', url: '/api/v1/overrides/ipv4/203.0.113.7', headers: h.auth(), payload: { verdict: 'allow', reason: 'our scanner' } });
    assert.equal(put.statusCode, 200, put.body);
    try {
      const body = (await post({ values: ['203.0.113.7', '198.51.100.20'] })).json();
      assert.ok(body.results[0].risk.factors.some((f: { kind: string }) => f.kind === 'override'), 'the override is among the factors');
      assert.deepEqual(body.results[0], await single('203.0.113.7'));
      assert.ok(!body.results[1].risk.factors.some((f: { kind: string }) => f.kind === 'override'));
    } finally {
      await h.app.inject({ method: 'DELETE', url: '/api/v1/overrides/ipv4/203.0.113.7', headers: h.auth() });
    }
  });

  test('the store is read in batches, not value by value', async () => {
    const calls = { one: 0, many: 0, ranges: 0, manyRanges: 0 };
    const store = h.store as unknown as Record<string, (...a: unknown[]) => unknown>;
    const orig = { one: store['sightingsOf']!, many: store['sightingsOfMany']!, ranges: store['rangesContaining']!, manyRanges: store['rangesContainingMany']! };
    store['sightingsOf'] = (...a) => (calls.one++, orig.one(...a));
    store['sightingsOfMany'] = (...a) => (calls.many++, orig.many(...a));
    store['rangesContaining'] = (...a) => (calls.ranges++, orig.ranges(...a));
    store['rangesContainingMany'] = (...a) => (calls.manyRanges++, orig.manyRanges(...a));
    try {
      const values = [...Array.from({ length: 300 }, (_, i) => `10.9.${i >> 8}.${i & 255}`), ...Array.from({ length: 300 }, (_, i) => `host${i}.sub.evil-bulk.com`)];
      const res = await post({ values });
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().results.length, 600);
      assert.equal(res.json().summary.found, 300, 'every subdomain found through its parent');
      assert.equal(calls.one, 0, 'no one-value read');
      assert.equal(calls.ranges, 0, 'no one-address range read');
      // two chunks of 500: per chunk one query per type read (ipv4, domain, asn at most)
      assert.ok(calls.many >= 2 && calls.many <= 6, `sightingsOfMany called ${calls.many} times`);
      assert.ok(calls.manyRanges >= 1 && calls.manyRanges <= 2, `rangesContainingMany called ${calls.manyRanges} times`);
    } finally {
      Object.assign(store, { sightingsOf: orig.one, sightingsOfMany: orig.many, rangesContaining: orig.ranges, rangesContainingMany: orig.manyRanges });
    }
  });

  test('NDJSON streams one line per result, then the summary', async () => {
    const values = ['203.0.113.7', 'bogus value', 'evil-bulk.com', '203.0.113.7'];
    const res = await post({ values }, pro, { accept: 'application/x-ndjson' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/x-ndjson/);
    const lines = res.body.trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 4);
    assert.deepEqual(lines[0], await single('203.0.113.7'));
    assert.equal(lines[1].error.code, 'invalid_indicator');
    assert.equal(lines[2].value, 'evil-bulk.com');
    assert.deepEqual(lines[3].summary.total, 4);
    assert.deepEqual(lines[3].summary.duplicates, 1);
  });

  test('a result is yielded before the next is computed: memory does not grow with the batch', async () => {
    // the real query builder, counted: it runs once per computed result
    let built = 0;
    const hunting: HuntingQueryBuilder = { build: (...a) => (built++, h.deps.hunting.build(...a)) };
    const run = createBulkLookup({ ...h.deps, hunting }).run(Array.from({ length: 200 }, (_, i) => `10.7.${i >> 8}.${i & 255}`));
    const first = await run.next();
    assert.equal(first.done, false);
    assert.equal(built, 1, 'only the first result is computed when the first is taken');
    await run.next();
    assert.equal(built, 2);
    let n = 2;
    while ((await run.next()).done !== true) n++;
    assert.equal(n, 200);
    assert.equal(built, 200);
  });

  test('the free tier has no bulk: 403 naming the tier', async () => {
    const res = await post({ values: ['203.0.113.7'] }, free);
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error.code, 'insufficient_scope');
    assert.match(res.json().error.message, /free tier/);
    assert.equal(res.json().error.details.tier, 'free');
  });

  test('more values than the tier allows: 413 naming the limit', async () => {
    const values = Array.from({ length: 10_001 }, (_, i) => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
    const res = await post({ values });
    assert.equal(res.statusCode, 413, res.body);
    assert.equal(res.json().error.details.limit, 10_000);
    assert.equal(res.json().error.details.parameter, 'values');
    assert.match(res.json().error.message, /10000/);
  });

  test('related.reports and related_iocs are the single lookup\'s, read for many values at once', async () => {
    await h.store.reports.put({
      id: 'rep-bulk-1',
      feedId: 'internal-reports',
      title: 'Bulk report',
      url: 'https://example.org/bulk-report',
      published: '2026-01-02T00:00:00Z',
      fetched: '2026-01-03T00:00:00Z',
      indicators: [
        { type: 'ipv4', value: '203.0.113.7' },
        { type: 'domain', value: 'named-only-bulk.com' },
      ],
      attackIds: [],
      cves: [],
    });
    const values = ['named-only-bulk.com', '203.0.113.7', 'unnamed-bulk.com', 'evil-bulk.com'];
    const res = await post({ values });
    assert.equal(res.statusCode, 200, res.body);
    const results = res.json().results;
    for (const [i, v] of values.entries()) assert.deepEqual(results[i], await single(v), v);
    assert.deepEqual(results[0].related.reports.map((r: { id: string }) => r.id), ['rep-bulk-1']);
    assert.deepEqual(results[0].related.related_iocs.map((x: { value: string }) => x.value), ['203.0.113.7']);
    assert.equal(results[2].related.reports, undefined);
  });

  test('a malformed body is a 400 in the envelope, never a 500', async () => {
    for (const body of [{}, { values: { a: 1 } }, { values: [{ type: 'ipv4' }] }, { values: [], platforms: ['nope'] }]) {
      const res = await post(body);
      assert.equal(res.statusCode, 400, `${JSON.stringify(body)}: ${res.body}`);
      assert.ok(res.json().error.code === 'invalid_parameter' || res.json().error.code === 'missing_parameter', res.body);
    }
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/lookup/bulk', headers: { ...h.auth(pro), ...json }, payload: '{"values": [' });
    assert.equal(res.statusCode, 400);
    // numbers are read as text (JSON coercion): bad values of the batch, not a bad batch
    const coerced = await post({ values: [1, '203.0.113.7'] });
    assert.equal(coerced.statusCode, 200);
    assert.deepEqual(coerced.json().results.map((r: { error?: { code: string }; value?: string }) => r.error?.code ?? r.value), ['invalid_indicator', '203.0.113.7']);
  });
});

describe('POST /api/v1/lookup/bulk quotas', () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness({ env: { VERDICT_TIER_PRO_PER_DAY: '10', VERDICT_TIER_PRO_PER_MINUTE: '3', VERDICT_TIER_ENTERPRISE_MAX_RESULTS: '5' } });
  });
  after(() => h.close());

  test('each value counts against the daily quota, the call once against the minute', async () => {
    const { key } = await h.createKey('pro');
    const post = (values: string[]) =>
      h.app.inject({ method: 'POST', url: '/api/v1/lookup/bulk', headers: { ...h.auth(key), ...json }, payload: JSON.stringify({ values }) });
    const first = await post(['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5', '192.0.2.6']);
    assert.equal(first.statusCode, 200, first.body);
    assert.equal(first.headers['x-ratelimit-remaining'], '2', '3 per minute − 1 call; 10 per day − 6 values');
    // 4 left today: 5 values do not fit, and nothing is counted for them
    const refused = await post(['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5']);
    assert.equal(refused.statusCode, 429);
    assert.equal(refused.json().error.code, 'quota_exceeded');
    assert.equal(refused.json().error.details.limit, 10);
    assert.ok(Number(refused.headers['retry-after']) > 0);
    const fits = await post(['192.0.2.1', '192.0.2.2', '192.0.2.3']);
    assert.equal(fits.statusCode, 200, '1 + 2 values fill the day exactly; the refused call counted once');
    assert.equal(fits.headers['x-ratelimit-remaining'], '0');
    const fourth = await post(['192.0.2.1']);
    assert.equal(fourth.statusCode, 429);
  });

  test('tier limits come from the configuration', async () => {
    const { key } = await h.createKey('enterprise');
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/lookup/bulk', headers: { ...h.auth(key), ...json }, payload: JSON.stringify({ values: ['a.com', 'b.com', 'c.com', 'd.com', 'e.com', 'f.com'] }) });
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().error.details.limit, 5);
  });
});
