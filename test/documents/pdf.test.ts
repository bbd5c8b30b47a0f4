// PDF documents: page by page, link annotations, running headers, broken URLs, damaged and
// encrypted files (an error result, never a crash).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { extractFromDocument, readDocument } from '../../src/documents/index.ts';
import { assertOffsetsHold, briefs, fixture, readOk } from './helpers.ts';
import { makePdf } from './pdf-maker.ts';

describe('PDF: pages', () => {
  test('each indicator says its page; offsets point into that page; running headers and page numbers dropped', async () => {
    const header = 'ACME Threat Research | TLP:CLEAR';
    const pdf = makePdf({
      info: { Title: 'Loader report', Author: 'ACME', CreationDate: "D:20240301120000+01'00'" },
      pages: [
        [header, 'Summary', 'The loader came from hxxps://evil[.]example[.]com/a and 198.51.100.7.', 'Page 1 of 3'],
        [header, 'It used CVE\u20132024\u20133400 and T1566.001.', 'Page 2 of 3'],
        [header, 'References', 'https://attack.mitre.org/techniques/T1566/001/', 'Page 3 of 3'],
      ],
    });
    const doc = await readOk(pdf, { name: 'report.pdf' });
    assert.equal(doc.format, 'pdf');
    assert.deepEqual(doc.metadata, { pages: 3, title: 'Loader report', author: 'ACME', date: '2024-03-01T11:00:00.000Z' });
    assert.deepEqual(doc.parts.map((p) => [p.source, p.page, p.text]), [
      ['page', 1, `${header}\nSummary\nThe loader came from hxxps://evil[.]example[.]com/a and 198.51.100.7.`],
      ['page', 2, 'It used CVE–2024–3400 and T1566.001.'],
      ['page', 3, 'References\nhttps://attack.mitre.org/techniques/T1566/001/'],
    ]);
    assert.deepEqual(briefs(doc, ['url', 'ipv4', 'cve', 'mitre-attack']), [
      'page page 1 | indicator url https://evil.example.com/a',
      'page page 1 | indicator ipv4 198.51.100.7',
      'page page 2 | indicator cve CVE-2024-3400',
      'page page 2 | indicator mitre-attack T1566.001',
      'page page 3 | reference url https://attack.mitre.org/techniques/T1566/001/',
    ]);
    const cve = extractFromDocument(doc).find((x) => x.type === 'cve');
    assert.equal(doc.parts[cve?.part ?? -1]?.text.slice(cve?.start, cve?.end), 'CVE–2024–3400');
    assertOffsetsHold(doc);
  });

  test('a references section that runs onto the next page is still one', async () => {
    const doc = await readOk(makePdf({ pages: [['Body text, C2 evil.example.com', 'References', 'https://blog.example.org/one'], ['https://blog.example.org/two', 'Appendix:', 'https://evil.example.net/x']] }));
    assert.deepEqual(briefs(doc, ['url']), [
      'page page 1 | reference url https://blog.example.org/one',
      'page page 2 | reference url https://blog.example.org/two',
      'page page 2 | indicator url https://evil.example.net/x',
    ]);
  });

  test('link annotations: a button\'s target is an indicator, a titled link a reference, a link over its own URL not repeated', async () => {
    const doc = await readOk(makePdf({
      pages: [{
        lines: ['Your document is ready', 'Click to open the shared document', 'Read our analysis of the campaign', 'https://files.example.org/shared'],
        links: [{ uri: 'https://login.evil-share.example.com/doc?id=1', line: 1 }, { uri: 'https://blog.example.org/analysis', line: 2 }, { uri: 'https://files.example.org/shared', line: 3 }],
      }],
    }));
    assert.deepEqual(briefs(doc, ['url']), [
      'page page 1 | indicator url https://files.example.org/shared',
      'pdf-link page 1 | indicator url https://login.evil-share.example.com/doc?id=1',
      'pdf-link page 1 | reference url https://blog.example.org/analysis',
    ]);
  });

  test('ligatures spelled out, URLs broken at the margin joined', async () => {
    const doc = await readOk(makePdf({
      pages: [{ lines: [
        'The \ufb01rst stage was downloaded from https://files.example-cdn.top/downloads/',
        'stage2/payload.bin and contacted update-',
        'service.example.net at the o\ufb03ce.',
        { text: 'A justified line spread to the margin ends with https://long.example.org/a/b/c/inv', justify: true },
        'oice_2024.zip then more.',
      ] }],
    }));
    assert.deepEqual(briefs(doc, ['url', 'domain']).filter((b) => !b.includes('domain') || b.includes('update')), [
      'page page 1 | indicator url https://files.example-cdn.top/downloads/stage2/payload.bin',
      'page page 1 | indicator domain update-service.example.net',
      'page page 1 | indicator url https://long.example.org/a/b/c/invoice_2024.zip',
    ]);
    assert.match(doc.parts[0]?.text ?? '', /The first stage/);
  });

  test('a report exported by LibreOffice: broken URL, hyphen-broken domain and address, titled links', async () => {
    const doc = await readOk(fixture('paper-lantern.pdf'));
    assert.equal(doc.metadata.producer, 'LibreOffice 7.4');
    const got = briefs(doc, ['url', 'email', 'domain', 'cve', 'sha256', 'ipv4']).filter((b) => !b.includes(' domain ') || !/files\.|c2\.|mail-relay|attack|example-research|nvd/.test(b));
    assert.deepEqual(got, [
      'page page 1 | indicator url https://files.paper-lantern.example-cdn.top/downloads/2024/03/invoice_statement_0311_final_version.zip',
      'page page 1 | indicator ipv4 203.0.113.45',
      'page page 1 | indicator cve CVE-2024-3400',
      'page page 1 | indicator url https://c2.lantern-ops.example.ru/api/v2/beacon',
      'page page 1 | indicator domain update-service.example.net',
      'page page 1 | indicator email lantern.ops@mail-relay.example.info',
      'page page 1 | indicator sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'page page 1 | indicator domain paper-lantern.example-cdn.top',
      'page page 1 | indicator ipv4 198.51.100.23',
      'page page 1 | indicator cve CVE-2024-3400',
      'page page 1 | reference url https://attack.mitre.org/techniques/T1566/001/',
      'pdf-link page 1 | reference url https://www.example-research.org/blog/paper-lantern-part-one',
      'pdf-link page 1 | reference url https://nvd.nist.gov/vuln/detail/CVE-2024-3400',
    ]);
    assertOffsetsHold(doc);
  });
});

describe('PDF: what cannot be read is an error, never a crash', () => {
  test('an encrypted PDF', async () => {
    const r = await readDocument(fixture('paper-lantern-encrypted.pdf'));
    assert.deepEqual(r.ok ? null : r.error.code, 'encrypted');
    assert.match(r.ok ? '' : r.error.message, /password/);
  });

  test('a PDF encrypted with an owner password only opens, as in any reader', async () => {
    const doc = await readOk(fixture('paper-lantern-owner-password.pdf'));
    assert.ok(briefs(doc, ['cve']).includes('page page 1 | indicator cve CVE-2024-3400'));
  });

  const good = makePdf({ pages: [['evil.example.com']] });
  const DAMAGED: [string, Buffer][] = [
    ['a header and nothing else', Buffer.from('%PDF-1.7\n')],
    ['a header and garbage', Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(4096, 0x41)])],
    ['a file cut in half', good.subarray(0, good.length >> 1)],
    ['objects with their streams corrupted', Buffer.from(good.toString('latin1').replace(/stream\n[\s\S]*?\nendstream/g, 'stream\nxxxxxxxx\nendstream'), 'latin1')],
  ];
  for (const [name, bytes] of DAMAGED) {
    test(name, async () => {
      const r = await readDocument(bytes);
      if (r.ok) assert.ok(Array.isArray(r.document.parts), 'read what could be read');
      else assert.equal(r.error.code, 'corrupt');
    });
  }

  test('random bytes after a PDF header, many times over', async () => {
    let seed = 7;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 20; i++) {
      const bytes = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from(Array.from({ length: 2000 }, random)), good.subarray(good.length - 200)]);
      const r = await readDocument(bytes);
      assert.ok(r.ok || r.error.code === 'corrupt');
    }
  });

  test('a PDF without a text layer says so', async () => {
    const doc = await readOk(makePdf({ pages: [[], []] }));
    assert.deepEqual(doc.parts.map((p) => p.text), ['', '']);
    assert.match(doc.warnings.join('\n'), /no page has a text layer/);
  });
});
