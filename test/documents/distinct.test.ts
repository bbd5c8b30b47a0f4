// Distinct indicators (`verdict extract --unique`): each value once, in order of first occurrence,
// with its count, equal to counting every occurrence; one memo for a document's slices changes nothing.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DistinctIndicators, documentDistinct, documentIndicators, documentUnits, distinctOf, type Document, type DocumentPart } from '../../src/documents/index.ts';
import { ExtractMemo, extract } from '../../src/indicators/index.ts';
import { corpusText } from '../indicators/corpus.ts';
import { fixture, readOk } from './helpers.ts';

const doc = (parts: DocumentPart[]): Document => ({ format: 'text', bytes: 0, parts, attachments: [], metadata: {}, warnings: [] });


describe('documentDistinct', () => {
  test('a long text: the distinct indicators of every occurrence, counts adding up to the occurrences', () => {
    const big = doc([{ text: corpusText(700_000), source: 'text' }]);
    assert.ok([...documentUnits(big.parts)].length >= 5);
    const all = [...documentIndicators(big)].flat();
    const distinct = documentDistinct(big);
    assert.deepEqual(distinct, distinctOf(all));
    assert.equal(distinct.reduce((n, x) => n + x.count, 0), all.length);
    assert.ok(distinct.length < all.length / 2, `${distinct.length} distinct of ${all.length}`);
  });

  test("a message: its parts' indicators (relay addresses only from Received headers) and its attachments' digests", async () => {
    const message = await readOk(fixture('phishing-report.eml'));
    const all = [...documentIndicators(message)].flat();
    assert.deepEqual(documentDistinct(message), distinctOf(all));
    assert.ok(documentDistinct(message).some((x) => x.type === 'sha256'));
    assert.deepEqual(documentDistinct(message, { types: ['email'] }), distinctOf(all.filter((x) => x.type === 'email')));
  });
});

describe('ExtractMemo', () => {
  test('one memo for the slices of a text gives what a memo per slice gives', () => {
    const slices = [...documentUnits([{ text: corpusText(600_000), source: 'text' }])].map((u) => u.text);
    assert.ok(slices.length >= 4);
    const memo = new ExtractMemo();
    for (const slice of slices) assert.deepEqual(extract(slice, { memo }), extract(slice));
  });

  test('a memo shared by texts with other readings of the same names: each text reads its own context', () => {
    const memo = new ExtractMemo();
    // `setup.sh` in a command line is a file; in prose, defanged, a domain (docs/indicators.md)
    const asFile = extract('run: bash ./setup.sh --quiet', { memo });
    const asDomain = extract('the loader calls setup[.]sh for its next stage', { memo });
    assert.deepEqual(asFile, extract('run: bash ./setup.sh --quiet'));
    assert.deepEqual(asDomain, extract('the loader calls setup[.]sh for its next stage'));
    assert.deepEqual(asDomain.map((x) => `${x.type} ${x.value}`), ['domain setup.sh']);
  });
});

describe('DistinctIndicators', () => {
  test('each value once, in order of first occurrence, with its count; a reference also seen as an indicator is an indicator', () => {
    const d = distinctOf([
      { type: 'url', value: 'https://attack.mitre.org/techniques/T1566/', role: 'reference' },
      { type: 'ipv4', value: '198.51.100.7', role: 'indicator' },
      { type: 'domain', value: 'evil.example', role: 'reference' },
      { type: 'ipv4', value: '198.51.100.7', role: 'indicator' },
      { type: 'domain', value: 'evil.example', role: 'indicator' },
      { type: 'md5', value: '44d88612fea8a8f36de82e1278abb02f', role: 'indicator' },
    ]);
    assert.deepEqual(d, [
      { type: 'url', value: 'https://attack.mitre.org/techniques/T1566/', role: 'reference', count: 1 },
      { type: 'ipv4', value: '198.51.100.7', role: 'indicator', count: 2 },
      { type: 'domain', value: 'evil.example', role: 'indicator', count: 2 },
      { type: 'md5', value: '44d88612fea8a8f36de82e1278abb02f', role: 'indicator', count: 1 },
    ]);
  });

  test('entries already counted add their counts; the same value of two types stays two entries', () => {
    const d = new DistinctIndicators()
      .add([{ type: 'domain', value: 'a.example', role: 'indicator', count: 3 }])
      .add([{ type: 'domain', value: 'a.example', role: 'reference', count: 2 }, { type: 'email', value: 'a.example', role: 'indicator' }]);
    assert.equal(d.size, 2);
    assert.deepEqual(d.list()[0], { type: 'domain', value: 'a.example', role: 'indicator', count: 5 });
  });
});
