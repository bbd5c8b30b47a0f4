import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createHuntingQueryBuilder } from '../../src/hunting/index.ts';
import type { HuntingPlatform } from '../../src/model.ts';
import { HOSTILE_VALUES, SAMPLE_VALUES, SPECIAL_UNITS, TYPES, sampleInput, searched } from './samples.ts';
import { SPLUNK_RULES } from '../../src/hunting/rules/splunk.ts';
import { lexSpl, literalValues, pipeline, skeleton } from './tokenizers.ts';

const builder = createHuntingQueryBuilder();
type Splunk = Extract<HuntingPlatform, 'splunk' | 'splunk_tstats'>;
const spl = (platform: Splunk, type: (typeof TYPES)[number], value?: string): string =>
  builder.build(sampleInput(type, value), [platform])[platform]!;

/**
 * The hostile query must be the benign one with the value swapped inside literals: the same
 * tokens outside literals, and each literal equal to the benign literal with the value replaced.
 */
function assertContained(platform: Splunk, type: (typeof TYPES)[number], value: string): void {
  // A value with `*` gets an exact filter after the search: compare with a benign value that has one too.
  const reference = value.includes('*') ? `${SAMPLE_VALUES[type]}*` : SAMPLE_VALUES[type];
  const benign = lexSpl(spl(platform, type, reference));
  const hostile = lexSpl(spl(platform, type, value));
  assert.deepEqual(skeleton(hostile), skeleton(benign), `structure changed for ${JSON.stringify(value).slice(0, 60)}`);
  const [from, to] = [searched(type, reference), searched(type, value)];
  const expected = literalValues(benign).map((l) => l.replaceAll(from, () => to));
  assert.deepEqual(literalValues(hostile), expected);
  assert.ok(literalValues(hostile).some((l) => l.includes(to)), 'the value is searched for');
}

describe('Splunk hunting searches', () => {
  it('search index=* with CIM fields and count by triage fields with first and last time', () => {
    for (const type of TYPES) {
      const { commands, subsearches } = pipeline(lexSpl(spl('splunk', type)), 'search');
      assert.deepEqual(commands, ['search', 'fillnull', 'stats', 'convert', 'sort'], type);
      assert.deepEqual(subsearches, []);
      assert.match(spl('splunk', type), /^index=\* \(/);
      assert.match(spl('splunk', type), /\| stats count min\(_time\) as firstTime max\(_time\) as lastTime by sourcetype /);
    }
    assert.match(spl('splunk', 'ipv4'), /dest_ip="192\.0\.2\.1"/);
    // An AS number is searched as logs write it: the number alone.
    assert.match(spl('splunk', 'asn'), /^index=\* \(src_asn="13335" OR dest_asn="13335"\)/);
  });

  it('tstats form: one tstats per data model, appended, renamed out of the dataset prefix', () => {
    for (const type of TYPES) {
      const { commands, subsearches } = pipeline(lexSpl(spl('splunk_tstats', type)), 'search');
      if (SPLUNK_RULES[type].tstats.length === 0) {
        // No CIM data model holds it: the plain search, as `splunk`.
        assert.equal(spl('splunk_tstats', type), spl('splunk', type), type);
        continue;
      }
      const appended = commands.filter((c) => c === 'append').length;
      assert.deepEqual(commands, ['tstats', 'rename', 'eval', ...Array<string>(appended).fill('append'), 'convert', 'sort'], type);
      assert.equal(subsearches.length, appended);
      for (const sub of subsearches) assert.deepEqual(sub, ['tstats', 'rename', 'eval']);
    }
    assert.match(spl('splunk_tstats', 'ipv4'), /from datamodel=Network_Traffic\.All_Traffic where \(All_Traffic\.src_ip="192\.0\.2\.1" OR All_Traffic\.dest_ip="192\.0\.2\.1"\)/);
    assert.match(spl('splunk_tstats', 'cve'), /datamodel=Vulnerabilities\.Vulnerabilities where \(Vulnerabilities\.cve="CVE-2021-44228"\)/);
    assert.match(spl('splunk_tstats', 'cve'), /datamodel=Intrusion_Detection\.IDS_Attacks where \(IDS_Attacks\.signature="\*CVE-2021-44228\*"\)/);
  });

  for (const platform of ['splunk', 'splunk_tstats'] as const) {
    it(`${platform}: hostile values stay inside their literals`, () => {
      for (const type of TYPES) for (const value of HOSTILE_VALUES) assertContained(platform, type, value);
    });

    it(`${platform}: random values stay inside their literals (property)`, () => {
      const value = fc.oneof(fc.string({ unit: fc.constantFrom(...SPECIAL_UNITS), minLength: 1 }), fc.string({ unit: 'binary', minLength: 1 }));
      fc.assert(fc.property(fc.constantFrom(...TYPES), value, (type, v) => assertContained(platform, type, v)), { numRuns: 300 });
    });
  }

  it('follows the search with an exact filter when the value holds a `*` (SPL cannot escape it)', () => {
    const q = spl('splunk', 'url', 'https://evil.example/a*b');
    assert.deepEqual(pipeline(lexSpl(q), 'search').commands, ['search', 'where', 'fillnull', 'stats', 'convert', 'sort']);
    assert.match(q, /\| where lower\(url\)==lower\("https:\/\/evil\.example\/a\*b"\) \|/);
    assert.match(spl('splunk', 'domain', 'a*.example'), /like\(lower\(query\), lower\("%\.a\*\.example"\)\)/);
    assert.doesNotMatch(spl('splunk', 'url'), /\| where /);
  });

  it('escapes quotes and backslashes, and leaves pipes, brackets and backticks inert inside quotes', () => {
    assert.match(spl('splunk', 'url', 'a"b\\c|d[`m`]'), /url="a\\"b\\\\c\|d\[`m`\]"/);
  });
});
