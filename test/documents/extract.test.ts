// extractFromDocument: units (slices of long texts, runs of pages), offsets mapped back to parts,
// span sources, batches.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { batchJson, documentIndicators, documentUnits, extractFromDocument, SLICE, type Document, type DocumentPart } from '../../src/documents/index.ts';
import { extract } from '../../src/indicators/index.ts';

const doc = (parts: DocumentPart[]): Document => ({ format: 'text', bytes: 0, parts, attachments: [], metadata: {}, warnings: [] });

/** About `chars` characters of log lines, each with an address, a URL and a hash. */
function longText(chars: number): string {
  const lines: string[] = [];
  let n = 0;
  for (let i = 0; n < chars; i++) {
    const line = `2024-03-05T09:${String(i % 60).padStart(2, '0')}:00Z deny src=198.51.${(i >> 8) & 255}.${i & 255} url=hxxp://host${i % 997}.evil[.]example.com/p?i=${i} md5=${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}44d88612fea8a8f36de82e12 CVE-2024-${1000 + (i % 9000)}`;
    lines.push(line);
    n += line.length + 1;
  }
  return lines.join('\n');
}

describe('documentUnits', () => {
  test('a long text is read in slices cut at line breaks, with the same indicators and offsets as one extract()', () => {
    const text = longText(2.5 * 1024 * 1024);
    const units = [...documentUnits([{ text, source: 'text' }])];
    assert.ok(units.length >= 3, `${units.length} slices`);
    for (const u of units.slice(0, -1)) assert.ok(u.text.endsWith('\n'), 'a slice ends after a line break');
    const got = extractFromDocument(doc([{ text, source: 'text' }])).map((x) => `${x.type} ${x.value} ${x.start} ${x.end}`);
    const whole = extract(text).map((x) => `${x.type} ${x.value} ${x.start} ${x.end}`);
    assert.equal(got.length, whole.length);
    assert.deepEqual(got, whole);
  });

  test("a CVE id broken after a dash at a slice's edge is not cut", () => {
    // the first line break past SLICE characters comes right after `CVE-2024-`
    const line = `${'x'.repeat(99)}\n`;
    const lines = Math.floor(SLICE / line.length) - 1;
    const head = line.repeat(lines);
    const broken = `${'y'.repeat(SLICE - head.length)} CVE-2024-\n`;
    const text = `${head}${broken}3400 at the edge\n${line.repeat(lines)}`;
    assert.ok(head.length + broken.length - 1 >= SLICE);
    assert.deepEqual(extractFromDocument(doc([{ text, source: 'text' }])).map((x) => x.value), ['CVE-2024-3400']);
  });

  test('pages are read together; a PDF link part after its run of pages; an attachment\'s pages apart from the message\'s', () => {
    const parts: DocumentPart[] = [
      { text: 'page one', source: 'page', page: 1 },
      { text: '[x](https://a.example.com/)', source: 'pdf-link', page: 1, spans: [{ start: 4, end: 25, source: 'pdf-link' }] },
      { text: 'page two', source: 'page', page: 2 },
      { text: 'inner page', source: 'page', page: 1, within: ['a.pdf'] },
      { text: 'body', source: 'text' },
    ];
    assert.deepEqual([...documentUnits(parts)].map((u) => [u.text, u.segments.map((s) => s.part)]), [
      ['page one\n\npage two', [0, 2]],
      ['[x](https://a.example.com/)', [1]],
      ['inner page', [3]],
      ['body', [4]],
    ]);
  });
});

describe('where each indicator came from', () => {
  test('offsets are in the part; a span gives its source, a value only partly in it keeps the part\'s', () => {
    const text = 'see [a title](https://ref.example.org/x) and <https://evil.example.com/y>, also evil.example.net';
    const spans = [
      { start: 14, end: 39, source: 'html-href' as const },
      { start: 46, end: 72, source: 'html-src' as const },
    ];
    const found = extractFromDocument(doc([{ text: 'first part', source: 'text' }, { text, source: 'html-text', spans }]), { includeParts: false });
    assert.deepEqual(found.map((x) => [x.source, x.value, x.part, text.slice(x.start, x.end)]), [
      ['html-href', 'https://ref.example.org/x', 1, 'https://ref.example.org/x'],
      ['html-src', 'https://evil.example.com/y', 1, 'https://evil.example.com/y'],
      ['html-text', 'evil.example.net', 1, 'evil.example.net'],
    ]);
  });

  test("a PDF link part is read in its targets only (the labels are the page's text)", () => {
    const text = '[NVD entry for CVE-2024-3400](https://nvd.nist.gov/vuln/detail/CVE-2024-3400)';
    const found = extractFromDocument(doc([{ text, source: 'pdf-link', page: 3, spans: [{ start: 30, end: text.length - 1, source: 'pdf-link' }] }]), { includeParts: false });
    assert.deepEqual(found.map((x) => [x.source, x.page, x.type, x.value]), [
      ['pdf-link', 3, 'url', 'https://nvd.nist.gov/vuln/detail/CVE-2024-3400'], // not the CVE id of its label
    ]);
  });

  test('Received headers give addresses only', () => {
    const found = extractFromDocument(doc([{ text: 'from mail.evil.example.com (mail.evil.example.com [203.0.113.5]) by mx.example.org', source: 'received' }]));
    assert.deepEqual(found.map((x) => `${x.type} ${x.value}`), ['ipv4 203.0.113.5']);
  });
});

describe('documentIndicators', () => {
  test('batches, one per unit, join into the whole list; batchJson of each joins into its JSON', () => {
    const text = longText(4 * SLICE + 1000);
    const d = doc([{ text, source: 'text' }, { text: 'tail 192.0.2.9', source: 'text' }]);
    const batches = [...documentIndicators(d)];
    assert.ok(batches.length >= 5, `${batches.length} batches`); // five slices and the tail
    assert.deepEqual(batches.flat(), extractFromDocument(d));
    assert.equal(batches.map(batchJson).filter((j) => j !== '').join(','), JSON.stringify(extractFromDocument(d)).slice(1, -1));
  });
});
