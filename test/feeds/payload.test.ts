import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { fetch } from 'undici';
import { refuseNonFeed } from '../../src/feeds/payload.ts';
import { FeedParseError, catalogFrom, runFeed } from '../../src/feeds/index.ts';
import { collect, quietLogger, tempStore } from './helpers.ts';
import { startServer } from './server.ts';

function chunked(text: string, size: number): AsyncIterable<Uint8Array> {
  const b = Buffer.from(text);
  const parts: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) parts.push(b.subarray(i, i + size));
  return Readable.from(parts);
}

test('HTML is recognised even when its first bytes arrive a few at a time', async () => {
  for (const page of ['  \n<!doctype html><html><body>x</body></html>', '<HTML>\n<head><title>Error</title></head></HTML>', '<body>blocked</body>']) {
    await assert.rejects(collect(refuseNonFeed(chunked(page, 3), 'plain-list')), FeedParseError, page);
  }
});

test('data that merely contains < or starts with XML-ish text passes through untouched', async () => {
  for (const text of ['198.51.100.1\n<not html>\n', '{"a": "<html>"}', '<?xml version="1.0"?><feed/>', 'ab']) {
    const out = Buffer.concat(await collect(refuseNonFeed(chunked(text, 2), 'x'))).toString();
    assert.equal(out, text);
  }
});

test('a credential named by authEnv is sent in the header named by authHeader', async () => {
  const server = await startServer();
  const t = await tempStore();
  server.route('/list.txt', (req, res) => {
    if (req.headers['auth-key'] !== 's3cret') {
      res.statusCode = 401;
      res.end();
      return;
    }
    res.end('198.51.100.9\n');
  });
  try {
    const def = catalogFrom([{ id: 'abuse', name: 'x', category: 'community', reliability: 'B', format: 'plain-list', url: `${server.url}/list.txt`, interval: 3600, mode: 'snapshot', enabled: true, license: 'x', options: { authEnv: 'TEST_KEY', authHeader: 'Auth-Key', retries: 0 } }]).get('abuse');
    assert.ok(def);
    const base = { store: t.store, logger: quietLogger, clock: () => new Date(), fetch, sleep: async () => {} };
    assert.equal((await runFeed(def, { kind: 'remote' }, { ...base, env: {} })).error, 'HTTP 401 Unauthorized');
    assert.equal((await runFeed(def, { kind: 'remote' }, { ...base, env: { TEST_KEY: 's3cret' } })).status, 'success');
  } finally {
    await t.cleanup();
    await server.close();
  }
});
