/**
 * A lookup's JSON text (src/lookup-json.ts) is byte for byte what JSON.stringify writes of the
 * result, for every type and platform set: the hunting queries come from their builder's JSON
 * text, every other field from JSON.stringify.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createLookup, type LookupResponse } from '../../src/enrich.ts';
import { itemJson, lookupJson } from '../../src/lookup-json.ts';
import { HUNTING_PLATFORMS, QUERIES_JSON, type HuntingPlatform } from '../../src/model.ts';
import { makeHarness, type Harness } from './harness.ts';

const VALUES = [
  '198.51.100.23',
  '203.0.113.99',
  '2001:db8::1',
  'evil.example.com',
  'hxxps://login.evil.example[.]com/a?b="c"&d=\\e',
  'https://evil.example.com/päth/😀',
  'user@evil.example.com',
  '44d88612fea8a8f36de82e1278abb02f',
  'CVE-2023-4966',
  'T1071.001',
  'AS13335',
];

describe('lookup JSON text', () => {
  let h: Harness;
  let lookup: ReturnType<typeof createLookup>;
  before(async () => {
    h = await makeHarness();
    await h.ingest('abuse-ch-feodo', [
      { type: 'ipv4', value: '198.51.100.23', threatType: 'botnet_cc', malwareFamily: 'Emotet', tags: ['a "quoted" tag', 'line\nbreak'] },
      { type: 'domain', value: 'evil.example.com', threatType: 'phishing', referenceUrl: 'https://example.org/r?x="y"' },
      { type: 'md5', value: '44d88612fea8a8f36de82e1278abb02f', threatType: 'payload', malwareFamily: 'Eicar \u2028 test' },
    ]);
    lookup = createLookup(h.deps);
  });
  after(() => h.close());

  async function result(value: string, platforms?: HuntingPlatform[]): Promise<LookupResponse> {
    const out = await lookup.lookup({ value, ...(platforms ? { platforms } : {}) });
    assert.ok(out.ok, value);
    return out.result;
  }

  it('is JSON.stringify of the result, for every type and platform set', async () => {
    for (const value of VALUES) {
      for (const platforms of [undefined, [...HUNTING_PLATFORMS], ['sigma' as const]]) {
        const r = await result(value, platforms);
        assert.equal(typeof r.hunting_queries[QUERIES_JSON], 'string', 'the builder made the queries\' text');
        assert.equal(lookupJson(r), JSON.stringify(r), `${value} ${platforms?.join(',') ?? 'seed'}`);
      }
    }
  });

  it('writes a copy with changed queries from the copy, never from the original text', async () => {
    const r = await result('198.51.100.23');
    const changed = { ...r, hunting_queries: { ...r.hunting_queries, kql: 'changed "query"' } };
    assert.equal(lookupJson(changed), JSON.stringify(changed));
    assert.match(lookupJson(changed), /changed \\"query\\"/);
    // a result read back from a shared cache has no prepared text: JSON.stringify's own
    const parsed = JSON.parse(JSON.stringify(r)) as LookupResponse;
    assert.equal(lookupJson(parsed), JSON.stringify(r));
  });

  it('leaves out what JSON.stringify leaves out, and adds fields a summary brings', async () => {
    const r = await result('evil.example.com');
    const withSummary = { ...r, summary: { text: 'x', model: 'm', generated_at: '2026-01-01T00:00:00Z' }, skipped: undefined };
    assert.equal(lookupJson(withSummary), JSON.stringify(withSummary));
    assert.equal(lookupJson({}), '{}');
    fc.assert(fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (o) => assert.equal(lookupJson(o), JSON.stringify(o))), { numRuns: 200 });
  });

  it('places the prepared queries wherever they stand among any other fields', async () => {
    const r = await result('198.51.100.23', ['kql', 'sigma']);
    const fields = fc.dictionary(fc.string().filter((k) => k !== 'hunting_queries'), fc.jsonValue(), { maxKeys: 6 });
    fc.assert(
      fc.property(fields, fields, (before, after) => {
        const o = { ...before, hunting_queries: r.hunting_queries, ...after };
        assert.equal(lookupJson(o), JSON.stringify(o));
      }),
      { numRuns: 300 },
    );
    // runs of plain fields are written together: keys that reorder (index-like) or would set a prototype, between the prepared ones
    const awkward = fc.array(fc.tuple(fc.constantFrom('__proto__', '0', '12', 'a', 'mitre_techniques', 'z'), fc.jsonValue()), { maxLength: 6 });
    fc.assert(
      fc.property(awkward, awkward, (before, after) => {
        const o = JSON.parse(`{${[...before.map(([k, v]) => [k, v] as const), ['hunting_queries', null] as const, ...after].map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`) as Record<string, unknown>;
        o['hunting_queries'] = r.hunting_queries;
        assert.equal(lookupJson(o), JSON.stringify(o));
      }),
      { numRuns: 300 },
    );
    const parsedProto = JSON.parse('{"__proto__":{"a":1},"b":2}') as object;
    const withProto = Object.assign(parsedProto, { hunting_queries: r.hunting_queries });
    assert.equal(lookupJson(withProto), JSON.stringify(withProto));
  });

  it('techniques are the mapper\'s frozen objects, shared between answers; a changed list is written as it is', async () => {
    const [a, b] = [await result('198.51.100.23'), await result('198.51.100.23')];
    assert.ok(a.mitre_techniques.length > 0);
    assert.equal(a.mitre_techniques[0], b.mitre_techniques[0]);
    assert.ok(a.mitre_techniques.every((t) => Object.isFrozen(t)));
    assert.throws(() => ((a.mitre_techniques[0] as { name: string }).name = 'x'), TypeError);
    const changed = { ...a, mitre_techniques: [...a.mitre_techniques.slice(1), { id: 'T0000', name: 'not "shared"', derived_from: 'source' }, undefined] };
    assert.equal(lookupJson(changed), JSON.stringify(changed));
    const cve = await result('CVE-2023-4966');
    assert.equal(lookupJson(cve), JSON.stringify(cve));
  });

  it('bulk items: a result as lookupJson writes it, an error in the envelope', async () => {
    const r = await result('203.0.113.99');
    assert.equal(itemJson({ index: 0, result: r }), JSON.stringify(r));
    const error = { code: 'invalid_indicator' as const, message: 'no', details: { index: 1 } };
    assert.equal(itemJson({ index: 1, error }), JSON.stringify({ error }));
  });

  it('the lookup route answers the same bytes', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/v1/lookup?value=198.51.100.23&platforms=sigma,esql', headers: h.auth() });
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, JSON.stringify(await result('198.51.100.23', ['sigma', 'esql'])));
  });
});
