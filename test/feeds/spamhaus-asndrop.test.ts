/**
 * Spamhaus ASN-DROP in both layouts (JSON lines with a metadata line, the older `AS123 ; CC | name`
 * text): AS numbers with what Spamhaus says of them, dated by the list; the catalog entry pins the
 * feed to `asn`, so a DROP file (ranges) or an IP list is refused as a whole, saying what it is.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PARSERS, newContext } from '../../src/feeds/index.ts';
import { CatalogError, checkDefinition } from '../../src/feeds/catalog.ts';
import { fetch } from 'undici';
import { loadCatalog, runFeed, type RunEnv } from '../../src/feeds/index.ts';
import { createLookup } from '../../src/enrich.ts';
import { createHuntingQueryBuilder } from '../../src/hunting/index.ts';
import { createIntelligence } from '../../src/intel.ts';
import type { FeedDefinition } from '../../src/feeds/types.ts';
import type { Store } from '../../src/store/types.ts';
import { collect, find, fixture, parseFixture, quietLogger, tempStore } from './helpers.ts';

const LISTED = '2024-05-21T14:30:01Z';

describe('Spamhaus ASN-DROP parser', () => {
  test('JSON lines: every AS with its name, country, registry and domain; the metadata line dates them all', async () => {
    const { records, ctx } = await parseFixture('spamhaus-asndrop', 'asndrop-handmade.json');
    assert.equal(ctx.tally.rejected, 0);
    assert.equal(records.length, 8, 'the metadata line says records: 8, and is no AS');
    const r = find(records, 'AS64496');
    assert.deepEqual(
      { type: r.type, threatType: r.threatType, firstSeen: r.firstSeen, lastSeen: r.lastSeen, dateSource: r.dateSource, attributes: r.attributes },
      { type: 'asn', threatType: 'hijacked_range', firstSeen: LISTED, lastSeen: LISTED, dateSource: 'file', attributes: { as_name: 'EXAMPLE-BULLETPROOF', country: 'US', rir: 'arin', as_domain: 'example.net' } },
    );
    assert.deepEqual(find(records, 'AS64500').attributes, { as_name: 'EXAMPLE-SP-ISP', country: 'BR', rir: 'lacnic' }, 'a line without a domain');
    assert.ok(records.some((x) => x.value === 'AS65551'), '32-bit AS numbers');
    assert.ok(records.every((x) => x.firstSeen === LISTED && x.dateSource === 'file'));
  });

  test('text: the `; Last-Modified:` header dates the `AS123 ; CC | name` lines; `; EOF` is a comment', async () => {
    const { records, ctx } = await parseFixture('spamhaus-asndrop', 'asndrop-handmade.txt');
    assert.equal(ctx.tally.rejected, 0);
    assert.deepEqual(records.map((r) => r.value), ['AS64496', 'AS64497', 'AS64498', 'AS64499', 'AS64500', 'AS64501', 'AS65536', 'AS65551']);
    assert.deepEqual(find(records, 'AS64497').attributes, { as_name: 'EXAMPLE-HOSTING-NL', country: 'NL' });
    assert.ok(records.every((x) => x.type === 'asn' && x.firstSeen === LISTED && x.dateSource === 'file'));
  });

  test('both layouts give the same AS numbers', async () => {
    const json = (await parseFixture('spamhaus-asndrop', 'asndrop-handmade.json')).records.map((r) => r.value);
    const text = (await parseFixture('spamhaus-asndrop', 'asndrop-handmade.txt')).records.map((r) => r.value);
    assert.deepEqual(text, json);
  });

  const lines: [string, string | null, Record<string, unknown> | null, string | null][] = [
    // line, AS, attributes, or the refusal's reason and what the line looks like
    ['AS64496 ; US | EXAMPLE-AS', 'AS64496', { as_name: 'EXAMPLE-AS', country: 'US' }, null],
    ['as64496;us|example-as', 'AS64496', { as_name: 'example-as', country: 'US' }, null],
    ['AS64496', 'AS64496', {}, null],
    ['AS64496 ; | NAME ONLY', 'AS64496', { as_name: 'NAME ONLY' }, null],
    ['AS64496 ; US |', 'AS64496', { country: 'US' }, null],
    ['{"asn":"AS64496","cc":"us"}', 'AS64496', { country: 'US' }, null],
    ['{"asn":"64496"}', 'AS64496', {}, null],
    ['{"asn":64496,"cc":"USA","asname":""}', 'AS64496', {}, null], // a country that is no ISO code is dropped
    ['AS0 ; US | RESERVED', null, null, 'AS0 is reserved'],
    ['AS4294967296 ; US | TOO-BIG', null, null, 'out of range'],
    ['{"asn":0}', null, null, 'AS0 is reserved'],
    ['{"asn":1.5}', null, null, 'not a whole AS number'],
    ['{"asn":{"n":1}}', null, null, 'no asn'],
    ['64496 ; US | NO-PREFIX', null, null, 'ASN-DROP lines start with AS'],
    ['1.10.16.0/20 ; SBL256894', null, null, 'cidr'],
    ['{"cidr":"1.10.16.0/20","sblid":"SBL256894","rir":"apnic"}', null, null, 'cidr'],
    ['198.51.100.7', null, null, 'ipv4'],
    ['{"type":"metadata","timestamp":"not a time"}', null, null, null], // a metadata line with no date: skipped
  ];
  for (const [line, asn, attributes, refusal] of lines) {
    test(`${line} → ${asn ?? (refusal === null ? 'skipped' : `refused (${refusal})`)}`, async () => {
      const ctx = newContext();
      const out = await collect(PARSERS['spamhaus-asndrop'](`${line}\n`, ctx));
      if (asn !== null) {
        assert.deepEqual(out.map((r) => [r.type, r.value, r.attributes]), [['asn', asn, attributes]]);
        assert.equal(ctx.tally.rejected, 0);
        return;
      }
      assert.deepEqual(out, []);
      if (refusal === null) return assert.equal(ctx.tally.rejected, 0);
      assert.equal(ctx.tally.rejected, 1);
      const said = `${ctx.tally.samples.join(' ')} ${[...ctx.tally.looksLike.keys()].join(' ')}`;
      assert.ok(said.includes(refusal), `${said} names ${refusal}`);
    });
  }

  test('lines before the metadata line are held for its date; without one they go out undated', async () => {
    const out = await collect(PARSERS['spamhaus-asndrop']('{"asn":64496}\n{"asn":64497}\n', newContext()));
    assert.deepEqual(out.map((r) => [r.value, r.firstSeen, r.dateSource]), [['AS64496', undefined, undefined], ['AS64497', undefined, undefined]]);
  });

  test('an ASN-DROP file read as DROP is refused line by line as AS numbers (for the mismatch message)', async () => {
    for (const file of ['asndrop-handmade.json', 'asndrop-handmade.txt']) {
      const { records, ctx } = await parseFixture('spamhaus-drop', file);
      assert.equal(records.length, 0, file);
      assert.deepEqual(Object.fromEntries(ctx.tally.looksLike), { asn: 8 }, file);
    }
  });
});

describe('the spamhaus-asndrop catalog entry', () => {
  const catalog = JSON.parse(readFileSync(new URL('../../data/feeds.json', import.meta.url), 'utf8')) as { feeds: Record<string, unknown>[] };
  const entry = catalog.feeds.find((f) => f.id === 'spamhaus-asndrop');

  test('reliability A, the category of spamhaus-drop, the JSON download, pinned to asn', () => {
    assert.ok(entry, 'data/feeds.json has spamhaus-asndrop');
    const def = checkDefinition(entry, 'data/feeds.json');
    const drop = checkDefinition(catalog.feeds.find((f) => f.id === 'spamhaus-drop')!, 'data/feeds.json');
    assert.equal(def.reliability, 'A');
    assert.equal(def.category, drop.category);
    assert.equal(def.url, 'https://www.spamhaus.org/drop/asndrop.json');
    assert.equal(def.format, 'spamhaus-asndrop');
    assert.deepEqual(def.types, ['asn']);
  });

  test('the format carries only AS numbers: a definition that says otherwise is refused', () => {
    assert.throws(
      () => checkDefinition({ id: 'x', name: 'X', category: 'commercial', reliability: 'A', format: 'spamhaus-asndrop', types: ['cidr'] }, 'test'),
      (e: unknown) => e instanceof CatalogError && /"types" names cidr, which the spamhaus-asndrop format never carries \(it carries asn\)/.test(e.message),
    );
  });

  const def = (): FeedDefinition => checkDefinition({ ...entry!, url: null }, 'test');
  const env = (store: Store): RunEnv => ({ store, logger: quietLogger, clock: () => new Date('2024-05-22T00:00:00Z'), fetch, sleep: async () => {} });

  test('an import stores the AS numbers; a lookup of one finds it', async () => {
    const t = await tempStore();
    try {
      const run = await runFeed(def(), { kind: 'file', path: fixture('asndrop-handmade.json') }, env(t.store));
      assert.equal(run.status, 'success', run.error ?? '');
      assert.equal(run.result?.added, 8);
      const found = await t.store.sightingsOf('asn', 'AS64496');
      assert.equal(found.length, 1);
      assert.equal(found[0]!.feedId, 'spamhaus-asndrop');
      assert.deepEqual(await t.store.sightingsOf('asn', 'AS13335'), []);

      // the lookup, as the API and `verdict lookup` make it: any spelling, found, scored, hunted
      const lookup = createLookup({ store: t.store, catalog: loadCatalog(), intel: createIntelligence(), hunting: createHuntingQueryBuilder(), cache: null, clock: () => new Date('2024-05-22T00:00:00Z') });
      for (const value of ['AS64496', 'asn 64496']) {
        const out = await lookup.lookup({ value });
        assert.ok(out.ok, value);
        if (!out.ok) continue;
        const r = out.result as unknown as { value: string; type: string; found: boolean; risk_score: string; sources: { feed_name: string; matched_value: string; details: Record<string, unknown> }[]; hunting_queries: Record<string, string>; related: Record<string, unknown> };
        assert.equal(r.value, 'AS64496');
        assert.equal(r.type, 'asn');
        assert.equal(r.found, true);
        assert.notEqual(r.risk_score, 'low', 'a reliability A listing a day old weighs');
        assert.equal(r.sources[0]?.feed_name, 'Spamhaus ASN-DROP');
        assert.equal(r.sources[0]?.details.as_name, 'EXAMPLE-BULLETPROOF');
        assert.match(r.hunting_queries.kql ?? '', /let ioc = "64496";/);
        assert.deepEqual(r.related.special_asn, { range: 'AS64496-AS64511', use: 'documentation and examples (RFC 5398)' }, 'the fixtures use documentation numbers, and the lookup says so');
      }
      const bare = await lookup.lookup({ value: '64496', type: 'asn' });
      assert.ok(bare.ok && (bare.result as unknown as { found: boolean }).found, 'a bare number with type asn');
      const unknown = await lookup.lookup({ value: '64496' });
      assert.ok(!unknown.ok && unknown.reasons.some((x) => x.type === 'asn'), 'a bare number without a type is refused, naming asn');
    } finally {
      await t.cleanup();
    }
  });

  test('an ASN-DROP file imported as DROP fails as a whole, naming the feed id that takes it', async () => {
    const t = await tempStore();
    try {
      const drop = checkDefinition({ ...catalog.feeds.find((f) => f.id === 'spamhaus-drop')!, url: null }, 'test');
      const run = await runFeed(drop, { kind: 'file', path: fixture('asndrop-handmade.txt') }, env(t.store));
      assert.equal(run.status, 'failure');
      assert.match(String(run.error), /0 of 8 rows are CIDR ranges; the refused ones include 8 AS numbers: this looks like an AS number list \(Spamhaus ASN-DROP is spamhaus-asndrop\) — is the feed id right\?/);
    } finally {
      await t.cleanup();
    }
  });

  test('a DROP file imported as ASN-DROP fails as a whole: it looks like a CIDR list', async () => {
    const t = await tempStore();
    try {
      const run = await runFeed(def(), { kind: 'file', path: fixture('drop.txt') }, env(t.store));
      assert.equal(run.status, 'failure');
      assert.match(String(run.error), /this looks like a CIDR list — is the feed id right\?/);
      assert.deepEqual(await t.store.sightingsOf('cidr', '1.10.16.0/20'), [], 'nothing stored');
    } finally {
      await t.cleanup();
    }
  });
});
