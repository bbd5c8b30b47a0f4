import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { ageInDays, bandOf, decayFactor, levelOf, parseScoringRules, scoreEvidence, ScoringRulesError, type ScoringInput } from '../../src/scoring/index.ts';
import { RELIABILITIES, type EvidenceSighting, type FeedInfo } from '../../src/model.ts';
import { FEEDS, NOW, sighting } from '../intel/fixtures.ts';

const shipped = JSON.parse(readFileSync(new URL('../../data/scoring.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const rules = parseScoringRules(shipped);
const input = (sightings: EvidenceSighting[], extra: Partial<ScoringInput> = {}): ScoringInput => ({ type: 'ipv4', sightings, context: [], override: null, warninglists: [], ...extra });

test('decay follows score × (1 − (t/lifetime)^(1/speed))', () => {
  const linear = { lifetimeDays: 60, speed: 1 };
  const fast = { lifetimeDays: 60, speed: 2 };
  const cases: [number, typeof linear | null, number][] = [
    [0, linear, 1],
    [30, linear, 0.5],
    [15, fast, 0.5],
    [60, linear, 0],
    [600, linear, 0],
    [-3, linear, 1],
    [10_000, null, 1],
  ];
  for (const [age, rule, expected] of cases) assert.ok(Math.abs(decayFactor(age, rule) - expected) < 1e-9, `age ${age} speed ${rule?.speed}`);
});

test('decay never rises with age and stays within [0, 1]', () => {
  fc.assert(
    fc.property(fc.double({ min: 0, max: 1000, noNaN: true }), fc.double({ min: 0, max: 1000, noNaN: true }), fc.double({ min: 1, max: 400, noNaN: true }), fc.double({ min: 0.1, max: 5, noNaN: true }), (a, b, lifetimeDays, speed) => {
      const [young, old] = a <= b ? [a, b] : [b, a];
      const rule = { lifetimeDays, speed };
      const y = decayFactor(young, rule);
      const o = decayFactor(old, rule);
      return o <= y && o >= 0 && y <= 1;
    }),
  );
});

test('ages: unreadable times are null, future times count as fresh', () => {
  assert.equal(ageInDays('not a date', NOW), null);
  assert.equal(ageInDays(null, NOW), null);
  assert.equal(ageInDays('2027-01-01T00:00:00Z', NOW), 0);
  assert.equal(ageInDays('2026-11-29T12:00:00Z', NOW), 1);
});

test('levels and bands meet at the thresholds', () => {
  const l = rules.levels;
  assert.equal(levelOf(l.medium - 1, rules), 'low');
  assert.equal(levelOf(l.medium, rules), 'medium');
  assert.equal(levelOf(l.high, rules), 'high');
  assert.equal(levelOf(l.critical, rules), 'critical');
  assert.deepEqual(bandOf('low', rules), [0, l.medium - 1]);
  assert.deepEqual(bandOf('critical', rules), [l.critical, 100]);
});

const arbSighting = fc.record({
  feed: fc.constantFrom<FeedInfo>(FEEDS.feodo, FEEDS.et, FEEDS.threatfox, FEEDS.cins, FEEDS.lowDomains, FEEDS.drop),
  lastSeenDaysAgo: fc.integer({ min: 0, max: 120 }),
  threatType: fc.constantFrom('botnet_cc', 'scanner', 'compromised', 'phishing', 'spam', 'tor_exit' as const),
  confidence: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
  listed: fc.boolean(),
});

test('corroboration never lowers the score, and the deltas explain it', () => {
  fc.assert(
    fc.property(fc.array(arbSighting, { minLength: 1, maxLength: 8 }), arbSighting, (specs, extra) => {
      const base = specs.map((s, i) => sighting('ipv4', '91.215.85.17', { ...s, feed: { ...s.feed, id: `${s.feed.id}-${i}` } }));
      const more = [...base, sighting('ipv4', '91.215.85.17', { ...extra, feed: { ...extra.feed, id: 'extra' } })];
      const a = scoreEvidence(input(base), rules, NOW);
      const b = scoreEvidence(input(more), rules, NOW);
      const sum = a.factors.reduce((s, f) => s + (typeof f.delta === 'number' ? f.delta : 0), 0);
      return a.score >= 0 && a.score <= 100 && Math.abs(sum - a.score) <= 1 && b.score >= a.score;
    }),
    { numRuns: 300 },
  );
});

test('stale, delisted or unconfident reports add less than fresh confident ones', () => {
  const one = (spec: Partial<Parameters<typeof sighting>[2]>) =>
    scoreEvidence(input([sighting('ipv4', '91.215.85.17', { feed: FEEDS.feodo, lastSeenDaysAgo: 0, threatType: 'botnet_cc', ...spec })]), rules, NOW).score;
  const fresh = one({});
  assert.ok(one({ lastSeenDaysAgo: 30 }) < fresh, 'older');
  assert.ok(one({ listed: false }) < fresh, 'delisted');
  assert.equal(one({ confidence: 0 }), 0, 'a source that states 0 confidence adds nothing');
  assert.ok(one({ feed: FEEDS.lowDomains }) < fresh, 'less reliable');
});

test('scoring does not mutate its input and survives malformed sightings', () => {
  const s = sighting('ipv4', '91.215.85.17', { feed: FEEDS.feodo, lastSeenDaysAgo: 2, threatType: 'botnet_cc' });
  const odd = { ...sighting('ipv4', '91.215.85.17', { feed: { ...FEEDS.et, reliability: 'Z' as 'A' }, lastSeenDaysAgo: 0 }), lastSeen: 'garbage', updatedAt: 'garbage', firstSeen: '', confidence: Number.NaN };
  const unknownType = { ...sighting('ipv4', '91.215.85.17', { feed: FEEDS.feodo, lastSeenDaysAgo: 0 }), threatType: 'ransomware' as 'spam' };
  const frozen = Object.freeze([Object.freeze(s), Object.freeze(odd), Object.freeze(unknownType)]);
  const r = scoreEvidence(input(frozen as unknown as EvidenceSighting[]), rules, NOW);
  assert.ok(Number.isFinite(r.score));
  assert.ok(r.factors.every((f) => f.delta === undefined || Number.isFinite(f.delta)), 'no NaN deltas');
  assert.equal(frozen.length, 3);
});

test('warning-list caps lower the level only when the match may cap', () => {
  const strong = [sighting('ipv4', '8.8.8.8', { feed: FEEDS.feodo, lastSeenDaysAgo: 0, threatType: 'botnet_cc', confidence: 100 })];
  const capped = scoreEvidence(input(strong, { warninglists: [{ id: 'public-dns-v4', name: 'resolvers', canCap: true }] }), rules, NOW);
  const notCapped = scoreEvidence(input(strong, { warninglists: [{ id: 'public-dns-v4', name: 'resolvers', canCap: false, note: 'host only' }] }), rules, NOW);
  const cloud = scoreEvidence(input(strong, { warninglists: [{ id: 'amazon-aws', name: 'AWS', canCap: true }] }), rules, NOW);
  const context = scoreEvidence(input(strong, { warninglists: [{ id: 'sinkholes', name: 'sinkholes', canCap: true }] }), rules, NOW);
  assert.equal(capped.level, 'low');
  assert.equal(notCapped.level, 'critical');
  assert.equal(cloud.level, 'medium');
  assert.equal(context.level, 'critical', 'context lists never cap');
  assert.ok(context.factors.some((f) => f.kind === 'warninglist_context'));
});

test('confidence: several reliable fresh sources, or one of reliability A, make it high', () => {
  const conf = (specs: Parameters<typeof sighting>[2][]) => scoreEvidence(input(specs.map((s, i) => sighting('ipv4', '91.215.85.17', { ...s, feed: { ...s.feed, id: `f${i}` } }))), rules, NOW).confidence;
  const b = { feed: FEEDS.feodo, lastSeenDaysAgo: 0, threatType: 'botnet_cc' } as const;
  assert.equal(conf([]), 'low');
  assert.equal(conf([b]), 'medium');
  assert.equal(conf([b, b]), 'high');
  assert.equal(conf([{ ...b, confidence: 20 }, b]), 'medium', 'a source doubting itself does not count');
  assert.equal(conf([{ ...b, lastSeenDaysAgo: 50 }, b]), 'medium', 'stale sources do not count');
  assert.equal(conf([{ ...b, feed: FEEDS.drop }]), 'high');
});

test('every reliability grade has a weight and A outweighs F', () => {
  for (const r of RELIABILITIES) assert.equal(typeof rules.reliability[r], 'number');
  assert.ok(rules.reliability.A > rules.reliability.C && rules.reliability.C > rules.reliability.E);
});

test('bad scoring rules fail with a message naming the field', () => {
  // any: each case edits an arbitrary, deeply nested part of a JSON copy of the shipped rules.
  const bad = (mutate: (r: Record<string, any>) => void, pattern: RegExp) => {
    const copy = structuredClone(shipped) as Record<string, any>;
    mutate(copy);
    assert.throws(() => parseScoringRules(copy), (e: unknown) => e instanceof ScoringRulesError && pattern.test(e.message));
  };
  bad((r) => delete r['reliability'].C, /reliability\.C is missing/);
  bad((r) => (r['reliability'].A = 2), /reliability\.A must be a number from 0 to 1/);
  bad((r) => (r['levels'] = { medium: 70, high: 60, critical: 80 }), /levels must rise/);
  bad((r) => (r['severity'].ransomware = 1), /severity\.ransomware is not a known key/);
  bad((r) => (r['decay'].ipv4 = { lifetimeDays: -1, speed: 1 }), /decay\.ipv4\.lifetimeDays/);
  bad((r) => (r['warninglists'].caps.rfc1918 = 'none'), /warninglists\.caps\.rfc1918 must be one of/);
  bad((r) => (r['credibleProbability'] = 0), /credibleProbability must be a number from 0.001 to 1/);
  bad((r) => (r['confidence'].high = [{ sources: 2, minReliability: 'Q' }]), /confidence\.high\[0\]\.minReliability/);
  bad((r) => (r['status'].inactiveWeight = 3), /status\.inactiveWeight must be a number from 0 to 1/);
  bad((r) => (r['status'].inactive = 'offline'), /status\.inactive must be an array/);
  assert.throws(() => parseScoringRules(null), ScoringRulesError);
});

describe('what the source says of its entry', () => {
  const IP = '91.215.85.17';
  const c2 = (attributes: Record<string, unknown>) => sighting('ipv4', IP, { feed: FEEDS.feodo, lastSeenDaysAgo: 1, threatType: 'botnet_cc', attributes });
  const cases: { name: string; attributes: Record<string, unknown>; inactive: boolean }[] = [
    { name: 'status online', attributes: { status: 'online' }, inactive: false },
    { name: 'status offline', attributes: { status: 'offline', last_online: '2024-01-09T00:00:00Z' }, inactive: true },
    { name: 'status Offline in capitals, stored under an older name', attributes: { c2_status: 'Offline' }, inactive: true },
    { name: "URLhaus's url_status offline", attributes: { url_status: 'offline' }, inactive: true },
    { name: 'a validity that ended', attributes: { valid_until: '2026-01-01T00:00:00Z' }, inactive: true },
    { name: 'a validity still running', attributes: { valid_until: '2027-01-01T00:00:00Z' }, inactive: false },
    { name: 'no status at all', attributes: {}, inactive: false },
  ];
  const online = scoreEvidence(input([c2({ status: 'online' })]), rules, NOW);
  for (const c of cases) {
    it(`${c.name}: ${c.inactive ? 'weighs less, and a factor says why' : 'weighs as usual'}`, () => {
      const r = scoreEvidence(input([c2(c.attributes)]), rules, NOW);
      const status = r.factors.filter((f) => f.kind === 'status');
      if (c.inactive) {
        assert.ok(r.score < online.score, `${r.score} < ${online.score}`);
        assert.equal(status.length, 1);
        assert.match(status[0]?.description ?? '', /Feodo Tracker (marks it offline|states it valid only until)/);
        assert.equal(status[0]?.['weight'], rules.status.inactiveWeight);
      } else {
        assert.equal(r.score, online.score);
        assert.equal(status.length, 0);
      }
    });
  }
});

describe('entries of one report count once', () => {
  const URL_VALUE = 'http://update-check.example/load.bin';
  const misp = { id: 'circl-osint', name: 'CIRCL OSINT', category: 'government', reliability: 'B' } as const;
  const event = { report_id: '5f0c1a0e-0000-4000-8000-000000000001', report_type: 'misp-event', report_name: 'Loader campaign' };
  const urlInput = (attributesOfHost: Record<string, unknown>): ScoringInput => ({
    type: 'url',
    sightings: [sighting('url', URL_VALUE, { feed: misp, lastSeenDaysAgo: 2, threatType: 'payload_delivery', attributes: event })],
    context: [{ ...sighting('domain', 'update-check.example', { feed: misp, lastSeenDaysAgo: 2, threatType: 'payload_delivery', attributes: attributesOfHost }), relation: 'host' }],
    override: null,
    warninglists: [],
  });

  it('a URL and its host from one MISP event: the strongest counts, the other adds nothing, and factors say so', () => {
    const one = scoreEvidence(urlInput(event), rules, NOW);
    const two = scoreEvidence(urlInput({ report_id: 'another-event' }), rules, NOW);
    const alone = scoreEvidence({ ...urlInput(event), context: [] }, rules, NOW);
    assert.equal(one.score, alone.score, 'the host of the same event adds nothing');
    assert.ok(two.score > one.score, 'a different report corroborates');
    const same = one.factors.filter((f) => f.kind === 'same_origin');
    assert.equal(same.length, 1);
    assert.match(same[0]?.description ?? '', /2 entries of one report \(MISP event "Loader campaign" on CIRCL OSINT\), counted once/);
    assert.equal(one.factors.filter((f) => f.kind === 'corroboration').length, 0, 'no corroboration from one report');
    const host = one.factors.find((f) => f.kind === 'context');
    assert.equal(host?.delta, 0);
    assert.match(host?.description ?? '', /counted once/);
  });

  it('DROP and DROPv6 entries of one SBL record are one listing; two SBL records are two', () => {
    const v6 = { id: 'spamhaus-dropv6', name: 'Spamhaus DROPv6', category: 'commercial', reliability: 'A' } as const;
    const range = (feed: typeof FEEDS.drop | typeof v6, cidr: string, sbl: string) => ({ ...sighting('cidr', cidr, { feed, lastSeenDaysAgo: 0, threatType: 'hijacked_range', attributes: { sbl } }), relation: 'range' as const });
    const score = (ctx: ReturnType<typeof range>[]) => scoreEvidence({ type: 'ipv4', sightings: [], context: ctx, override: null, warninglists: [] }, rules, NOW);
    const once = score([range(FEEDS.drop, '203.0.113.0/24', 'SBL1'), range(v6, '203.0.112.0/22', 'SBL1')]);
    const single = score([range(FEEDS.drop, '203.0.113.0/24', 'SBL1')]);
    const twice = score([range(FEEDS.drop, '203.0.113.0/24', 'SBL1'), range(v6, '203.0.112.0/22', 'SBL2')]);
    assert.equal(once.score, single.score);
    assert.ok(twice.score > once.score);
    assert.match(once.factors.find((f) => f.kind === 'same_origin')?.description ?? '', /Spamhaus SBL1, relayed by Spamhaus DROP and Spamhaus DROPv6/);
  });

  it('confidence counts one report once: two entries of one event are not two sources', () => {
    const b = { feed: misp, lastSeenDaysAgo: 0, threatType: 'botnet_cc' } as const;
    const ev = (feedId: string, report: string) => sighting('ipv4', '91.215.85.17', { ...b, feed: { ...misp, id: feedId }, attributes: { report_id: report } });
    assert.equal(scoreEvidence(input([ev('a', 'e1'), ev('b', 'e1')]), rules, NOW).confidence, 'medium', 'one event relayed by two feeds');
    assert.equal(scoreEvidence(input([ev('a', 'e1'), ev('b', 'e2')]), rules, NOW).confidence, 'high', 'two events');
  });

  // one row per grouping rule: the same two sightings, once sharing the origin and once not
  const rules_: { rule: string; shared: Record<string, unknown>; apart: Record<string, unknown>; feeds: [FeedInfo, FeedInfo] }[] = [
    { rule: 'one MISP event', shared: { report_id: 'ev-1', report_type: 'misp-event' }, apart: { report_id: 'ev-2', report_type: 'misp-event' }, feeds: [misp, { ...misp, id: 'other-misp', name: 'Other MISP' }] },
    { rule: 'one OTX pulse', shared: { report_id: '5f0c0ffee', report_type: 'otx-pulse' }, apart: { report_id: '5f0c0ffef', report_type: 'otx-pulse' }, feeds: [FEEDS.threatfox, FEEDS.threatfox] },
    { rule: 'one STIX report', shared: { report_id: 'report--1', report_type: 'stix-report' }, apart: { report_id: 'report--2', report_type: 'stix-report' }, feeds: [FEEDS.openphish, FEEDS.openphish] },
    { rule: 'one SBL record', shared: { sbl: 'SBL7' }, apart: { sbl: 'SBL8' }, feeds: [FEEDS.drop, { ...FEEDS.drop, id: 'spamhaus-dropv6', name: 'Spamhaus DROPv6' }] },
    { rule: 'one feed entry yielding the URL and its host', shared: { entry_id: 'indicator--9' }, apart: { entry_id: 'indicator--10' }, feeds: [FEEDS.urlhaus, FEEDS.urlhaus] },
  ];
  for (const r of rules_) {
    it(`${r.rule}: counted once when shared, twice when not`, () => {
      const ev = (hostAttributes: Record<string, unknown>): ScoringInput => ({
        type: 'url',
        sightings: [sighting('url', 'http://cdn.example.org/x.bin', { feed: r.feeds[0], lastSeenDaysAgo: 1, threatType: 'payload_delivery', attributes: r.shared })],
        context: [{ ...sighting('domain', 'cdn.example.org', { feed: r.feeds[1], lastSeenDaysAgo: 1, threatType: 'payload_delivery', attributes: hostAttributes }), relation: 'host' }],
        override: null,
        warninglists: [],
      });
      const once = scoreEvidence(ev(r.shared), rules, NOW);
      const twice = scoreEvidence(ev(r.apart), rules, NOW);
      assert.ok(twice.score > once.score, `${twice.score} > ${once.score}`);
      assert.equal(once.factors.filter((f) => f.kind === 'same_origin').length, 1);
      assert.equal(twice.factors.filter((f) => f.kind === 'same_origin').length, 0);
    });
  }

  it('two different feeds with their own entries still corroborate each other', () => {
    const a = sighting('ipv4', '91.215.85.17', { feed: FEEDS.feodo, lastSeenDaysAgo: 0, threatType: 'botnet_cc', attributes: { entry_id: '1' } });
    const b = sighting('ipv4', '91.215.85.17', { feed: FEEDS.threatfox, lastSeenDaysAgo: 0, threatType: 'botnet_cc', attributes: { entry_id: '1' } });
    const r = scoreEvidence(input([a, b]), rules, NOW);
    assert.ok(r.factors.some((f) => f.kind === 'corroboration' && f['sources'] === 2), 'an entry id belongs to its feed');
  });
});

describe('factors say where dates came from', () => {
  const cases: { source: EvidenceSighting['dateSource']; words: RegExp }[] = [
    { source: 'feed', words: /last seen 3 days ago:/ },
    { source: 'file', words: /last seen 3 days ago \(the date the list states for itself\)/ },
    { source: 'http', words: /the server's Last-Modified date; the feed states none/ },
    { source: 'fetched', words: /no date in the feed; first fetched 10 days ago, last fetched 3 days ago/ },
  ];
  for (const c of cases) {
    it(`${c.source}`, () => {
      const s = sighting('ipv4', '91.215.85.17', { feed: FEEDS.et, lastSeenDaysAgo: 3, firstSeenDaysAgo: 10, threatType: 'compromised', dateSource: c.source });
      const f = scoreEvidence(input([s]), rules, NOW).factors.find((x) => x.kind === 'sighting');
      assert.match(f?.description ?? '', c.words);
      assert.equal(f?.['date_source'], c.source);
    });
  }
});
