// A PDF's text runs to lines and page texts: spaces from gaps, ligatures, soft hyphens, running
// headers and footers, URLs and domains broken across lines.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { breaksInsideUrl, cleanLine, pageLines, pageTexts, type PdfLine, type TextRun } from '../../src/documents/pdf-text.ts';

const run = (str: string, x: number, y: number, width = str.length * 5, eol = false): TextRun => ({ str, x, y, width, size: 10, eol });
const line = (text: string, right = 300): PdfLine => ({ text, right, size: 10 });

describe('pageLines', () => {
  test('runs on one baseline are one line; a gap wider than kerning is a space', () => {
    const lines = pageLines([run('C2', 72, 700), run('at', 87, 700), run('evil', 100, 700), run('.example', 120, 700), run('next', 72, 686)]);
    assert.deepEqual(lines.map((l) => l.text), ['C2 at evil.example', 'next']);
    assert.equal(lines[0]?.right, 120 + 40);
  });
  test('a line end the library saw breaks the line even on the same baseline', () => {
    assert.deepEqual(pageLines([run('one', 72, 700, 15, true), run('two', 72, 700)]).map((l) => l.text), ['one', 'two']);
  });
  test('empty runs and blank lines give no line', () => {
    assert.deepEqual(pageLines([run('', 72, 700, 0, true), run('  ', 72, 690), run('x', 72, 680)]).map((l) => l.text), ['x']);
  });
});

describe('cleanLine', () => {
  const CASES: [string, string, string][] = [
    ['ligatures spelled out', 'the \ufb01le and \ufb02ag, e\ufb00ect', 'the file and flag, effect'],
    ['soft hyphens inside a line removed', 'com\u00adpromise', 'compromise'],
    ['zero-width spaces (break hints in URLs) removed', 'https://evil.example.com/\u200bpath/\u200bx', 'https://evil.example.com/path/x'],
    ['a soft hyphen at the end kept for the join', 'com\u00ad', 'com\u00ad'],
  ];
  for (const [name, input, expected] of CASES) test(name, () => assert.equal(cleanLine(input), expected));
});

describe('breaksInsideUrl', () => {
  // [line, next line, line reaches the margin, joined?]
  const CASES: [string, string, boolean, boolean][] = [
    ['from https://files.example-cdn.top/downloads/2024/03/invoice_statement_', '0311_final.zip and then', true, true],
    ['from https://files.example-cdn.top/downloads/', 'stage2/payload.bin was', false, true],
    ['see https://evil.example.com/a/b/c/d/inv', 'oice_2024.zip and more', true, true],
    ['see https://evil.example.com/login.php?user=', 'victim&step=2 next', false, true],
    ['the host hxxps://evil[.]example[.]com', '/gate.php was', false, true],
    ['contacted update-', 'service.example.net, and', false, true],
    ['contacted update-', 'service[.]example[.]net, and', false, true],
    ['wrote from lantern.ops@mail-', 'relay.example.info. The', false, true],
    ['at the domain evil.', 'example.com today', true, true],
    // not broken: a URL that ends, then prose
    ['see http://x.example.com/', 'for details', false, false],
    ['see http://x.example.com/', 'for details', true, false],
    ['at https://evil.example.com/a/b/c', 'The next stage', true, false],
    ['read https://evil.example.com/report.', 'Next, the actor', true, false],
    ['a well-', 'known actor', false, false],
    ['state-', 'sponsored groups', true, false],
    ['CVE-2024-', '3400 was', true, false], // extract() reads it across the line break
    ['the end of a sentence.', 'The next one', true, false],
  ];
  for (const [a, b, full, joined] of CASES) {
    test(`${JSON.stringify(a)} + ${JSON.stringify(b)}${full ? ' (at the margin)' : ''} → ${joined ? 'joined' : 'kept apart'}`, () => {
      assert.equal(breaksInsideUrl(a, b, full), joined);
    });
  }
});

describe('pageTexts', () => {
  test('a running header and footer stay on the first page only; lone page numbers go', () => {
    const page = (n: number, body: string): PdfLine[] => [line('ACME Threat Research | TLP:CLEAR'), line(body), line(`Page ${n} of 3`)];
    const texts = pageTexts([page(1, 'first evil.example.com'), page(2, 'second 198.51.100.7'), page(3, 'third')]);
    assert.deepEqual(texts, ['ACME Threat Research | TLP:CLEAR\nfirst evil.example.com', 'second 198.51.100.7', 'third']);
  });
  test('a line that repeats on fewer than half the pages is kept', () => {
    const texts = pageTexts([[line('Summary'), line('a')], [line('b'), line('c')], [line('d'), line('e')]]);
    assert.deepEqual(texts, ['Summary\na', 'b\nc', 'd\ne']);
  });
  test('a word broken at a soft hyphen at the line end is joined; a URL broken at the margin too', () => {
    const texts = pageTexts([[line('the com\u00ad', 200), line('promise of https://evil.example.com/a/b/inv', 500), line('oice.zip ended', 100), line('x'.repeat(30), 500)]]);
    assert.deepEqual(texts, [`the compromise of https://evil.example.com/a/b/invoice.zip ended\n${'x'.repeat(30)}`]);
  });
});
