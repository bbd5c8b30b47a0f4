/**
 * A feed cannot be turned against Verdict: its credentials go to its own origin only, a redirect
 * (or a link from feed content) that leaves the origin may not reach loopback, private or metadata
 * addresses unless the feed allows it, redirects are bounded and never downgrade to plain http.
 * Against real loopback servers.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetch } from 'undici';
import { guardedLookup } from '../../src/feeds/dispatcher.ts';
import { isPublicAddress, refusal } from '../../src/feeds/egress.ts';
import { loadCatalog, runFeed, type RunEnv } from '../../src/feeds/index.ts';
import type { FeedDefinition } from '../../src/feeds/types.ts';
import type { Store } from '../../src/store/types.ts';
import { quietLogger, tempStore } from './helpers.ts';
import { startServer, type TestServer } from './server.ts';

const catalog = loadCatalog();
const env = (store: Store): RunEnv => ({ store, logger: quietLogger, clock: () => new Date('2026-11-30T12:00:00Z'), fetch, sleep: async () => {}, env: { VERDICT_ABUSECH_AUTH_KEY: 'secret-auth-key' } });
// a plain IPv4 list that sends the abuse.ch credential header and a custom one
const feed = (url: string, options: Record<string, unknown> = {}): FeedDefinition => ({
  ...(catalog.get('et-compromised') as FeedDefinition),
  url,
  options: { type: 'ipv4', threatType: 'compromised', authEnv: 'VERDICT_ABUSECH_AUTH_KEY', authHeader: 'Auth-Key', headers: { 'x-feed-token': 'custom-secret' }, retries: 0, ...options },
});

describe('redirects of a feed download', () => {
  let origin: TestServer;
  let elsewhere: TestServer;
  let t: Awaited<ReturnType<typeof tempStore>>;
  const seenElsewhere: IncomingMessage['headers'][] = [];

  before(async () => {
    origin = await startServer();
    elsewhere = await startServer();
    t = await tempStore();
    origin.route('/list.txt', (_req, res) => res.end('198.51.100.21\n'));
    origin.route('/moved', (_req, res) => {
      res.statusCode = 302;
      res.setHeader('location', '/list.txt');
      res.end();
    });
    origin.route('/away', (_req, res) => {
      res.statusCode = 302;
      res.setHeader('location', `${elsewhere.url}/list.txt`);
      res.end();
    });
    let n = 0;
    origin.route('/loop', (_req, res) => {
      res.statusCode = 307;
      res.setHeader('location', `/loop?${n++}`);
      res.end();
    });
    elsewhere.route('/list.txt', (req, res) => {
      seenElsewhere.push(req.headers);
      res.end('# a page of the internal network\n203.0.113.99\n');
    });
  });
  after(async () => {
    await t.cleanup();
    await origin.close();
    await elsewhere.close();
  });

  it('a redirect within the origin keeps the feed credentials', async () => {
    const run = await runFeed(feed(`${origin.url}/moved`, {}), { kind: 'remote' }, env(t.store));
    assert.equal(run.status, 'success', run.error ?? '');
    const last = origin.requests.filter((r) => r.path === '/list.txt').at(-1);
    assert.equal(last?.headers['auth-key'], 'secret-auth-key');
    assert.equal(last?.headers['x-feed-token'], 'custom-secret');
  });

  it('a redirect that leaves the origin for a loopback address is refused, and nothing of the target is read', async () => {
    const run = await runFeed(feed(`${origin.url}/away`, {}), { kind: 'remote' }, env(t.store));
    assert.equal(run.status, 'failure');
    assert.match(run.error ?? '', /redirect refused: http:\/\/127\.0\.0\.1:\d+ is outside the feed's origin and is not a public address \(set options\.allowPrivateNetworks to allow it\)/);
    assert.equal(elsewhere.hits.get('/list.txt') ?? 0, 0, 'the target was never asked');
    assert.ok(!(run.error ?? '').includes('internal network'));
    assert.deepEqual(run.rejectedSamples, []);
  });

  it('allowed to private networks, it is followed — without the credentials, which stay with their origin', async () => {
    const run = await runFeed(feed(`${origin.url}/away`, { allowPrivateNetworks: true, maxDropShare: 1 }), { kind: 'remote' }, env(t.store));
    assert.equal(run.status, 'success', run.error ?? '');
    const sent = seenElsewhere.at(-1);
    assert.ok(sent !== undefined);
    assert.equal(sent['auth-key'], undefined);
    assert.equal(sent['x-feed-token'], undefined);
    assert.equal(sent['user-agent'], 'Verdict feed fetcher');
  });

  it('at most 5 redirects', async () => {
    const run = await runFeed(feed(`${origin.url}/loop`, {}), { kind: 'remote' }, env(t.store));
    assert.equal(run.status, 'failure');
    assert.match(run.error ?? '', /more than 5 redirects/);
    assert.equal(origin.hits.get('/loop'), 6, 'the first request and five redirects');
  });
});

describe('https never redirects down to http', () => {
  const TLS = fileURLToPath(new URL('../fixtures/tls/', import.meta.url));
  it('a 301 from https to http is refused', async () => {
    const secure = await startServer({ tls: { key: readFileSync(join(TLS, 'server.key')), cert: readFileSync(join(TLS, 'server.pem')) } });
    const plain = await startServer();
    const t = await tempStore();
    try {
      plain.route('/list.txt', (_req, res) => res.end('198.51.100.22\n'));
      secure.route('/down', (_req, res) => {
        res.statusCode = 301;
        res.setHeader('location', `${plain.url}/list.txt`);
        res.end();
      });
      const run = await runFeed(feed(`${secure.url}/down`, { allowPrivateNetworks: true, tls: { caFile: join(TLS, 'ca.pem') } }), { kind: 'remote' }, env(t.store));
      assert.equal(run.status, 'failure');
      assert.match(run.error ?? '', /from https down to plain http/);
      assert.equal(plain.hits.get('/list.txt') ?? 0, 0);
    } finally {
      await t.cleanup();
      await secure.close();
      await plain.close();
    }
  });
});

describe('which addresses are outside', () => {
  const cases: [string, boolean][] = [
    ['127.0.0.1', false],
    ['10.20.30.40', false],
    ['192.168.1.1', false],
    ['172.16.0.1', false],
    ['169.254.169.254', false],
    ['100.100.100.200', false],
    ['0.0.0.0', false],
    ['::1', false],
    ['fe80::1', false],
    ['fd00:ec2::254', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:8.8.8.8', true],
    ['8.8.8.8', true],
    ['2606:4700:4700::1111', true],
    ['not an address', false],
  ];
  for (const [address, pub] of cases) it(`${address}: ${pub ? 'public' : 'not public'}`, () => assert.equal(isPublicAddress(address), pub));

  it('a name is judged by every address it resolves to; the feed origin is always allowed', async () => {
    const policy = (answers: string[] | Error) => ({
      trustedOrigin: 'https://feeds.example.org',
      allowPrivateNetworks: false,
      resolve: async () => {
        if (answers instanceof Error) throw answers;
        return answers;
      },
    });
    assert.equal(await refusal(new URL('https://feeds.example.org/x'), policy(['10.0.0.1'])), null, 'its own origin, even private');
    assert.equal(await refusal(new URL('https://cdn.example.net/x'), policy(['93.184.216.34'])), null);
    assert.match((await refusal(new URL('https://cdn.example.net/x'), policy(['93.184.216.34', '10.0.0.7']))) ?? '', /resolves to 10\.0\.0\.7, which is not a public address/);
    assert.match((await refusal(new URL('http://[::1]:8080/'), policy([]))) ?? '', /is not a public address/);
    assert.match((await refusal(new URL('https://nowhere.invalid/'), policy(new Error('ENOTFOUND')))) ?? '', /does not resolve/);
    assert.match((await refusal(new URL('file:///etc/passwd'), policy([]))) ?? '', /file: is not http or https/);
    assert.equal(await refusal(new URL('http://127.0.0.1:9/'), { ...policy([]), allowPrivateNetworks: true }), null);
  });

  it('at connect time, a name outside the feed host that resolves privately is refused', async () => {
    const lookup = guardedLookup('feeds.example.org', false);
    const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => lookup('localhost', { all: true }, (e) => resolve(e)));
    assert.match(err?.message ?? '', /localhost resolves to .* which is not a public address/);
    const trusted = guardedLookup('localhost', false);
    const ok = await new Promise<NodeJS.ErrnoException | null>((resolve) => trusted('localhost', { all: true }, (e) => resolve(e)));
    assert.equal(ok, null, "the feed's own host");
  });
});
