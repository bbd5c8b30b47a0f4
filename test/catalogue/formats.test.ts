/** The catalogue's CSV writer against csv-stringify (what format=csv used before): the same bytes for any cell, hostile ones included. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'csv-stringify/sync';
import { CSV_COLUMNS, CSV_HEADER, chunked, csvCell, csvWriter, CHUNK_CHARS } from '../../src/catalogue/formats.ts';
import { entryTuple, tupleEntry, type CatalogueTuple } from '../../src/store/catalogue-scan.ts';
import type { CatalogueEntry } from '../../src/store/types.ts';

/** The row format=csv wrote through csv-stringify, kept here as the reference. */
const referenceRow = (e: CatalogueEntry) => [e.type, e.value, e.level, e.score, e.confidence, e.firstSeen, e.lastSeen, e.listed ? 'true' : 'false', e.feeds.join(' '), e.categories.join(' '), e.threatTypes.join(' '), e.families.join(' '), e.techniques.join(' '), e.cves.join(' ')];

const HOSTILE = ['', '=cmd|calc', '+1', '-2', '@SUM(A1)', '\tx', '\rx', 'a,b', 'say "hi"', 'line\nbreak', 'cr\rhere', '\uFF1Dfull', '\uFF0B', '\uFF0D', '\uFF20x', "'quoted", 'back\\slash', '\u0001ctl', 'ünïcode ✓', '𝒳 astral', '"', ',', '=a,"b"'];

test('each hostile cell is written as csv-stringify writes it with escape_formulas', () => {
  for (const s of HOSTILE) {
    assert.equal(csvCell(s) + '\n', stringify([[s]], { escape_formulas: true }), JSON.stringify(s));
  }
  assert.equal(CSV_HEADER, stringify([[...CSV_COLUMNS]]));
});

const text = fc.oneof(fc.string(), fc.constantFrom(...HOSTILE), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }));
const entry = fc.record({
  type: fc.constantFrom('ipv4', 'domain', 'url', 'sha256', 'cve', 'mitre-attack'),
  value: text,
  firstSeen: fc.integer({ min: 0, max: 4_102_444_800_000 }).map((t) => new Date(t).toISOString()),
  lastSeen: fc.integer({ min: 0, max: 4_102_444_800_000 }).map((t) => new Date(t).toISOString()),
  score: fc.integer({ min: 0, max: 100 }),
  level: fc.constantFrom('low', 'medium', 'high', 'critical'),
  confidence: fc.constantFrom('low', 'medium', 'high'),
  listed: fc.boolean(),
  feeds: fc.array(text, { maxLength: 3 }),
  categories: fc.array(text, { maxLength: 3 }),
  threatTypes: fc.array(text, { maxLength: 3 }),
  families: fc.array(text, { maxLength: 3 }),
  techniques: fc.array(text, { maxLength: 3 }),
  cves: fc.array(text, { maxLength: 3 }),
  computedAt: fc.constant('2026-11-30T12:00:00.000Z'),
}) as fc.Arbitrary<CatalogueEntry>;

test('any rows: the same bytes as csv-stringify, and a tuple reads back as its entry', () => {
  fc.assert(
    fc.property(fc.array(entry, { maxLength: 20 }), (entries) => {
      const write = csvWriter();
      const tuples = entries.map(entryTuple);
      assert.equal(tuples.map(write).join(''), entries.length === 0 ? '' : stringify(entries.map(referenceRow), { escape_formulas: true }));
      assert.deepEqual(tuples.map(tupleEntry), entries.map((e) => ({ ...e })));
    }),
    { numRuns: 500 },
  );
});

test('PostgreSQL tuples (numbers as text) write the same line', () => {
  const e: CatalogueEntry = { type: 'url', value: 'http://a.example/x,y', firstSeen: '2026-01-01T00:00:00.000Z', lastSeen: '2026-02-01T00:00:00.000Z', score: 71, level: 'high', confidence: 'medium', listed: true, feeds: ['f'], categories: ['community'], threatTypes: ['malware'], families: ['=x'], techniques: [], cves: [], computedAt: '2026-11-30T12:00:00.000Z' };
  const t = entryTuple(e);
  const asText = t.map((v) => (typeof v === 'number' ? String(v) : v)) as CatalogueTuple;
  assert.equal(csvWriter()(asText), csvWriter()(t));
  assert.equal(csvWriter()(t), stringify([referenceRow(e)], { escape_formulas: true }));
});

test('chunks: about CHUNK_CHARS each, nothing lost, head, separators and tail in place', async () => {
  const rows = Array.from({ length: 20_000 }, (_, i) => [`v${i}`] as unknown as CatalogueTuple);
  async function* batches() {
    for (let i = 0; i < rows.length; i += 700) yield rows.slice(i, i + 700);
  }
  const chunks: string[] = [];
  for await (const c of chunked(batches(), (t) => `"${t[0]}"`, { head: '[', sep: ',', tail: () => ']' })) chunks.push(c);
  assert.ok(chunks.length > 1);
  for (const c of chunks.slice(0, -1)) assert.ok(c.length >= CHUNK_CHARS && c.length < CHUNK_CHARS + 100, String(c.length));
  assert.deepEqual(JSON.parse(chunks.join('')), rows.map((r) => r[0]));
});
