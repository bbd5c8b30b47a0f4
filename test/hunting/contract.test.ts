/**
 * One contract, run against every platform's generator: it answers for every indicator type,
 * is deterministic, never throws on any string value, and never mentions the value except as
 * that platform's escaped literal.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { esqlString, kqlString, splString, yamlString } from '../../src/hunting/escape.ts';
import { createEsqlGenerator } from '../../src/hunting/esql.ts';
import { createKqlGenerator } from '../../src/hunting/kql.ts';
import { createSigmaGenerator } from '../../src/hunting/sigma.ts';
import { createSplunkGenerator, createSplunkTstatsGenerator } from '../../src/hunting/splunk.ts';
import type { QueryGenerator } from '../../src/hunting/types.ts';
import { SPECIAL_UNITS, TYPES, sampleInput, searched } from './samples.ts';

/** How each platform writes a plain value (no special characters) in its literals. */
const CASES: [QueryGenerator, (v: string) => string][] = [
  [createSplunkGenerator(), splString],
  [createSplunkTstatsGenerator(), splString],
  [createKqlGenerator(), kqlString],
  [createEsqlGenerator(), esqlString],
  [createSigmaGenerator(), (v) => yamlString(v).slice(1, -1)],
];

for (const [generator, literal] of CASES) {
  describe(`generator contract: ${generator.platform}`, () => {
    it('answers for every indicator type with text that holds the value', () => {
      for (const type of TYPES) {
        const input = sampleInput(type);
        const text = generator.generate(input);
        assert.ok(text.length > 0);
        assert.ok(text.includes(literal(searched(type, input.value)).replace(/^"|"$/g, '')), `${type}: value not found`);
      }
    });

    it('is deterministic', () => {
      for (const type of TYPES) assert.equal(generator.generate(sampleInput(type)), generator.generate(sampleInput(type)));
    });

    it('never throws, whatever the string', () => {
      const value = fc.oneof(fc.string({ unit: fc.constantFrom(...SPECIAL_UNITS), minLength: 1 }), fc.string({ unit: 'binary', minLength: 1 }));
      fc.assert(
        fc.property(fc.constantFrom(...TYPES), value, (type, v) => {
          assert.equal(typeof generator.generate(sampleInput(type, v)), 'string');
        }),
        { numRuns: 200 },
      );
    });

    it('its JSON text, when it makes one, is JSON.stringify of its query, whatever the string', () => {
      const json = generator.generateJson?.bind(generator);
      if (json === undefined) {
        assert.equal(generator.platform, 'sigma', 'every template generator makes its JSON text');
        return;
      }
      for (const type of TYPES) assert.equal(json(sampleInput(type)), JSON.stringify(generator.generate(sampleInput(type))), type);
      // quotes, backslashes, control characters, lone and paired surrogates, U+2028
      const value = fc.oneof(fc.string({ unit: fc.constantFrom(...SPECIAL_UNITS), minLength: 1 }), fc.string({ unit: 'binary', minLength: 1 }), fc.string({ unit: 'grapheme', minLength: 1 }));
      fc.assert(
        fc.property(fc.constantFrom(...TYPES), value, (type, v) => {
          const input = sampleInput(type, v);
          assert.equal(json(input), JSON.stringify(generator.generate(input)));
        }),
        { numRuns: 300 },
      );
    });

    it('differs only where the value is: two plain values give the same text once swapped', () => {
      for (const type of TYPES) {
        const a = generator.generate(sampleInput(type, 'aaaa1111'));
        const b = generator.generate(sampleInput(type, 'bbbb2222'));
        // Sigma's id is derived from the value; every other difference must be the value itself.
        const strip = (s: string): string => s.replace(/^id: .*$/m, 'id: <id>');
        assert.equal(strip(a).replaceAll('aaaa1111', 'bbbb2222'), strip(b), type);
      }
    });
  });
}
