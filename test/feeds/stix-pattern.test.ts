import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStixPattern } from '../../src/feeds/parsers/stix-pattern.ts';
import { splitCsv } from '../../src/feeds/parsers/csv.ts';
import { toIsoDate } from '../../src/feeds/parsers/text.ts';

const cases: { pattern: string; values: string[]; skipped?: number }[] = [
  { pattern: "[ipv4-addr:value = '198.51.100.1']", values: ['198.51.100.1'] },
  { pattern: "[domain-name:value = 'a.example' OR ipv4-addr:value = '198.51.100.2']", values: ['a.example', '198.51.100.2'] },
  { pattern: "[url:value = 'http://x.example/a'] AND [file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']", values: ['http://x.example/a', 'd41d8cd98f00b204e9800998ecf8427e'] },
  { pattern: "[file:hashes.'SHA-256' = 'aa' AND file:name = 'x.exe']", values: ['aa'], skipped: 1 },
  { pattern: "[email-addr:value = 'o\\'brien@example.com']", values: ["o'brien@example.com"] },
  { pattern: "([ipv4-addr:value = '198.51.100.3'] FOLLOWEDBY [domain-name:value = 'b.example']) WITHIN 300 SECONDS", values: ['198.51.100.3', 'b.example'] },
  { pattern: "[url:value MATCHES '^http']", values: [], skipped: 1 },
  { pattern: "[ipv4-addr:value != '198.51.100.4']", values: [], skipped: 1 },
  { pattern: "[ipv4-addr:value NOT = '198.51.100.5']", values: [], skipped: 1 },
];

test('STIX patterns: equality terms are extracted, other operators skipped', () => {
  for (const c of cases) {
    const r = parseStixPattern(c.pattern);
    assert.ok(r.ok, c.pattern);
    assert.deepEqual(r.terms.map((t) => t.value), c.values, c.pattern);
    assert.equal(r.skipped, c.skipped ?? 0, c.pattern);
  }
});

test('STIX patterns: malformed ones are refused with a reason', () => {
  for (const bad of ["ipv4-addr:value = '1.2.3.4'", "[ipv4-addr:value = '1.2.3.4'", "[ipv4-addr:value = '1.2.3.4]", '[]']) {
    const r = parseStixPattern(bad);
    assert.equal(r.ok, false, bad);
  }
});

test('CSV splitting: quotes, doubled quotes, spaces after commas, open quotes', () => {
  assert.deepEqual(splitCsv('a,b,c'), ['a', 'b', 'c']);
  assert.deepEqual(splitCsv('"a,1", "b ""q""",c'), ['a,1', 'b "q"', 'c']);
  assert.deepEqual(splitCsv('"x";"y"', ';'), ['x', 'y']);
  assert.equal(splitCsv('"open,1'), null);
});

test('feed dates become RFC 3339 UTC', () => {
  assert.equal(toIsoDate('2026-11-30'), '2026-11-30T00:00:00Z');
  assert.equal(toIsoDate('2026-11-30 12:01:11'), '2026-11-30T12:01:11Z');
  assert.equal(toIsoDate('1472480394'), '2016-08-29T14:19:54Z');
  assert.equal(toIsoDate('2015-05-15T09:12:16.432Z'), '2015-05-15T09:12:16.432Z');
  assert.equal(toIsoDate('yesterday'), null);
  assert.equal(toIsoDate(null), null);
});
