import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createHuntingQueryBuilder } from '../../src/hunting/index.ts';
import { KQL_RULES } from '../../src/hunting/rules/kql.ts';
import { analyzeKql, loadTables } from './kusto.ts';
import { HOSTILE_VALUES, SAMPLE_VALUES, SPECIAL_UNITS, TYPES, sampleInput, searched } from './samples.ts';

const builder = createHuntingQueryBuilder();
const kql = (type: (typeof TYPES)[number], value?: string): string => builder.build(sampleInput(type, value), ['kql']).kql!;

function assertClean(query: string, value: string): string[] {
  const a = analyzeKql(query);
  // Warnings count too: KS205 would mean a fuzzy union leg names a table that does not exist.
  assert.deepEqual(a.diagnostics, [], `diagnostics for ${JSON.stringify(value).slice(0, 80)}:\n${query.slice(0, 400)}`);
  const holding = a.literals.filter((l) => l.value === value);
  assert.equal(holding.length, 1, 'the value is bound in exactly one literal');
  assert.equal(a.literals[0]?.value, value, 'the first literal is the `let ioc` binding');
  return a.skeleton;
}

describe('KQL hunting queries', () => {
  it('parse against the Defender XDR / Sentinel schemas with zero diagnostics for every type', () => {
    for (const type of TYPES) assertClean(kql(type), searched(type, SAMPLE_VALUES[type]));
  });

  it('use only tables from the Microsoft schemas, with their real time column', () => {
    const tables = loadTables();
    for (const type of TYPES) {
      for (const leg of KQL_RULES[type].legs) {
        const cols = tables[leg.table]?.map((c) => c.name);
        assert.ok(cols, `${type}: table ${leg.table} is not in the schema`);
        if (leg.time !== null) assert.ok(cols.includes(leg.time), `${leg.table} has no ${leg.time}`);
      }
    }
    assert.doesNotMatch(kql('ipv4'), /NetworkCommunicationEvents/);
  });

  it('default to a 30-day lookback parameter and accept another', () => {
    assert.match(kql('ipv4'), /^let lookback = 30d;\n/);
    const q = createHuntingQueryBuilder({ lookbackDays: 7 }).build(sampleInput('domain'), ['kql']).kql!;
    assert.match(q, /^let lookback = 7d;\n/);
    assert.deepEqual(analyzeKql(q).diagnostics, []);
  });

  it('stack the tables with union isfuzzy=true and summarize count, first and last time', () => {
    for (const type of TYPES) {
      const q = kql(type);
      assert.match(q, /\nunion isfuzzy=true\n/);
      assert.match(q, /\| summarize Events = count\(\), FirstSeen = min\(EventTime\), LastSeen = max\(EventTime\) by SourceTable, /);
    }
  });

  it('hunt vulnerable devices and alerts for a CVE, alerts for an ATT&CK id, mail for an email', () => {
    assert.match(kql('cve'), /\(DeviceTvmSoftwareVulnerabilities\n/);
    assert.match(kql('cve'), /\(SecurityAlert\n/);
    assert.match(kql('mitre-attack'), /\(SecurityAlert\n[\s\S]*Techniques has ioc/);
    assert.match(kql('mitre-attack'), /\(AlertInfo\n[\s\S]*AttackTechniques has ioc/);
    assert.match(kql('email'), /\(EmailEvents\n[\s\S]*SenderFromAddress =~ ioc/);
    assert.match(kql('asn'), /^let lookback = 30d;\nlet ioc = "13335";\n/);
    assert.match(kql('asn'), /\(SigninLogs\n[\s\S]*AutonomousSystemNumber == ioc/);
  });

  it('keep hostile values inside the one literal: same structure, zero diagnostics', () => {
    // The value has one position in every KQL query (`let ioc`), so two query shapes suffice here;
    // the property test below covers every type.
    for (const type of ['url', 'cve'] as const) {
      const reference = analyzeKql(kql(type)).skeleton;
      for (const value of HOSTILE_VALUES) {
        const skeleton = assertClean(kql(type, value), value);
        assert.deepEqual(skeleton, reference, `structure changed for ${JSON.stringify(value).slice(0, 60)}`);
      }
    }
  });

  it('keep random values inside the one literal (property)', () => {
    const references = new Map(TYPES.map((t) => [t, analyzeKql(kql(t)).skeleton]));
    const anyUnit = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 40 });
    const special = fc.string({ unit: fc.constantFrom(...SPECIAL_UNITS), minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(fc.constantFrom(...TYPES), fc.oneof(special, anyUnit, fc.string({ unit: 'binary', minLength: 1 })), (type, value) => {
        assert.deepEqual(assertClean(kql(type, value), searched(type, value)), references.get(type));
      }),
      { numRuns: 60 },
    );
  });
});
