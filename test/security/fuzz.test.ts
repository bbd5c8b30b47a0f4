/**
 * Raw-socket fuzzing of a real server: 10,000 seeded random requests (VERDICT_FUZZ_REQUESTS,
 * VERDICT_FUZZ_SEED to change them) — methods valid, lower-case and unknown; paths encoded,
 * overlong, traversing, under /docs/static; headers with bad bytes, huge, duplicated credentials;
 * bodies missing, malformed, oversized, chunked and stalled. Every request must be answered, none
 * with a 5xx, every answer with a request id, and every error in the catalog's envelope naming
 * that id — including the ones Node's server answers before the app sees the request.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { ERROR_CODES } from '../../src/http/errors.ts';
import { parseResponse } from '../http/raw.ts';
import { randomKey, startTestServer, type TestServer } from './server.ts';

const REQUESTS = Number(process.env['VERDICT_FUZZ_REQUESTS'] ?? 10_000);
const SEED = Number(process.env['VERDICT_FUZZ_SEED'] ?? 20_261_130);
const CONCURRENCY = 32;
const TIMEOUT_MS = 400;
const BODY_LIMIT = 4_096;
/** The whole run must end within this (it runs in `npm test`). */
const BUDGET_MS = 50_000;

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const chance = (p: number): boolean => next() < p;
  const text = (n: number, alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%/?&=+:@!$\'()*,;[]'): string =>
    Array.from({ length: n }, () => alphabet[int(alphabet.length)]).join('');
  const bytes = (n: number): string => Array.from({ length: n }, () => String.fromCharCode(int(256))).join('');
  return { next, int, pick, chance, text, bytes };
}
type Rng = ReturnType<typeof prng>;

interface FuzzCase {
  method: string;
  bytes: Buffer;
  /** What kind of request, for the figures. */
  kind: string;
  stalled: boolean;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
const ODD_METHODS = ['TRACE', 'get', 'post', 'Get', 'gEt', 'FOO', 'PROPFIND', 'PURGE', 'MKCOL', 'LINK', 'QUERY', 'BREW', 'G ET', '', 'CONNECT'];
const TYPES = ['ipv4', 'ipv6', 'domain', 'url', 'md5', 'sha256', 'cve', 'mitre-attack', 'email', 'constructor', '__proto__', 'toString', 'IPV4', ''];
const VALUES = ['192.0.2.1', '198.51.100.7', '2001:db8::1', 'evil[.]example[.]com', 'hxxp://a.example/x', 'CVE-2021-44228', 'T1059.001', 'a@b.example', 'd41d8cd98f00b204e9800998ecf8427e', '', ' ', '%00', '%E0%A4%A', '%ff%fe', '..%2f..%2f', '<script>', '\u202e', '😀'];
const STATIC_FILES = ['index.html', 'index.css', 'swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png', 'missing.js', '', '../../package.json', '..%2f..%2fpackage.json', '%2e%2e/%2e%2e/package.json', '....//....//etc/passwd', 'a%00.js', '.%00./x'];

function path(r: Rng): string {
  const v = () => encodeURIComponent(r.pick(VALUES)).replace(/%25/g, r.chance(0.5) ? '%' : '%25');
  const choices: (() => string)[] = [
    () => `/api/v1/lookup?value=${v()}`,
    () => `/api/v1/lookup?value=${v()}&type=${encodeURIComponent(r.pick(TYPES))}`,
    () => `/api/v1/lookup?ioc=${v()}&platforms=${r.pick(['sigma', 'esql,splunk_tstats', 'nope', 'constructor', ''])}`,
    () => `/api/v1/lookup?value=${v()}&value=${v()}`,
    () => `/api/v1/lookup?value=${'a'.repeat(r.pick([2_048, 2_049, 5_000, 9_000]))}`,
    () => `/api/v1/lookup?__proto__[x]=1&constructor[prototype][y]=2&value=${v()}`,
    () => '/api/v1/lookup',
    () => '/api/v1/health',
    () => '/api/v1/feeds',
    () => `/api/v1/feeds/${r.pick(['cisa-kev', 'urlhaus', 'nope', '__proto__', '%2e%2e'])}/${r.pick(['sync', 'data', 'x'])}`,
    () => '/api/v1/keys',
    () => `/api/v1/keys/${r.pick(['key_x', r.text(10), '..', '%2F', 'a'.repeat(100)])}`,
    () => `/api/v1/overrides/${r.pick(TYPES) || 'ipv4'}/${v()}`,
    () => `/api/v1/overrides/url/${'b'.repeat(r.pick([100, 2_100, 3_000]))}`,
    () => '/api/v1/overrides',
    () => '/metrics',
    () => '/openapi.json',
    () => r.pick(['/docs', '/docs/', '/docs/json', '/docs/yaml', '/docs/static']),
    () => `/docs/static/${r.pick(STATIC_FILES)}`,
    () => r.pick(['/', '//', '/api', '/api/v1', '/api/v2/lookup', '/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/api/v1/%E0%A4%A', '/api/v1/lookup%00', '*', 'http://x.example/api/v1/health', '/api/v1/health?' + 'q'.repeat(3_000)]),
    () => '/' + r.text(r.int(200)),
    () => '/' + 'p'.repeat(r.pick([5_000, 20_000])),
  ];
  return r.pick(choices)();
}

function authHeaders(r: Rng, admin: string, known: string[]): string[] {
  const key = () => r.pick([admin, admin, randomKey(), r.pick(known), 'sk_live_short', 'sk_live_' + r.text(40, 'abc!@#'), r.text(20)]);
  switch (r.int(12)) {
    case 0:
      return [];
    case 1:
    case 2:
    case 9:
    case 10:
    case 11:
      return [`Authorization: Bearer ${key()}`];
    case 3:
      return [`X-API-Key: ${key()}`];
    case 4:
      return [`Authorization: Bearer ${key()}`, `Authorization: Bearer ${key()}`];
    case 5:
      return [`Authorization: Bearer ${key()}`, `X-API-Key: ${key()}`, `X-API-Key: ${key()}`];
    case 6:
      return [r.pick(['Authorization: Basic dXNlcjpwYXNz', 'Authorization: Bearer', 'Authorization: Bearer  \t ', 'Authorization: bearer ' + admin, 'Authorization: Token abc', 'Authorization:'])];
    case 7:
      return [`Authorization: Bearer ${admin}${r.pick(['\x01', '\x7f', ' x', '\u00ff'])}`];
    default:
      return [`Authorization: Bearer ${r.pick(known)}`];
  }
}

function otherHeaders(r: Rng): string[] {
  const out: string[] = [];
  if (r.chance(0.2)) out.push(`X-Request-Id: ${r.pick(['req_fuzz' + r.text(12, 'abcdef0123456789'), 'bad id <x>', 'a'.repeat(65), '', 'ok-id_1.2:3'])}`);
  if (r.chance(0.1)) out.push(`X-Forwarded-For: ${r.pick(['203.0.113.9', '::1', 'garbage', '1.1.1.1, 2.2.2.2'])}`);
  if (r.chance(0.03)) out.push(`X-Bad: ${r.bytes(8)}`);
  if (r.chance(0.03)) out.push(`${r.pick(['Bad Name', 'X\x00Y', 'X:Y', '', 'Ü'])}: v`);
  if (r.chance(0.03)) out.push(`X-Huge: ${'h'.repeat(r.pick([9_000, 17_000, 40_000]))}`);
  if (r.chance(0.02)) out.push(...Array.from({ length: 600 }, (_, i) => `X-Many-${i}: ${r.text(20)}`));
  if (r.chance(0.03)) out.push(r.pick(['Connection: Upgrade', 'Connection: keep-alive', 'Connection: close, x']), 'Upgrade: websocket');
  if (r.chance(0.04)) out.push('Expect: 100-continue');
  if (r.chance(0.03)) out.push(`Accept: ${r.pick(['*/*', 'application/x-ndjson', 'text/html', '\x01'])}`);
  return out;
}

function body(r: Rng, method: string, headers: string[]): { bytes: string; stalled: boolean; kind: string } {
  const ct = () => headers.push(`Content-Type: ${r.pick(['application/json', 'application/json', 'application/json; charset=utf-8', 'text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', ''])}`);
  const payloads = [
    '{"name":"fuzz","tier":"free"}',
    '{"name":"fuzz","tier":"pro","scopes":["read:metrics"],"expires_in_days":1}',
    '{"verdict":"deny","reason":"fuzz"}',
    '{"verdict":"allow","reason":""}',
    '{"__proto__":{"admin":true},"name":"x","tier":"free"}',
    '{"constructor":{"prototype":{"x":1}}}',
    '{"name":',
    'null',
    '[]',
    '"x"',
    '\xff\xfe{}',
    '{"name":"' + 'n'.repeat(300) + '","tier":"free"}',
  ];
  const roll = r.int(20);
  if (roll < 14 && !['POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) return { bytes: '', stalled: false, kind: 'none' };
  if (roll < 4) return { bytes: '', stalled: false, kind: 'none' };
  if (roll < 13) {
    ct();
    const p = r.pick(payloads);
    headers.push(`Content-Length: ${Buffer.byteLength(p, 'latin1')}`);
    return { bytes: p, stalled: false, kind: 'json' };
  }
  if (roll < 15) {
    ct();
    const p = '{"x":"' + 'o'.repeat(BODY_LIMIT + r.int(8_000)) + '"}';
    headers.push(`Content-Length: ${p.length}`);
    return { bytes: p, stalled: false, kind: 'oversized' };
  }
  if (roll < 17) {
    ct();
    headers.push('Transfer-Encoding: chunked');
    const p = r.pick(payloads);
    const good = `${p.length.toString(16)}\r\n${p}\r\n0\r\n\r\n`;
    return { bytes: r.chance(0.7) ? good : r.pick(['zz\r\n', '5\r\nabc\r\n', `${(BODY_LIMIT * 4).toString(16)}\r\n` + 'c'.repeat(BODY_LIMIT * 4) + '\r\n0\r\n\r\n']), stalled: false, kind: 'chunked' };
  }
  if (roll < 18) {
    ct();
    headers.push(r.pick(['Content-Length: -1', 'Content-Length: abc', 'Content-Length: 1, 2', 'Content-Length: 99999999999999999999', 'Content-Length: 2\r\nContent-Length: 3']));
    return { bytes: '{}', stalled: false, kind: 'bad-length' };
  }
  // stalled: a body promised and not sent (1 in 10 of these: the whole run stays short)
  if (r.chance(0.1)) {
    ct();
    headers.push('Content-Length: 1000');
    return { bytes: '{"name":"stal', stalled: true, kind: 'stalled' };
  }
  return { bytes: '', stalled: false, kind: 'none' };
}

function makeCase(r: Rng, admin: string, known: string[]): FuzzCase {
  if (r.chance(0.01)) {
    // not HTTP at all
    return { method: '?', bytes: Buffer.from(r.bytes(1 + r.int(300)), 'latin1'), kind: 'garbage', stalled: false };
  }
  if (r.chance(0.01)) {
    // headers that never end
    return { method: 'GET', bytes: Buffer.from('GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: 1', 'latin1'), kind: 'stalled-headers', stalled: true };
  }
  // most requests are plausible, so that they reach the routes; the rest are odd
  const method = r.chance(0.85) ? (r.chance(0.6) ? 'GET' : r.pick(METHODS)) : r.pick(ODD_METHODS);
  const version = r.chance(0.97) ? 'HTTP/1.1' : r.pick(['HTTP/1.0', 'HTTP/2.0', 'HTTP/1.2', 'HTTX/1.1', '']);
  const headers: string[] = [];
  if (r.chance(0.95)) headers.push('Host: 127.0.0.1');
  headers.push(...authHeaders(r, admin, known), ...otherHeaders(r));
  const b = body(r, method.toUpperCase(), headers);
  if (!b.stalled && r.chance(0.8)) headers.push('Connection: close');
  const head = `${method} ${path(r)} ${version}`.replace(/ +$/, '');
  const lineEnd = r.chance(0.98) ? '\r\n' : r.pick(['\n', '\r', '\r\r\n']);
  const bytes = Buffer.from(head + lineEnd + headers.map((h) => h + lineEnd).join('') + lineEnd + b.bytes, 'latin1');
  return { method, bytes, kind: b.kind, stalled: b.stalled };
}

interface Outcome {
  status: number | null;
  problem: string | null;
  ms: number;
}

function run(port: number, c: FuzzCase): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let done = false;
    const head = c.method.toUpperCase() === 'HEAD' && c.method === 'HEAD';
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(guard);
      socket.destroy();
      const raw = Buffer.concat(chunks);
      const ms = performance.now() - started;
      const res = parseResponse(raw, head) ?? untilClose(raw, head);
      if (res === null) return resolve({ status: null, problem: `no complete response (${raw.length} bytes: ${JSON.stringify(raw.subarray(0, 120).toString('latin1'))})`, ms });
      const id = res.headers['x-request-id'];
      if (id === undefined || id === '') return resolve({ status: res.status, problem: `no X-Request-Id (${res.status})`, ms });
      if (res.status >= 500) return resolve({ status: res.status, problem: `a ${res.status}: ${res.body.slice(0, 200)}`, ms });
      if (res.status >= 400 && !head) {
        let envelope: { error?: { code?: unknown; request_id?: unknown; message?: unknown } };
        try {
          envelope = JSON.parse(res.body) as typeof envelope;
        } catch {
          return resolve({ status: res.status, problem: `not JSON: ${res.body.slice(0, 200)}`, ms });
        }
        const e = envelope.error;
        if (Object.keys(envelope).join() !== 'error' || e === undefined || typeof e.message !== 'string' || !(ERROR_CODES as readonly unknown[]).includes(e.code)) {
          return resolve({ status: res.status, problem: `not the envelope: ${res.body.slice(0, 200)}`, ms });
        }
        if (e.request_id !== id) return resolve({ status: res.status, problem: `request_id ${String(e.request_id)} is not the header's ${id}`, ms });
      }
      resolve({ status: res.status, problem: null, ms });
    };
    // a response that ends with the connection (no length): everything after its head
    const untilClose = (raw: Buffer, isHead: boolean) => {
      const end = raw.indexOf('\r\n\r\n');
      if (end < 0) return null;
      const h = parseResponse(raw.subarray(0, end + 4), true);
      return h === null ? null : { ...h, body: isHead ? '' : raw.subarray(end + 4).toString('utf8') };
    };
    const guard = setTimeout(finish, c.stalled ? TIMEOUT_MS + 4_000 : 10_000);
    const socket = net.connect(port, '127.0.0.1', () => socket.write(c.bytes));
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (parseResponse(Buffer.concat(chunks), head) !== null) finish();
    });
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', () => finish());
  });
}

describe('raw-socket fuzzing', () => {
  let s: TestServer;
  const known: string[] = [];
  before(async () => {
    s = await startTestServer({
      env: { VERDICT_REQUEST_TIMEOUT_MS: String(TIMEOUT_MS), VERDICT_BODY_LIMIT: String(BODY_LIMIT), VERDICT_AUTH_FAILURES_PER_MINUTE: '2000', VERDICT_CACHE_TTL_SECONDS: '60' },
      logLevel: 'warn',
    });
    // keys of each kind the fuzzer presents: a reader, a metrics scraper, a revoked one, an expired one
    for (const [body, revoke] of [
      [{ name: 'reader', tier: 'pro', scopes: ['read:lookup'] }, false],
      [{ name: 'scraper', tier: 'free', scopes: ['read:metrics'] }, false],
      [{ name: 'gone', tier: 'pro' }, true],
    ] as const) {
      const made = (await (await s.fetch('/api/v1/keys', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as { key: string; id: string };
      if (revoke) await s.fetch(`/api/v1/keys/${made.id}`, { method: 'DELETE' });
      known.push(made.key);
    }
  });
  after(() => s.close());

  test(`${REQUESTS} seeded requests: every one answered, no 5xx, errors in the envelope with the request id`, async (t) => {
    const r = prng(SEED);
    const cases = Array.from({ length: REQUESTS }, () => makeCase(r, s.adminKey, known));
    const statuses = new Map<string, number>();
    const kinds = new Map<string, number>();
    const problems: string[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < cases.length && performance.now() - started < BUDGET_MS) {
          const i = next++;
          const c = cases[i]!;
          const o = await run(s.port, c);
          statuses.set(String(o.status ?? 'none'), (statuses.get(String(o.status ?? 'none')) ?? 0) + 1);
          kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
          if (o.problem !== null) problems.push(`#${i} ${JSON.stringify(c.bytes.subarray(0, 160).toString('latin1'))}: ${o.problem}`);
        }
      }),
    );
    const elapsed = performance.now() - started;
    const sent = [...statuses.values()].reduce((a, b) => a + b, 0);
    const figures = [...statuses].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k}: ${n}`).join(', ');
    t.diagnostic(`seed ${SEED}: ${sent} requests in ${(elapsed / 1000).toFixed(1)} s (${CONCURRENCY} connections at a time)`);
    t.diagnostic(`statuses: ${figures}`);
    t.diagnostic(`bodies: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}`);
    assert.equal(sent, REQUESTS, `all ${REQUESTS} sent within ${BUDGET_MS / 1000} s`);
    assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problems`);
    assert.ok(![...statuses.keys()].some((k) => k.startsWith('5')), 'no 5xx');
    // the server is still well after all of it
    assert.equal((await s.fetch('/api/v1/lookup?value=192.0.2.1')).status, 200);
    const errors = s.logs.filter((l) => l.level >= 50);
    assert.deepEqual(errors.map((l) => l.msg), [], 'nothing was logged as an error');
  });
});
