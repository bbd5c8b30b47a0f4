/**
 * Feeds that authenticate the client with a certificate (mutual TLS, as CISA AIS's TAXII server
 * does), against a loopback HTTPS server that requires one signed by its CA. The certificates are
 * hand-made and test-only (test/fixtures/tls/make.sh).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { fetch } from 'undici';
import { checkDefinition, CatalogError } from '../../src/feeds/catalog.ts';
import { runFeed, type RunEnv } from '../../src/feeds/index.ts';
import { TAXII_MEDIA_TYPE } from '../../src/feeds/sources.ts';
import type { FeedDefinition } from '../../src/feeds/types.ts';
import type { Store } from '../../src/store/types.ts';
import { fixture, quietLogger, tempStore } from './helpers.ts';
import { startServer, type TestServer } from './server.ts';

const TLS = fileURLToPath(new URL('../fixtures/tls/', import.meta.url));
const pem = (name: string): string => join(TLS, name);
const OBJECTS = (JSON.parse(readFileSync(fixture('stix-relationships-handmade.json'), 'utf8')) as { objects: unknown[] }).objects;
const LIST = readFileSync(fixture('et-compromised-ips.txt'));
const COLLECTION = 'c0ffee00-0000-4000-8000-0000000000a1';

let server: TestServer;
let store: Store;
let cleanup: () => Promise<void>;
/** The common name of each client certificate the server accepted, in order. */
const clients: string[] = [];

before(async () => {
  server = await startServer({
    tls: { key: readFileSync(pem('server.key')), cert: readFileSync(pem('server.pem')), ca: readFileSync(pem('ca.pem')), requestCert: true, rejectUnauthorized: true },
  });
  ({ store, cleanup } = await tempStore());
  const seen = (req: import('node:http').IncomingMessage): void => {
    clients.push(String((req.socket as TLSSocket).getPeerCertificate().subject?.CN));
  };
  server.route('/taxii/collections/', (req, res) => {
    seen(req);
    res.setHeader('content-type', TAXII_MEDIA_TYPE);
    res.end(JSON.stringify({ collections: [{ id: COLLECTION, title: 'Indicators', can_read: true }] }));
  });
  server.route(`/taxii/collections/${COLLECTION}/objects/`, (req, res) => {
    seen(req);
    res.setHeader('content-type', TAXII_MEDIA_TYPE);
    res.end(JSON.stringify({ more: false, objects: OBJECTS }));
  });
  server.route('/list.txt', (req, res) => {
    seen(req);
    res.setHeader('content-type', 'text/plain');
    res.end(LIST);
  });
});

after(async () => {
  await cleanup();
  await server.close();
});

const settings = { timeoutMs: 5000, maxBytes: 1_000_000, retries: 0, backoffMs: 0 };
function envWith(vars: Record<string, string> = {}): RunEnv {
  return { store, logger: quietLogger, clock: () => new Date(), fetch, sleep: async () => {}, env: vars, fetchSettings: settings };
}
function taxiiFeed(id: string, tls: Record<string, string> | undefined): FeedDefinition {
  return {
    id, name: 'mTLS TAXII', category: 'government', reliability: 'C', format: 'taxii21', url: `${server.url}/taxii/`,
    interval: 3600, mode: 'incremental', enabled: true, license: 'test', options: tls === undefined ? {} : { tls },
  };
}
const PEM_CLIENT = { certFile: pem('client.pem'), keyFile: pem('client.key'), caFile: pem('ca.pem') };

test('a TAXII collection behind a client certificate: the run presents it and ingests the objects', async () => {
  const before = clients.length;
  const run = await runFeed(taxiiFeed('ais-pem', PEM_CLIENT), { kind: 'remote' }, envWith());
  assert.equal(run.status, 'success', run.error ?? '');
  assert.equal(run.result?.added, 4);
  assert.deepEqual(clients.slice(before), ['verdict-test-client', 'verdict-test-client'], 'collections, then objects');
  const [ip] = await store.sightingsOf('ipv4', '198.51.100.10');
  assert.equal(ip?.feedId, 'ais-pem');
  assert.deepEqual(ip?.attackIds, ['T1071.001']);
});

test('a PKCS#12 file with its passphrase from the environment works for any fetched format', async () => {
  const def: FeedDefinition = {
    id: 'mtls-list', name: 'mTLS list', category: 'community', reliability: 'C', format: 'plain-list', url: `${server.url}/list.txt`,
    interval: 3600, mode: 'snapshot', enabled: true, license: 'test',
    options: { type: 'ipv4', tls: { pfxFile: pem('client.p12'), passphraseEnv: 'TEST_P12_PASS', caFile: pem('ca.pem') } },
  };
  const run = await runFeed(def, { kind: 'remote' }, envWith({ TEST_P12_PASS: 'test-passphrase' }));
  assert.equal(run.status, 'success', run.error ?? '');
  assert.ok((run.result?.added ?? 0) > 100, `added ${run.result?.added}`);
  assert.equal(clients.at(-1), 'verdict-test-client');
});

test('the server refuses a run without a client certificate, or with one its CA did not sign; the data stays', async () => {
  const def = taxiiFeed('ais-pem', PEM_CLIENT);
  const stored = await store.feedState('ais-pem');
  const hits = server.hits.get(`/taxii/collections/`) ?? 0;
  for (const tls of [{ caFile: pem('ca.pem') }, { certFile: pem('stranger.pem'), keyFile: pem('stranger.key'), caFile: pem('ca.pem') }]) {
    const run = await runFeed({ ...def, options: { tls } }, { kind: 'remote' }, envWith());
    assert.equal(run.status, 'failure', JSON.stringify(tls));
    assert.match(run.error ?? '', /request failed: .*closes the connection like this when it gets none it accepts \(options\.tls\)/);
  }
  assert.equal(server.hits.get(`/taxii/collections/`) ?? 0, hits, 'no request got past the handshake');
  assert.equal((await store.sightingsOf('ipv4', '198.51.100.10'))[0]?.feedId, 'ais-pem');
  const state = await store.feedState('ais-pem');
  assert.equal(state?.listedCount, stored?.listedCount);
  assert.equal(state?.totalCount, 4);
  assert.equal(state?.lastSuccessAt, stored?.lastSuccessAt, 'the earlier success is still recorded');
  assert.match(state?.lastError ?? '', /request failed/);
});

test('without the CA file the test server is not trusted: the run fails on its certificate', async () => {
  const run = await runFeed(taxiiFeed('ais-untrusted', { certFile: pem('client.pem'), keyFile: pem('client.key') }), { kind: 'remote' }, envWith());
  assert.equal(run.status, 'failure');
  assert.match(run.error ?? '', /certificate/i);
});

test('a wrong or missing passphrase and an unreadable file fail before any request, naming the option', async () => {
  const p12 = { pfxFile: pem('client.p12'), passphraseEnv: 'TEST_P12_PASS', caFile: pem('ca.pem') };
  const requests = server.requests.length;
  const cases: [Record<string, string>, Record<string, string>, RegExp][] = [
    [p12, { TEST_P12_PASS: 'not-the-passphrase' }, /options\.tls: the client certificate cannot be used: .*(mac verify|decrypt|password)/i],
    [p12, {}, /options\.tls\.passphraseEnv: the environment variable TEST_P12_PASS is not set/],
    [{ ...PEM_CLIENT, keyFile: pem('missing.key') }, {}, /cannot read options\.tls\.keyFile .*missing\.key: no such file: .*missing\.key$/],
    [{ ...PEM_CLIENT, keyFile: pem('stranger.key') }, {}, /client certificate cannot be used: .*key values mismatch/i],
  ];
  for (const [tls, vars, error] of cases) {
    const run = await runFeed(taxiiFeed('ais-bad', tls), { kind: 'remote' }, envWith(vars));
    assert.equal(run.status, 'failure');
    assert.match(run.error ?? '', error);
  }
  assert.equal(server.requests.length, requests);
});

test('the catalog checks options.tls', () => {
  const entry = (tls: unknown, url = 'https://taxii.example.org/api/') => ({
    id: 'ais', name: 'AIS', category: 'government', reliability: 'C', format: 'taxii21', url, interval: 3600, options: { tls },
  });
  assert.equal(checkDefinition(entry({ certFile: '/c.pem', keyFile: '/k.pem', caFile: '/ca.pem', passphraseEnv: 'P' }), 'feeds.json').options?.tls !== undefined, true);
  assert.equal(checkDefinition(entry({ pfxFile: '/c.p12' }), 'feeds.json').id, 'ais');
  const bad: [unknown, string | undefined, RegExp][] = [
    ['/c.pem', undefined, /"options\.tls" must be an object/],
    [{ cert: '/c.pem' }, undefined, /unknown field "cert"/],
    [{ certFile: '/c.pem' }, undefined, /needs both "certFile" and "keyFile"/],
    [{ pfxFile: '/c.p12', certFile: '/c.pem', keyFile: '/k.pem' }, undefined, /either "pfxFile" or "certFile"/],
    [{ caFile: '/ca.pem', passphraseEnv: 'P' }, undefined, /passphraseEnv" needs a "keyFile" or "pfxFile"/],
    [{ certFile: '', keyFile: '/k.pem' }, undefined, /"options\.tls\.certFile" must be a non-empty string/],
    [{ pfxFile: '/c.p12' }, 'http://taxii.example.org/api/', /needs an https URL/],
  ];
  for (const [tls, url, message] of bad) {
    assert.throws(() => checkDefinition(entry(tls, url), 'feeds.json'), (err: unknown) => err instanceof CatalogError && message.test(err.message) && /feeds\.json feed "ais"/.test(err.message));
  }
});
