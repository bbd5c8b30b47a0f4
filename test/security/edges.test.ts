/**
 * The edges outside the app, over raw sockets to a real server: what Node's HTTP parser refuses
 * (unknown and lower-case methods, bad header bytes, headers too large) and requests that stall
 * come back in the catalog's envelope with a request id; a stalled body times out on every
 * route; a missing /docs/static file is a 404; `type=constructor` is an unknown type.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { rawRequest, parseResponse, type RawResponse } from '../http/raw.ts';
import { startTestServer, type TestServer } from './server.ts';

const TIMEOUT_MS = 500;

interface Envelope {
  error: { code: string; message: string; request_id: string; details?: Record<string, unknown> };
}

function envelope(res: RawResponse, status: number, code: string): Envelope {
  assert.equal(res.status, status, res.raw.toString('latin1').slice(0, 400));
  const body = JSON.parse(res.body) as Envelope;
  assert.deepEqual(Object.keys(body), ['error']);
  assert.equal(body.error.code, code);
  assert.equal(body.error.request_id, res.headers['x-request-id'], 'the body names the request the header names');
  assert.match(body.error.request_id, /^req_[A-Za-z0-9_-]{12,}$/);
  return body;
}

/** Sends a request whose body never completes; resolves with what came back and when the server closed the connection. */
function stall(port: number, head: string, partialBody: string): Promise<{ raw: Buffer; closedAfterMs: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1', () => socket.write(head + partialBody));
    const guard = setTimeout(() => socket.destroy(), 10_000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(guard);
      resolve({ raw: Buffer.concat(chunks), closedAfterMs: performance.now() - started });
    });
  });
}

describe('edges outside the app', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ env: { VERDICT_REQUEST_TIMEOUT_MS: String(TIMEOUT_MS) } });
  });
  after(() => s.close());

  const send = (bytes: string | Buffer) => rawRequest(s.port, bytes);

  test('unknown and lower-case methods: 400 invalid_parameter naming the method, in the envelope', async () => {
    for (const method of ['FOO', 'get', 'Get', 'G@T', 'BREW']) {
      const res = await send(`${method} /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n`);
      const body = envelope(res, 400, 'invalid_parameter');
      assert.deepEqual(body.error.details, { parameter: 'method' }, method);
      assert.equal(res.headers['connection'], 'close');
    }
    // a method Node knows but no route has: the app's own 404/405, in the envelope too
    envelope(await send('PROPFIND /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n'), 405, 'method_not_allowed');
    envelope(await send('PURGE /nowhere HTTP/1.1\r\nHost: x\r\n\r\n'), 404, 'not_found');
  });

  test('bad header bytes, a bad request line, broken framing: 400 in the envelope', async () => {
    const bad: [string, string][] = [
      ['control byte in a value', 'GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n'],
      ['space in a name', 'GET /api/v1/health HTTP/1.1\r\nHost: x\r\nBad Name: x\r\n\r\n'],
      ['NUL in a name', 'GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX\x00A: b\r\n\r\n'],
      ['a bad version', 'GET /api/v1/health HTTP/9.Z\r\nHost: x\r\n\r\n'],
      ['space in the path', 'GET /api/v1/health x HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['two lengths', 'POST /api/v1/keys HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}'],
      ['length and chunked', 'POST /api/v1/keys HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
      ['bad chunk size', `POST /api/v1/keys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'x'}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`],
      ['garbage', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03'],
    ];
    for (const [what, bytes] of bad) {
      const res = await send(Buffer.from(bytes, 'latin1'));
      assert.ok(res.status === 400 || res.status === 401, `${what}: ${res.status}`);
      envelope(res, res.status, res.status === 400 ? 'invalid_parameter' : 'invalid_api_key');
    }
  });

  test('headers over the limit: 431 headers_too_large in the envelope', async () => {
    const res = await send(`GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    envelope(res, 431, 'headers_too_large');
    const many = await send(`GET /api/v1/health HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 1_500 }, (_, i) => `X-Header-${i}: value`).join('\r\n')}\r\n\r\n`);
    envelope(many, 431, 'headers_too_large');
  });

  test('headers that never end: 408 request_timeout in the envelope', async () => {
    const res = await rawRequest(s.port, 'GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: 1', { timeoutMs: 5_000 });
    envelope(res, 408, 'request_timeout');
    assert.ok(res.elapsedMs >= TIMEOUT_MS - 50 && res.elapsedMs < TIMEOUT_MS + 2_000, `${Math.round(res.elapsedMs)} ms`);
  });

  test('a stalled body times out on every route: answered in the envelope, the connection closed', async () => {
    const auth = `Authorization: Bearer ${s.adminKey}\r\n`;
    const routes: [string, string][] = [
      ['POST', '/api/v1/keys'],
      ['PUT', '/api/v1/overrides/ipv4/192.0.2.1'],
      ['DELETE', '/api/v1/overrides/ipv4/192.0.2.1'],
      ['POST', '/api/v1/feeds/cisa-kev/sync'],
      ['DELETE', '/api/v1/keys/key_nope'],
      ['GET', '/api/v1/lookup?value=192.0.2.1'],
      ['GET', '/api/v1/health'],
      ['POST', '/api/v1/lookup'],
      ['POST', '/nowhere'],
      ['POST', '/docs/static/index.css'],
      ['PATCH', '/metrics'],
    ];
    const results = await Promise.all(
      routes.map(([method, path]) =>
        stall(s.port, `${method} ${path} HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n`, '{"name": "sta'),
      ),
    );
    results.forEach((r, i) => {
      const [method, path] = routes[i]!;
      const what = `${method} ${path}`;
      assert.ok(r.closedAfterMs < TIMEOUT_MS + 3_000, `${what}: closed after ${Math.round(r.closedAfterMs)} ms`);
      const first = parseResponse(r.raw);
      assert.ok(first !== null, `${what}: an answer came (${r.raw.toString('latin1').slice(0, 100)})`);
      assert.ok(first.status < 500, `${what}: ${first.status}`);
      assert.equal(typeof first.headers['x-request-id'], 'string', what);
      if (first.status >= 400) {
        const body = JSON.parse(first.body) as Envelope;
        assert.equal(body.error.request_id, first.headers['x-request-id'], what);
      }
      // one answer per request, never a second one for the same request
      assert.equal((r.raw.toString('latin1').match(/HTTP\/1\.1 \d{3}/g) ?? []).length, 1, `${what}: ${r.raw.toString('latin1')}`);
    });
    // the routes that wait for the body answer 408 with the request's own id
    const keysPost = parseResponse(results[0]!.raw)!;
    assert.equal(keysPost.status, 408);
  });

  test('a missing file under /docs/static is a 404; traversal finds nothing', async () => {
    const present = await s.fetch('/docs/static/index.css', { key: null });
    assert.equal(present.status, 200);
    for (const path of ['/docs/static/missing.js', '/docs/static/..%2f..%2fpackage.json', '/docs/static/%2e%2e/%2e%2e/package.json', '/docs/static/....//package.json']) {
      const res = await send(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.ok([400, 404].includes(res.status), `${path}: ${res.status}`);
      envelope(res, res.status, res.status === 404 ? 'not_found' : 'invalid_parameter');
      assert.ok(!res.body.includes('"verdict"'), `${path}: no file outside the UI's`);
    }
    const traversal = await send('GET /docs/static/../../package.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.ok(traversal.status >= 400 && traversal.status < 500 && !traversal.body.includes('"verdict"'), `${traversal.status}`);
  });

  test('type=constructor, __proto__ and other Object members are unknown types, never echoed as functions', async () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', 'CONSTRUCTOR', ' __proto__ ']) {
      const res = await s.fetch(`/api/v1/lookup?value=192.0.2.1&type=${encodeURIComponent(name)}`);
      assert.equal(res.status, 400, name);
      const body = (await res.json()) as Envelope;
      assert.equal(body.error.code, 'invalid_parameter', name);
      assert.equal(body.error.details?.['parameter'], 'type');
      assert.doesNotMatch(body.error.message, /function|native code|\[object/i, name);
      const override = await s.fetch(`/api/v1/overrides/${encodeURIComponent(name.trim())}/192.0.2.1`);
      assert.equal(override.status, 400, `override ${name}`);
      assert.doesNotMatch(await override.text(), /function|native code/i);
    }
  });

  test('none of it was logged as an error or a warning: these are the client\'s doing', () => {
    const loud = s.logs.filter((l) => l.level >= 40);
    assert.deepEqual(loud.map((l) => l.msg), []);
  });
});
