import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { buildCtidMappings, compileMappingRules, createTechniqueMapper, describeAttackId, familyKey, loadAttackCatalog, loadMappingRules, AttackDataError, type MappableSighting } from '../../src/attack/index.ts';
import { KEV_CLIENT, KEV_LOG4J, KEV_NETLOGON, KEV_OCX, KEV_PRIVESC, KEV_RANSOMWARE, KEV_SERVER_USER_CONTEXT, KEV_SMB, KEV_SPOOLER_LPE } from '../intel/fixtures.ts';

const dir = fileURLToPath(new URL('../../data/attack/', import.meta.url));
const catalog = loadAttackCatalog(dir);
const rules = loadMappingRules(dir);
// Without CTID mappings: these tests are about the rules alone (CTID mappings: ctid.test.ts).
const mapper = createTechniqueMapper(catalog, rules, buildCtidMappings());

const s = (over: Partial<MappableSighting>): MappableSighting => ({ attackIds: [], tags: [], threatType: null, malwareFamily: null, attributes: {}, feedId: 'f', ...over });

test('the catalog holds ATT&CK Enterprise v18 as shipped', () => {
  assert.equal(catalog.counts.techniques, 835);
  assert.equal(catalog.counts.active, 691);
  assert.equal(catalog.tactics.length, 14);
  assert.equal(catalog.technique('T1566.002')?.name, 'Phishing: Spearphishing Link');
  assert.equal(catalog.technique('T1071')?.name, 'Application Layer Protocol');
});

test('revoked ids resolve to their successor by name, or are dropped; deprecated ids are dropped', () => {
  const r = catalog.resolve('T1193');
  assert.equal(r.technique?.id, 'T1566.001', 'Spearphishing Attachment became a sub-technique of Phishing');
  assert.ok('replaces' in r && r.replaces === 'T1193');
  assert.equal(catalog.resolve('T1192').technique?.id, 'T1566.002', 'ties broken by shared tactic');
  const deprecated = ['T1002', 'T1004', 'T1009'].map((id) => catalog.technique(id)).filter((t) => t?.deprecated);
  for (const t of deprecated) assert.equal(catalog.resolve(t?.id ?? '').technique, null);
  assert.deepEqual(catalog.resolve('T9999'), { technique: null, reason: 'unknown' });
  for (const id of ['T1002', 'T1004', 'T1009', 'T1193']) {
    const res = catalog.resolve(id);
    assert.ok(res.technique === null || (!res.technique.revoked && !res.technique.deprecated), `${id} never resolves to a revoked technique`);
  }
});

test('family names match ATT&CK software by name or alias, whatever the spelling', () => {
  for (const name of ['AgentTesla', 'Agent Tesla', 'win.agent_tesla', ' agent-tesla ']) assert.equal(catalog.softwareByName(name)?.id, 'S0331', name);
  assert.equal(catalog.softwareByName('Geodo')?.id, 'S0367', 'alias of Emotet');
  assert.equal(catalog.softwareByName('QBot')?.id, 'S0650');
  assert.equal(catalog.softwareByName('NotAFamily'), undefined);
  assert.equal(familyKey('elf.Mirai'), 'mirai');
});

test('techniques are ordered: stated by sources, KEV, threat type, then family', () => {
  const out = mapper.map('ipv4', '91.215.85.17', [
    s({ attackIds: ['t1573.002'], tags: ['misp-galaxy:mitre-attack-pattern="Spearphishing Attachment - T1193"', 'c2'], threatType: 'botnet_cc', malwareFamily: 'Emotet' }),
  ]);
  assert.deepEqual(out.slice(0, 4).map((t) => [t.id, t.derived_from]), [
    ['T1573.002', 'source'],
    ['T1566.001', 'source'],
    ['T1071', 'threat_type'],
    ['T1041', 'threat_type'],
  ]);
  assert.ok(out.slice(4).every((t) => t.derived_from === 'malware_family'));
  assert.equal(new Set(out.map((t) => t.id)).size, out.length, 'no duplicates');
});

test('unknown stated ids are dropped, never shown', () => {
  assert.deepEqual(mapper.map('domain', 'example.net', [s({ attackIds: ['T9999', 'nonsense'], tags: ['T0000'] })]), []);
});

test('network indicators keep only the family techniques of command and control or exfiltration', () => {
  const out = mapper.map('domain', 'example.net', [s({ malwareFamily: 'QakBot' })]);
  assert.ok(out.length > 0);
  for (const t of out) {
    const tactics = catalog.technique(t.id)?.tactics ?? [];
    assert.ok(tactics.includes('command-and-control') || tactics.includes('exfiltration'), `${t.id} ${tactics.join(',')}`);
  }
});

test('hashes keep every family technique, in kill-chain order, capped', () => {
  const out = mapper.map('sha256', 'a'.repeat(64), [s({ malwareFamily: 'QakBot' })]);
  const role = rules.familyRoleOf('sha256');
  assert.equal(out.length, role?.max, 'QakBot has more techniques than the cap');
  const rank = (id: string) => Math.min(...(catalog.technique(id)?.tactics ?? []).map((x) => rules.tacticRank.get(x) ?? 99));
  for (let i = 1; i < out.length; i++) assert.ok(rank((out[i - 1] as { id: string }).id) <= rank((out[i] as { id: string }).id), 'kill-chain order');
});

test('threat-type rules depend on the indicator type', () => {
  const ids = (type: string, threatType: string) => mapper.map(type, 'x', [s({ threatType })]).map((t) => t.id);
  assert.deepEqual(ids('url', 'phishing'), ['T1566.002']);
  assert.deepEqual(ids('email', 'phishing'), ['T1566']);
  assert.deepEqual(ids('ipv4', 'scanner'), ['T1595']);
  assert.deepEqual(ids('ipv4', 'brute_force'), ['T1110']);
  assert.deepEqual(ids('ipv4', 'tor_exit'), ['T1090.003']);
  assert.deepEqual(ids('ipv4', 'spam'), []);
});

const kevRows: { name: string; entry: Record<string, unknown>; expect: string[] }[] = [
  { name: 'code injection over a network (SharePoint)', entry: KEV_RANSOMWARE, expect: ['T1190'] },
  { name: 'a crafted Excel file', entry: KEV_CLIENT, expect: ['T1203'] },
  { name: 'privilege escalation (Win32k)', entry: KEV_PRIVESC, expect: ['T1068'] },
  { name: 'an ActiveX control in documents, "under the context of the current user" (MSCOMCTL.OCX)', entry: KEV_OCX, expect: ['T1203'] },
  { name: 'SMBv1, remote attackers, crafted packets (EternalBlue)', entry: KEV_SMB, expect: ['T1210'] },
  { name: 'Netlogon, a remote protocol named as privilege escalation (Zerologon)', entry: KEV_NETLOGON, expect: ['T1068', 'T1210'] },
  { name: 'print spooler exploited locally: no remote service', entry: KEV_SPOOLER_LPE, expect: ['T1068'] },
  { name: 'a server "in the context of the current user" is not a client (ColdFusion)', entry: KEV_SERVER_USER_CONTEXT, expect: ['T1190'] },
  { name: 'remote code execution in a library (Log4j)', entry: KEV_LOG4J, expect: ['T1190'] },
  { name: 'nothing matched: the fallback', entry: {}, expect: ['T1190'] },
];

for (const row of kevRows) {
  test(`KEV rules: ${row.name} → ${row.expect.join(', ')}`, () => {
    assert.deepEqual(mapper.kevTechniques(row.entry).map((k) => k.technique.id), row.expect);
  });
}

test('KEV rule techniques reach the mapping as derived_from kev', () => {
  const viaMap = mapper.map('cve', 'CVE-2007-0671', [s({ threatType: 'exploited_vulnerability', attributes: KEV_CLIENT })]);
  assert.deepEqual(viaMap.map((t) => [t.id, t.derived_from]), [['T1203', 'kev']]);
});

test('technique lookups: tactics, parent, sub-techniques, groups and software', () => {
  const d = describeAttackId(catalog, 't1059.001');
  assert.equal(d.found, true);
  assert.deepEqual(d.techniques, [{ id: 'T1059.001', name: 'Command and Scripting Interpreter: PowerShell', derived_from: 'lookup' }]);
  const t = d.related['technique'] as { tactics: { id: string }[]; parent: { id: string } };
  assert.deepEqual(t.tactics.map((x) => x.id), ['TA0002']);
  assert.equal(t.parent.id, 'T1059');
  const groups = (d.related['groups'] as { id: string }[]).map((g) => g.id);
  assert.ok(catalog.group('G0016')?.techniques.includes('T1059.001'), 'APT29 uses PowerShell in the shipped tables');
  assert.ok(groups.includes('G0016'), 'APT29 listed');
  assert.ok(groups.every((id) => catalog.group(id)?.techniques.includes('T1059.001')), 'only groups that use it');
  const software = d.related['software'] as { id: string }[];
  assert.ok(software.every((x) => catalog.software(x.id)?.techniques.includes('T1059.001')));

  const parent = describeAttackId(catalog, 'T1059');
  const subs = (parent.related['technique'] as { subtechniques: { id: string }[] }).subtechniques.map((x) => x.id);
  assert.ok(subs.includes('T1059.001') && subs.includes('T1059.003'));
  assert.ok((parent.related['software'] as unknown[]).length >= software.length, 'a parent collects its sub-techniques\' users');
});

test('tactic lookups list the tactic and its techniques', () => {
  const d = describeAttackId(catalog, 'TA0002');
  assert.equal((d.related['tactic'] as { name: string }).name, 'Execution');
  assert.ok((d.related['techniques'] as { id: string }[]).some((t) => t.id === 'T1059'));
  assert.equal(describeAttackId(catalog, 'TA0099').found, false);
});

test('revoked and unknown lookups say so instead of showing a stale technique', () => {
  const revoked = describeAttackId(catalog, 'T1193');
  assert.deepEqual(revoked.related['revoked'], { id: 'T1193', replaced_by: 'T1566.001' });
  const unknown = describeAttackId(catalog, 'T1999');
  assert.equal(unknown.found, false);
  assert.deepEqual(unknown.related, { attack: { id: 'T1999', status: 'unknown' } });
});

test('bad mapping rules and missing data fail with a clear error', () => {
  assert.throws(() => compileMappingRules({ tacticOrder: [], threatTypes: { botnet_cc: { '*': ['C2'] } }, familyRoles: [], kev: { fields: [], rules: [], fallback: [] } }), /threatTypes\.botnet_cc/);
  assert.throws(() => compileMappingRules({ tacticOrder: [], threatTypes: { x: { ftp: ['T1071'] } }, familyRoles: [], kev: { fields: [], rules: [], fallback: [] } }), /unknown indicator type "ftp"/);
  assert.throws(() => compileMappingRules({ tacticOrder: [], threatTypes: {}, familyRoles: [], kev: { fields: [], rules: [{ technique: 'T1190', anyOf: ['('] }], fallback: [] } }), /bad phrase pattern/);
  assert.throws(() => compileMappingRules({ tacticOrder: [], threatTypes: {}, familyRoles: [], kev: { fields: [], rules: [{ technique: 'T1210', anyOf: ['smb'], alsoAnyOf: [] }], fallback: [] } }), /"alsoAnyOf" must list phrases/);
  assert.throws(() => compileMappingRules({ tacticOrder: [], threatTypes: {}, familyRoles: [], kev: { fields: [], rules: [{ technique: 'T1210', anyOf: ['smb'], unless: ['SMB'] }], fallback: [] } }), /kev\.rules\[0\]\.unless/);
  assert.throws(() => loadAttackCatalog('/nonexistent'), AttackDataError);
});
