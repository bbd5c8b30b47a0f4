import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { esqlString, kqlString, sigmaString, splString, yamlString } from '../../src/hunting/escape.ts';

// Table-driven: value → exact literal each language must receive.
const CASES: { name: string; value: string; kql: string; spl: string; esql: string; sigma: string }[] = [
  { name: 'plain', value: 'evil.example', kql: '"evil.example"', spl: '"evil.example"', esql: '"evil.example"', sigma: "'evil.example'" },
  { name: 'double quote', value: 'a"b', kql: '"a\\"b"', spl: '"a\\"b"', esql: '"a\\"b"', sigma: `'a"b'` },
  { name: 'single quote', value: "a'b", kql: `"a'b"`, spl: `"a'b"`, esql: `"a'b"`, sigma: "'a''b'" },
  { name: 'backslash', value: 'C:\\x', kql: '"C:\\\\x"', spl: '"C:\\\\x"', esql: '"C:\\\\x"', sigma: "'C:\\\\x'" },
  { name: 'pipe', value: 'a|b', kql: '"a|b"', spl: '"a|b"', esql: '"a|b"', sigma: "'a|b'" },
  { name: 'newline', value: 'a\nb', kql: '"a\\nb"', spl: '"a\nb"', esql: '"a\\nb"', sigma: '"a\\nb"' },
  { name: 'CR and tab', value: '\r\t', kql: '"\\r\\t"', spl: '"\r\t"', esql: '"\\r\\t"', sigma: '"\\r\\t"' },
  { name: 'asterisk', value: 'a*b', kql: '"a*b"', spl: '"a*b"', esql: '"a*b"', sigma: "'a\\*b'" },
  { name: 'question mark', value: 'a?b', kql: '"a?b"', spl: '"a?b"', esql: '"a?b"', sigma: "'a\\?b'" },
  { name: 'percent', value: '100%', kql: '"100%"', spl: '"100%"', esql: '"100%"', sigma: "'100%'" },
  { name: 'unicode', value: 'xn--例え-😀', kql: '"xn--例え-😀"', spl: '"xn--例え-😀"', esql: '"xn--例え-😀"', sigma: "'xn--例え-😀'" },
  { name: 'NUL and DEL', value: '\u0000\u007f', kql: '"\\u0000\\u007f"', spl: '"\u0000\u007f"', esql: '"\u0000\u007f"', sigma: '"\\x00\\x7f"' },
  { name: 'line separator', value: '\u2028', kql: '"\\u2028"', spl: '"\u2028"', esql: '"\u2028"', sigma: '"\\u2028"' },
  { name: 'lone surrogate', value: 'a\ud800', kql: '"a\\ud800"', spl: '"a\ud800"', esql: '"a\ud800"', sigma: '"a\\ud800"' },
];

describe('string-literal encoders', () => {
  for (const c of CASES) {
    it(`${c.name}`, () => {
      assert.equal(kqlString(c.value), c.kql, 'kql');
      assert.equal(splString(c.value), c.spl, 'spl');
      assert.equal(esqlString(c.value), c.esql, 'esql');
      assert.equal(sigmaString(c.value), c.sigma, 'sigma');
    });
  }

  it('YAML scalars read back exactly, in either quoting style', () => {
    for (const c of CASES) assert.equal(parse(`v: ${yamlString(c.value)}`).v, c.value, c.name);
  });

  it('handles very long values in linear time without changing them', () => {
    const long = 'a"\\|*%\n'.repeat(200_000);
    const started = process.hrtime.bigint();
    const lit = kqlString(long);
    splString(long);
    esqlString(long);
    sigmaString(long);
    // A guard against quadratic escaping (which would take hours on 1.4 MB), not a speed figure:
    // linear encoding takes well under a second, so the bound leaves room for a loaded machine.
    assert.ok(Number(process.hrtime.bigint() - started) / 1e6 < 20_000, 'encoding 1.4 MB four ways takes seconds, not hours');
    // KQL's escapes used here (\\ \" \n \uXXXX) read the same in JSON: decode and compare.
    assert.equal(JSON.parse(lit), long);
  });
});
