/**
 * The contract every parser keeps, run against each format with its samples:
 * records are canonical and well-typed; dates are RFC 3339 UTC with a known source; details use
 * the vocabulary's keys and kinds (the KEV entry and a team's own mapped columns excepted);
 * chunking the input does not change the output; bad input is counted or refused with
 * FeedParseError, never a crash.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { FeedParseError, PARSERS, newContext } from '../../src/feeds/index.ts';
import type { FeedFormat } from '../../src/feeds/types.ts';
import { normalize } from '../../src/indicators/index.ts';
import { STORED_TYPES } from '../../src/indicators/types.ts';
import { DATE_SOURCES, THREAT_TYPES, type SightingRecord } from '../../src/model.ts';
import { DETAIL_KEYS, type DetailKey } from '../../src/evidence/details.ts';
import { isCanonicalIpv4 } from '../../src/feeds/parsers/indicator.ts';
import { collect, fixture } from './helpers.ts';

const MAPPING = { fields: { value: 'indicator', type: 'kind' } };
const SAMPLES: [FeedFormat, string, Record<string, unknown>][] = [
  ['plain-list', 'et-compromised-ips.txt', { type: 'ipv4' }],
  ['spamhaus-drop', 'dropv6.txt', {}],
  ['spamhaus-drop-ndjson', 'drop_v4.json', {}],
  ['spamhaus-asndrop', 'asndrop-handmade.json', {}],
  ['cisa-kev', 'cisa-kev-first25.json', {}],
  ['urlhaus-csv', 'urlhaus-handmade.csv', {}],
  ['threatfox-json', 'threatfox-handmade.json', {}],
  ['feodotracker-json', 'feodotracker-handmade.json', {}],
  ['feodotracker-csv', 'feodotracker-handmade.csv', {}],
  ['malwarebazaar-csv', 'malwarebazaar-handmade.csv', {}],
  ['misp-feed', 'misp_event_yeti.json', {}],
  ['stix-bundle', 'poisonivy.json', {}],
  ['taxii21', 'stix-relationships-handmade.json', {}],
  ['csv-mapping', 'internal-denylist-handmade.csv', MAPPING],
  ['jsonl-mapping', 'internal-handmade.jsonl', { fields: { value: 'ioc.value', type: 'ioc.type' } }],
  // more samples of the same formats
  ['plain-list', 'dshield-handmade.txt', { header: true, prefixColumn: 2 }],
  ['plain-list', 'feodotracker-recommended-handmade.txt', { type: 'ipv4' }],
  ['spamhaus-drop', 'drop.txt', {}],
  ['spamhaus-asndrop', 'asndrop-handmade.txt', {}],
  ['urlhaus-csv', 'urlhaus-online-handmade.csv', {}],
  ['feodotracker-json', 'feodotracker-ipblocklist-handmade.json', {}],
  ['misp-feed', '57c4445b-c548-4654-af0b-4be3950d210f.json', {}],
  ['misp-feed', 'misp-event-seen-handmade.json', {}],
  ['stix-bundle', 'stix-report-sightings-handmade.json', {}],
  ['stix-bundle', 'apt1.json', {}],
  ['otx', 'otx-pulses-handmade.json', {}],
  ['otx', 'otx-page-handmade.json', {}],
  ['phishtank-json', 'phishtank-online-valid-handmade.json', {}],
  ['jsonl-mapping', 'json-array-handmade.json', { fields: { value: 'ioc.value', type: 'ioc.type' } }],
  ['jsonl-mapping', 'json-nested-handmade.json', { fields: { value: 'ioc.value', type: 'ioc.type' }, recordsPath: 'data.items' }],
];

/** Formats whose attributes are not the vocabulary's: the KEV entry verbatim, a team's own columns. */
const OWN_NAMES: ReadonlySet<FeedFormat> = new Set(['cisa-kev', 'csv-mapping', 'jsonl-mapping']);
const DETAILS = new Map<string, DetailKey>(DETAIL_KEYS.map((d: DetailKey) => [d.key, d]));
const DATE_SOURCE_NAMES: ReadonlySet<string> = new Set(DATE_SOURCES);
const isTime = (v: unknown): boolean => typeof v === 'string' && v.endsWith('Z') && !Number.isNaN(Date.parse(v));

function checkDetails(r: SightingRecord, where: string): void {
  for (const [key, v] of Object.entries(r.attributes ?? {})) {
    const d = DETAILS.get(key);
    assert.ok(d !== undefined, `${where}: attribute "${key}" is a details key`);
    const ok = d.kind === 'integer' ? Number.isSafeInteger(v) : d.kind === 'boolean' ? typeof v === 'boolean' : d.kind === 'time' ? isTime(v) : d.kind === 'list' ? Array.isArray(v) : typeof v === 'string' && v !== '';
    assert.ok(ok, `${where}: ${key} is a ${d.kind}: ${JSON.stringify(v)}`);
  }
}

const THREATS: ReadonlySet<string> = new Set(THREAT_TYPES);
const TYPES: ReadonlySet<string> = new Set(STORED_TYPES);

function checkRecord(r: SightingRecord, where: string): void {
  assert.ok(TYPES.has(r.type), `${where}: type ${r.type}`);
  const n = normalize(r.type, r.value);
  assert.ok(n.ok && n.value === r.value, `${where}: ${r.type} ${r.value} is canonical`);
  if (r.threatType != null) assert.ok(THREATS.has(r.threatType), `${where}: threat type ${r.threatType}`);
  if (r.confidence != null) assert.ok(r.confidence >= 0 && r.confidence <= 100, `${where}: confidence`);
  for (const t of [r.firstSeen, r.lastSeen]) if (t != null) assert.ok(isTime(t), `${where}: time ${t}`);
  if (r.dateSource != null) {
    assert.ok(DATE_SOURCE_NAMES.has(r.dateSource), `${where}: date source ${r.dateSource}`);
    assert.ok(r.firstSeen != null || r.lastSeen != null, `${where}: a date source with no date`);
    assert.ok(r.dateSource === 'feed' || r.dateSource === 'file', `${where}: a parser states feed or file dates, never ${r.dateSource}`);
  }
  assert.doesNotThrow(() => JSON.stringify(r.attributes ?? {}), `${where}: attributes are JSON`);
}

async function parseAll(format: FeedFormat, input: Uint8Array | AsyncIterable<Uint8Array>, options: Record<string, unknown>) {
  const ctx = newContext(options);
  const records = await collect(PARSERS[format](input, ctx));
  return { records, rejected: ctx.tally.rejected, looksLike: Object.fromEntries(ctx.tally.looksLike), skipped: Object.fromEntries(ctx.tally.skipped) };
}

describe('parser contract', () => {
  for (const [format, file, options] of SAMPLES) {
    test(`${format} (${file}): canonical records; 7-byte chunks give the same output`, async () => {
      const bytes = readFileSync(fixture(file));
      const whole = await parseAll(format, bytes, options);
      assert.ok(whole.records.length > 0);
      for (const r of whole.records) {
        checkRecord(r, `${format}/${file}`);
        if (!OWN_NAMES.has(format)) checkDetails(r, `${format}/${file}`);
      }
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += 7) chunks.push(bytes.subarray(i, i + 7));
      const chunked = await parseAll(format, Readable.from(chunks), options);
      assert.deepEqual(chunked, whole);
    });
  }

  for (const [format, , options] of SAMPLES.filter(([f], i) => SAMPLES.findIndex(([g]) => g === f) === i)) {
    test(`${format}: empty input and garbage are counted or refused, never a crash`, async () => {
      for (const junk of ['', '\n\n', '\u0000\u0001binary\u00ff', '<<<>>>', '{"a":', '[1,2,3]', 'null']) {
        try {
          const r = await parseAll(format, Buffer.from(junk), options);
          for (const rec of r.records) checkRecord(rec, `${format} on junk`);
        } catch (err) {
          assert.ok(err instanceof FeedParseError, `${format} on ${JSON.stringify(junk)} threw ${String(err)}`);
        }
      }
    });
  }

  test('line-based parsers never crash on random text', async () => {
    const lineFormats: [FeedFormat, Record<string, unknown>][] = [['plain-list', {}], ['plain-list', { type: 'url' }], ['spamhaus-drop', {}], ['spamhaus-asndrop', {}], ['urlhaus-csv', {}], ['feodotracker-csv', {}], ['malwarebazaar-csv', {}], ['csv-mapping', MAPPING], ['jsonl-mapping', { fields: { value: 'v' } }]];
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300 }), async (text) => {
        for (const [format, options] of lineFormats) {
          // the JSON mapping reads a text that starts like a JSON document as one, and may refuse it whole
          const r = await parseAll(format, Buffer.from(text), options).catch((err: unknown) => {
            if (format === 'jsonl-mapping' && err instanceof FeedParseError) return { records: [] };
            throw err;
          });
          for (const rec of r.records) {
            checkRecord(rec, `${format} on ${JSON.stringify(text)}`);
            if (!OWN_NAMES.has(format)) checkDetails(rec, `${format} on ${JSON.stringify(text)}`);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('canonical IPv4 shortcut', () => {
  const octet = fc.oneof(fc.integer({ min: 0, max: 255 }).map(String), fc.integer({ min: 0, max: 999 }).map(String), fc.constantFrom('00', '01', '010', '0x1', '', ' 1', '-1', '+1', '1e2', '٣'));
  const candidate = fc.oneof(
    fc.array(octet, { minLength: 4, maxLength: 4 }).map((o) => o.join('.')),
    fc.array(octet, { minLength: 1, maxLength: 6 }).map((o) => o.join('.')),
    fc.stringMatching(/^[0-9.]{0,16}$/),
    fc.string({ maxLength: 20 }),
  );

  test('takes exactly the values that are their own canonical IPv4 form', () => {
    fc.assert(
      fc.property(candidate, (s) => {
        const r = normalize('ipv4', s);
        assert.equal(isCanonicalIpv4(s), r.ok && r.value === s, JSON.stringify(s));
      }),
      { numRuns: 20_000 },
    );
  });
});
