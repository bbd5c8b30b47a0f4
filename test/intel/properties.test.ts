/** Properties of assess() over generated evidence: it never throws, and its parts agree with each other. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createIntelligence } from '../../src/intel.ts';
import { bandOf } from '../../src/scoring/index.ts';
import { DATE_SOURCES, RELIABILITIES, THREAT_TYPES, FEED_CATEGORIES, type Evidence, type EvidenceSighting } from '../../src/model.ts';
import { INDICATOR_TYPES } from '../../src/indicators/types.ts';
import { NOW } from './fixtures.ts';

const intel = createIntelligence();

const arbTime = fc.oneof(
  fc.integer({ min: -10, max: 2000 }).map((d) => new Date(NOW.getTime() - d * 86_400_000).toISOString()),
  fc.constantFrom('', 'yesterday', '2026-13-45T99:00:00Z'),
);

const arbSighting = (type: string, value: string): fc.Arbitrary<EvidenceSighting> =>
  fc.record({
    type: fc.constant(type as EvidenceSighting['type']),
    value: fc.constant(value),
    feedId: fc.constantFrom('a', 'b', 'c', 'internal-allowlist'),
    feed: fc.record({
      id: fc.constantFrom('a', 'b', 'c'),
      name: fc.string({ maxLength: 12 }),
      category: fc.constantFrom(...FEED_CATEGORIES),
      reliability: fc.constantFrom(...RELIABILITIES),
      verdict: fc.constantFrom(undefined, 'allow' as const, 'deny' as const),
    }),
    firstSeen: arbTime,
    lastSeen: arbTime,
    dateSource: fc.constantFrom(null, ...DATE_SOURCES),
    threatType: fc.constantFrom(null, ...THREAT_TYPES),
    malwareFamily: fc.constantFrom(null, '', 'Emotet', 'win.qakbot', 'AgentTesla', 'unknownfamily'),
    tags: fc.array(fc.constantFrom('c2', 'T1059.001', 'misp-galaxy:mitre-attack-pattern="X - T1193"', ' ', 'T9999'), { maxLength: 3 }),
    confidence: fc.constantFrom(null, 0, 50, 100, -5, 250, Number.NaN),
    referenceUrl: fc.constant(null),
    attackIds: fc.array(fc.constantFrom('T1071', 't1566.001', 'T1002', 'bogus'), { maxLength: 2 }),
    attributes: fc.constantFrom({}, { knownRansomwareCampaignUse: 'Known', vulnerabilityName: 'X Remote Code Execution' }, { sbl: 'SBL1' }),
    listed: fc.boolean(),
    updatedAt: arbTime,
  });

const VALUES: Record<string, string[]> = {
  ipv4: ['8.8.8.8', '10.0.0.1', '91.215.85.17'],
  ipv6: ['2001:db8::1', '2a00:1450:4001:80b::200e'],
  domain: ['google.com', 'x.duckdns.org', 'evil.example'],
  url: ['https://bit.ly/x', 'http://1.2.3.4/a', 'not a url'],
  md5: ['d41d8cd98f00b204e9800998ecf8427e'],
  sha1: ['da39a3ee5e6b4b0d3255bfef95601890afd80709'],
  sha256: ['a'.repeat(64)],
  sha512: ['b'.repeat(128)],
  cve: ['CVE-2025-49704'],
  'mitre-attack': ['T1059.001', 'TA0002', 'T1193', 'T0000'],
  email: ['a@mailinator.com', 'broken'],
};

const arbEvidence: fc.Arbitrary<Evidence> = fc
  .constantFrom(...INDICATOR_TYPES)
  .chain((type) => fc.constantFrom(...(VALUES[type] ?? ['x'])).map((value) => ({ type, value })))
  .chain(({ type, value }) =>
    fc.record({
      type: fc.constant(type),
      value: fc.constant(value),
      sightings: fc.array(arbSighting(type, value), { maxLength: 6 }),
      context: fc.array(arbSighting('cidr', '91.215.85.0/24').map((s) => ({ ...s, relation: 'range' as const })), { maxLength: 2 }),
      override: fc.constantFrom(null, { type, value, verdict: 'deny' as const, reason: 'r', createdAt: NOW.toISOString(), createdBy: null }),
    }),
  );

test('assess never throws; score, level and factors agree', () => {
  fc.assert(
    fc.property(arbEvidence, (ev) => {
      const a = intel.assess(ev, NOW);
      const [lo, hi] = bandOf(a.risk.level, intel.rules);
      assert.ok(Number.isInteger(a.risk.score) && a.risk.score >= lo && a.risk.score <= hi, `score ${a.risk.score} in ${a.risk.level} band`);
      assert.ok(a.risk.factors.every((f) => typeof f.kind === 'string' && f.description.length > 0));
      assert.ok(a.techniques.every((t) => intel.catalog.resolve(t.id).technique?.id === t.id), 'only current techniques');
      assert.equal(new Set(a.techniques.map((t) => t.id)).size, a.techniques.length);
      assert.doesNotThrow(() => JSON.stringify(a));
      if (ev.override !== null && ev.type !== 'mitre-attack') assert.equal(a.risk.level, intel.rules.overrides.deny);
    }),
    { numRuns: 400 },
  );
});

test('the same evidence seen later never scores higher (no override, no caps)', () => {
  fc.assert(
    fc.property(fc.array(arbSighting('ipv4', '91.215.85.17'), { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 400 }), (sightings, laterDays) => {
      const ev: Evidence = { type: 'ipv4', value: '91.215.85.17', sightings, context: [], override: null };
      const now = intel.assess(ev, NOW).risk.score;
      const later = intel.assess(ev, new Date(NOW.getTime() + laterDays * 86_400_000)).risk.score;
      return later <= now;
    }),
    { numRuns: 200 },
  );
});
