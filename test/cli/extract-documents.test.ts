// `verdict extract FILE`, run as a user runs it (the built command): documents in, indicators with
// where they came from out; unreadable documents are an error on stderr, never a crash.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runVerdict } from './run.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { batchJson, extractFromDocument, readDocument } from '../../src/documents/index.ts';
import { makePdf } from '../documents/pdf-maker.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/documents/', import.meta.url));

const run = (args: string[], stdin: string | Buffer = '') => runVerdict(['extract', ...args], stdin);

interface Output {
  document: { name: string; format: string; parts: { source: string; page?: number; chars: number; text?: string }[]; attachments: { name: string; sha256: string }[]; warnings: string[] };
  indicators: { type: string; value: string; role: string; source: string; page?: number; part?: number; start?: number; end?: number; attachment?: string; within?: string[] }[];
}

describe('verdict extract FILE', { concurrency: true }, () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'verdict-extract-documents-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a message: its summary, then every indicator with its source; attachment digests last', async () => {
    const r = await run([join(FIXTURES, 'phishing-report.eml')]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Output;
    assert.equal(out.document.format, 'eml');
    assert.deepEqual(out.document.attachments.map((a) => a.name), ['invoice-0311.pdf', 'statement.zip', 'original.eml']);
    assert.ok(out.document.parts.every((p) => p.text === undefined), 'texts only with --text');
    const first = out.indicators[0];
    assert.deepEqual(first, { type: 'email', value: 'security@example-bank.top', role: 'indicator', source: 'header:from', part: 0, start: 25, end: 50 });
    const last = out.indicators[out.indicators.length - 1];
    assert.deepEqual(last, { type: 'sha256', value: '8ce2f90e1d2b64a8307f422731bbe74034b83ff206d76ce61506f17ee1c290c7', role: 'indicator', source: 'attachment', attachment: 'original.eml' });
    assert.ok(out.indicators.some((x) => x.source === 'received' && x.value === '2001:db8:85a3::8a2e:370:7334'));
  });

  test('--text prints the parts\' texts, which the offsets refer to; --types filters', async () => {
    const r = await run([join(FIXTURES, 'phishing-page.html'), '--text', '--types', 'url']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Output;
    assert.equal(out.document.format, 'html');
    assert.ok(out.indicators.length > 10);
    for (const x of out.indicators) {
      assert.equal(x.type, 'url');
      const text = out.document.parts[x.part ?? -1]?.text ?? '';
      assert.ok(text.slice(x.start, x.end).length > 0);
    }
    assert.ok(out.indicators.some((x) => x.source === 'html-href' && x.role === 'reference'));
  });

  test('the format is read from the content, not the name; --as overrides it', async () => {
    const pdfNamedTxt = join(dir, 'notes.txt');
    writeFileSync(pdfNamedTxt, makePdf({ pages: [['C2 at 198.51.100.77']] }));
    const sniffed = JSON.parse((await run([pdfNamedTxt])).stdout) as Output;
    assert.equal(sniffed.document.format, 'pdf');
    assert.deepEqual(sniffed.indicators.map((x) => [x.source, x.page, x.value]), [['page', 1, '198.51.100.77']]);
    const asText = JSON.parse((await run([join(FIXTURES, 'phishing-page.html'), '--as', 'text'])).stdout) as Output;
    assert.equal(asText.document.format, 'text');
  });

  test('- reads the document from stdin', async () => {
    const r = await run(['-'], makePdf({ pages: [['from stdin: evil.example.com']] }));
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Output;
    assert.deepEqual([out.document.format, out.indicators.map((x) => x.value)], ['pdf', ['evil.example.com']]);
  });

  const REFUSED: [string, () => string, RegExp][] = [
    ['an encrypted PDF', () => join(FIXTURES, 'paper-lantern-encrypted.pdf'), /encrypted: it needs a password.*\(encrypted\)/],
    ['a damaged PDF', () => {
      const f = join(dir, 'damaged.pdf');
      writeFileSync(f, Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(2048, 0x20)]));
      return f;
    }, /\(corrupt\)/],
    ['an archive', () => {
      const f = join(dir, 'report.docx');
      writeFileSync(f, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]));
      return f;
    }, /ZIP archive.*\(unsupported_format\)/],
    ['a file that does not exist', () => join(dir, 'nothing-here.pdf'), /cannot read .*nothing-here\.pdf/],
  ];
  for (const [name, file, message] of REFUSED) {
    test(`${name}: a message on stderr, exit code 1, nothing on stdout`, async () => {
      const r = await run([file()]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    });
  }

  test('--format ndjson with a FILE is a usage error', async () => {
    const r = await run([join(FIXTURES, 'phishing-page.html'), '--format', 'ndjson']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /ndjson reads records from stdin/);
  });

  test('a large text is written out in batches and gives what the library gives, in order', async () => {
    const lines: string[] = [];
    for (let i = 0; lines.length * 90 < 3 * 1024 * 1024; i++) lines.push(`deny src=198.51.${(i >> 8) & 255}.${i & 255} host=h${i % 500}.evil[.]example.com CVE-2024-${1000 + (i % 9000)} ok`);
    const file = join(dir, 'big.log');
    writeFileSync(file, lines.join('\n'));
    const r = await run([file]);
    assert.equal(r.code, 0, r.stderr);
    const read = await readDocument(Buffer.from(lines.join('\n')));
    assert.ok(read.ok);
    const expected = batchJson(extractFromDocument(read.document));
    const got = r.stdout.slice(r.stdout.indexOf(',"indicators":[') + 15, -3);
    assert.equal(got.length, expected.length);
    assert.ok(got === expected, 'the same indicators, in the same order');
  });

  test('--unique: each indicator once, in order of first occurrence, with its count', async () => {
    const file = join(dir, 'repeated.txt');
    const text = 'C2 at 198.51.100.7 and evil-gate[.]top, again 198.51.100.7 (T1071.001).\nSee https://attack.mitre.org/techniques/T1071/ and hxxp://evil-gate[.]top/gate.php\n';
    writeFileSync(file, text.repeat(3));
    const here = await run([file, '--unique']);
    assert.equal(here.code, 0, here.stderr);
    const out = JSON.parse(here.stdout) as { document: { format: string }; indicators: { type: string; value: string; role: string; count: number }[] };
    assert.equal(out.document.format, 'text');
    assert.deepEqual(out.indicators.map((x) => `${x.type} ${x.value} ${x.role} ${x.count}`), [
      'ipv4 198.51.100.7 indicator 6',
      // the bare name and the host of the URL below
      'domain evil-gate.top indicator 6',
      'mitre-attack T1071.001 indicator 3',
      'url https://attack.mitre.org/techniques/T1071/ reference 3',
      'domain attack.mitre.org reference 3',
      'url http://evil-gate.top/gate.php indicator 3',
    ]);
    // text on stdin too
    const piped = await runVerdict(['extract', '--unique'], text);
    assert.deepEqual((JSON.parse(piped.stdout) as typeof out).indicators.map((x) => x.count), [2, 2, 1, 1, 1, 1]);
    assert.equal((JSON.parse(piped.stdout) as typeof out).indicators[2]?.value, 'T1071.001');
  });
});
