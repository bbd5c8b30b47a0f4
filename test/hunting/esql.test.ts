import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createHuntingQueryBuilder } from '../../src/hunting/index.ts';
import { HOSTILE_VALUES, SAMPLE_VALUES, SPECIAL_UNITS, TYPES, sampleInput, searched } from './samples.ts';
import { lexEsql, literalValues, pipeline, skeleton } from './tokenizers.ts';

const builder = createHuntingQueryBuilder();
const esql = (type: (typeof TYPES)[number], value?: string): string => builder.build(sampleInput(type, value), ['esql']).esql!;

function assertContained(type: (typeof TYPES)[number], value: string): void {
  const benign = lexEsql(esql(type));
  const hostile = lexEsql(esql(type, value));
  assert.deepEqual(skeleton(hostile), skeleton(benign), `structure changed for ${JSON.stringify(value).slice(0, 60)}`);
  assert.deepEqual(
    literalValues(hostile),
    literalValues(benign).map((l) => l.replaceAll(searched(type, SAMPLE_VALUES[type]), () => searched(type, value))),
  );
}

describe('ES|QL hunting queries', () => {
  it('FROM, time window, match, STATS with first/last seen, SORT, LIMIT', () => {
    for (const type of TYPES) {
      const q = esql(type);
      assert.deepEqual(pipeline(lexEsql(q)).commands, ['FROM', 'WHERE', 'WHERE', 'STATS', 'SORT', 'LIMIT'], type);
      assert.match(q, /\| WHERE @timestamp >= NOW\(\) - 30 days\n/);
      assert.match(q, /\| STATS events = COUNT\(\*\), first_seen = MIN\(@timestamp\), last_seen = MAX\(@timestamp\) BY /);
    }
    assert.match(esql('ipv4'), /source\.ip == TO_IP\("192\.0\.2\.1"\)/);
    assert.match(esql('domain'), /ENDS_WITH\(dns\.question\.name, "\.evil\.example"\)/);
    assert.match(esql('mitre-attack'), /^FROM logs-\*, \.alerts-security\.alerts-\*\n/);
    assert.match(esql('asn'), /source\.as\.number == TO_LONG\("13335"\) OR destination\.as\.number == TO_LONG\("13335"\)/);
  });

  it('hostile values stay inside their literals', () => {
    for (const type of TYPES) for (const value of HOSTILE_VALUES) assertContained(type, value);
  });

  it('random values stay inside their literals (property)', () => {
    const value = fc.oneof(fc.string({ unit: fc.constantFrom(...SPECIAL_UNITS), minLength: 1 }), fc.string({ unit: 'binary', minLength: 1 }));
    fc.assert(fc.property(fc.constantFrom(...TYPES), value, (type, v) => assertContained(type, v)), { numRuns: 300 });
  });

  it('writes line breaks as escapes, never raw', () => {
    assert.match(esql('url', 'a\nb\r"c'), /url\.full == "a\\nb\\r\\"c"/);
  });
});
