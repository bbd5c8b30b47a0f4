import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { createHuntingQueryBuilder } from '../../src/hunting/index.ts';
import { SIGMA_RULES } from '../../src/hunting/rules/sigma.ts';
import { RISK_LEVELS } from '../../src/model.ts';
import { HOSTILE_VALUES, SAMPLE_VALUES, SPECIAL_UNITS, TYPES, sampleInput, searched } from './samples.ts';

const builder = createHuntingQueryBuilder();
const sigma = (type: (typeof TYPES)[number], value?: string, over: Partial<ReturnType<typeof sampleInput>> = {}): string =>
  builder.build({ ...sampleInput(type, value), ...over }, ['sigma']).sigma!;

function loadSchemaValidator() {
  const schema = JSON.parse(readFileSync(new URL('../fixtures/siem/sigma/sigma-detection-rule-schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  // The official file declares draft 2020-12 with a trailing `#` that Ajv does not know by that name.
  delete schema.$schema;
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  return ajv.compile(schema);
}
const validate = loadSchemaValidator();

/** Sigma value → the literal text it matches; throws on an unescaped wildcard. */
function sigmaLiteral(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && i + 1 < value.length && '*?\\'.includes(value[i + 1]!)) {
      out += value[i + 1];
      i++;
    } else if (c === '*' || c === '?') throw new Error(`unescaped wildcard at ${i} in ${JSON.stringify(value)}`);
    else out += c;
  }
  return out;
}

type Rule = {
  title: string;
  id: string;
  level: string;
  tags?: string[];
  logsource: Record<string, string>;
  detection: Record<string, unknown>;
};

function check(type: (typeof TYPES)[number], text: string, value: string): Rule {
  const rule = parse(text) as Rule;
  assert.ok(validate(rule), `schema errors for ${JSON.stringify(value).slice(0, 60)}: ${JSON.stringify(validate.errors)}`);
  // The library's own writer is lossy for some whitespace (yaml 2.9: " \n" as a kept block scalar
  // reads back as "\n"; a multi-line double-quoted " \n \n" gains a backslash), so it writes every
  // string on one line here: what is checked is the rule, not the writer.
  const oneLine = { blockQuote: false, lineWidth: 0, doubleQuotedMinMultiLineLength: Number.MAX_SAFE_INTEGER } as const;
  assert.deepEqual(parse(stringify(rule, oneLine)), rule, 'round-trips through yaml');
  const spec = SIGMA_RULES[type];
  for (const s of spec.selections) {
    const sel = rule.detection[`selection_${s.name}`];
    const raw = s.field === null ? (sel as string[])[0]! : (sel as Record<string, string>)[s.field]!;
    assert.equal(sigmaLiteral(raw), (s.prefix ?? '') + searched(type, value) + (s.suffix ?? ''), `${type} selection_${s.name}`);
  }
  assert.equal(rule.detection.condition, '1 of selection_*');
  return rule;
}

describe('Sigma hunting rules', () => {
  it('validate against the official Sigma schema and round-trip through yaml, for every type', () => {
    for (const type of TYPES) check(type, sigma(type), SAMPLE_VALUES[type]);
  });

  it('derive the id deterministically from type and value (UUIDv5)', () => {
    const a = parse(sigma('ipv4')) as Rule;
    assert.match(a.id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal((parse(sigma('ipv4', undefined, { level: 'low', techniques: [] })) as Rule).id, a.id, 'id ignores level and context');
    assert.notEqual((parse(sigma('ipv4', '192.0.2.2')) as Rule).id, a.id);
    assert.notEqual((parse(sigma('domain', '192.0.2.1')) as Rule).id, a.id, 'type is part of the name');
  });

  it('map the risk level one to one and tag ATT&CK techniques as attack.tXXXX', () => {
    for (const level of RISK_LEVELS) assert.equal((parse(sigma('url', undefined, { level })) as Rule).level, level);
    assert.deepEqual((parse(sigma('ipv4')) as Rule).tags, ['attack.t1071', 'attack.t1041'], 'tactic ids are not technique tags');
    const technique = parse(sigma('mitre-attack', 'T1059.001', { techniques: [] })) as Rule;
    assert.deepEqual(technique.tags, ['attack.t1059.001']);
    assert.equal((parse(sigma('ipv4', undefined, { techniques: [] })) as Rule).tags, undefined);
  });

  it('use taxonomy logsources: firewall for IPs, dns for domains, proxy for URLs, process_creation Hashes for files', () => {
    assert.deepEqual((parse(sigma('ipv4')) as Rule).logsource, { category: 'firewall' });
    assert.deepEqual((parse(sigma('domain')) as Rule).logsource, { category: 'dns' });
    assert.deepEqual((parse(sigma('url')) as Rule).logsource, { category: 'proxy' });
    const hash = parse(sigma('sha256')) as Rule;
    assert.deepEqual(hash.detection.selection_hash, { 'Hashes|contains': `SHA256=${SAMPLE_VALUES.sha256}` });
    const asn = parse(sigma('asn')) as Rule;
    assert.deepEqual(asn.logsource, { product: 'azure', service: 'signinlogs' });
    assert.deepEqual(asn.detection.selection_asn, { AutonomousSystemNumber: '13335' }, 'sign-in logs write the number alone');
    assert.equal(asn.title, 'Verdict hunt: AS number AS13335');
  });

  it('keep hostile values literal: no wildcard, no YAML break-out, schema-valid', () => {
    for (const type of TYPES) for (const value of HOSTILE_VALUES) check(type, sigma(type, value), value);
  });

  it('keep random values literal (property)', () => {
    const value = fc.oneof(fc.string({ unit: fc.constantFrom(...SPECIAL_UNITS), minLength: 1 }), fc.string({ unit: 'binary', minLength: 1 }));
    fc.assert(fc.property(fc.constantFrom(...TYPES), value, (type, v) => void check(type, sigma(type, v), v)), { numRuns: 200 });
  });

  it('carries references and context from the lookup into the rule', () => {
    const rule = parse(sigma('domain')) as Rule & { references: string[]; description: string };
    assert.deepEqual(rule.references, ['https://example.org/report']);
    assert.match(rule.description, /botnet_cc/);
    assert.match(rule.description, /emotet/);
  });

  it('adds the public page of a CVE or ATT&CK id first, only for canonical ids', () => {
    const refs = (text: string): string[] | undefined => (parse(text) as { references?: string[] }).references;
    assert.deepEqual(refs(sigma('cve')), ['https://nvd.nist.gov/vuln/detail/CVE-2021-44228', 'https://example.org/report']);
    assert.deepEqual(refs(sigma('mitre-attack')), ['https://attack.mitre.org/techniques/T1059/001/', 'https://example.org/report']);
    assert.deepEqual(refs(sigma('mitre-attack', 'TA0011', { context: {} })), ['https://attack.mitre.org/tactics/TA0011/']);
    assert.equal(refs(sigma('cve', 'CVE-2021-44228/../x', { context: {} })), undefined);
  });
});
