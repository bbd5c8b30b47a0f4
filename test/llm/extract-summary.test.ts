/**
 * include=summary on POST /api/v1/extract?enrich=true: the whole enriched answer goes to the
 * chat-completions endpoint and comes back as analyst_summary, beside (never instead of) the
 * counts in `summary` and the verdicts; a failure is summary_error; without enrich it is a 400.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHarness, type Harness } from '../http/harness.ts';
import { SERVER_MODEL, startChatServer, type ChatServer } from './server.ts';

const LLM_KEY = 'sk-llm-extract-test-SECRET-0123';
const TEXT = 'The loader beacons to 192.0.2.1 and to evil.example.com; see https://attack.mitre.org/techniques/T1071/ for the technique.';

describe('POST /api/v1/extract?enrich=true&include=summary', () => {
  let llm: ChatServer;
  let h: Harness;
  let pro: string;
  before(async () => {
    llm = await startChatServer(LLM_KEY);
    h = await makeHarness({ env: { VERDICT_LLM_URL: llm.base, VERDICT_LLM_MODEL: 'analyst-model', VERDICT_LLM_API_KEY: LLM_KEY, VERDICT_LLM_TIMEOUT_MS: '400' } });
    pro = (await h.createKey('pro')).key;
    await h.ingest('cisa-alerts', [{ type: 'ipv4', value: '192.0.2.1', threatType: 'botnet_cc', malwareFamily: 'Emotet', firstSeen: '2026-11-01T00:00:00Z', lastSeen: '2026-11-29T00:00:00Z' }]);
  });
  after(async () => {
    await h.close();
    await llm.close();
  });
  beforeEach(() => {
    llm.behaviour = 'answer';
  });

  const post = (query: string) => h.app.inject({ method: 'POST', url: `/api/v1/extract${query}`, headers: { ...h.auth(pro), 'content-type': 'application/json' }, payload: JSON.stringify({ text: TEXT }) });

  test('analyst_summary written by the endpoint from the enriched answer; the counts and verdicts unchanged', async () => {
    const plain = (await post('?enrich=true')).json();
    const before = llm.requests.length;
    const res = await post('?enrich=true&include=summary');
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.deepEqual(body.analyst_summary, { text: llm.reply, model: SERVER_MODEL, generated_at: body.analyst_summary.generated_at });
    const { analyst_summary: _a, ...rest } = body;
    assert.deepEqual(rest, plain, 'the rest is the enriched answer as it was');
    assert.equal(llm.requests.length, before + 1);
    const user = llm.requests.at(-1)!.body.messages?.[1]?.content ?? '';
    assert.ok(user.includes(JSON.stringify(plain)), 'the prompt holds the enriched answer');
    // the same answer again: from the cache, no second call
    await post('?enrich=true&include=summary');
    assert.equal(llm.requests.length, before + 1);
  });

  test('a failing endpoint gives summary_error and the answer still', async () => {
    llm.behaviour = 'error500';
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/extract?enrich=true&include=summary', headers: { ...h.auth(pro), 'content-type': 'application/json' }, payload: JSON.stringify({ text: `${TEXT} Also 192.0.2.99.` }) });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().analyst_summary, undefined);
    assert.equal(res.json().summary_error.code, 'upstream_error');
    assert.ok(res.json().summary.enriched >= 2);
  });

  test('include=summary without enrich=true, or an unknown include, is a 400', async () => {
    const without = await post('?include=summary');
    assert.equal(without.statusCode, 400);
    assert.equal(without.json().error.details.parameter, 'include');
    const unknown = await post('?enrich=true&include=nope');
    assert.equal(unknown.statusCode, 400);
    assert.equal(unknown.json().error.details.parameter, 'include');
  });
});
