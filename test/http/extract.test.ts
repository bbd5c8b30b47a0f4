import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHarness, type Harness } from './harness.ts';

const json = { 'content-type': 'application/json' };

function multipartBody(filename: string, type: string, content: string | Buffer, boundary = 'verdictBoundary7MA4YWxk'): { payload: Buffer; headers: Record<string, string> } {
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`;
  const payload = Buffer.concat([Buffer.from(head), Buffer.isBuffer(content) ? content : Buffer.from(content), Buffer.from(`\r\n--${boundary}--\r\n`)]);
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

describe('POST /api/v1/extract', () => {
  let h: Harness;
  let pro: string;
  let free: string;
  before(async () => {
    h = await makeHarness();
    await h.ingest('cisa-alerts', [{ type: 'ipv4', value: '203.0.113.50', threatType: 'botnet_cc', malwareFamily: 'Emotet' }, { type: 'domain', value: 'evil-extract.com', threatType: 'phishing' }]);
    pro = (await h.createKey('pro')).key;
    free = (await h.createKey('free')).key;
  });
  after(() => h.close());

  const TEXT = 'C2 at 203.0.113[.]50 and hxxp://evil-extract[.]com/login; see https://attack.mitre.org/techniques/T1566/ and 203.0.113.50 again.';
  const post = (body: unknown, query = '', key = pro) =>
    h.app.inject({ method: 'POST', url: `/api/v1/extract${query}`, headers: { ...h.auth(key), ...json }, payload: JSON.stringify(body) });

  test('text: every occurrence with offsets and role, each indicator once with its count', async () => {
    const res = await post({ text: TEXT }, '', free);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    const ip = body.indicators.filter((x: { value: string }) => x.value === '203.0.113.50');
    assert.equal(ip.length, 2);
    assert.equal(TEXT.slice(ip[0].start, ip[0].end), '203.0.113[.]50', 'offsets point into the text as sent');
    assert.equal(TEXT.slice(ip[1].start, ip[1].end), '203.0.113.50');
    assert.equal(ip[0].role, 'indicator');
    const ref = body.indicators.find((x: { value: string }) => x.value.startsWith('https://attack.mitre.org'));
    assert.equal(ref.role, 'reference');
    assert.deepEqual(body.distinct.find((d: { value: string }) => d.value === '203.0.113.50'), { type: 'ipv4', value: '203.0.113.50', role: 'indicator', count: 2 });
    assert.equal(body.summary, undefined, 'no enrichment unless asked');
  });

  test('enrich=true adds verdicts through the bulk path and a summary; references only when asked', async () => {
    const res = await post({ text: TEXT }, '?enrich=true');
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    const ip = body.distinct.find((d: { value: string }) => d.value === '203.0.113.50');
    const single = (await h.app.inject({ method: 'GET', url: '/api/v1/lookup?value=203.0.113.50', headers: h.auth(pro) })).json();
    assert.deepEqual(ip.verdict, { level: single.risk_score, score: single.risk.score, confidence: single.confidence, found: true, sources: 1, techniques: single.mitre_techniques.map((t: { id: string }) => t.id) });
    const ref = body.distinct.find((d: { role: string }) => d.role === 'reference');
    assert.equal(ref.verdict, undefined, 'references are not enriched by default');
    assert.equal(body.summary.worst_level, single.risk_score === 'low' ? body.summary.worst_level : single.risk_score);
    assert.ok(body.summary.found >= 2, JSON.stringify(body.summary));
    assert.ok(body.summary.techniques.some((t: { id: string }) => t.id === 'T1071'), 'C2 techniques across the text');
    const both = (await post({ text: TEXT }, '?enrich=true&roles=indicator,reference')).json();
    assert.ok(both.distinct.find((d: { role: string }) => d.role === 'reference').verdict !== undefined);
    assert.equal(both.summary.enriched, body.summary.enriched + both.distinct.filter((d: { role: string }) => d.role === 'reference').length);
  });

  test('enrichment is bulk: the free tier is refused, naming it; a bad role is a 400', async () => {
    const res = await post({ text: TEXT }, '?enrich=true', free);
    assert.equal(res.statusCode, 403);
    assert.match(res.json().error.message, /free tier/);
    const bad = await post({ text: TEXT }, '?roles=indicator,nope');
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.details.parameter, 'roles');
  });

  test('an HTML document upload is read by the HTML reader', async () => {
    const html = '<html><head><title>Report</title></head><body><p>Payload from <a href="hxxp://evil-extract[.]com/p">here</a>, C2 203.0.113.50</p></body></html>';
    const { payload, headers } = multipartBody('report.html', 'text/html', html);
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/extract?enrich=true', headers: { ...h.auth(pro), ...headers }, payload });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.document.format, 'html');
    assert.ok(body.distinct.some((d: { value: string }) => d.value === '203.0.113.50'));
    assert.equal(body.distinct.find((d: { value: string }) => d.value === 'evil-extract.com')?.verdict?.found, true);
  });

  test('an .eml upload is read as a message', async () => {
    const eml = 'From: "Billing" <billing@evil-extract.com>\r\nTo: victim@example.org\r\nSubject: invoice\r\nMessage-ID: <1@evil-extract.com>\r\nDate: Mon, 30 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain\r\n\r\nPay at http://evil-extract.com/pay now.\r\n';
    const { payload, headers } = multipartBody('msg.eml', 'message/rfc822', eml);
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/extract', headers: { ...h.auth(pro), ...headers }, payload });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().document.format, 'eml');
    assert.ok(res.json().indicators.some((x: { source: string }) => x.source === 'header:from'));
  });

  test('bad uploads and bodies are 4xx in the envelope, never a 500', async () => {
    const pdf = multipartBody('broken.pdf', 'application/pdf', Buffer.from('%PDF-1.7\n1 0 obj garbage'));
    const broken = await h.app.inject({ method: 'POST', url: '/api/v1/extract', headers: { ...h.auth(pro), ...pdf.headers }, payload: pdf.payload });
    assert.equal(broken.statusCode, 400, broken.body);
    assert.equal(broken.json().error.code, 'invalid_parameter');
    const truncated = await h.app.inject({ method: 'POST', url: '/api/v1/extract', headers: { ...h.auth(pro), 'content-type': 'multipart/form-data; boundary=xyz' }, payload: '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nabc' });
    assert.ok(truncated.statusCode >= 400 && truncated.statusCode < 500, truncated.body);
    assert.ok(truncated.json().error.code);
    const empty = await h.app.inject({ method: 'POST', url: '/api/v1/extract', headers: { ...h.auth(pro), 'content-type': 'multipart/form-data; boundary=xyz' }, payload: '--xyz--\r\n' });
    assert.equal(empty.statusCode, 400, empty.body);
    const big = multipartBody('big.txt', 'text/plain', Buffer.alloc(10 * 1024 * 1024 + 10, 'a'));
    const tooBig = await h.app.inject({ method: 'POST', url: '/api/v1/extract', headers: { ...h.auth(pro), ...big.headers }, payload: big.payload });
    assert.equal(tooBig.statusCode, 413, tooBig.body);
    const noText = await post({ txt: 'x' });
    assert.equal(noText.statusCode, 400);
  });
});
