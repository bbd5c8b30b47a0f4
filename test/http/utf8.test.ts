/** Response text as UTF-8 bytes: the same bytes as Node's encoder writes, whatever the text. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Utf8Chunks, utf8Bytes } from '../../src/http/utf8.ts';

describe('utf8Bytes', () => {
  it('writes the bytes the UTF-8 encoder writes: ASCII, Latin-1, astral, lone surrogates', () => {
    for (const text of ['', '{"a":1}', 'é', 'ÿ', '\u0080', 'naïve 😀', '\ud800', 'a\udc00b', '\u2028', 'x'.repeat(70_000) + 'é']) {
      assert.deepEqual(utf8Bytes(text), Buffer.from(text, 'utf8'), JSON.stringify(text.slice(0, 20)));
    }
  });

  it('for any string', () => {
    const text = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.string(), fc.string({ unit: fc.constantFrom('a', '\u007f', '\u0080', '\u00ff', '\u0100', '\ud800', '\udfff', '😀') }));
    fc.assert(fc.property(text, (t) => assert.deepEqual(utf8Bytes(t), Buffer.from(t, 'utf8'))), { numRuns: 500 });
  });
});

describe('utf8Bytes, text held two bytes a character', () => {
  it('a text whose units are all below 0x100 but held as two bytes a unit, and a long one', () => {
    // a slice of a text with a wide unit may keep the wide representation
    const wide = `${'é'.repeat(50)}\u0100`;
    for (const t of [wide.slice(0, 50), wide.slice(0, 10) + 'abc', 'é'.repeat(30_000), 'a'.repeat(30_000)]) {
      assert.deepEqual(utf8Bytes(t), Buffer.from(t, 'utf8'));
    }
  });
});

describe('Utf8Chunks', () => {
  const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 40 }), fc.string({ unit: fc.constantFrom('a', 'é', '😀', '\ud800'), maxLength: 20 }));

  it('hands out the bytes of the texts in order, in chunks no larger than its size but for a larger text', () => {
    fc.assert(
      fc.property(fc.array(text, { maxLength: 60 }), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 60 }), (texts, size, takeEvery) => {
        const chunks = new Utf8Chunks(size);
        const out: Buffer[] = [];
        texts.forEach((t, i) => {
          chunks.add(t);
          if (takeEvery > 0 && i % takeEvery === 0) out.push(...chunks.full());
        });
        out.push(...chunks.end());
        assert.deepEqual(Buffer.concat(out), Buffer.from(texts.join(''), 'utf8'));
        for (const c of out) {
          assert.ok(c.length > 0, 'no empty chunk');
          assert.ok(c.length <= size || texts.some((t) => Buffer.byteLength(t) === c.length), `chunk of ${c.length} > ${size}`);
        }
        assert.deepEqual(chunks.end(), [], 'nothing is handed out twice');
      }),
      { numRuns: 400 },
    );
  });

  it('fills a chunk before handing it out, and keeps handed-out chunks intact', () => {
    const chunks = new Utf8Chunks(8);
    chunks.add('abcd');
    assert.deepEqual(chunks.full(), []);
    chunks.add('efgh');
    chunks.add('ij');
    const [first] = chunks.full();
    assert.equal(first?.toString(), 'abcdefgh');
    chunks.add('klmnopqrstuvwxyz');
    chunks.add('é');
    assert.deepEqual(chunks.end().map(String), ['ij', 'klmnopqrstuvwxyz', 'é']);
    assert.equal(first?.toString(), 'abcdefgh');
  });
});
