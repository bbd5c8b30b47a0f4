/** Whatever a client sends, the lookup route answers below 500 and always in the envelope. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { ERROR_CATALOG } from '../../src/http/errors.ts';
import { makeHarness, type Harness } from './harness.ts';

function assertWellFormed(res: LightMyRequestResponse): void {
  assert.ok(res.statusCode < 500, `status ${res.statusCode}: ${res.body}`);
  const rid = res.headers['x-request-id'];
  assert.equal(typeof rid, 'string');
  const body = res.json();
  if (res.statusCode === 200) {
    assert.equal(typeof body.value, 'string');
    assert.equal(typeof body.type, 'string');
    return;
  }
  assert.ok(Object.hasOwn(ERROR_CATALOG, body.error.code), body.error.code);
  assert.equal(ERROR_CATALOG[body.error.code as keyof typeof ERROR_CATALOG].status, res.statusCode);
  assert.equal(body.error.request_id, rid);
}

const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 });
const anyText = fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 80 }), fc.constantFrom('192.0.2.1', 'hxxp://evil[.]com/a', 'T1059', 'CVE-2024-3400', 'a@b.co', '::1', ''));

describe('lookup route properties', () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
  });
  after(() => h.close());

  test('random values and types, percent-encoded: never 5xx, always the envelope', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, fc.option(anyText, { nil: undefined }), async (value, type) => {
        const q = `value=${encodeURIComponent(value)}` + (type === undefined ? '' : `&type=${encodeURIComponent(type)}`);
        assertWellFormed(await h.app.inject({ method: 'GET', url: `/api/v1/lookup?${q}`, headers: h.auth() }));
      }),
      { numRuns: 700 },
    );
  });

  test('raw query strings (broken escapes, repeats, odd separators): never 5xx', async () => {
    const raw = fc.array(fc.oneof(printable, fc.constantFrom('%', '%0', '%ZZ', '%00', '%FF', '&', '=', 'value=', 'ioc=', 'type=', '+', '#', '%C3%28')), { maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(raw, async (parts) => {
        const query = parts.join('').replace(/#/g, '%23').replace(/ /g, '+');
        assertWellFormed(await h.app.inject({ method: 'GET', url: `/api/v1/lookup?${query}`, headers: h.auth() }));
      }),
      { numRuns: 500 },
    );
  });

  test('random auth and request-id headers: never 5xx, always the envelope', async () => {
    const header = fc.oneof(printable, fc.constant(`Bearer ${'sk_live_'}`), printable.map((s) => `Bearer sk_live_${s}`));
    await fc.assert(
      fc.asyncProperty(fc.option(header, { nil: undefined }), fc.option(printable, { nil: undefined }), fc.option(printable, { nil: undefined }), async (authorization, apiKey, requestId) => {
        const headers: Record<string, string> = {};
        if (authorization !== undefined) headers['authorization'] = authorization;
        if (apiKey !== undefined) headers['x-api-key'] = apiKey;
        if (requestId !== undefined) headers['x-request-id'] = requestId;
        const res = await h.app.inject({ method: 'GET', url: '/api/v1/lookup?value=192.0.2.1', headers });
        assertWellFormed(res);
        assert.notEqual(res.statusCode, 200, 'a random key is never accepted');
      }),
      { numRuns: 500 },
    );
  });

  test('random admin bodies and override paths: never 5xx, always the envelope', async () => {
    const body = fc.oneof(fc.jsonValue(), fc.record({ name: fc.jsonValue(), tier: fc.jsonValue(), scopes: fc.jsonValue(), expires_in_days: fc.jsonValue() }, { requiredKeys: [] }));
    await fc.assert(
      fc.asyncProperty(body, anyText, fc.constantFrom('ipv4', 'url', 'domain', 'sha256', 'bogus', ''), async (payload, value, type) => {
        assertWellFormed(await h.app.inject({ method: 'POST', url: '/api/v1/keys', headers: { ...h.auth(), 'content-type': 'application/json' }, payload: JSON.stringify(payload) }));
        const url = `/api/v1/overrides/${encodeURIComponent(type)}/${encodeURIComponent(value)}`;
        assertWellFormed(await h.app.inject({ method: 'PUT', url, headers: { ...h.auth(), 'content-type': 'application/json' }, payload: JSON.stringify(payload) }));
        const got = await h.app.inject({ method: 'GET', url, headers: h.auth() });
        assert.ok(got.statusCode < 500, got.body);
      }),
      { numRuns: 250 },
    );
  });
});
