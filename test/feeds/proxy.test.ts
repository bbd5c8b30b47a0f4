/**
 * Feed runs through an outbound proxy named by HTTP_PROXY / HTTPS_PROXY / NO_PROXY, against a
 * loopback proxy that speaks HTTP CONNECT (and wants Basic credentials when told to).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetch } from 'undici';
import { proxySettings } from '../../src/feeds/dispatcher.ts';
import { runFeed, type RunEnv } from '../../src/feeds/index.ts';
import type { FeedDefinition } from '../../src/feeds/types.ts';
import type { Store } from '../../src/store/types.ts';
import { fixture, quietLogger, tempStore } from './helpers.ts';
import { startServer, type TestServer } from './server.ts';

const TLS = fileURLToPath(new URL('../fixtures/tls/', import.meta.url));
const LIST = readFileSync(fixture('et-compromised-ips.txt'));

interface TestProxy {
  url: string;
  /** CONNECT targets, in order. */
  tunnels: string[];
  /** `user:password` the proxy wants, or null for none. */
  credentials: string | null;
  close(): Promise<void>;
}

async function startProxy(): Promise<TestProxy> {
  const sockets = new Set<Socket>();
  const p: TestProxy = { url: '', tunnels: [], credentials: null, close: async () => {} };
  const server: Server = createServer((_req, res) => {
    res.statusCode = 405; // this proxy only tunnels
    res.end();
  });
  server.on('connect', (req, client: Socket) => {
    const auth = req.headers['proxy-authorization'];
    if (p.credentials !== null && auth !== `Basic ${Buffer.from(p.credentials).toString('base64')}`) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    p.tunnels.push(String(req.url));
    const [host, port] = String(req.url).split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    sockets.add(upstream);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  p.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  p.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return p;
}

let proxy: TestProxy;
let plain: TestServer;
let mtls: TestServer;
let store: Store;
let cleanup: () => Promise<void>;

before(async () => {
  proxy = await startProxy();
  plain = await startServer();
  plain.route('/list.txt', (_req, res) => res.end(LIST));
  mtls = await startServer({
    tls: { key: readFileSync(join(TLS, 'server.key')), cert: readFileSync(join(TLS, 'server.pem')), ca: readFileSync(join(TLS, 'ca.pem')), requestCert: true, rejectUnauthorized: true },
  });
  mtls.route('/list.txt', (_req, res) => res.end(LIST));
  ({ store, cleanup } = await tempStore());
});

after(async () => {
  await cleanup();
  await Promise.all([proxy.close(), plain.close(), mtls.close()]);
});

const settings = { timeoutMs: 5000, maxBytes: 1_000_000, retries: 0, backoffMs: 0 };
const envWith = (vars: Record<string, string>): RunEnv => ({ store, logger: quietLogger, clock: () => new Date(), fetch, sleep: async () => {}, env: vars, fetchSettings: settings });
const listFeed = (id: string, url: string, options: Record<string, unknown> = {}): FeedDefinition => ({
  id, name: id, category: 'community', reliability: 'C', format: 'plain-list', url, interval: 3600, mode: 'snapshot', enabled: true, license: 'test', options: { type: 'ipv4', ...options },
});
const port = (s: TestServer): string => new URL(s.url).port;

test('HTTP_PROXY: a feed is fetched through the proxy', async () => {
  const before = proxy.tunnels.length;
  const run = await runFeed(listFeed('via-proxy', `${plain.url}/list.txt`), { kind: 'remote' }, envWith({ HTTP_PROXY: proxy.url }));
  assert.equal(run.status, 'success', run.error ?? '');
  assert.ok((run.result?.added ?? 0) > 100);
  assert.deepEqual(proxy.tunnels.slice(before), [`127.0.0.1:${port(plain)}`]);
});

test('NO_PROXY: a listed host is reached directly', async () => {
  const before = proxy.tunnels.length;
  const hits = plain.hits.get('/list.txt') ?? 0;
  const run = await runFeed(listFeed('direct', `${plain.url}/list.txt`), { kind: 'remote' }, envWith({ http_proxy: proxy.url, no_proxy: 'localhost,127.0.0.1' }));
  assert.equal(run.status, 'success', run.error ?? '');
  assert.equal(proxy.tunnels.length, before, 'the proxy saw nothing');
  assert.equal(plain.hits.get('/list.txt'), hits + 1);
});

test('an https feed with only HTTP_PROXY set goes through it; an http feed with only HTTPS_PROXY set does not', async () => {
  const before = proxy.tunnels.length;
  const tls = { caFile: join(TLS, 'ca.pem'), certFile: join(TLS, 'client.pem'), keyFile: join(TLS, 'client.key') };
  const viaHttp = await runFeed(listFeed('https-via-http-proxy', `${mtls.url}/list.txt`, { tls }), { kind: 'remote' }, envWith({ HTTP_PROXY: proxy.url }));
  assert.equal(viaHttp.status, 'success', viaHttp.error ?? '');
  assert.equal(proxy.tunnels.length, before + 1);
  const direct = await runFeed(listFeed('http-direct', `${plain.url}/list.txt`), { kind: 'remote' }, envWith({ HTTPS_PROXY: proxy.url }));
  assert.equal(direct.status, 'success', direct.error ?? '');
  assert.equal(proxy.tunnels.length, before + 1, 'HTTPS_PROXY is for https feeds only');
});

test('HTTPS_PROXY with a client certificate: the certificate goes through the tunnel to the feed', async () => {
  const before = proxy.tunnels.length;
  const tls = { certFile: join(TLS, 'client.pem'), keyFile: join(TLS, 'client.key'), caFile: join(TLS, 'ca.pem') };
  const run = await runFeed(listFeed('mtls-proxy', `${mtls.url}/list.txt`, { tls }), { kind: 'remote' }, envWith({ HTTPS_PROXY: proxy.url }));
  assert.equal(run.status, 'success', run.error ?? '');
  assert.deepEqual(proxy.tunnels.slice(before), [`127.0.0.1:${port(mtls)}`]);
});

test('proxy credentials in the URL are sent, and never appear in a run error', async () => {
  proxy.credentials = 'feeds:s3cret-pass';
  try {
    const authed = `http://feeds:s3cret-pass@${new URL(proxy.url).host}`;
    const ok = await runFeed(listFeed('auth-proxy', `${plain.url}/list.txt`), { kind: 'remote' }, envWith({ HTTP_PROXY: authed }));
    assert.equal(ok.status, 'success', ok.error ?? '');
    const wrong = `http://feeds:wrong-pass@${new URL(proxy.url).host}`;
    const refused = await runFeed(listFeed('auth-proxy', `${plain.url}/list.txt`), { kind: 'remote' }, envWith({ HTTP_PROXY: wrong }));
    assert.equal(refused.status, 'failure');
    assert.match(refused.error ?? '', /Proxy response \(407\)/);
    assert.doesNotMatch(refused.error ?? '', /wrong-pass/);
  } finally {
    proxy.credentials = null;
  }
});

test('a proxy that is down fails the run with the reason; a malformed proxy URL is named, not echoed with its password', async () => {
  const down = await runFeed(listFeed('proxy-down', `${plain.url}/list.txt`), { kind: 'remote' }, envWith({ HTTP_PROXY: 'http://127.0.0.1:9' }));
  assert.equal(down.status, 'failure');
  assert.match(down.error ?? '', /request failed/);
  const bad = await runFeed(listFeed('proxy-bad', `${plain.url}/list.txt`), { kind: 'remote' }, envWith({ HTTP_PROXY: 'user:hunter2@proxy.example:3128' }));
  assert.equal(bad.status, 'failure');
  assert.match(bad.error ?? '', /HTTP_PROXY must be the proxy's URL, http:\/\/\[user:password@\]host:port/);
  assert.doesNotMatch(bad.error ?? '', /hunter2/);
});

test('proxySettings reads the standard variables, lower case first', () => {
  assert.equal(proxySettings({}), null);
  assert.equal(proxySettings({ NO_PROXY: 'x' }), null, 'NO_PROXY alone changes nothing');
  assert.deepEqual(proxySettings({ HTTPS_PROXY: 'http://a:1', https_proxy: 'http://b:2', NO_PROXY: '.corp' }), { httpProxy: '', httpsProxy: 'http://b:2', noProxy: '.corp' });
  assert.deepEqual(proxySettings({ HTTP_PROXY: ' http://a:1 ' }), { httpProxy: 'http://a:1', httpsProxy: '', noProxy: '' });
});
