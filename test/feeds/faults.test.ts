/**
 * Fault tests: each one a loopback HTTP server serving the real DROP sample in some broken way,
 * a real SQLite store seeded by a good run, and the check that the failure is recorded and the
 * feed's data is exactly as before.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fetch } from 'undici';
import { runFeed, type RunEnv } from '../../src/feeds/index.ts';
import type { FeedDefinition } from '../../src/feeds/types.ts';
import type { Store } from '../../src/store/types.ts';
import { fixture, quietLogger, tempStore } from './helpers.ts';
import { startServer, type TestServer } from './server.ts';

const DROP = readFileSync(fixture('drop.txt'));
const DROP_ROWS = 1385;
const CAP = DROP.length * 2;
let server: TestServer;
let store: Store;
let cleanup: () => Promise<void>;
let clockMs = Date.parse('2026-11-30T12:00:00Z');
const sleeps: number[] = [];

function env(): RunEnv {
  return {
    store,
    logger: quietLogger,
    // each run one minute later, so runs have distinct start times
    clock: () => new Date((clockMs += 60_000)),
    fetch,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    fetchSettings: { timeoutMs: 400, maxBytes: CAP, retries: 2, backoffMs: 1000 },
  };
}

function def(path: string, extra: Partial<FeedDefinition> = {}): FeedDefinition {
  return { id: 'spamhaus-drop', name: 'Spamhaus DROP', category: 'commercial', reliability: 'A', format: 'spamhaus-drop', url: `${server.url}${path}`, interval: 3600, mode: 'snapshot', enabled: true, license: 'test', ...extra };
}

async function snapshot() {
  const state = await store.feedState('spamhaus-drop');
  return {
    listed: state?.listedCount,
    total: state?.totalCount,
    version: await store.dataVersion(),
    sample: await store.sightingsOf('cidr', '1.10.16.0/20'),
  };
}

/** Runs a broken feed and checks: failure recorded with the expected error, data unchanged. */
async function expectFailure(path: string, error: RegExp, extra: Partial<FeedDefinition> = {}) {
  const before = await snapshot();
  const run = await runFeed(def(path, extra), { kind: 'remote' }, env());
  assert.equal(run.status, 'failure', `${path}: ${run.error}`);
  assert.match(run.error ?? '', error);
  assert.deepEqual(await snapshot(), before, 'the previous snapshot is untouched');
  const state = await store.feedState('spamhaus-drop');
  assert.equal(state?.lastRun?.status, 'failure', 'the failed run is recorded');
  assert.equal(state?.lastError, run.error);
  return run;
}

before(async () => {
  server = await startServer();
  ({ store, cleanup } = await tempStore());
  server.route('/drop.txt', (req, res) => {
    if (req.headers['if-none-match'] === '"v1"') {
      res.statusCode = 304;
      res.end();
      return;
    }
    res.setHeader('etag', '"v1"');
    res.setHeader('last-modified', 'Fri, 17 Jan 2025 17:03:47 GMT');
    res.setHeader('content-type', 'text/plain');
    res.end(DROP);
  });
  server.route('/500', (_req, res) => {
    res.statusCode = 500;
    res.end('oops');
  });
  server.route('/slow', (_req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.write(DROP.subarray(0, 100));
    // never ends: the fetcher's timeout must fire
  });
  server.route('/reset', (req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.setHeader('content-length', String(DROP.length));
    res.write(DROP.subarray(0, DROP.length / 2), () => req.socket.destroy());
  });
  server.route('/truncated.gz', (_req, res) => {
    const gz = gzipSync(DROP);
    res.setHeader('content-type', 'application/gzip');
    res.end(gz.subarray(0, Math.floor(gz.length * 0.6)));
  });
  server.route('/drop.txt.gz', (_req, res) => {
    res.setHeader('content-type', 'application/gzip');
    res.end(gzipSync(DROP));
  });
  server.route('/drop.zip', (_req, res) => {
    res.setHeader('content-type', 'application/zip');
    res.end(readFileSync(fixture('drop-txt.zip')));
  });
  server.route('/login.html', (_req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end('<!DOCTYPE html><html><head><title>Sign in</title></head><body>Please log in</body></html>');
  });
  server.route('/html-as-text', (_req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end('\n<html>\n<head><title>503 Service Temporarily Unavailable</title></head><body></body></html>\n');
  });
  server.route('/big', (_req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(Buffer.concat(Array.from({ length: 10 }, () => DROP)));
  });
  server.route('/big-chunked', (_req, res) => {
    res.setHeader('content-type', 'text/plain');
    let i = 0;
    const more = (): void => {
      if (i++ >= 10) {
        res.end();
        return;
      }
      res.write(DROP, more);
    };
    more();
  });
  server.route('/empty', (_req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end('; Spamhaus DROP List 2026/11/30 - (c) 2026 The Spamhaus Project SLU\n; EOF\n');
  });
  // the good run every fault is compared against
  const first = await runFeed(def('/drop.txt'), { kind: 'remote' }, env());
  assert.equal(first.status, 'success', first.error ?? '');
});

after(async () => {
  await cleanup();
  await server.close();
});

describe('a good feed', () => {
  test('the first run stored every range; an IP inside a DROP range finds it', async () => {
    const state = await store.feedState('spamhaus-drop');
    assert.equal(state?.listedCount, DROP_ROWS);
    assert.equal(state?.etag, '"v1"');
    const ranges = await store.rangesContaining('1.10.20.30');
    assert.deepEqual(ranges.map((r) => [r.value, r.threatType, r.attributes.sbl]), [['1.10.16.0/20', 'hijacked_range', 'SBL256894']]);
  });

  test('conditional GET: the next run sends If-None-Match and records not_modified', async () => {
    const run = await runFeed(def('/drop.txt'), { kind: 'remote' }, env());
    assert.equal(run.status, 'not_modified');
    const last = server.requests.filter((r) => r.path === '/drop.txt').at(-1);
    assert.equal(last?.headers['if-none-match'], '"v1"');
    assert.equal(last?.headers['if-modified-since'], 'Fri, 17 Jan 2025 17:03:47 GMT');
  });

  test('gzip and zip downloads are unpacked as streams and change nothing when the content is the same', async () => {
    for (const path of ['/drop.txt.gz', '/drop.zip']) {
      const before = await snapshot();
      const run = await runFeed(def(path), { kind: 'remote' }, env());
      assert.equal(run.status, 'success', `${path}: ${run.error}`);
      assert.deepEqual({ ...run.result }, { received: DROP_ROWS, added: 0, updated: 0, unchanged: DROP_ROWS, delisted: 0 }, path);
      assert.equal((await snapshot()).listed, before.listed);
    }
  });
});

describe('faults leave the previous data as it was and record the failure', () => {
  test('HTTP 500 is retried with backoff, then fails', async () => {
    sleeps.length = 0;
    const hitsBefore = server.hits.get('/500') ?? 0;
    await expectFailure('/500', /HTTP 500/);
    assert.equal((server.hits.get('/500') ?? 0) - hitsBefore, 3, 'one try and two retries');
    assert.deepEqual(sleeps, [1000, 2000], 'exponential backoff');
  });

  test('HTTP 404 is not retried', async () => {
    const hitsBefore = server.hits.get('/missing') ?? 0;
    await expectFailure('/missing', /HTTP 404/);
    assert.equal((server.hits.get('/missing') ?? 0) - hitsBefore, 1);
  });

  test('a server that stops sending times out', async () => {
    await expectFailure('/slow', /timed out after 400 ms/, { options: { retries: 0 } });
  });

  test('connection reset mid-body', async () => {
    await expectFailure('/reset', /transfer failed|terminated|other side closed|request failed/i, { options: { retries: 0 } });
  });

  test('a truncated gzip', async () => {
    await expectFailure('/truncated.gz', /unpacking the gzip body failed.*unexpected end of file/i);
  });

  test('an HTML page instead of the list (by content type, and by content)', async () => {
    await expectFailure('/login.html', /HTML page/);
    await expectFailure('/html-as-text', /HTML page/);
  });

  test('a body ten times the size cap (declared length, and chunked)', async () => {
    await expectFailure('/big', /exceeds the size cap/);
    await expectFailure('/big-chunked', /exceeds the size cap/);
  });

  test('a feed that suddenly has zero rows is suspect: the old snapshot stays listed', async () => {
    const run = await expectFailure('/empty', /suspect|drop|delist/i);
    assert.equal(run.result, null);
    const allowed = await runFeed(def('/empty', { options: { maxDropShare: 1 } }), { kind: 'remote' }, env());
    assert.equal(allowed.status, 'success', 'an operator can accept the drop by configuration');
    assert.equal(allowed.result?.delisted, DROP_ROWS);
    const sighting = (await store.sightingsOf('cidr', '1.10.16.0/20'))[0];
    assert.equal(sighting?.listed, false, 'delisted, history kept');
    const back = await runFeed(def('/drop.txt', { options: {} }), { kind: 'remote' }, { ...env() });
    assert.ok(back.status === 'success' || back.status === 'not_modified');
  });
});
