import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHarness, type Harness } from '../http/harness.ts';
import { seed, stixValidators } from './helpers.ts';

const validators = stixValidators();

describe('GET /api/v1/lookup/export', () => {
  let h: Harness;
  let exportKey: string;
  let lookupKey: string;
  before(async () => {
    h = await makeHarness();
    await seed(h);
    exportKey = (await h.createKey('pro', ['read:export'])).key;
    lookupKey = (await h.createKey('pro', ['read:lookup'])).key;
  });
  after(() => h.close());

  const get = (query: string, key = exportKey) => h.app.inject({ method: 'GET', url: `/api/v1/lookup/export?${query}`, headers: h.auth(key) });

  test('format=stix answers a valid STIX 2.1 bundle of the lookup, as an attachment', async () => {
    const res = await get('value=203.0.113.77&format=stix');
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /^application\/stix\+json;version=2\.1/);
    assert.match(String(res.headers['content-disposition']), /attachment; filename="verdict-ipv4\.json"/);
    const bundle = res.json() as { objects: { type: string; pattern?: string }[] };
    assert.ok(validators.bundle(bundle), JSON.stringify(validators.bundle.errors?.slice(0, 3)));
    assert.ok(bundle.objects.some((o) => o.type === 'indicator' && o.pattern === "[ipv4-addr:value = '203.0.113.77']"));
  });

  test('defanged input and every format answer 200 with the right media type', async () => {
    const types: Record<string, RegExp> = { stix: /stix\+json/, misp: /application\/json/, cef: /text\/plain/, syslog: /text\/plain/, openioc: /application\/xml/, sigma: /application\/yaml/ };
    for (const [format, type] of Object.entries(types)) {
      const res = await get(`value=203[.]0[.]113[.]77&format=${format}`);
      assert.equal(res.statusCode, 200, `${format}: ${res.body}`);
      assert.match(String(res.headers['content-type']), type, format);
      assert.ok(res.body.includes('203.0.113.77'), `${format} names the indicator`);
    }
  });

  test('tlp=red marks everything red; a TLP of another name is a 400 naming the allowed ones', async () => {
    const res = await get('value=evil.example.com&format=misp&tlp=red');
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().Event.Tag[0], { name: 'tlp:red' });
    const bad = await get('value=evil.example.com&format=misp&tlp=purple');
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'invalid_parameter');
    assert.deepEqual(bad.json().error.details.allowed, ['clear', 'green', 'amber', 'amber+strict', 'red']);
  });

  test('bad input: no value, no format, an unknown format, an invalid indicator — each a 400 in the envelope', async () => {
    const cases: [string, string, string][] = [
      ['format=stix', 'missing_parameter', 'value'],
      ['value=203.0.113.77', 'missing_parameter', 'format'],
      ['value=203.0.113.77&format=pdf', 'invalid_parameter', 'format'],
      ['value=203.0.113.77&format=stix&type=colour', 'invalid_parameter', 'type'],
    ];
    for (const [q, code, parameter] of cases) {
      const res = await get(q);
      assert.equal(res.statusCode, 400, q);
      assert.equal(res.json().error.code, code, q);
      assert.equal(res.json().error.details.parameter, parameter, q);
    }
    const invalid = await get('value=not%20an%20indicator&type=ipv4&format=stix');
    assert.equal(invalid.statusCode, 400);
    assert.equal(invalid.json().error.code, 'invalid_indicator');
  });

  test('security: no key is 401, a key without read:export is 403', async () => {
    const none = await h.app.inject({ method: 'GET', url: '/api/v1/lookup/export?value=203.0.113.77&format=stix' });
    assert.equal(none.statusCode, 401);
    const res = await get('value=203.0.113.77&format=stix', lookupKey);
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error.code, 'insufficient_scope');
    assert.equal(res.json().error.details.required, 'read:export');
  });
});
