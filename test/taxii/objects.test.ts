/**
 * A collection's row objects are the STIX export's objects: the indicator TAXII builds directly
 * equals, field for field, the one src/exports/stix.ts writes for the same catalogue entry, except
 * `modified` (when Verdict recorded the version) and the description's numeric score; `created`
 * never follows `modified`. Every object validates against the official STIX 2.1 schemas.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { catalogueItem } from '../../src/exports/catalogue.ts';
import { stixObjectsOf, type StixObject } from '../../src/exports/stix.ts';
import type { StoredType } from '../../src/indicators/types.ts';
import type { AddedEntry } from '../../src/store/types.ts';
import { stixSubjectId } from '../../src/taxii/ids.ts';
import { rowObject } from '../../src/taxii/objects.ts';
import { isoMicros } from '../../src/taxii/time.ts';
import { stixValidators } from '../exports/helpers.ts';

const validators = stixValidators();
const FEEDS: Record<string, { name: string; category: string }> = {
  gov: { name: 'CISA Alerts', category: 'government' },
  com: { name: 'Spamhaus DROP', category: 'commercial' },
  comm: { name: 'abuse.ch URLhaus', category: 'community' },
};
const opts = { labels: { feed: (id: string) => FEEDS[id] }, lifetimeDays: (t: StoredType) => ({ ipv4: 60, ipv6: 60, url: 60, domain: 180, email: 180, cidr: 60 } as Record<string, number>)[t] ?? null };
const ADDED = Date.parse('2026-11-30T12:00:00.000Z') * 1000 + 123;

const entry = (type: StoredType, value: string, extra: Partial<AddedEntry> = {}): AddedEntry => ({
  type,
  value,
  firstSeen: '2026-10-01T00:00:00.000Z',
  lastSeen: '2026-11-20T00:00:00.000Z',
  score: 63,
  level: 'high',
  confidence: 'medium',
  listed: true,
  feeds: ['gov'],
  categories: ['government'],
  threatTypes: ['botnet_cc'],
  families: ['Emotet'],
  techniques: ['T1071.001'],
  cves: [],
  computedAt: '2026-11-30T12:00:00.000Z',
  addedUs: ADDED,
  stixId: stixSubjectId(type, value)!,
  ...extra,
});

const CASES: AddedEntry[] = [
  entry('ipv4', '203.0.113.7'),
  entry('ipv6', '2001:db8::1', { threatTypes: ['scanner', 'tor_exit'], level: 'medium', confidence: 'low', feeds: ['gov', 'com'], categories: ['commercial', 'government'] }),
  entry('cidr', '198.51.100.0/24', { threatTypes: ['hijacked_range'], feeds: ['com'], categories: ['commercial'] }),
  entry('domain', 'evil.example.com', { threatTypes: [], families: [], techniques: [] }),
  entry('url', "http://evil.example.com/it's|a=path\\x", { threatTypes: ['payload_delivery', 'phishing'], feeds: ['comm', 'gov'] }),
  entry('md5', 'd41d8cd98f00b204e9800998ecf8427e'),
  entry('sha1', 'a'.repeat(40)),
  entry('sha256', 'b'.repeat(64), { level: 'critical', confidence: 'high' }),
  entry('sha512', 'c'.repeat(128), { level: 'low' }),
  entry('email', 'phish@evil.example.com', { threatTypes: ['allowlisted'] }),
  entry('asn', 'AS64500', { threatTypes: ['spam'] }),
  // a feed that dates its first sighting after Verdict recorded the row: created is held at modified
  entry('ipv4', '203.0.113.8', { firstSeen: '2026-12-05T00:00:00.000Z', lastSeen: '2026-12-01T00:00:00.000Z' }),
  entry('cve', 'CVE-2021-44228', { threatTypes: ['exploited_vulnerability'], cves: ['CVE-2021-44228'] }),
  entry('mitre-attack', 'T1059', { threatTypes: [] }),
];

function exported(e: AddedEntry): StixObject {
  for (const o of stixObjectsOf(catalogueItem(e, opts.labels), { now: new Date('2026-11-30T12:00:00Z'), lifetimeDays: opts.lifetimeDays }, new Set())) if (o.id === e.stixId) return o;
  throw new Error(`the export writes no ${e.stixId}`);
}

for (const e of CASES) {
  test(`${e.type} ${e.value}: the export's object, with the recorded version`, () => {
    const served = rowObject(e, opts);
    assert.ok(served !== null);
    const v = validators.of(served.type);
    assert.ok(v(served), JSON.stringify(v.errors?.slice(0, 3)));
    assert.equal(served['modified'], isoMicros(ADDED));
    assert.ok(Date.parse(served['created'] as string) * 1000 <= ADDED + 1, 'created never after modified');
    const exp = exported(e);
    const expected: StixObject = { ...exp, modified: served['modified'] };
    if (Date.parse(exp['created'] as string) * 1000 > ADDED) expected['created'] = served['modified'];
    if (typeof exp['description'] === 'string' && exp.type === 'indicator') expected['description'] = exp['description'].replace(/ \(\d+\/100\)/, '');
    assert.deepEqual(served, expected);
    assert.deepEqual(Object.keys(served), Object.keys(expected), 'the same field order');
    if (served.type === 'indicator') assert.doesNotMatch(served['description'] as string, /\/100/);
  });
}
