import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHarness, type Harness } from '../http/harness.ts';
import { seed, stixValidators } from './helpers.ts';

const validators = stixValidators();

describe('GET /api/v1/iocs/{stix,misp,cef,syslog,openioc,sigma}', () => {
  let h: Harness;
  let exportKey: string;
  before(async () => {
    h = await makeHarness();
    await seed(h);
    exportKey = (await h.createKey('pro', ['read:export'])).key;
  });
  after(() => h.close());

  const get = (path: string, key = exportKey) => h.app.inject({ method: 'GET', url: `/api/v1/iocs/${path}`, headers: h.auth(key) });

  test('stix: the whole catalogue as a valid bundle; filters narrow it', async () => {
    const res = await get('stix');
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /^application\/stix\+json;version=2\.1/);
    const bundle = res.json() as { objects: { type: string; id: string; pattern?: string }[] };
    assert.ok(validators.bundle(bundle), JSON.stringify(validators.bundle.errors?.slice(0, 3)));
    for (const o of bundle.objects) assert.ok(validators.of(o.type)(o), o.id);
    assert.equal(bundle.objects.filter((o) => o.type === 'indicator').length, 5, 'IP, domain, URL, hash, email');
    assert.equal(bundle.objects.filter((o) => o.type === 'vulnerability').length, 1, 'the CVE');
    const ips = (await get('stix?type=ipv4')).json() as { objects: { type: string; pattern?: string }[] };
    assert.deepEqual(ips.objects.filter((o) => o.type === 'indicator').map((o) => o.pattern), ["[ipv4-addr:value = '203.0.113.77']"]);
  });

  test('every format answers with its media type; misp holds one object per indicator', async () => {
    for (const f of ['misp', 'cef', 'syslog', 'openioc', 'sigma']) {
      const res = await get(`${f}?type=domain`);
      assert.equal(res.statusCode, 200, `${f}: ${res.body}`);
      assert.ok(res.body.includes('evil.example.com'), f);
      assert.ok(!res.body.includes('203.0.113.77'), `${f} is filtered`);
    }
    const misp = (await get('misp')).json() as { Event: { Object: unknown[] } };
    assert.equal(misp.Event.Object.length, 6);
  });

  test('bad filters and TLP are 400 in the envelope; no key 401; a key without read:export 403', async () => {
    const bad = await get('stix?type=colour');
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.details.parameter, 'type');
    const tlp = await get('cef?tlp=purple');
    assert.equal(tlp.statusCode, 400);
    assert.equal(tlp.json().error.details.parameter, 'tlp');
    assert.equal((await h.app.inject({ method: 'GET', url: '/api/v1/iocs/stix' })).statusCode, 401);
    const other = await h.createKey('pro', ['read:iocs']);
    const res = await get('stix', other.key);
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error.details.required, 'read:export');
  });
});
