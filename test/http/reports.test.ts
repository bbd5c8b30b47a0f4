/** POST /api/v1/reports, GET /api/v1/reports and GET /api/v1/reports/{id}. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse as parseCsv } from 'csv-parse/sync';
import { onBothEngines, type Harness } from './harness.ts';
import type { ReportRecord } from '../../src/store/types.ts';

const json = { 'content-type': 'application/json' };
const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/documents/${name}`, import.meta.url));

type Part = { name: string; value: string } | { name: string; filename: string; type: string; content: Buffer | string };

function multipart(parts: Part[], boundary = 'verdictReportBoundary9x'): { payload: Buffer; headers: Record<string, string> } {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    if ('filename' in p) {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"; filename="${p.filename}"\r\nContent-Type: ${p.type}\r\n\r\n`));
      chunks.push(Buffer.isBuffer(p.content) ? p.content : Buffer.from(p.content));
      chunks.push(Buffer.from('\r\n'));
    } else {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"\r\n\r\n${p.value}\r\n`));
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

const TEXT = 'The actor staged payloads at 192.0.2.77 and hxxps://stage[.]quiet-harbor[.]example[.]com/p.bin, exploiting CVE-2023-4966 (T1190).';

/** The suites on one engine: `open` gives a harness over a fresh store of it. */
function suites(engine: string, open: () => Promise<Harness>): void {
  describe(`POST /api/v1/reports (${engine})`, () => {
    let h: Harness;
    let writer: string;
    let reader: string;
    let lookupOnly: string;
    before(async () => {
      h = await open();
      writer = (await h.createKey('pro', ['write:reports'])).key;
      reader = (await h.createKey('pro', ['read:iocs', 'read:lookup'])).key;
      lookupOnly = (await h.createKey('pro', ['read:lookup'])).key;
    });
    after(() => h.close());

    const post = (body: unknown, key = writer) => h.app.inject({ method: 'POST', url: '/api/v1/reports', headers: { ...h.auth(key), ...json }, payload: JSON.stringify(body) });

    test('JSON text: stored under internal-reports, its indicators become sightings with the report as origin', async () => {
      const res = await post({ title: 'Quiet Harbor', text: TEXT, published: '2026-11-01T08:00:00Z' });
      assert.equal(res.statusCode, 201, res.body);
      const body = res.json();
      assert.match(body.id, /^rpt_[0-9a-f]{24}$/);
      assert.equal(res.headers.location, `/api/v1/reports/${body.id}`);
      assert.equal(body.feed_id, 'internal-reports');
      assert.equal(body.title, 'Quiet Harbor');
      assert.equal(body.published, '2026-11-01T08:00:00.000Z');
      assert.equal(body.fetched, h.deps.clock().toISOString());
      const values = body.indicators.map((x: { value: string }) => x.value);
      assert.ok(values.includes('192.0.2.77'), values.join(' '));
      assert.ok(values.includes('https://stage.quiet-harbor.example.com/p.bin'), 'defanged URL refanged');
      assert.equal(body.indicator_count, body.indicators.length);
      assert.equal(body.by_type.ipv4, 1);
      assert.deepEqual(body.cves, ['CVE-2023-4966']);
      assert.deepEqual(body.attack_ids, ['T1190']);

      const sightings = await h.store.sightingsOf('ipv4', '192.0.2.77');
      assert.equal(sightings.length, 1);
      assert.equal(sightings[0]!.feedId, 'internal-reports');
      assert.equal(sightings[0]!.attributes.report_id, body.id);
      assert.equal(sightings[0]!.firstSeen, '2026-11-01T08:00:00.000Z', 'dated by the report');

      const lookup = await h.app.inject({ url: '/api/v1/lookup?value=192.0.2.77', headers: h.auth(reader) });
      assert.equal(lookup.statusCode, 200, lookup.body);
      const l = lookup.json();
      assert.equal(l.found, true);
      assert.deepEqual(l.related.reports.map((r: { id: string }) => r.id), [body.id]);
      assert.ok(l.related.related_iocs.some((x: { value: string }) => x.value === 'https://stage.quiet-harbor.example.com/p.bin'));
    });

    test("a submission is recorded as the internal-reports feed's run, with what it added", async () => {
      const res = await post({ title: 'Run record', text: 'Beacon to 192.0.2.91 and hxxp://run-record[.]example[.]net/x observed.' });
      assert.equal(res.statusCode, 201, res.body);
      const feeds = await h.app.inject({ url: '/api/v1/feeds', headers: h.auth() });
      const feed = (feeds.json().feeds as { id: string; health: { last_run: { status: string; started_at: string; result: { received: number; added: number } } | null } }[]).find((f) => f.id === 'internal-reports');
      assert.ok(feed, 'internal-reports is listed');
      const run = feed.health.last_run;
      assert.ok(run !== null, 'its last run is the submission');
      assert.equal(run.status, 'success');
      assert.equal(run.started_at, res.json().fetched);
      assert.ok(run.result.received >= 2, JSON.stringify(run.result));
      assert.ok(run.result.added >= 2, JSON.stringify(run.result));
    });

    test('the same text again is the same report, replaced', async () => {
      const a = (await post({ title: 'Quiet Harbor (again)', text: TEXT })).json();
      const b = (await post({ title: 'Quiet Harbor (again)', text: TEXT })).json();
      assert.equal(a.id, b.id);
      const other = (await post({ title: 'Other', text: `${TEXT} Also 192.0.2.78.` })).json();
      assert.notEqual(other.id, a.id);
      const stored = await h.store.reports.get(a.id);
      assert.equal(stored?.title, 'Quiet Harbor (again)');
    });

    test('an HTML document upload: the document\'s title, its indicators, CVEs and ATT&CK ids', async () => {
      const { payload, headers } = multipart([
        { name: 'url', value: 'https://intel.example.org/paper-lantern' },
        { name: 'file', filename: 'paper-lantern.html', type: 'text/html', content: fixture('paper-lantern.html') },
        { name: 'published', value: '2024-03-20' },
      ]);
      const res = await h.app.inject({ method: 'POST', url: '/api/v1/reports', headers: { ...h.auth(writer), ...headers }, payload });
      assert.equal(res.statusCode, 201, res.body);
      const body = res.json();
      assert.equal(body.title, 'Operation Paper Lantern');
      assert.equal(body.url, 'https://intel.example.org/paper-lantern');
      assert.equal(body.published, '2024-03-20T00:00:00.000Z');
      const values = body.indicators.map((x: { value: string }) => x.value);
      for (const v of ['203.0.113.45', '198.51.100.23', 'paper-lantern.example-cdn.top', 'lantern.ops@mail-relay.example.info', '44d88612fea8a8f36de82e1278abb02f']) assert.ok(values.includes(v), `${v} in ${values.join(' ')}`);
      assert.ok(!values.some((v: string) => v.includes('example-research.org') || v.includes('nvd.nist.gov')), 'references are left out');
      assert.deepEqual(body.cves, ['CVE-2024-3400']);
      assert.deepEqual(body.attack_ids, ['T1566.001']);
      assert.equal(body.by_type.domain, 5);
      const s = await h.store.sightingsOf('md5', '44d88612fea8a8f36de82e1278abb02f');
      assert.equal(s[0]?.attributes.report_name, 'Operation Paper Lantern');
      const got = await h.app.inject({ url: `/api/v1/reports/${body.id}`, headers: h.auth(reader) });
      assert.equal(got.statusCode, 200, got.body);
      assert.deepEqual(got.json(), body, 'GET answers the report as POST did');
    });

    test('a title field wins over the document\'s; a document without a title is named by its file', async () => {
      const titled = multipart([
        { name: 'title', value: 'Lantern, our notes' },
        { name: 'file', filename: 'paper-lantern.html', type: 'text/html', content: fixture('paper-lantern.html') },
      ]);
      const a = await h.app.inject({ method: 'POST', url: '/api/v1/reports', headers: { ...h.auth(writer), ...titled.headers }, payload: titled.payload });
      assert.equal(a.statusCode, 201, a.body);
      assert.equal(a.json().title, 'Lantern, our notes');
      const plain = multipart([{ name: 'file', filename: 'notes.txt', type: 'text/plain', content: 'beacon to 192.0.2.99' }]);
      const b = await h.app.inject({ method: 'POST', url: '/api/v1/reports', headers: { ...h.auth(writer), ...plain.headers }, payload: plain.payload });
      assert.equal(b.statusCode, 201, b.body);
      assert.equal(b.json().title, 'notes.txt');
      assert.deepEqual(b.json().indicators, [{ type: 'ipv4', value: '192.0.2.99' }]);
    });

    test('scopes: write:reports or admin to submit; read:iocs to read; 401 without a key', async () => {
      const body = { title: 'Scoped', text: 'seen 192.0.2.120' };
      for (const key of [reader, lookupOnly]) {
        const res = await post(body, key);
        assert.equal(res.statusCode, 403, res.body);
        assert.equal(res.json().error.code, 'insufficient_scope');
        assert.equal(res.json().error.details.required, 'write:reports');
      }
      assert.equal((await post(body, h.adminKey)).statusCode, 201);
      const anon = await h.app.inject({ method: 'POST', url: '/api/v1/reports', headers: json, payload: JSON.stringify(body) });
      assert.equal(anon.statusCode, 401);
      for (const url of ['/api/v1/reports', '/api/v1/reports/rpt_x']) {
        const res = await h.app.inject({ url, headers: h.auth(lookupOnly) });
        assert.equal(res.statusCode, 403, res.body);
        assert.equal(res.json().error.details.required, 'read:iocs');
        assert.equal((await h.app.inject({ url, headers: h.auth(writer) })).statusCode, 403, 'write:reports does not read');
      }
      assert.equal((await h.app.inject({ url: '/api/v1/reports', headers: h.auth(reader) })).statusCode, 200);
    });

    test('bad input is a 4xx in the envelope, never a 500', async () => {
      const cases: [unknown, number, string, string][] = [
        [{ text: TEXT }, 400, 'missing_parameter', 'title'],
        [{ title: '  ', text: TEXT }, 400, 'missing_parameter', 'title'],
        [{ title: 'x' }, 400, 'missing_parameter', 'text'],
        [{ title: 'x', text: 42 }, 400, 'missing_parameter', 'text'],
        [{ title: 7, text: TEXT }, 400, 'invalid_parameter', 'title'],
        [{ title: 'x'.repeat(501), text: TEXT }, 400, 'invalid_parameter', 'title'],
        [{ title: 'x', text: TEXT, url: 'ftp://example.org/r' }, 400, 'invalid_parameter', 'url'],
        [{ title: 'x', text: TEXT, url: 'not a url' }, 400, 'invalid_parameter', 'url'],
        [{ title: 'x', text: TEXT, published: 'yesterday' }, 400, 'invalid_parameter', 'published'],
        [{ title: 'x', text: TEXT, published: '2026-02-30T00:00:00Z' }, 400, 'invalid_parameter', 'published'],
        [['x'], 400, 'missing_parameter', 'text'],
      ];
      for (const [body, status, code, parameter] of cases) {
        const res = await post(body);
        assert.equal(res.statusCode, status, `${JSON.stringify(body).slice(0, 80)}: ${res.body}`);
        assert.equal(res.json().error.code, code, JSON.stringify(body).slice(0, 80));
        assert.equal(res.json().error.details.parameter, parameter, JSON.stringify(body).slice(0, 80));
        assert.match(res.json().error.request_id, /^req_/);
      }
      const plain = await h.app.inject({ method: 'POST', url: '/api/v1/reports', headers: { ...h.auth(writer), 'content-type': 'text/plain' }, payload: TEXT });
      assert.equal(plain.statusCode, 415);
      assert.equal(plain.json().error.code, 'unsupported_media_type');
      const broken = await h.app.inject({ method: 'POST', url: '/api/v1/reports', headers: { ...h.auth(writer), ...json }, payload: '{"title": "x", "text": ' });
      assert.equal(broken.statusCode, 400);
      assert.ok(broken.json().error.code);
    });

    test('bad uploads: no file, an unreadable document, too large', async () => {
      const noFile = multipart([{ name: 'title', value: 'x' }]);
      const a = await h.app.inject({ method: 'POST', url: '/api/v1/reports', headers: { ...h.auth(writer), ...noFile.headers }, payload: noFile.payload });
      assert.equal(a.statusCode, 400, a.body);
      assert.equal(a.json().error.details.parameter, 'file');

      const locked = multipart([{ name: 'file', filename: 'locked.pdf', type: 'application/pdf', content: fixture('paper-lantern-encrypted.pdf') }]);
      const b = await h.app.inject({ method: 'POST', url: '/api/v1/reports', headers: { ...h.auth(writer), ...locked.headers }, payload: locked.payload });
      assert.equal(b.statusCode, 400, b.body);
      assert.equal(b.json().error.code, 'invalid_parameter');
      assert.match(b.json().error.message, /cannot be read/);

      const big = multipart([{ name: 'file', filename: 'big.txt', type: 'text/plain', content: Buffer.alloc(10 * 1024 * 1024 + 1, 0x61) }]);
      const c = await h.app.inject({ method: 'POST', url: '/api/v1/reports', headers: { ...h.auth(writer), ...big.headers }, payload: big.payload });
      assert.equal(c.statusCode, 413, c.body.slice(0, 300));
      assert.equal(c.json().error.code, 'payload_too_large');

      const two = multipart([
        { name: 'file', filename: 'a.txt', type: 'text/plain', content: '192.0.2.1' },
        { name: 'file', filename: 'b.txt', type: 'text/plain', content: '192.0.2.2' },
      ]);
      const d = await h.app.inject({ method: 'POST', url: '/api/v1/reports', headers: { ...h.auth(writer), ...two.headers }, payload: two.payload });
      assert.equal(d.statusCode, 413, d.body);

      const badField = multipart([
        { name: 'published', value: 'soon' },
        { name: 'file', filename: 'a.txt', type: 'text/plain', content: '192.0.2.1' },
      ]);
      const e = await h.app.inject({ method: 'POST', url: '/api/v1/reports', headers: { ...h.auth(writer), ...badField.headers }, payload: badField.payload });
      assert.equal(e.statusCode, 400, e.body);
      assert.equal(e.json().error.details.parameter, 'published');
    });
  });

  describe(`GET /api/v1/reports (${engine})`, () => {
    let h: Harness;
    let reader: string;
    const report = (n: number, over: Partial<ReportRecord>): ReportRecord => ({
      id: `rpt_${String(n).padStart(24, '0')}`,
      feedId: 'unit42',
      title: `Report ${n}`,
      url: `https://blog.example.org/${n}`,
      published: `2026-0${n}-01T00:00:00.000Z`,
      fetched: '2026-11-30T00:00:00.000Z',
      indicators: [],
      attackIds: [],
      cves: [],
      ...over,
    });
    const R = [
      report(1, { title: 'Loader campaign against banks', indicators: [{ type: 'ipv4', value: '198.51.100.1' }], cves: ['CVE-2024-3400'] }),
      report(2, { title: 'Ransomware notes', feedId: 'dfir-report', indicators: [{ type: 'sha256', value: 'a'.repeat(64) }], attackIds: ['T1486'] }),
      report(3, { title: 'Quarterly review, no indicators' }),
      report(4, { title: '=HYPERLINK("http://x") phishing kit', feedId: 'internal-reports', indicators: [{ type: 'domain', value: 'kit.example.com' }, { type: 'ipv4', value: '198.51.100.4' }], attackIds: ['T1566.001'], cves: ['CVE-2023-4966'] }),
      report(5, { title: 'Banking trojan, part two', published: null, fetched: '2026-05-15T00:00:00.000Z', indicators: [{ type: 'url', value: 'https://dl.example.net/x' }], cves: ['CVE-2024-3400'] }),
    ];
    // newest first: 5 (fetched 2026-05-15, no date of its own), 4, 3, 2, 1
    const ORDER = [R[4]!, R[3]!, R[2]!, R[1]!, R[0]!].map((r) => r.id);

    before(async () => {
      h = await open();
      reader = (await h.createKey('pro', ['read:iocs'])).key;
      for (const r of R) await h.store.reports.put(r);
    });
    after(() => h.close());

    const list = (query: string, key = reader) => h.app.inject({ url: `/api/v1/reports${query}`, headers: h.auth(key) });
    const ids = async (query: string): Promise<string[]> => {
      const res = await list(query);
      assert.equal(res.statusCode, 200, `${query}: ${res.body}`);
      return res.json().reports.map((r: { id: string }) => r.id);
    };

    test('newest first, a page at a time through links.next and the Link header', async () => {
      const seen: string[] = [];
      let next: string | null = '/api/v1/reports?limit=2&has_iocs=true';
      let pages = 0;
      while (next !== null) {
        const res: Awaited<ReturnType<typeof list>> = await h.app.inject({ url: next, headers: h.auth(reader) });
        assert.equal(res.statusCode, 200, res.body);
        const body = res.json();
        assert.ok(body.reports.length <= 2);
        seen.push(...body.reports.map((r: { id: string }) => r.id));
        next = body.links.next;
        if (next !== null) {
          assert.equal(res.headers.link, `<${next}>; rel="next"`);
          assert.match(next, /has_iocs=true/, 'the filters carry over');
        } else assert.equal(res.headers.link, undefined);
        pages += 1;
        assert.ok(pages < 10);
      }
      assert.equal(pages, 2);
      assert.deepEqual(seen, ORDER.filter((id) => id !== R[2]!.id));
      assert.deepEqual(await ids(''), ORDER, 'default page holds them all');
    });

    test('each filter', async () => {
      assert.deepEqual(await ids('?q=BANK'), [R[4]!.id, R[0]!.id], 'q: title words, case-insensitive');
      assert.deepEqual(await ids('?q=100%25'), [], 'q: % is a character, not a wildcard');
      assert.deepEqual(await ids('?since=2026-04-01'), [R[4]!.id, R[3]!.id]);
      assert.deepEqual(await ids('?since=2026-03-01T00:00:00Z'), [R[4]!.id, R[3]!.id, R[2]!.id]);
      assert.deepEqual(await ids('?feed=dfir-report'), [R[1]!.id]);
      assert.deepEqual(await ids('?has_iocs=false'), [R[2]!.id]);
      assert.deepEqual(await ids('?cve=cve-2024-3400'), [R[4]!.id, R[0]!.id], 'cve: canonical form');
      assert.deepEqual(await ids('?technique=t1566.001'), [R[3]!.id]);
      assert.deepEqual(await ids('?technique=T1486'), [R[1]!.id]);
      assert.deepEqual(await ids('?type=ipv4'), [R[3]!.id, R[0]!.id]);
      assert.deepEqual(await ids('?type=IPv4&feed=internal-reports'), [R[3]!.id], 'filters combine');
      assert.deepEqual(await ids('?type=sha256'), [R[1]!.id]);
    });

    test('a listed report: counts, ids and no indicator list', async () => {
      const res = await list('?feed=internal-reports');
      const r = res.json().reports[0];
      assert.deepEqual(r, {
        id: R[3]!.id, feed_id: 'internal-reports', title: R[3]!.title, url: R[3]!.url, published: R[3]!.published, fetched: R[3]!.fetched,
        indicator_count: 2, by_type: { domain: 1, ipv4: 1 }, attack_ids: ['T1566.001'], cves: ['CVE-2023-4966'],
      });
    });

    test('format=ndjson and format=csv', async () => {
      const nd = await list('?format=ndjson&limit=3');
      assert.equal(nd.statusCode, 200, nd.body);
      assert.match(String(nd.headers['content-type']), /^application\/x-ndjson/);
      const lines = nd.body.trimEnd().split('\n').map((l) => JSON.parse(l));
      assert.deepEqual(lines.map((l: { id: string }) => l.id), ORDER.slice(0, 3));
      assert.equal(lines[1].indicator_count, 2);
      assert.match(String(nd.headers.link), /cursor=/, 'the next page in the Link header');

      const csv = await list('?format=csv');
      assert.equal(csv.statusCode, 200, csv.body);
      assert.match(String(csv.headers['content-type']), /^text\/csv/);
      const rows = parseCsv(csv.body, { columns: true }) as Record<string, string>[];
      assert.deepEqual(rows.map((r) => r.id), ORDER);
      const four = rows.find((r) => r.id === R[3]!.id)!;
      assert.equal(four.title, `'${R[3]!.title}`, 'a formula-looking cell is escaped');
      assert.equal(four.cves, 'CVE-2023-4966');
      assert.equal(four.indicator_count, '2');
      assert.equal(rows.find((r) => r.id === R[4]!.id)!.published, '', 'no date: an empty cell');
      assert.equal(csv.headers.link, undefined, 'one page');
    });

    test('GET /api/v1/reports/{id}: the report with its indicators; 404 in the envelope', async () => {
      const res = await h.app.inject({ url: `/api/v1/reports/${R[3]!.id}`, headers: h.auth(reader) });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json().indicators, R[3]!.indicators);
      assert.deepEqual(res.json().attack_ids, ['T1566.001']);
      const missing = await h.app.inject({ url: '/api/v1/reports/rpt_nope', headers: h.auth(reader) });
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().error.code, 'not_found');
      assert.match(missing.json().error.request_id, /^req_/);
    });

    test('bad parameters are 400 naming them', async () => {
      const cases: [string, string][] = [
        ['?cursor=bm90LWEtY3Vyc29y', 'cursor'],
        ['?cursor=%E2%9C%93', 'cursor'],
        ['?since=last-week', 'since'],
        ['?cve=CVE-12', 'cve'],
        ['?technique=X1234', 'technique'],
        ['?type=colour', 'type'],
        ['?limit=0', 'limit'],
        ['?limit=501', 'limit'],
        ['?format=xml', 'format'],
        ['?has_iocs=maybe', 'has_iocs'],
      ];
      for (const [query, parameter] of cases) {
        const res = await list(query);
        assert.equal(res.statusCode, 400, `${query}: ${res.body}`);
        assert.equal(res.json().error.code, 'invalid_parameter', query);
        assert.match(JSON.stringify(res.json().error.details), new RegExp(parameter), `${query}: ${res.body}`);
      }
    });

    test('the routes are in the OpenAPI document', async () => {
      const doc = (await h.app.inject({ url: '/openapi.json' })).json();
      assert.ok(doc.paths['/api/v1/reports'].get.parameters.some((p: { name: string }) => p.name === 'technique'));
      assert.ok(doc.paths['/api/v1/reports'].post.responses['201']);
      assert.ok(doc.paths['/api/v1/reports/{id}'].get.responses['404']);
    });
  });
}

await onBothEngines(suites);
