/** createIntelligence(): how warning lists, context, overrides and lookups combine beyond the behaviour table. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createIntelligence } from '../../src/intel.ts';
import type { Assessment } from '../../src/model.ts';
import { evidence, FEEDS, KEV_RANSOMWARE, NOW, rangeContext, sighting } from './fixtures.ts';

const intel = createIntelligence();
const kinds = (a: Assessment, kind: string) => a.risk.factors.filter((f) => f.kind === kind);
const phishing = { feed: FEEDS.openphish, lastSeenDaysAgo: 0, threatType: 'phishing' } as const;

test('a top site caps its own subdomains but not names registered below a shared platform', () => {
  const www = intel.assess(evidence('domain', 'www.google.com', [phishing]), NOW);
  assert.equal(www.risk.level, 'low');
  const ddns = intel.assess(evidence('domain', 'evil-login.duckdns.org', [phishing]), NOW);
  assert.equal(ddns.risk.level, 'high', 'duckdns.org being popular says nothing about its customers');
  assert.ok(ddns.warninglists.some((w) => w.id === 'dynamic-dns'), 'dynamic DNS is reported as context');
  assert.ok(kinds(ddns, 'warninglist').some((f) => f['list_id'] === 'tranco10k' && f.delta === 0 && /registered separately/.test(f.description)));
  assert.equal(ddns.related['registrable_domain'], 'evil-login.duckdns.org');
});

test("a well-known URL host is reported but does not vouch for the URL", () => {
  const a = intel.assess(evidence('url', 'https://docs.google.com/forms/d/e/1FAIpQLSf/viewform', [phishing]), NOW);
  assert.equal(a.risk.level, 'high');
  assert.ok(a.warninglists.some((w) => w.id === 'tranco10k'));
  assert.equal(a.related['host'], 'docs.google.com');
  assert.equal(a.related['registrable_domain'], 'google.com');
});

test('a sinkholed address stays a lead: context lists never cap', () => {
  const sinkhole = intel.warninglists.lists.find((l) => l.id === 'sinkholes');
  assert.ok(sinkhole !== undefined);
  // 104.155.11.149 is the first entry of the shipped sinkhole list.
  const a = intel.assess(evidence('ipv4', '104.155.11.149', [{ feed: FEEDS.feodo, lastSeenDaysAgo: 0, threatType: 'botnet_cc' }]), NOW);
  assert.ok(a.warninglists.some((w) => w.id === 'sinkholes'));
  assert.ok(kinds(a, 'warninglist_context').some((f) => f['list_id'] === 'sinkholes'));
});

test('an allowlisted range covers the addresses inside it', () => {
  const a = intel.assess(
    evidence('ipv4', '91.215.85.17', [{ feed: FEEDS.cins, lastSeenDaysAgo: 0, threatType: 'scanner' }], {
      context: [rangeContext('91.215.85.0/24', { feed: FEEDS.allow, lastSeenDaysAgo: 10, threatType: 'allowlisted' })],
    }),
    NOW,
  );
  assert.equal(a.risk.level, 'low');
  assert.match(kinds(a, 'override')[0]?.description ?? '', /through 91\.215\.85\.0\/24/);
});

test('a CVE lookup carries the KEV entry, other feeds\' sightings and the KEV-described techniques', () => {
  const a = intel.assess(
    evidence('cve', 'CVE-2025-49704', [
      { feed: FEEDS.kev, lastSeenDaysAgo: 100, threatType: 'exploited_vulnerability', attributes: KEV_RANSOMWARE },
      { feed: FEEDS.threatfox, lastSeenDaysAgo: 5, threatType: 'exploited_vulnerability', tags: ['sharepoint', 'T1505.003'] },
    ]),
    NOW,
  );
  assert.deepEqual(a.related['kev'], KEV_RANSOMWARE);
  // The CTID mappings type CVE-2025-49704's techniques, so the KEV rules give way (related.kev_techniques keeps them).
  assert.deepEqual(a.techniques.map((t) => [t.id, t.derived_from]), [
    ['T1505.003', 'source'],
    ['T1190', 'ctid'],
    ['T1059.003', 'ctid'],
  ]);
  assert.deepEqual((a.related['kev_techniques'] as { id: string }[]).map((k) => k.id), ['T1190']);
  assert.equal(kinds(a, 'sighting').length, 2);
  assert.deepEqual(a.tags, ['sharepoint', 't1505.003']);
});

test('mitre-attack lookups describe the technique and carry no risk', () => {
  const a = intel.assess(evidence('mitre-attack', 'T1059.001'), NOW);
  assert.equal(a.risk.level, 'low');
  assert.equal(a.risk.score, 0);
  assert.deepEqual(a.techniques.map((t) => t.id), ['T1059.001']);
  assert.equal((a.related['technique'] as { parent: { id: string } }).parent.id, 'T1059');
  assert.ok(Array.isArray(a.related['groups']) && Array.isArray(a.related['software']));
  const tactic = intel.assess(evidence('mitre-attack', 'TA0011'), NOW);
  assert.equal((tactic.related['tactic'] as { name: string }).name, 'Command and Control');
  const unknown = intel.assess(evidence('mitre-attack', 'T1999'), NOW);
  assert.equal(unknown.confidence, 'low');
  assert.match(unknown.risk.factors[0]?.description ?? '', /not a current ATT&CK/);
});

test('a disposable mailbox is context, and families/tags/threat types are gathered once each', () => {
  const a = intel.assess(
    evidence('email', 'payroll@mailinator.com', [
      { feed: FEEDS.threatfox, lastSeenDaysAgo: 1, threatType: 'phishing', malwareFamily: 'AgentTesla', tags: ['Exfil', 'exfil '] },
      { feed: FEEDS.urlhaus, lastSeenDaysAgo: 2, threatType: 'phishing', malwareFamily: 'Agent Tesla' },
    ]),
    NOW,
  );
  assert.ok(a.warninglists.some((w) => w.id === 'disposable-email'));
  assert.deepEqual(a.malwareFamilies, ['Agent Tesla']);
  assert.deepEqual(a.threatTypes, ['phishing']);
  assert.deepEqual(a.tags, ['exfil']);
  assert.ok(a.techniques.some((t) => t.id === 'T1566'));
});

test('a delisted internal allowlist entry no longer applies', () => {
  const a = intel.assess(
    evidence('ipv4', '91.215.85.17', [
      { feed: FEEDS.feodo, lastSeenDaysAgo: 0, threatType: 'botnet_cc' },
      { feed: FEEDS.allow, lastSeenDaysAgo: 40, threatType: 'allowlisted', listed: false },
    ]),
    NOW,
  );
  assert.equal(kinds(a, 'override').length, 0);
  assert.equal(a.risk.level, 'high');
});

test('a sighting from a feed no longer in the catalog still counts, at low reliability', () => {
  const gone = { id: 'old-feed', name: 'old-feed', category: 'internal', reliability: 'F' } as const;
  const a = intel.assess({ type: 'ipv4', value: '91.215.85.17', sightings: [sighting('ipv4', '91.215.85.17', { feed: gone, lastSeenDaysAgo: 0, threatType: 'botnet_cc' })], context: [], override: null }, NOW);
  assert.equal(kinds(a, 'sighting').length, 1);
  assert.ok(a.risk.score > 0);
});

test('createIntelligence fails fast, naming the file, when its data is missing', () => {
  assert.throws(() => createIntelligence({ dataDir: '/nonexistent' }), /scoring\.json/);
});

test('a DROP range names its SBL reference under either attribute key', () => {
  const a = intel.assess(
    evidence('ipv4', '1.10.16.5', [], { context: [rangeContext('1.10.16.0/20', { feed: FEEDS.drop, lastSeenDaysAgo: 0, threatType: 'hijacked_range', attributes: { sblId: 'SBL256894' } })] }),
    NOW,
  );
  assert.deepEqual((a.related['ranges'] as { sbl: string }[]).map((r) => r.sbl), ['SBL256894']);
});

test('only a catalog verdict makes an internal list decisive; a benign report alone is a factor', () => {
  const removedFeed = { id: 'old-stix', name: 'old-stix', category: 'internal', reliability: 'F' } as const;
  const a = intel.assess(
    evidence('ipv4', '91.215.85.17', [
      { feed: FEEDS.feodo, lastSeenDaysAgo: 0, threatType: 'botnet_cc' },
      { feed: removedFeed, lastSeenDaysAgo: 0, threatType: 'allowlisted' },
    ]),
    NOW,
  );
  assert.equal(kinds(a, 'override').length, 0);
  assert.equal(kinds(a, 'benign_report').length, 1);
  assert.equal(a.risk.level, 'high');
});
