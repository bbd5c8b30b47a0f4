import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHarness, type Harness } from '../http/harness.ts';
import { seed, stixValidators } from './helpers.ts';

const validators = stixValidators();

type Bundle = { type: string; objects: { type: string; pattern?: string }[] };
const patterns = (b: Bundle) => b.objects.filter((o) => o.type === 'indicator').map((o) => o.pattern ?? '');

describe('POST /api/v1/lookup/export (a list of indicators)', () => {
  let h: Harness;
  let exportKey: string;
  let freeKey: string;
  let lookupKey: string;
  before(async () => {
    h = await makeHarness();
    await seed(h);
    exportKey = (await h.createKey('pro', ['read:export'])).key;
    freeKey = (await h.createKey('free', ['read:export'])).key;
    lookupKey = (await h.createKey('pro', ['read:lookup'])).key;
  });
  after(() => h.close());

  const post = (body: unknown, key = exportKey) =>
    h.app.inject({ method: 'POST', url: '/api/v1/lookup/export', headers: { ...h.auth(key), 'content-type': 'application/json' }, payload: JSON.stringify(body) });

  test('format=stix: one valid STIX 2.1 bundle with an indicator for each listed value and no other', async () => {
    const res = await post({ values: ['203.0.113.77', { value: 'evil[.]example[.]com', type: 'domain' }, '203.0.113.77'], format: 'stix' });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /^application\/stix\+json;version=2\.1/);
    assert.match(String(res.headers['content-disposition']), /attachment; filename="verdict-lookups\.json"/);
    const bundle = res.json() as Bundle;
    assert.ok(validators.bundle(bundle), JSON.stringify(validators.bundle.errors?.slice(0, 3)));
    assert.deepEqual(patterns(bundle).sort(), ["[domain-name:value = 'evil.example.com']", "[ipv4-addr:value = '203.0.113.77']"], 'each distinct value once, nothing else');
  });

  test('another format and a TLP are taken as the single export takes them', async () => {
    const res = await post({ values: ['evil.example.com', 'phish@evil.example.com'], format: 'misp', tlp: 'red' });
    assert.equal(res.statusCode, 200, res.body);
    const event = res.json().Event as { Tag: { name: string }[]; Object: unknown[] };
    assert.deepEqual(event.Tag[0], { name: 'tlp:red' });
    assert.ok(res.body.includes('phish@evil.example.com') && res.body.includes('evil.example.com'));
  });

  test('bad input: each a 400 in the envelope, before anything is looked up', async () => {
    const cases: [unknown, string][] = [
      [{ values: ['203.0.113.77'] }, 'invalid_parameter'],
      [{ values: ['203.0.113.77'], format: 'pdf' }, 'invalid_parameter'],
      [{ values: [], format: 'stix' }, 'invalid_parameter'],
      [{ values: ['203.0.113.77'], format: 'stix', tlp: 'purple' }, 'invalid_parameter'],
      [{ values: ['203.0.113.77', { value: '203.0.113.78', type: 'colour' }], format: 'stix' }, 'invalid_parameter'],
    ];
    for (const [body, code] of cases) {
      const res = await post(body);
      assert.equal(res.statusCode, 400, JSON.stringify(body));
      assert.equal(res.json().error.code, code, JSON.stringify(body));
    }
    const bad = await post({ values: ['203.0.113.77', 'not an indicator'], format: 'stix' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'invalid_indicator');
    assert.equal(bad.json().error.details.index, 1);
  });

  test('security and tiers: no key 401, no read:export 403, a free key (no bulk) 403', async () => {
    const none = await h.app.inject({ method: 'POST', url: '/api/v1/lookup/export', headers: { 'content-type': 'application/json' }, payload: '{"values":["203.0.113.77"],"format":"stix"}' });
    assert.equal(none.statusCode, 401);
    const scope = await post({ values: ['203.0.113.77'], format: 'stix' }, lookupKey);
    assert.equal(scope.statusCode, 403);
    assert.equal(scope.json().error.details.required, 'read:export');
    const free = await post({ values: ['203.0.113.77'], format: 'stix' }, freeKey);
    assert.equal(free.statusCode, 403);
    assert.equal(free.json().error.details.bulk, false);
  });
});
