/**
 * `related.network` through the lookup as clients get it: GET /api/v1/lookup on the real app and
 * store (harness), the OpenAPI document generated from the route schema, and `verdict lookup`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeHarness, type Harness } from '../http/harness.ts';

const NETWORK_FIELDS = ['asn', 'as_name', 'range', 'country', 'as_of', 'attribution'];

describe('related.network in GET /api/v1/lookup', () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(() => h.close());
  const lookup = async (query: string) => {
    const res = await h.app.inject({ method: 'GET', url: `/api/v1/lookup?${query}`, headers: h.auth() });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  };

  test('an IPv4 and an IPv6 lookup carry the AS, range, country, date and attribution', async () => {
    const v4 = (await lookup('value=8.8.8.8')).related.network;
    assert.deepEqual(Object.keys(v4), NETWORK_FIELDS, 'in schema order, nothing else');
    assert.deepEqual([v4.asn, v4.range, v4.country], ['AS15169', '8.8.8.0/24', 'US']);
    assert.match(v4.as_name, /Google/);
    assert.match(v4.as_of, /^\d{4}-\d{2}-\d{2}$/);
    assert.match(v4.attribution, /CC BY 4\.0/);
    const v6 = (await lookup('value=2606:4700:4700::1111&type=ipv6')).related.network;
    assert.deepEqual([v6.asn, v6.country], ['AS13335', 'US']);
  });

  test('a private address has no network and says so; an IPv4-mapped one names its IPv4 address', async () => {
    const priv = (await lookup('value=192.168.10.1')).related.network;
    assert.deepEqual([priv.asn, priv.as_name, priv.country, priv.special, priv.range], [null, null, null, 'private', '192.168.0.0/16']);
    assert.match(priv.note, /private address \(RFC 1918\)/);
    const mapped = (await lookup('value=::ffff:1.1.1.1')).related.network;
    assert.deepEqual([mapped.asn, mapped.ipv4], ['AS13335', '1.1.1.1']);
  });

  test('other types have no network', async () => {
    for (const q of ['value=CVE-2021-44228', 'value=evil.example.com', 'value=http://8.8.8.8/x']) assert.equal((await lookup(q)).related.network, undefined, q);
  });

  test('the OpenAPI document describes related.network', async () => {
    const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const related = doc.paths['/api/v1/lookup'].get.responses['200'].content['application/json'].schema.properties.related;
    assert.deepEqual(Object.keys(related.properties.network.properties), [...NETWORK_FIELDS.slice(0, 5), 'special', 'ipv4', 'note', 'attribution']);
    assert.ok(related.properties.network.required.includes('attribution'));
  });
});

describe('verdict lookup prints the network', () => {
  const BIN = fileURLToPath(new URL('../../bin/verdict.js', import.meta.url));
  let dir: string;
  let env: NodeJS.ProcessEnv;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'verdict-network-cli-'));
    env = { ...process.env, VERDICT_DATABASE_URL: join(dir, 'verdict.db'), VERDICT_LOG_LEVEL: 'warn' };
    // a lookup reads an existing store only: listing keys creates it
    assert.equal(spawnSync(process.execPath, [BIN, 'keys', 'list'], { env }).status, 0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const run = (...args: string[]) => spawnSync(process.execPath, [BIN, 'lookup', ...args], { env, encoding: 'utf8', timeout: 30_000 });

  test('for a person: one line with the AS, range and country, and the attribution', () => {
    const r = run('9.9.9.9');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\n {2}network {5}AS19281 Quad9, 9\.9\.9\.0\/24, US \(tables of \d{4}-\d{2}-\d{2}\)\n {14}IP to AS: RouteViews, NRO and DB-IP data \(CC BY 4\.0/);
    const priv = run('10.1.1.1');
    assert.match(priv.stdout, /network {5}none \(tables of [\d-]+\); 10\.1\.1\.1 is a private address \(RFC 1918\)/);
  });

  test('--json: the API response', () => {
    const r = run('2001:4860:4860::8888', '--json');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).related.network.asn, 'AS15169');
  });
});
