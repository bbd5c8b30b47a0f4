/**
 * include=summary against a loopback server speaking the OpenAI chat-completions protocol: what
 * is sent (the key, the model, the system prompt, the result's own JSON), the answer, the
 * timeout, failures, and the cache per indicator and data version.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHarness, type Harness } from '../http/harness.ts';
import { SYSTEM_PROMPT } from '../../src/llm/summary.ts';
import { SUMMARY_MAX_TOKENS } from '../../src/llm/prompt.ts';
import { SERVER_MODEL, startChatServer, type ChatServer } from './server.ts';

const LLM_KEY = 'sk-llm-test-0123456789abcdefSECRET';
const TIMEOUT_MS = 400;

describe('GET /api/v1/lookup?include=summary', () => {
  let llm: ChatServer;
  let h: Harness;
  before(async () => {
    llm = await startChatServer(LLM_KEY);
    h = await makeHarness({
      env: {
        VERDICT_LLM_URL: llm.base,
        VERDICT_LLM_MODEL: 'analyst-model',
        VERDICT_LLM_API_KEY: LLM_KEY,
        VERDICT_LLM_TIMEOUT_MS: String(TIMEOUT_MS),
        // every lookup reads the data version, so an ingest shows at once
        VERDICT_DATA_VERSION_WINDOW_MS: '0',
      },
    });
    await h.ingest('cisa-alerts', [{ type: 'ipv4', value: '192.0.2.1', threatType: 'botnet_cc', malwareFamily: 'Emotet', firstSeen: '2026-11-01T00:00:00Z', lastSeen: '2026-11-29T00:00:00Z' }]);
    await h.ingest('emerging-threats', [{ type: 'domain', value: 'evil.example.com', threatType: 'phishing' }]);
  });
  after(async () => {
    await h.close();
    await llm.close();
  });
  beforeEach(() => {
    llm.behaviour = 'answer';
  });

  const get = (query: string) => h.app.inject({ method: 'GET', url: `/api/v1/lookup?${query}`, headers: h.auth() });

  test('adds summary {text, model, generated_at} written by the endpoint, the verdict unchanged', async () => {
    const plain = await get('value=192.0.2.1');
    assert.equal(plain.statusCode, 200);
    const res = await get('value=192.0.2.1&include=summary');
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.deepEqual(body.summary, { text: llm.reply, model: SERVER_MODEL, generated_at: '2026-11-30T12:00:00Z' });
    assert.equal(body.summary_error, undefined);
    // the summary is an addition: every other field is exactly the plain lookup's
    const { summary: _s, ...rest } = body;
    assert.deepEqual(rest, plain.json());
    assert.equal(body.risk_score, plain.json().risk_score);
    assert.equal(body.confidence, plain.json().confidence);
  });

  test('speaks the protocol: POST {base}/chat/completions, the Bearer key, the model, temperature 0, max_tokens, the prompt holding the result JSON', async () => {
    const before = llm.requests.length;
    const res = await get('value=evil.example.com&include=summary');
    assert.equal(res.statusCode, 200);
    assert.equal(llm.requests.length, before + 1);
    const seen = llm.requests.at(-1)!;
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, '/v1/chat/completions');
    assert.equal(seen.authorization, `Bearer ${LLM_KEY}`);
    assert.match(seen.contentType ?? '', /^application\/json/);
    assert.equal(seen.body.model, 'analyst-model');
    assert.equal(seen.body.temperature, 0);
    assert.equal(seen.body.max_tokens, SUMMARY_MAX_TOKENS);
    const [system, user] = seen.body.messages ?? [];
    assert.deepEqual(system, { role: 'system', content: SYSTEM_PROMPT });
    assert.match(SYSTEM_PROMPT, /feed_name/, 'the model is told to cite feeds');
    assert.match(SYSTEM_PROMPT, /Do not add facts/, 'the model is told not to invent');
    assert.equal(user?.role, 'user');
    const { summary: _s, ...result } = res.json();
    assert.ok(user!.content.includes(JSON.stringify(result)), 'the prompt holds the result exactly as the API answers it');
  });

  test('a second identical lookup is answered from the cache; a data version change asks again', async () => {
    await h.ingest('cisa-alerts', [{ type: 'ipv4', value: '198.51.100.7', threatType: 'scanner' }]);
    const first = await get('value=198.51.100.7&include=summary');
    assert.equal(first.statusCode, 200);
    const calls = llm.requests.length;
    const second = await get('value=198.51.100.7&include=summary');
    assert.equal(llm.requests.length, calls, 'no second call for the same indicator and data version');
    assert.deepEqual(second.json().summary, first.json().summary);
    // other spellings of the same indicator share the entry
    await get('value=198.51.100[.]7&include=summary');
    assert.equal(llm.requests.length, calls);

    h.setNow(new Date('2026-11-30T12:05:00Z'));
    await h.ingest('emerging-threats', [{ type: 'ipv4', value: '198.51.100.7', threatType: 'brute_force' }]);
    llm.reply = 'Reported by CISA Alerts and Emerging Threats.';
    const third = await get('value=198.51.100.7&include=summary');
    assert.equal(llm.requests.length, calls + 1, 'a new data version asks the endpoint again');
    assert.equal(third.json().summary.text, 'Reported by CISA Alerts and Emerging Threats.');
    assert.equal(third.json().summary.generated_at, '2026-11-30T12:05:00Z');
    assert.ok(llm.requests.at(-1)!.body.messages![1]!.content.includes('Emerging Threats'), 'the new evidence is in the new prompt');
    h.setNow(new Date('2026-11-30T12:00:00Z'));
    llm.reply = 'Reported by CISA Alerts as a botnet C2 (T1071); risk high.';
  });

  test('an endpoint slower than VERDICT_LLM_TIMEOUT_MS: summary_error timeout, the result answered within the timeout', async () => {
    llm.behaviour = 'slow';
    llm.slowMs = 3_000;
    const started = performance.now();
    const res = await get('value=203.0.113.9&include=summary');
    const elapsed = performance.now() - started;
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.summary, undefined);
    assert.equal(body.summary_error.code, 'timeout');
    assert.match(body.summary_error.message, new RegExp(`${TIMEOUT_MS} ms`));
    assert.equal(body.value, '203.0.113.9');
    assert.equal(body.found, false);
    assert.ok(elapsed < TIMEOUT_MS + 1_000, `answered in ${elapsed.toFixed(0)} ms, the slow endpoint takes ${llm.slowMs} ms`);
    assert.ok(elapsed >= TIMEOUT_MS - 50, `waited for the timeout (${elapsed.toFixed(0)} ms)`);
  });

  const failures = [
    { behaviour: 'error500', code: 'upstream_error', message: /HTTP 500/, value: '192.0.2.77' },
    { behaviour: 'malformed', code: 'malformed_response', message: /not JSON/, value: '192.0.2.78' },
    { behaviour: 'no-choices', code: 'malformed_response', message: /no choices/, value: '192.0.2.79' },
  ] as const;
  for (const f of failures) {
    test(`an endpoint that answers ${f.behaviour}: summary_error ${f.code}, not cached`, async () => {
      llm.behaviour = f.behaviour;
      const before = llm.requests.length;
      const res = await get(`value=${f.value}&include=summary`);
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().summary, undefined);
      assert.equal(res.json().summary_error.code, f.code);
      assert.match(res.json().summary_error.message, f.message);
      assert.equal(res.json().risk_score, 'low');
      llm.behaviour = 'answer';
      const again = await get(`value=${f.value}&include=summary`);
      assert.equal(llm.requests.length, before + 2, 'a failure is asked again next time');
      assert.equal(again.json().summary.text, llm.reply);
    });
  }

  test('a refused key (401) is an upstream_error, and neither key is ever in the log', async () => {
    const other = await startChatServer('sk-another-key');
    const h2 = await makeHarness({ env: { VERDICT_LLM_URL: other.base, VERDICT_LLM_MODEL: 'm', VERDICT_LLM_API_KEY: LLM_KEY } });
    try {
      const res = await h2.app.inject({ method: 'GET', url: '/api/v1/lookup?value=192.0.2.1&include=summary', headers: h2.auth() });
      assert.equal(res.json().summary_error.code, 'upstream_error');
      assert.match(res.json().summary_error.message, /HTTP 401/);
      assert.ok(!res.body.includes(LLM_KEY));
      h2.deps.logger.info({ config: h2.config }, 'config');
      const log = h2.logs.join('');
      assert.match(log, /analyst summary failed/, 'the failure is logged');
      assert.match(log, /\[redacted\]/, 'the config is logged with its key redacted');
      assert.ok(!log.includes(LLM_KEY), 'the LLM key is never logged');
      assert.ok(!log.includes(h2.adminKey), 'the admin key is never logged');
    } finally {
      await h2.close();
      await other.close();
    }
  });

  test('an endpoint that cannot be reached: summary_error unreachable', async () => {
    const gone = await startChatServer(null);
    const base = gone.base;
    await gone.close();
    const h2 = await makeHarness({ env: { VERDICT_LLM_URL: base, VERDICT_LLM_MODEL: 'm' } });
    try {
      const res = await h2.app.inject({ method: 'GET', url: '/api/v1/lookup?value=192.0.2.1&include=summary', headers: h2.auth() });
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().summary_error.code, 'unreachable');
      assert.match(res.json().summary_error.message, /ECONNREFUSED/);
    } finally {
      await h2.close();
    }
  });

  test('include is validated: an unknown name is a 400 naming the allowed ones; blank items are ignored', async () => {
    const bad = await get('value=192.0.2.1&include=summary,verdicts');
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'invalid_parameter');
    assert.equal(bad.json().error.details.parameter, 'include');
    assert.deepEqual(bad.json().error.details.allowed, ['summary']);
    const blank = await get('value=192.0.2.1&include=');
    assert.equal(blank.statusCode, 200);
    assert.equal(blank.json().summary, undefined);
    assert.equal(blank.json().summary_error, undefined);
    const invalid = await get('value=not..valid&include=summary');
    assert.equal(invalid.statusCode, 400);
    assert.equal(invalid.json().error.code, 'invalid_indicator');
  });

  test('without include=summary the endpoint is never called', async () => {
    const before = llm.requests.length;
    const res = await get('value=192.0.2.50');
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().summary, undefined);
    assert.equal(llm.requests.length, before);
  });
});

describe('include=summary with no endpoint configured', () => {
  test('answers the result with summary_error disabled', async () => {
    const h = await makeHarness();
    try {
      const res = await h.app.inject({ method: 'GET', url: '/api/v1/lookup?value=192.0.2.1&include=summary', headers: h.auth() });
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().summary, undefined);
      assert.equal(res.json().summary_error.code, 'disabled');
      assert.match(res.json().summary_error.message, /VERDICT_LLM_URL/);
      assert.equal(res.json().value, '192.0.2.1');
    } finally {
      await h.close();
    }
  });
});
