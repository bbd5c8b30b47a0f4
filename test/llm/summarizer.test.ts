/** The LLM settings at boot, and summarizeText (the extract-and-enrich route's summary) against the loopback server. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { createSummarizer } from '../../src/llm/summary.ts';
import { parseCompletion } from '../../src/llm/client.ts';
import { startChatServer, type ChatServer } from './server.ts';

describe('VERDICT_LLM_* settings', () => {
  const base = { VERDICT_DATABASE_URL: ':memory:' };
  test('off by default; on with a URL and a model', () => {
    assert.equal(loadConfig(base).llm, null);
    const c = loadConfig({ ...base, VERDICT_LLM_URL: 'http://127.0.0.1:11434/v1/', VERDICT_LLM_MODEL: 'llama3.1', VERDICT_LLM_API_KEY: 'sk-x', VERDICT_LLM_TIMEOUT_MS: '2500' });
    assert.deepEqual(c.llm, { url: 'http://127.0.0.1:11434/v1', model: 'llama3.1', apiKey: 'sk-x', timeoutMs: 2500 });
    assert.equal(loadConfig({ ...base, VERDICT_LLM_URL: 'https://api.example.com/v1', VERDICT_LLM_MODEL: 'm' }).llm?.timeoutMs, 10_000);
  });
  const bad: [Record<string, string>, string, RegExp][] = [
    [{ VERDICT_LLM_URL: 'localhost:11434', VERDICT_LLM_MODEL: 'm' }, 'VERDICT_LLM_URL', /http:\/\/ or https:\/\//],
    [{ VERDICT_LLM_URL: 'ftp://host/v1', VERDICT_LLM_MODEL: 'm' }, 'VERDICT_LLM_URL', /http/],
    [{ VERDICT_LLM_URL: 'https://user:pw@host/v1', VERDICT_LLM_MODEL: 'm' }, 'VERDICT_LLM_URL', /VERDICT_LLM_API_KEY/],
    [{ VERDICT_LLM_URL: 'https://host/v1?key=1', VERDICT_LLM_MODEL: 'm' }, 'VERDICT_LLM_URL', /query/],
    [{ VERDICT_LLM_URL: 'https://host/v1' }, 'VERDICT_LLM_MODEL', /required/],
    [{ VERDICT_LLM_URL: 'https://host/v1', VERDICT_LLM_MODEL: 'm', VERDICT_LLM_TIMEOUT_MS: 'soon' }, 'VERDICT_LLM_TIMEOUT_MS', /whole number/],
    [{ VERDICT_LLM_URL: 'https://host/v1', VERDICT_LLM_MODEL: 'm', VERDICT_LLM_TIMEOUT_MS: '10' }, 'VERDICT_LLM_TIMEOUT_MS', /between 100 and 600000/],
    [{ VERDICT_LLM_TIMEOUT_MS: '-1' }, 'VERDICT_LLM_TIMEOUT_MS', /whole number/],
    [{ VERDICT_LLM_URL: 'https://host/v1', VERDICT_LLM_MODEL: 'm', VERDICT_LLM_API_KEY: 'sk secret with spaces' }, 'VERDICT_LLM_API_KEY', /printable/],
  ];
  for (const [env, setting, message] of bad) {
    test(`${setting} refused: ${JSON.stringify(env)}`, () => {
      assert.throws(
        () => loadConfig({ ...base, ...env }),
        (err: unknown) => err instanceof ConfigError && err.setting === setting && message.test(err.message) && !err.message.includes('secret with spaces'),
      );
    });
  }
});

describe('parseCompletion', () => {
  const cases: [string, RegExp | string][] = [
    ['{"choices":[{"message":{"role":"assistant","content":"  Text.  "}}],"model":"x"}', 'Text.'],
    ['{"choices":[{"message":{"role":"assistant","content":""}}]}', /an empty message/],
    ['{"choices":[{"message":{"role":"assistant","content":null}}]}', /no message content/],
    ['{"choices":[null]}', /no message content/],
    ['[]', /no choices/],
    ['null', /not a JSON object/],
    ['<html>', /not JSON/],
  ];
  for (const [raw, want] of cases) {
    test(raw, () => {
      const c = parseCompletion(raw, 'configured');
      if (typeof want === 'string') assert.deepEqual(c, { ok: true, text: want, model: 'x' });
      else assert.ok(!c.ok && c.code === 'malformed_response' && want.test(c.message), JSON.stringify(c));
    });
  }
  test('the configured model when the answer names none', () => {
    assert.deepEqual(parseCompletion('{"choices":[{"message":{"content":"T"}}]}', 'configured'), { ok: true, text: 'T', model: 'configured' });
  });
});

describe('summarizeText (extract and enrich)', () => {
  let llm: ChatServer;
  before(async () => {
    llm = await startChatServer(null);
  });
  after(() => llm.close());
  const clock = () => new Date('2026-11-30T12:00:00.250Z');
  const enriched = {
    indicators: [{ value: '192.0.2.1', type: 'ipv4', verdict: { level: 'high', found: true, sources: 2 } }],
    summary: { worst_level: 'high', counts: { ipv4: 1 }, techniques: ['T1071'] },
  };

  test('sends the whole enriched result, without a key when none is set; cached by content', async () => {
    const s = createSummarizer({ config: { url: llm.base, model: 'm', apiKey: null, timeoutMs: 2_000 }, clock });
    const out = await s.summarizeText(enriched, 7);
    assert.ok(out.ok, JSON.stringify(out));
    assert.equal(out.summary.generated_at, '2026-11-30T12:00:00Z');
    const seen = llm.requests.at(-1)!;
    assert.equal(seen.authorization, undefined, 'no Authorization header without VERDICT_LLM_API_KEY');
    assert.ok(seen.body.messages![1]!.content.includes(JSON.stringify(enriched)));
    assert.match(seen.body.messages![1]!.content, /^Indicators extracted from a text/);
    const calls = llm.requests.length;
    assert.ok((await s.summarizeText({ ...enriched }, 7)).ok);
    assert.equal(llm.requests.length, calls, 'the same content and version: no second call');
    await s.summarizeText({ ...enriched, summary: { ...enriched.summary, worst_level: 'critical' } }, 7);
    assert.equal(llm.requests.length, calls + 1, 'other content: a new call');
    await s.summarizeText(enriched, 8);
    assert.equal(llm.requests.length, calls + 2, 'another data version: a new call');
  });

  test('calls in flight for the same key are shared', async () => {
    const s = createSummarizer({ config: { url: llm.base, model: 'm', apiKey: null, timeoutMs: 2_000 }, clock });
    const calls = llm.requests.length;
    const doc = { indicators: [], note: 'shared' };
    const outs = await Promise.all([s.summarizeText(doc, 1), s.summarizeText(doc, 1), s.summarizeText(doc, 1)]);
    assert.ok(outs.every((o) => o.ok));
    assert.equal(llm.requests.length, calls + 1);
  });

  test('disabled without an endpoint: at once, no call', async () => {
    const s = createSummarizer({ config: null, clock });
    assert.equal(s.enabled, false);
    const out = await s.summarizeText(enriched);
    assert.deepEqual(out.ok ? null : out.error.code, 'disabled');
  });
});
