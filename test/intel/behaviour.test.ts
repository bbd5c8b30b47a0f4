/**
 * The behaviour table of the intelligence issue, one row per case: evidence in, expected level,
 * confidence, techniques, warning lists, related context and factors out. "now" is fixed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createIntelligence } from '../../src/intel.ts';
import type { Assessment, ConfidenceLevel, Evidence, RiskLevel } from '../../src/model.ts';
import { evidence, FEEDS, KEV_OCX, KEV_RANSOMWARE, KEV_SMB, KEV_UNKNOWN, NOW, rangeContext, sighting } from './fixtures.ts';

const intel = createIntelligence();

interface Row {
  name: string;
  evidence: Evidence;
  level: RiskLevel | { atLeast: RiskLevel };
  confidence?: ConfidenceLevel;
  techniques?: string[];
  warninglists?: string[];
  /** Nothing reported the indicator itself. */
  notFound?: boolean;
  check?: (a: Assessment) => void;
}

// A routable address on no warning list (TEST-NET addresses are on rfc5735 and would be capped).
const IP = '91.215.85.17';
const LEVELS: RiskLevel[] = ['low', 'medium', 'high', 'critical'];
const factor = (a: Assessment, kind: string) => a.risk.factors.filter((f) => f.kind === kind);
const techniqueSummary = (a: Assessment) => a.techniques.map((t) => [t.id, t.derived_from, t.mapping_type ?? null]);
const kevTechniqueIds = (a: Assessment) => ((a.related['kev_techniques'] ?? []) as { id: string }[]).map((k) => k.id);
const mappingSummary = (a: Assessment) =>
  ((a.related['attack_mappings'] ?? []) as { id: string; mapping_type: string; capability_group?: string; source: string }[]).map((m) => [m.id, m.mapping_type, m.capability_group, m.source]);

const feodoEmotet = { feed: FEEDS.feodo, lastSeenDaysAgo: 1, threatType: 'botnet_cc', malwareFamily: 'Emotet' } as const;

const rows: Row[] = [
  {
    name: 'IPv4 on Feodo Tracker as Emotet C2, last seen 1 day ago',
    evidence: evidence('ipv4', IP, [feodoEmotet]),
    level: 'high',
    confidence: 'medium',
    techniques: ['T1071', 'T1041'],
  },
  {
    name: 'the same IPv4 also on ThreatFox as botnet_cc, confidence 100, 2 days ago',
    evidence: evidence('ipv4', IP, [feodoEmotet, { feed: FEEDS.threatfox, lastSeenDaysAgo: 2, threatType: 'botnet_cc', malwareFamily: 'win.emotet', confidence: 100 }]),
    level: 'critical',
    confidence: 'high',
    techniques: ['T1071', 'T1041'],
    check: (a) => {
      const c = factor(a, 'corroboration')[0];
      assert.ok(c !== undefined, 'a corroboration factor');
      assert.ok((c['combined'] as number) > (c['strongest_alone'] as number), 'corroboration raises the score');
      assert.deepEqual(a.malwareFamilies, ['Emotet'], 'families normalized to one ATT&CK name');
    },
  },
  {
    name: 'IPv4 only on ET compromised IPs, last seen 200 days ago',
    evidence: evidence('ipv4', IP, [{ feed: FEEDS.et, lastSeenDaysAgo: 200, threatType: 'compromised' }]),
    level: 'low',
    confidence: 'low',
    check: (a) => {
      const d = factor(a, 'decay')[0];
      assert.ok(d !== undefined, 'a factor shows the decay');
      assert.equal(d['age_days'], 200);
      assert.equal(d['decay'], 0);
      assert.match(d.description, /200 days old/);
    },
  },
  {
    name: 'IPv4 only on ET compromised IPs, seen today',
    evidence: evidence('ipv4', IP, [{ feed: FEEDS.et, lastSeenDaysAgo: 0, threatType: 'compromised' }]),
    level: 'medium',
  },
  {
    name: '8.8.8.8 on one community blocklist, seen today',
    evidence: evidence('ipv4', '8.8.8.8', [{ feed: FEEDS.cins, lastSeenDaysAgo: 0, threatType: 'malicious_infrastructure' }]),
    level: 'low',
    warninglists: ['public-dns-v4'],
    check: (a) => {
      const w = factor(a, 'warninglist').find((f) => f['list_id'] === 'public-dns-v4');
      assert.ok(w !== undefined, 'a factor names the public-resolver list');
      assert.ok((w.delta as number) < 0, 'the list lowered the score');
    },
  },
  {
    name: '10.1.2.3, no sightings',
    evidence: evidence('ipv4', '10.1.2.3'),
    level: 'low',
    confidence: 'low',
    warninglists: ['rfc1918'],
    notFound: true,
  },
  {
    name: 'sha256 on MalwareBazaar as AgentTesla, first seen 400 days ago',
    evidence: evidence('sha256', 'a'.repeat(64), [{ feed: FEEDS.bazaar, lastSeenDaysAgo: 400, threatType: 'payload', malwareFamily: 'AgentTesla' }]),
    level: 'high',
    check: (a) => {
      const s0331 = intel.catalog.software('S0331');
      assert.ok(s0331 !== undefined);
      const ids = new Set(a.techniques.map((t) => t.id));
      for (const id of s0331.techniques) {
        const current = intel.catalog.resolve(id).technique;
        if (current !== null) assert.ok(ids.has(current.id), `Agent Tesla technique ${id} present`);
      }
      assert.ok(a.techniques.some((t) => t.id === 'T1056.001' && t.derived_from === 'malware_family'));
      assert.equal(factor(a, 'decay').length, 0, 'hashes do not decay');
    },
  },
  {
    name: 'URL on URLhaus (malware_download), 3 days ago',
    evidence: evidence('url', 'http://198.51.100.23:8080/bins/mozi.m', [{ feed: FEEDS.urlhaus, lastSeenDaysAgo: 3, threatType: 'payload_delivery' }]),
    level: 'high',
    techniques: ['T1105'],
  },
  {
    name: 'URL on OpenPhish, today',
    evidence: evidence('url', 'https://login-microsoftonline.example-verify.com/owa/', [{ feed: FEEDS.openphish, lastSeenDaysAgo: 0, threatType: 'phishing' }]),
    level: 'high',
    techniques: ['T1566.002'],
    check: (a) => assert.equal(a.related['registrable_domain'], 'example-verify.com'),
  },
  {
    name: 'CVE in KEV with knownRansomwareCampaignUse: Known',
    evidence: evidence('cve', 'CVE-2025-49704', [{ feed: FEEDS.kev, lastSeenDaysAgo: 400, threatType: 'exploited_vulnerability', attributes: KEV_RANSOMWARE }]),
    level: 'critical',
    confidence: 'high',
    techniques: ['T1190', 'T1059.003'],
    check: (a) => {
      assert.deepEqual(a.related['kev'], KEV_RANSOMWARE);
      // CTID maps this CVE (exploited as T1190, giving T1059.003), so the curated mapping replaces the KEV rules' T1190.
      assert.deepEqual(techniqueSummary(a), [
        ['T1190', 'ctid', 'exploitation_technique'],
        ['T1059.003', 'ctid', 'primary_impact'],
      ]);
      assert.deepEqual(kevTechniqueIds(a), ['T1190'], 'related.kev_techniques still says what the KEV rules read');
      assert.deepEqual(mappingSummary(a), [
        ['T1190', 'exploitation_technique', 'code_injection', 'kev-mappings'],
        ['T1059.003', 'primary_impact', 'code_injection', 'kev-mappings'],
      ]);
      assert.match(factor(a, 'severity')[0]?.description ?? '', /ransomware/);
    },
  },
  {
    name: 'CVE in KEV that CTID maps only as uncategorized (MSCOMCTL.OCX, a document exploit)',
    evidence: evidence('cve', 'CVE-2012-0158', [{ feed: FEEDS.kev, lastSeenDaysAgo: 400, threatType: 'exploited_vulnerability', attributes: KEV_OCX }]),
    level: 'high',
    confidence: 'high',
    techniques: ['T1203'],
    check: (a) => {
      assert.deepEqual(techniqueSummary(a)[0], ['T1203', 'kev', null], 'the KEV rules read a client exploit');
      assert.ok(
        techniqueSummary(a).slice(1).every(([, from, type]) => from === 'ctid' && type === 'uncategorized'),
        'then CTID\'s uncategorized techniques',
      );
      assert.deepEqual(techniqueSummary(a).find(([id]) => id === 'T1190'), ['T1190', 'ctid', 'uncategorized'], 'T1190 only as CTID states it, not from the rules');
      assert.equal(mappingSummary(a).length, 7, 'related.attack_mappings lists the CVE table\'s seven');
    },
  },
  {
    name: 'CVE in KEV that CTID does not map (SMBv1, wormable)',
    evidence: evidence('cve', 'CVE-2017-0144', [{ feed: FEEDS.kev, lastSeenDaysAgo: 400, threatType: 'exploited_vulnerability', attributes: KEV_SMB }]),
    level: 'critical',
    confidence: 'high',
    check: (a) => {
      assert.deepEqual(techniqueSummary(a), [['T1210', 'kev', null]], 'Exploitation of Remote Services, by rule');
      assert.equal(a.related['attack_mappings'], undefined);
    },
  },
  {
    name: 'CVE in no feed that CTID maps (Log4Shell)',
    evidence: evidence('cve', 'CVE-2021-44228'),
    level: 'low',
    notFound: true,
    check: (a) => {
      assert.deepEqual(techniqueSummary(a), [
        ['T1190', 'ctid', 'exploitation_technique'],
        ['T1496', 'ctid', 'secondary_impact'],
        ['T1486', 'ctid', 'secondary_impact'],
        ['T1608.001', 'ctid', 'secondary_impact'],
        ['T1505.003', 'ctid', 'secondary_impact'],
      ]);
      assert.equal(mappingSummary(a).length, 5);
      assert.equal(a.related['kev'], undefined);
    },
  },
  {
    name: 'CVE in KEV, ransomware use unknown',
    evidence: evidence('cve', 'CVE-2025-48384', [{ feed: FEEDS.kev, lastSeenDaysAgo: 90, threatType: 'exploited_vulnerability', attributes: KEV_UNKNOWN }]),
    level: 'high',
    confidence: 'high',
    check: (a) => assert.equal((a.related['kev'] as { cveID: string }).cveID, 'CVE-2025-48384'),
  },
  {
    name: 'CVE in no feed',
    evidence: evidence('cve', 'CVE-2024-0001'),
    level: 'low',
    confidence: 'low',
    notFound: true,
    check: (a) => assert.equal(a.related['kev'], undefined),
  },
  {
    name: 'IPv4 not listed itself but inside a Spamhaus DROP range',
    evidence: evidence('ipv4', '1.10.16.5', [], {
      context: [rangeContext('1.10.16.0/20', { feed: FEEDS.drop, lastSeenDaysAgo: 0, firstSeenDaysAgo: 300, threatType: 'hijacked_range', attributes: { sbl: 'SBL256894' } })],
    }),
    level: { atLeast: 'medium' },
    notFound: true,
    check: (a) => {
      const ranges = a.related['ranges'] as { range: string; sbl: string }[];
      assert.equal(ranges[0]?.range, '1.10.16.0/20');
      assert.equal(ranges[0]?.sbl, 'SBL256894');
      assert.ok(factor(a, 'context').length === 1, 'the range is a factor');
    },
  },
  {
    name: 'google.com on a single low-reliability list',
    evidence: evidence('domain', 'google.com', [{ feed: FEEDS.lowDomains, lastSeenDaysAgo: 0, threatType: 'phishing' }]),
    level: 'low',
    warninglists: ['tranco10k'],
    check: (a) => assert.ok(factor(a, 'warninglist').some((f) => f['list_id'] === 'tranco10k' && (f.delta as number) < 0)),
  },
  {
    name: 'IPv4 on a community list and on the internal allowlist',
    evidence: evidence('ipv4', IP, [
      { feed: FEEDS.cins, lastSeenDaysAgo: 0, threatType: 'malicious_infrastructure' },
      { feed: FEEDS.allow, lastSeenDaysAgo: 30, threatType: 'allowlisted', attributes: { reason: 'our VPN egress' } },
    ]),
    level: 'low',
    check: (a) => {
      const o = factor(a, 'override')[0];
      assert.ok(o !== undefined, 'the override is a factor');
      assert.equal(o['verdict'], 'allow');
      assert.match(o.description, /our VPN egress/);
    },
  },
];

for (const row of rows) {
  test(row.name, () => {
    const a = intel.assess(row.evidence, NOW);
    if (typeof row.level === 'string') assert.equal(a.risk.level, row.level, `level (score ${a.risk.score})`);
    else assert.ok(LEVELS.indexOf(a.risk.level) >= LEVELS.indexOf(row.level.atLeast), `level ${a.risk.level} at least ${row.level.atLeast}`);
    if (row.confidence !== undefined) assert.equal(a.confidence, row.confidence, 'confidence');
    const ids = a.techniques.map((t) => t.id);
    for (const id of row.techniques ?? []) assert.ok(ids.includes(id), `technique ${id} in ${ids.join(', ')}`);
    const lists = a.warninglists.map((w) => w.id);
    for (const id of row.warninglists ?? []) assert.ok(lists.includes(id), `warning list ${id} in ${lists.join(', ')}`);
    if (row.notFound) assert.equal(factor(a, 'sighting').length, 0, 'no sighting of the indicator itself');
    if (row.notFound && a.risk.level === 'low') assert.equal(factor(a, 'no_evidence').length, 1);
    // Level and score agree, and every technique has an official name and a derivation.
    assert.ok(a.risk.score >= 0 && a.risk.score <= 100);
    for (const t of a.techniques) assert.ok(t.name.length > 0 && t.derived_from.length > 0, t.id);
    row.check?.(a);
  });
}

test('re-importing the community feed does not lift an allowlisted indicator', () => {
  const before = rows.at(-1)?.evidence as Evidence;
  const refreshed: Evidence = {
    ...before,
    sightings: before.sightings.map((s) => (s.feedId === FEEDS.cins.id ? sighting('ipv4', IP, { feed: FEEDS.cins, lastSeenDaysAgo: 0, threatType: 'malicious_infrastructure', confidence: 100 }) : s)),
  };
  const a = intel.assess(refreshed, new Date(NOW.getTime() + 3_600_000));
  assert.equal(a.risk.level, 'low');
  assert.equal(factor(a, 'override').length, 1);
});

test('an API override beats internal lists and fixes the level either way', () => {
  const ev = evidence('ipv4', IP, [{ feed: FEEDS.allow, lastSeenDaysAgo: 0, threatType: 'allowlisted' }], {
    override: { type: 'ipv4', value: IP, verdict: 'deny', reason: 'seen in incident 42', createdAt: NOW.toISOString(), createdBy: 'analyst' },
  });
  const a = intel.assess(ev, NOW);
  assert.equal(a.risk.level, 'high');
  assert.equal(a.confidence, 'high');
  assert.match(factor(a, 'override')[0]?.description ?? '', /incident 42/);
});

test('a deny on the internal denylist overrides a warning-list cap', () => {
  const a = intel.assess(evidence('ipv4', '8.8.8.8', [{ feed: FEEDS.deny, lastSeenDaysAgo: 0, threatType: 'denylisted' }]), NOW);
  assert.equal(a.risk.level, 'high');
  assert.ok(factor(a, 'warninglist').every((f) => f.delta === 0));
});

test('the test address itself is on no warning list', () => {
  assert.deepEqual(intel.warninglists.match('ipv4', IP), []);
});
