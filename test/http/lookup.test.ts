import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHarness, keysOf, type Harness } from './harness.ts';

const SEED_FIELDS = ['value', 'type', 'risk_score', 'confidence', 'mitre_techniques', 'hunting_queries', 'sources'];
const ALL_FIELDS = [...SEED_FIELDS, 'found', 'first_seen', 'last_seen', 'risk', 'threat_types', 'malware_families', 'tags', 'warninglists', 'related'];
const SOURCE_FIELDS = ['feed_name', 'category', 'first_seen', 'last_seen', 'threat_type', 'malware_family', 'confidence', 'reference_url', 'match', 'matched_value', 'date_source', 'listed', 'details'];

describe('GET /api/v1/lookup', () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
    // Given both seed feeds reported the seed's example IP
    await h.ingest('cisa-alerts', [{ type: 'ipv4', value: '192.0.2.1', threatType: 'botnet_cc', malwareFamily: 'Emotet', firstSeen: '2026-11-01T00:00:00Z', lastSeen: '2026-11-29T00:00:00Z', referenceUrl: 'https://example.org/a' }]);
    await h.ingest('emerging-threats', [{ type: 'ipv4', value: '192.0.2.1', threatType: 'botnet_cc', confidence: 80, firstSeen: '2026-10-15T00:00:00Z', lastSeen: '2026-11-20T00:00:00Z' }]);
    await h.ingest('cisa-alerts', [{ type: 'domain', value: 'evil.example.com', threatType: 'phishing' }]);
  });
  after(() => h.close());

  const get = (query: string, headers: Record<string, string> = h.auth()) => h.app.inject({ method: 'GET', url: `/api/v1/lookup?${query}`, headers });

  test('the seed example request returns exactly the seed shape, seed fields first and in order', async () => {
    const res = await get('value=192.0.2.1&type=ipv4');
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.deepEqual(keysOf(body), ALL_FIELDS);
    assert.equal(body.value, '192.0.2.1');
    assert.equal(body.type, 'ipv4');
    // docs/scoring.md, at NOW = 2026-11-30T12:00Z:
    //   CISA Alerts: A (1.0) × no stated confidence (0.85) × decay 1 − 1.5/60 days = 0.975 → p 0.829
    //   Emerging Threats: B (0.85) × stated 80 (0.80) × decay 1 − 10.5/60 = 0.825 → p 0.561
    //   noisy-OR 1 − 0.171 × 0.439 = 0.925, × botnet_cc severity 1.0 → 92, which alone is critical;
    //   but 192.0.2.1 is TEST-NET-1, on the rfc5735 warning list, which caps at low: 29 (top of low).
    // Confidence: one fresh reliability-A source that states no confidence below 50 → high.
    assert.equal(body.risk_score, 'low');
    assert.equal(body.confidence, 'high');
    assert.equal(body.risk.score, 29);
    assert.deepEqual(
      body.risk.factors.filter((f: { kind: string }) => f.kind === 'corroboration' || f.kind === 'warninglist').map((f: Record<string, unknown>) => [f['kind'], f['combined'] ?? f['list_id']]),
      [['corroboration', 92], ['warninglist', 'rfc5735']],
      'critical by the evidence, capped by the warning list',
    );
    assert.ok(Array.isArray(body.mitre_techniques));
    // the seed's {id, name} first; derived_from says how each technique was found
    for (const t of body.mitre_techniques) assert.deepEqual(keysOf(t), ['id', 'name', 'derived_from']);
    const ids = body.mitre_techniques.map((t: { id: string }) => t.id);
    assert.ok(ids.includes('T1071') && ids.includes('T1041'), `C2 techniques expected, got ${ids.join(', ')}`);
    assert.equal(body.mitre_techniques.find((t: { id: string }) => t.id === 'T1071').name, 'Application Layer Protocol');
    assert.equal(typeof body.hunting_queries.splunk, 'string');
    assert.equal(typeof body.hunting_queries.kql, 'string');
    assert.ok(body.hunting_queries.splunk.includes('192.0.2.1'));
    assert.deepEqual(
      body.sources.map((s: { feed_name: string; category: string }) => [s.feed_name, s.category]),
      [['CISA Alerts', 'government'], ['Emerging Threats', 'community']],
    );
    for (const s of body.sources) assert.deepEqual(keysOf(s), SOURCE_FIELDS);
    assert.equal(body.found, true);
    assert.equal(body.first_seen, '2026-10-15T00:00:00Z');
    assert.equal(body.last_seen, '2026-11-29T00:00:00Z');
    assert.equal(body.risk.level, body.risk_score);
    assert.ok(body.threat_types.includes('botnet_cc'));
    assert.match(res.headers['x-request-id'] as string, /^req_/);
    assert.equal(res.headers['x-ratelimit-limit'], '10000');
  });

  test('an unknown indicator is found:false, low, with empty arrays and hunting queries', async () => {
    const res = await get('value=203.0.113.77');
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.deepEqual(keysOf(body), ALL_FIELDS);
    assert.equal(body.found, false);
    assert.equal(body.confidence, 'low');
    assert.deepEqual(body.sources, []);
    assert.equal(body.first_seen, null);
    assert.equal(body.last_seen, null);
    assert.ok(body.hunting_queries.kql.includes('203.0.113.77'));
  });

  test('`ioc` is an alias of `value`, `mitre_attack` of `mitre-attack`, and defanged values are refanged', async () => {
    const a = await get('ioc=192.0.2.1');
    assert.equal(a.statusCode, 200, a.body);
    assert.equal(a.json().found, true);
    const b = await get('value=t1059.001&type=mitre_attack');
    assert.equal(b.statusCode, 200, b.body);
    assert.equal(b.json().type, 'mitre-attack');
    assert.equal(b.json().value, 'T1059.001');
    assert.equal(b.json().found, true, 'a technique in the ATT&CK catalog is known even without feed sightings');
    assert.equal(b.json().related.technique.name, 'Command and Scripting Interpreter: PowerShell');
    const c = await get(`value=${encodeURIComponent('  evil[.]example[.]com ')}`);
    assert.equal(c.statusCode, 200, c.body);
    assert.deepEqual([c.json().value, c.json().type, c.json().found], ['evil.example.com', 'domain', true]);
  });

  test('the key may come in X-API-Key', async () => {
    const res = await get('value=192.0.2.1', { 'x-api-key': h.adminKey });
    assert.equal(res.statusCode, 200, res.body);
  });

  test('extra hunting platforms are added to the seed two', async () => {
    const res = await get('value=192.0.2.1&platforms=sigma');
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(Object.keys(res.json().hunting_queries).sort(), ['kql', 'sigma', 'splunk']);
    const bad = await get('value=192.0.2.1&platforms=notasiem');
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'invalid_parameter');
  });

  // Bad input: each a 400 with the right code, never a 500.
  const BAD: [string, string, string][] = [
    ['no value', '', 'missing_parameter'],
    ['empty value', 'value=', 'missing_parameter'],
    ['blank value', 'value=%20%20', 'missing_parameter'],
    ['unknown type', 'value=192.0.2.1&type=ipv5', 'invalid_parameter'],
    ['a type named like a property of every object', 'value=192.0.2.1&type=constructor', 'invalid_parameter'],
    ['an unknown hunting platform', 'value=192.0.2.1&platforms=sigma,qradar', 'invalid_parameter'],
    ['value of the wrong type', 'value=192.0.2.1&type=domain', 'invalid_indicator'],
    ['not an indicator at all', 'value=hello', 'invalid_indicator'],
    ['2,049 characters', `value=${'a'.repeat(2049)}`, 'invalid_parameter'],
    ['a NUL byte', 'value=192.0.2.1%00', 'invalid_indicator'],
    ['invalid UTF-8 percent-encoding', 'value=%FF%FE', 'invalid_indicator'],
    ['a broken percent escape', 'value=%E0%A4%A', 'invalid_indicator'],
    ['control characters', 'value=evil%07.com', 'invalid_indicator'],
    ['a repeated value parameter', 'value=192.0.2.1&value=192.0.2.2', 'invalid_parameter'],
  ];
  for (const [name, query, code] of BAD) {
    test(`bad input: ${name} → 400 ${code}`, async () => {
      const res = await get(query);
      assert.equal(res.statusCode, 400, res.body);
      const body = res.json();
      assert.equal(body.error.code, code);
      assert.equal(body.error.request_id, res.headers['x-request-id']);
    });
  }

  test('unknown type lists the allowed types; a wrong-type value lists what was tried', async () => {
    const unknown = (await get('value=x&type=ipv5')).json();
    assert.ok(unknown.error.details.allowed.includes('ipv4'));
    assert.ok(unknown.error.details.allowed.includes('mitre_attack'));
    assert.match(unknown.error.message, /ipv4/);
    const wrong = (await get('value=192.0.2.1&type=domain')).json();
    assert.deepEqual(wrong.error.details.expected_types, ['domain']);
  });

  test('security: no key, a wrong key and a revoked key are refused before any lookup', async () => {
    assert.equal((await get('value=192.0.2.1', {})).json().error.code, 'missing_api_key');
    assert.equal((await get('value=192.0.2.1', h.auth('sk_live_' + 'x'.repeat(40)))).json().error.code, 'invalid_api_key');
    const { key, id } = await h.createKey('free');
    assert.equal((await get('value=192.0.2.1', h.auth(key))).statusCode, 200);
    assert.equal((await h.app.inject({ method: 'DELETE', url: `/api/v1/keys/${id}`, headers: h.auth() })).statusCode, 200);
    assert.equal((await get('value=192.0.2.1', h.auth(key))).json().error.code, 'invalid_api_key');
  });

  test('an analyst override takes part in the verdict', async () => {
    const put = await h.app.inject({ method: 'PUT', url: '/api/v1/overrides/ipv4/192.0.2.1', headers: h.auth(), payload: { verdict: 'allow', reason: 'our scanner' } });
    assert.equal(put.statusCode, 200, put.body);
    const res = await get('value=192.0.2.1');
    assert.equal(res.statusCode, 200);
    assert.ok(
      res.json().risk.factors.some((f: { kind: string }) => f.kind === 'override'),
      'the override shows among the risk factors',
    );
    const del = await h.app.inject({ method: 'DELETE', url: '/api/v1/overrides/ipv4/192.0.2.1', headers: h.auth() });
    assert.equal(del.statusCode, 204);
  });
});
