import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHuntingQueryBuilder, HuntingInputError } from '../../src/hunting/index.ts';
import { uuidV5 } from '../../src/hunting/uuid.ts';
import { HUNTING_PLATFORMS, QUERIES_JSON, type HuntingInput, type HuntingPlatform } from '../../src/model.ts';
import { TYPES, sampleInput } from './samples.ts';

const builder = createHuntingQueryBuilder();

describe('HuntingQueryBuilder', () => {
  it('builds every platform by default, for every type, as non-empty strings', () => {
    for (const type of TYPES) {
      const out = builder.build(sampleInput(type));
      assert.deepEqual(Object.keys(out), [...HUNTING_PLATFORMS]);
      for (const p of HUNTING_PLATFORMS) assert.ok((out[p] ?? '').length > 0, `${type}/${p}`);
    }
  });

  it('builds only the platforms asked for, in the order asked', () => {
    assert.deepEqual(Object.keys(builder.build(sampleInput('ipv4'), ['kql', 'splunk'])), ['kql', 'splunk']);
    assert.deepEqual(builder.build(sampleInput('ipv4'), []), {});
  });

  it('carries the record\'s JSON text, the same as JSON.stringify writes, out of sight of copies', () => {
    const cases: HuntingPlatform[][] = [[...HUNTING_PLATFORMS], ['kql', 'splunk'], ['sigma'], [], ['splunk', 'kql', 'splunk', 'esql']];
    for (const type of TYPES) {
      for (const platforms of cases) {
        const out = builder.build(sampleInput(type, 'say "hi" \\ \u2028 😀 \ud800'), platforms);
        assert.equal(out[QUERIES_JSON], JSON.stringify(out), `${type} ${platforms.join(',')}`);
        assert.equal(Object.keys(out).length, new Set(platforms).size);
        // neither enumerable nor copied: a changed copy cannot carry the original's text
        assert.equal({ ...out }[QUERIES_JSON], undefined);
        assert.equal(JSON.stringify(out).includes('QUERIES'), false);
      }
    }
  });

  it('is deterministic and pure: same input, same output; input is not modified', () => {
    const input = sampleInput('sha256');
    const frozen = structuredClone(input);
    assert.deepEqual(builder.build(input), createHuntingQueryBuilder().build(input));
    assert.deepEqual(input, frozen);
  });

  const bad: [string, unknown, RegExp][] = [
    ['unknown type', { ...sampleInput('ipv4'), type: 'cidr' }, /unknown indicator type: cidr/],
    ['non-string value', { ...sampleInput('ipv4'), value: 42 }, /non-empty string/],
    ['empty value', { ...sampleInput('ipv4'), value: '' }, /non-empty string/],
    ['unknown level', { ...sampleInput('ipv4'), level: 'severe' }, /unknown risk level: severe/],
    ['techniques not an array', { ...sampleInput('ipv4'), techniques: 'T1071' }, /techniques must be an array/],
    ['null input', null, /must be an object/],
    ['a technique that is not a string', { ...sampleInput('ipv4'), techniques: ['T1071', 7] }, /techniques must be an array/],
    ['context not an object', { ...sampleInput('ipv4'), context: 'botnet' }, /context must be an object/],
    ['context list of non-strings', { ...sampleInput('ipv4'), context: { references: [{ url: 'x' }] } }, /context\.references must be an array of strings/],
  ];
  for (const [name, input, message] of bad) {
    it(`rejects ${name} with a clear error`, () => {
      assert.throws(() => builder.build(input as HuntingInput), (e: unknown) => e instanceof HuntingInputError && message.test(e.message));
    });
  }

  it('rejects an unknown platform, naming the allowed ones', () => {
    assert.throws(
      () => builder.build(sampleInput('ipv4'), ['splunk', 'qradar' as never]),
      (e: unknown) => e instanceof HuntingInputError && /unknown hunting platform: qradar; expected one of splunk, splunk_tstats, kql, sigma, esql/.test(e.message),
    );
  });

  it('rejects a lookback that is not a whole number of days', () => {
    assert.throws(() => createHuntingQueryBuilder({ lookbackDays: 0 }), RangeError);
    assert.throws(() => createHuntingQueryBuilder({ lookbackDays: 1.5 }), RangeError);
  });

  it('computes RFC 9562 UUIDv5 (known vector: DNS namespace, www.example.com)', () => {
    assert.equal(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com'), '2ed6657d-e927-568b-95e1-2665a8aea6a2');
    assert.throws(() => uuidV5('not-a-uuid', 'x'), TypeError);
  });
});
