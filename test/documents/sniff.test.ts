// Format sniffing: content first, the file name only when the content does not tell.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sniffFormat } from '../../src/documents/index.ts';

const bytes = (s: string | number[]): Uint8Array => (typeof s === 'string' ? Buffer.from(s, 'latin1') : Uint8Array.from(s));

describe('sniffFormat', () => {
  const FORMATS: [string, string | number[], string | undefined, string][] = [
    ['a PDF, whatever its name', '%PDF-1.7\n1 0 obj', 'report.txt', 'pdf'],
    ['a PDF header after some junk', 'garbage\r\n%PDF-1.4\n', undefined, 'pdf'],
    ['a message with Received and From', 'Received: from a by b\r\nFrom: x@example.com\r\nSubject: hi\r\n\r\nbody', undefined, 'eml'],
    ['a message with folded headers', 'From: x@example.com\r\nTo: y@example.com,\r\n z@example.com\r\nSubject: hi\r\n\r\nbody', 'mail.txt', 'eml'],
    ['an mbox file', 'From MAILER-DAEMON Tue Mar  5 09:00:00 2024\nFrom: x@example.com\nDate: Tue, 5 Mar 2024\n\nbody', undefined, 'eml'],
    ['one header line in a .eml file', 'X-Custom: 1\n\nbody', 'a.eml', 'eml'],
    ['an HTML document', '<!DOCTYPE html><html><body>x</body></html>', 'page.txt', 'html'],
    ['HTML after a BOM and a comment', '\xef\xbb\xbf<!-- saved --> <html>', undefined, 'html'],
    ['an HTML fragment named .html', 'Hello <b>there</b>', 'x.html', 'html'],
    ['HTML markup later in the text', 'Saved page\n\n<div class="a">x</div>', undefined, 'html'],
    ['plain text', 'C2 at 198.51.100.7 and evil.example.com', undefined, 'text'],
    ['a Markdown report', '# Report\n\nSee [x](https://example.com).', 'r.md', 'text'],
    ['a "Subject:" line in prose is not a message', 'Subject: the loader\nIt was seen at evil.example.com', undefined, 'text'],
    ['UTF-16 text with its BOM', [0xff, 0xfe, 0x68, 0x00, 0x69, 0x00], undefined, 'text'],
  ];
  for (const [name, content, file, format] of FORMATS) {
    test(name, () => assert.deepEqual(sniffFormat(bytes(content), file), { ok: true, format }));
  }

  const REFUSED: [string, number[] | string, string | undefined, RegExp][] = [
    ['a ZIP archive (or Office document)', [0x50, 0x4b, 0x03, 0x04, 0, 0], 'report.docx', /ZIP archive/],
    ['an Outlook .msg', [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0], 'mail.msg', /Outlook \.msg/],
    ['a Windows program', 'MZ\x90\x00\x03', 'invoice.pdf.exe', /Windows executable/],
    ['binary data', [0x01, 0x00, 0x02, 0x00], undefined, /NUL bytes/],
    ['a .pdf that is not one', 'just some text', 'report.pdf', /without a PDF header/],
  ];
  for (const [name, content, file, message] of REFUSED) {
    test(`refuses ${name}, naming it`, () => {
      const r = sniffFormat(bytes(content), file);
      assert.equal(r.ok, false);
      assert.match(r.ok ? '' : r.looksLike, message);
    });
  }
});
