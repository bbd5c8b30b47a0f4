/**
 * The JSON mapping (`jsonl-mapping`) reads a JSON array of objects and the array at
 * `options.recordsPath` in one document as well as JSON lines, through the same key mapping.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fetch } from 'undici';
import { CatalogError, checkDefinition } from '../../src/feeds/catalog.ts';
import { FeedParseError, PARSERS, newContext, runFeed } from '../../src/feeds/index.ts';
import type { FeedDefinition } from '../../src/feeds/types.ts';
import { collect, fixture, parseFixture, quietLogger, tempStore } from './helpers.ts';

const FIELDS = { value: 'ioc.value', type: 'ioc.type', threatType: 'category', confidence: 'score', firstSeen: 'seen' };
const OPTIONS = { fields: FIELDS, attributes: ['owner'] };
const NESTED = { ...OPTIONS, recordsPath: 'data.items' };

async function parse(input: Uint8Array | string | AsyncIterable<Uint8Array>, options: Record<string, unknown>) {
  const ctx = newContext(options);
  const records = await collect(PARSERS['jsonl-mapping'](input, ctx));
  return { records, rejected: ctx.tally.rejected, samples: ctx.tally.samples };
}

describe('a JSON array document', () => {
  test('gives the records the same objects give as JSON lines, and refuses what they refuse', async () => {
    const array = await parseFixture('jsonl-mapping', 'json-array-handmade.json', OPTIONS);
    const lines = await parseFixture('jsonl-mapping', 'internal-handmade.jsonl', OPTIONS);
    assert.deepEqual(
      array.records.map((r) => ({ ...r, attributes: {} })),
      lines.records,
      'the same two records (the array also keeps the owner column)',
    );
    assert.deepEqual(array.records[0]?.attributes, { owner: 'soc' });
    assert.equal(array.ctx.tally.rejected, 2);
    assert.deepEqual(array.ctx.tally.samples, ['no value in "ioc.value": {"ioc":{"value":"","type":"ipv4"}}', 'not a JSON object: "not an object"']);
  });

  test('is recognised by its first character whatever the chunks, a BOM or leading white space', async () => {
    const bytes = Buffer.concat([Buffer.from('\ufeff \r\n\t'), readFileSync(fixture('json-array-handmade.json'))]);
    const whole = await parse(bytes, OPTIONS);
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 3) chunks.push(bytes.subarray(i, i + 3));
    assert.deepEqual(await parse(Readable.from(chunks), OPTIONS), whole);
    assert.deepEqual(await parse(bytes.toString('utf8'), OPTIONS), whole);
    assert.equal(whole.records.length, 2);
  });

  test('a broken array document is refused whole; one over the JSON cap before it is parsed', async () => {
    await assert.rejects(parse('[{"ioc": {"value": "a.example"}},', OPTIONS), (err) => err instanceof FeedParseError && /JSON mapping: not valid JSON/.test(err.message));
    await assert.rejects(parse(readFileSync(fixture('json-array-handmade.json')), { ...OPTIONS, maxJsonBytes: 100 }), /JSON mapping: the JSON document is larger than 100 bytes/);
  });
});

describe('options.recordsPath: the array inside one document', () => {
  test('reads the records at the dotted path, values refanged and dates as usual', async () => {
    const { records, ctx } = await parseFixture('jsonl-mapping', 'json-nested-handmade.json', NESTED);
    assert.deepEqual(records.map((r) => [r.type, r.value, r.threatType, r.confidence, r.firstSeen]), [
      ['domain', 'bad.example.net', 'phishing', 80, '2026-11-01T00:00:00Z'],
      ['ipv4', '203.0.113.66', 'scanner', 40, '2026-11-02T00:00:00Z'],
      ['url', 'http://files.example.org/x.exe', 'payload_delivery', 90, '2026-12-01T00:00:00Z'],
    ]);
    assert.equal(ctx.tally.rejected, 0);
  });

  test('a path that leads to no array says what it found', async () => {
    await assert.rejects(parse(readFileSync(fixture('json-nested-handmade.json')), { ...OPTIONS, recordsPath: 'meta' }), /options\.recordsPath "meta" leads to an object \(keys: generated, count\) in a document that is an object \(keys: meta, data\); it must name an array of records/);
    await assert.rejects(parse(readFileSync(fixture('json-nested-handmade.json')), { ...OPTIONS, recordsPath: 'data.rows' }), /"data\.rows" leads to nothing/);
    await assert.rejects(parse(readFileSync(fixture('json-array-handmade.json')), { ...OPTIONS, recordsPath: 'data' }), /"data" leads to nothing in a document that is an array/);
    await assert.rejects(parse('[]', { ...OPTIONS, recordsPath: '' }), /options\.recordsPath must name the array holding the records/);
  });

  test('without it, a document spread over lines is refused with the option to set, not counted row by row', async () => {
    await assert.rejects(parse(readFileSync(fixture('json-nested-handmade.json')), OPTIONS), /one JSON document spread over lines, not JSON lines \(one object a line\); set options\.recordsPath/);
  });

  test('is checked in the catalog: the JSON mapping only, a dotted path', () => {
    const base = { id: 'team-json', name: 'Team JSON', category: 'internal', reliability: 'B', verdict: 'deny', url: null, mode: 'snapshot', license: 'internal' };
    const ok = checkDefinition({ ...base, format: 'jsonl-mapping', options: NESTED }, 'feeds.json');
    assert.equal(ok.options?.recordsPath, 'data.items');
    assert.throws(() => checkDefinition({ ...base, format: 'csv-mapping', options: { ...NESTED, fields: { value: 'indicator' } } }, 'feeds.json'), (err) => err instanceof CatalogError && /"options\.recordsPath" is for the JSON mapping/.test(err.message));
    assert.throws(() => checkDefinition({ ...base, format: 'jsonl-mapping', options: { ...NESTED, recordsPath: 3 } }, 'feeds.json'), /names the array holding the records, as a dotted path/);
  });
});

describe('a team feed of either shape imports end to end', () => {
  const team = (options: Record<string, unknown>): FeedDefinition => ({ id: 'team-json', name: 'Team JSON', category: 'internal', reliability: 'B', verdict: 'deny', format: 'jsonl-mapping', url: null, interval: 0, mode: 'snapshot', enabled: true, license: 'internal', options });

  test('an array file, then the nested document: the same feed, its snapshot moved on', async () => {
    const t = await tempStore();
    try {
      const env = { store: t.store, logger: quietLogger, clock: () => new Date('2026-11-30T12:00:00Z'), fetch, sleep: async () => {} };
      const first = await runFeed(team(OPTIONS), { kind: 'file', path: fixture('json-array-handmade.json') }, env);
      assert.equal(first.status, 'success', first.error ?? '');
      assert.deepEqual([first.result?.added, first.rejected], [2, 2]);
      const second = await runFeed(team(NESTED), { kind: 'file', path: fixture('json-nested-handmade.json') }, env);
      assert.equal(second.status, 'success', second.error ?? '');
      assert.deepEqual({ ...second.result }, { received: 3, added: 1, updated: 0, unchanged: 2, delisted: 0 });
      assert.equal((await t.store.sightingsOf('url', 'http://files.example.org/x.exe'))[0]?.threatType, 'payload_delivery');
    } finally {
      await t.cleanup();
    }
  });
});
