// The Public Suffix List's own conformance cases (test/fixtures/psl, CC0), run against
// registrableDomain. Unicode expectations are compared in their punycode (A-label) form,
// which is how Verdict stores every domain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { domainToASCII } from 'node:url';
import { registrableDomain } from '../../src/indicators/index.ts';

interface PslCase {
  input: string | null;
  expected_registrable_domain: string | null;
  source: string;
}
const cases = JSON.parse(readFileSync(new URL('../fixtures/psl/test_psl.json', import.meta.url), 'utf8')) as PslCase[];

test('the PSL conformance file is present and complete', () => {
  assert.equal(cases.length, 78);
});

for (const c of cases) {
  test(`PSL ${c.source}: ${String(c.input)} → ${String(c.expected_registrable_domain)}`, () => {
    const expected = c.expected_registrable_domain === null ? null : domainToASCII(c.expected_registrable_domain);
    assert.equal(registrableDomain(c.input as string), expected);
  });
}
