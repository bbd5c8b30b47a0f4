/**
 * The Center for Threat-Informed Defense's CVE → ATT&CK mappings: loading the shipped files, the
 * order and derivation of a CVE's techniques, and ATT&CK 16.1 ids resolved against the v18 catalog.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AttackDataError,
  buildAttackCatalog,
  buildCtidMappings,
  compileMappingRules,
  createTechniqueMapper,
  CTID_FILES,
  CTID_MAPPING_TYPES,
  loadAttackCatalog,
  loadCtidMappings,
  loadMappingRules,
  parseCveTable,
  parseKevMappings,
  type AttackTables,
  type MappableSighting,
} from '../../src/attack/index.ts';
import type { MappedTechnique } from '../../src/model.ts';
import { KEV_LOG4J, KEV_OCX, KEV_SMB } from '../intel/fixtures.ts';

const dir = fileURLToPath(new URL('../../data/attack/', import.meta.url));
const catalog = loadAttackCatalog(dir);
const ctid = loadCtidMappings(join(dir, 'ctid-mappings'));
const mapper = createTechniqueMapper(catalog, loadMappingRules(dir), ctid);

const kevSighting = (attributes: Record<string, unknown>): MappableSighting => ({
  attackIds: [],
  tags: [],
  threatType: 'exploited_vulnerability',
  malwareFamily: null,
  attributes,
  feedId: 'cisa-kev',
});
const brief = (ts: readonly MappedTechnique[]) => ts.map((t) => [t.id, t.derived_from, t.mapping_type ?? null]);

test('both shipped files load: 1,183 KEV mappings and 1,706 from the CVE table, 1,219 CVEs', () => {
  assert.deepEqual(ctid.counts, { cves: 1219, mappings: 2889 });
  const log4j = ctid.of('CVE-2021-44228');
  assert.deepEqual(
    log4j.map((m) => [m.techniqueId, m.mappingType, m.capabilityGroup, m.source]),
    [
      ['T1190', 'exploitation_technique', 'code_execution', 'kev-mappings'],
      ['T1496', 'secondary_impact', 'code_execution', 'kev-mappings'],
      ['T1486', 'secondary_impact', 'code_execution', 'kev-mappings'],
      ['T1608.001', 'secondary_impact', 'code_execution', 'kev-mappings'],
      ['T1505.003', 'secondary_impact', 'code_execution', 'kev-mappings'],
    ],
  );
  assert.equal(ctid.of('cve-2021-44228').length, 5, 'any case of the id');
  assert.deepEqual(ctid.of('CVE-1999-0001'), []);
});

test('the CVE table: its byte order mark, typed columns, and cells with stray spaces or a trailing dot', () => {
  const rows = parseCveTable(
    '\uFEFFCVE ID,Primary Impact,Secondary Impact,Exploitation Technique,Uncategorized,Phase\n' +
      'CVE-2019-15243,T1059,,T1190; T1078 ,,Phase 2\n' +
      'cve-2015-7925,,,,T1204.001.;  T1529,Phase 1\n' +
      'CVE-2019-3791,,,,,Phase 2\n',
    'table.csv',
  );
  assert.deepEqual(
    rows.map(([cve, m]) => [cve, m.techniqueId, m.mappingType, m.source]),
    [
      ['CVE-2019-15243', 'T1190', 'exploitation_technique', 'cve-table'],
      ['CVE-2019-15243', 'T1078', 'exploitation_technique', 'cve-table'],
      ['CVE-2019-15243', 'T1059', 'primary_impact', 'cve-table'],
      ['CVE-2015-7925', 'T1204.001', 'uncategorized', 'cve-table'],
      ['CVE-2015-7925', 'T1529', 'uncategorized', 'cve-table'],
    ],
  );
});

const KEV_HEAD = '{"mapping_objects": [';
const TABLE_HEAD = 'CVE ID,Primary Impact,Secondary Impact,Exploitation Technique,Uncategorized,Phase\n';
const malformed: { name: string; kev?: string; table?: string; file: string; message: RegExp }[] = [
  { name: 'the KEV file is not JSON', kev: '{"mapping_objects": [', file: CTID_FILES['kev-mappings'], message: /cannot read ATT&CK data file/ },
  { name: 'the KEV file has no mapping_objects', kev: '{"mappings": []}', file: CTID_FILES['kev-mappings'], message: /expected a "mapping_objects" array/ },
  {
    name: 'a KEV mapping of an unknown type',
    kev: `${KEV_HEAD}{"capability_id": "CVE-2021-44228", "attack_object_id": "T1190", "mapping_type": "impact"}]}`,
    file: CTID_FILES['kev-mappings'],
    message: /mapping_objects\[0\]: unknown "mapping_type" "impact"/,
  },
  {
    name: 'a KEV mapping without a technique id',
    kev: `${KEV_HEAD}{"capability_id": "CVE-2021-44228", "attack_object_id": "Exploit Public-Facing Application", "mapping_type": "exploitation_technique"}]}`,
    file: CTID_FILES['kev-mappings'],
    message: /"attack_object_id" must be a technique id/,
  },
  { name: 'the CVE table lacks a column', table: 'CVE ID,Primary Impact,Phase\nCVE-2021-44228,T1190,Phase 2\n', file: CTID_FILES['cve-table'], message: /line 1: missing column\(s\) Exploitation Technique, Secondary Impact, Uncategorized/ },
  { name: 'a CVE table cell holds a name, not an id', table: `${TABLE_HEAD}CVE-2021-44228,,,Exploit Public-Facing Application,,Phase 2\n`, file: CTID_FILES['cve-table'], message: /line 2: Exploitation Technique: expected technique ids/ },
  { name: 'a CVE table row without a CVE id', table: `${TABLE_HEAD}Log4Shell,,,T1190,,Phase 2\n`, file: CTID_FILES['cve-table'], message: /line 2: expected a CVE id/ },
  { name: 'the CVE table is missing', file: CTID_FILES['cve-table'], message: /cannot read ATT&CK data file/ },
];

for (const row of malformed) {
  test(`the loader refuses a malformed file, naming it: ${row.name}`, () => {
    const at = mkdtempSync(join(tmpdir(), 'verdict-ctid-'));
    try {
      writeFileSync(join(at, CTID_FILES['kev-mappings']), row.kev ?? '{"mapping_objects": []}');
      if (row.table !== undefined || row.kev !== undefined) writeFileSync(join(at, CTID_FILES['cve-table']), row.table ?? TABLE_HEAD);
      assert.throws(
        () => loadCtidMappings(at),
        (e: unknown) => {
          assert.ok(e instanceof AttackDataError, 'an AttackDataError');
          assert.ok(e.message.includes(join(at, row.file)), `names ${row.file}: ${e.message}`);
          assert.match(e.message, row.message);
          return true;
        },
      );
    } finally {
      rmSync(at, { recursive: true, force: true });
    }
  });
}

interface MapRow {
  name: string;
  cve: string;
  sightings: MappableSighting[];
  expect: ReturnType<typeof brief>;
}

const mapRows: MapRow[] = [
  {
    name: 'CVE-2012-0158 (only uncategorized in CTID): the KEV rule gives T1203, then CTID uncategorized, T1190 among them but not from the rules',
    cve: 'CVE-2012-0158',
    sightings: [kevSighting(KEV_OCX)],
    expect: [
      ['T1203', 'kev', null],
      ['T1189', 'ctid', 'uncategorized'],
      ['T1059', 'ctid', 'uncategorized'],
      ['T1546', 'ctid', 'uncategorized'],
      ['T1554', 'ctid', 'uncategorized'],
      ['T1491', 'ctid', 'uncategorized'],
      ['T1565', 'ctid', 'uncategorized'],
      ['T1190', 'ctid', 'uncategorized'],
    ],
  },
  {
    name: 'CVE-2021-44228 (typed in CTID): the exploitation technique, then the secondary impacts, no rule-based techniques',
    cve: 'CVE-2021-44228',
    sightings: [kevSighting(KEV_LOG4J)],
    expect: [
      ['T1190', 'ctid', 'exploitation_technique'],
      ['T1496', 'ctid', 'secondary_impact'],
      ['T1486', 'ctid', 'secondary_impact'],
      ['T1608.001', 'ctid', 'secondary_impact'],
      ['T1505.003', 'ctid', 'secondary_impact'],
    ],
  },
  {
    name: 'CVE-2021-44228 with no KEV sighting: CTID mappings are reference data about the CVE',
    cve: 'cve-2021-44228',
    sightings: [],
    expect: [
      ['T1190', 'ctid', 'exploitation_technique'],
      ['T1496', 'ctid', 'secondary_impact'],
      ['T1486', 'ctid', 'secondary_impact'],
      ['T1608.001', 'ctid', 'secondary_impact'],
      ['T1505.003', 'ctid', 'secondary_impact'],
    ],
  },
  {
    name: 'CVE-2017-0144 (not in CTID): the remote-service rule gives T1210',
    cve: 'CVE-2017-0144',
    sightings: [kevSighting(KEV_SMB)],
    expect: [['T1210', 'kev', null]],
  },
  {
    name: 'CVE-2019-10990: the revoked T1066 is shown as its successor T1027.005',
    cve: 'CVE-2019-10990',
    sightings: [],
    expect: [
      ['T1078.001', 'ctid', 'primary_impact'],
      ['T1027.005', 'ctid', 'secondary_impact'],
    ],
  },
  {
    name: 'CVE-2010-1592: T1574.002, revoked without a successor the catalog knows, is dropped',
    cve: 'CVE-2010-1592',
    sightings: [],
    expect: [['T1068', 'ctid', 'uncategorized']],
  },
  {
    name: 'CVE-2019-13541: its only typed id is ATT&CK for Mobile, so the KEV rules still apply',
    cve: 'CVE-2019-13541',
    sightings: [kevSighting(KEV_SMB)],
    expect: [
      ['T1210', 'kev', null],
      ['T1204.002', 'ctid', 'uncategorized'],
      ['T1203', 'ctid', 'uncategorized'],
    ],
  },
  {
    name: 'ids the sources state come first and keep their derivation',
    cve: 'CVE-2021-44228',
    sightings: [{ ...kevSighting(KEV_LOG4J), attackIds: ['T1486', 'T1059'] }],
    expect: [
      ['T1486', 'source', null],
      ['T1059', 'source', null],
      ['T1190', 'ctid', 'exploitation_technique'],
      ['T1496', 'ctid', 'secondary_impact'],
      ['T1608.001', 'ctid', 'secondary_impact'],
      ['T1505.003', 'ctid', 'secondary_impact'],
    ],
  },
];

for (const row of mapRows) {
  test(`map: ${row.name}`, () => {
    assert.deepEqual(brief(mapper.map('cve', row.cve, row.sightings)), row.expect);
  });
}

test('attack mappings: each CTID row with the current name, capability group, file, and what a revoked id became', () => {
  assert.deepEqual(mapper.attackMappings('CVE-2019-10990'), [
    { id: 'T1078.001', name: 'Valid Accounts: Default Accounts', mapping_type: 'primary_impact', source: 'cve-table' },
    { id: 'T1027.005', name: 'Obfuscated Files or Information: Indicator Removal from Tools', mapping_type: 'secondary_impact', source: 'cve-table', replaces: 'T1066' },
  ]);
  const log4j = mapper.attackMappings('CVE-2021-44228');
  assert.deepEqual(log4j[0], { id: 'T1190', name: 'Exploit Public-Facing Application', mapping_type: 'exploitation_technique', capability_group: 'code_execution', source: 'kev-mappings' });
  assert.deepEqual(mapper.attackMappings('CVE-2017-0144'), []);
  const copy = mapper.attackMappings('CVE-2021-44228');
  (copy[0] as { id: string }).id = 'changed';
  assert.equal(mapper.attackMappings('CVE-2021-44228')[0]?.id, 'T1190', 'callers get copies');
});

// The ids ATT&CK Enterprise v18 cannot place: ICS (T08xx) and Mobile (T14xx, T1533, T1575) ids, one
// deprecated and one revoked id whose successor the tables do not name (T1574.002 became part of T1574.001).
const DROPPED: Record<string, string> = {
  T0803: 'unknown', T0804: 'unknown', T0812: 'unknown', T0814: 'unknown', T0816: 'unknown', T0826: 'unknown', T0828: 'unknown',
  T0833: 'unknown', T0836: 'unknown', T0842: 'unknown', T0855: 'unknown', T0859: 'unknown', T0860: 'unknown', T0873: 'unknown',
  T0875: 'unknown', T0880: 'unknown', T1149: 'deprecated', T1404: 'unknown', T1409: 'unknown', T1456: 'unknown', T1461: 'unknown',
  T1477: 'unknown', T1478: 'unknown', T1533: 'unknown', 'T1574.002': 'revoked', T1575: 'unknown',
};

test('every CTID technique id in the shipped files resolves to a current technique or is counted as dropped (49 of 2,889)', () => {
  let resolved = 0;
  let replaced = 0;
  let dropped = 0;
  let shown = 0;
  for (const cve of ctid.cves()) {
    for (const m of ctid.of(cve)) {
      const r = catalog.resolve(m.techniqueId);
      if (r.technique === null) {
        assert.equal(DROPPED[m.techniqueId], r.reason, `${cve} ${m.techniqueId} is dropped as ${r.reason}`);
        dropped++;
        continue;
      }
      assert.ok(!r.technique.revoked && !r.technique.deprecated, `${m.techniqueId} resolves to a current technique`);
      resolved++;
      if (r.replaces !== undefined) replaced++;
    }
    const rows = mapper.attackMappings(cve);
    shown += rows.length;
    for (const row of rows) assert.ok(!(catalog.technique(row.id)?.revoked ?? true), `${cve}: ${row.id} is current`);
  }
  assert.deepEqual({ resolved, replaced, dropped }, { resolved: 2840, replaced: 1, dropped: 49 });
  assert.equal(shown, resolved, 'related.attack_mappings shows every resolved mapping');
});

test('for every mapped CVE: CTID typed (by mapping type), then KEV rules, then CTID uncategorized, no repeats', () => {
  const rank = new Map<string, number>(CTID_MAPPING_TYPES.map((t, i) => [t, i]));
  for (const cve of ctid.cves()) {
    const out = mapper.map('cve', cve, [kevSighting(KEV_OCX)]);
    assert.equal(new Set(out.map((t) => t.id)).size, out.length, `${cve}: no repeats`);
    const steps = out.map((t) => (t.derived_from === 'kev' ? 2.5 : (rank.get(t.mapping_type ?? '') ?? -1)));
    for (let i = 1; i < steps.length; i++) assert.ok((steps[i - 1] as number) <= (steps[i] as number), `${cve}: order ${JSON.stringify(brief(out))}`);
    const typed = out.some((t) => t.derived_from === 'ctid' && t.mapping_type !== 'uncategorized');
    assert.equal(out.some((t) => t.derived_from === 'kev'), !typed, `${cve}: KEV rules only without a typed CTID mapping`);
  }
});

test('resolution against a small catalog: a revoked id shows as its successor, one without a successor is dropped', () => {
  const tech = (id: string, name: string, revoked = false) => ({ id, name, tactics: ['initial-access'], is_subtechnique: id.includes('.'), url: `https://attack.mitre.org/techniques/${id}`, revoked, deprecated: false });
  const tables: AttackTables = {
    techniques: {
      tactics: [{ id: 'TA0001', name: 'Initial Access', shortname: 'initial-access' }],
      techniques: [tech('T1566', 'Phishing'), tech('T1566.001', 'Spearphishing Attachment'), tech('T1193', 'Spearphishing Attachment', true), tech('T1999', 'Gone', true)],
    },
    software: { software: [] },
    groups: { groups: [] },
  };
  const small = buildAttackCatalog(tables);
  const rules = compileMappingRules({ tacticOrder: ['initial-access'], threatTypes: {}, familyRoles: [], kev: { fields: [], rules: [], fallback: [] } });
  const mappings = buildCtidMappings(
    parseKevMappings({ mapping_objects: [{ capability_id: 'CVE-2000-0001', mapping_type: 'exploitation_technique', attack_object_id: 'T1193', capability_group: 'other' }] }, 'kev.json'),
    parseCveTable(`${TABLE_HEAD}CVE-2000-0001,T1999,,,T1566,Phase 2\n`, 'table.csv'),
  );
  const m = createTechniqueMapper(small, rules, mappings);
  assert.deepEqual(brief(m.map('cve', 'CVE-2000-0001', [])), [
    ['T1566.001', 'ctid', 'exploitation_technique'],
    ['T1566', 'ctid', 'uncategorized'],
  ]);
  assert.deepEqual(
    m.attackMappings('CVE-2000-0001').map((r) => [r.id, r.replaces ?? null]),
    [
      ['T1566.001', 'T1193'],
      ['T1566', null],
    ],
  );
});
