// No catastrophic backtracking: 1 MB of pathological input must finish within a generous bound.
// A quadratic pattern takes minutes on these inputs, so the bound separates the two cases
// without depending on the machine; real timings are in bench/extract.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extract, parseIndicator, refang } from '../../src/indicators/index.ts';

const MB = 1 << 20;
const BOUND_MS = 4000;
const repeat = (unit: string): string => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);

const INPUTS: Record<string, string> = {
  dots: repeat('.'),
  hex: repeat('a'),
  digits: repeat('7'),
  'a@a@': repeat('a@'),
  '[.][.]': repeat('[.]'),
  'a.a.a.': repeat('a.'),
  '1.1.1.': repeat('1.'),
  colons: repeat(':'),
  'a:a:': repeat('a:'),
  'hex with colons': repeat('1f:'),
  'label-': repeat('ab-'),
  'http://': repeat('http://'),
  'hxxp[:]//': repeat('hxxp[:]//'),
  'a.com/': repeat('a.com/'),
  'a.a@': repeat('a.a@'),
  '(.)(dot)': repeat('(.)(dot)'),
  backslash: repeat('a\\.'),
  'many IPs': repeat('1.1.1.1 '),
  'many URLs': repeat('http://a.com/x '),
  'many emails': repeat('a@b.com '),
  'long hex word': repeat('0123456789abcdef'),
  // the defangs, context and role rules
  'brackets runs': repeat('[[[[('),
  'closing brackets': repeat('a.]]]]'),
  'spaced ats': repeat('a @ '),
  'at and dot words': repeat('a at b dot '),
  'dot words': repeat('x dot '),
  'scheme words': repeat('http__hxxp:\\\\'),
  'host commas': repeat('http://a,'),
  'spaced host': repeat('http://a .b'),
  '-dot-': repeat('a-dot-'),
  'CVE spaces': repeat('CVE 2021 '),
  'file-or-domain names': repeat('bash a.sh evil.cc '),
  'field names': repeat('"rule.id": '),
  'version words': repeat('version 1.2.3.4 '),
  'headings': repeat('References:\nhttps://a.com/x\n'),
  'Markdown links': repeat('[t](https://a.com/x)'),
  'one long line of names': repeat('evil.cc, '),
};

for (const [name, input] of Object.entries(INPUTS)) {
  test(`1 MB of ${name} is handled in linear time`, () => {
    const t0 = performance.now();
    const found = extract(input);
    const elapsed = performance.now() - t0;
    assert.ok(Array.isArray(found));
    assert.ok(elapsed < BOUND_MS, `${name}: ${elapsed.toFixed(0)} ms`);
  });
}

test('refang of 1 MB of markers is linear', () => {
  const t0 = performance.now();
  const out = refang('[.]'.repeat(MB / 4));
  assert.equal(out, '.'.repeat(MB / 4));
  assert.ok(performance.now() - t0 < BOUND_MS);
});

test('many indicators are all found (work is proportional to matches)', () => {
  assert.equal(extract(repeat('1.1.1.1 ').slice(0, 8 * 1000)).length, 1000);
});

test('a lone value of pathological shape is parsed quickly (4 KB, twice the length limit)', () => {
  for (const [name, input] of Object.entries(INPUTS)) {
    const t0 = performance.now();
    const r = parseIndicator(input.slice(0, 4096));
    assert.equal(typeof r.ok, 'boolean');
    assert.ok(performance.now() - t0 < 500, name);
  }
  assert.equal(parseIndicator(INPUTS['a@a@']!.slice(0, 4096)).ok, false);
  assert.equal(parseIndicator(INPUTS.dots!.slice(0, 4096)).ok, false);
});
