/**
 * The rules name only fields that exist: CIM fields per data model for Splunk, ECS fields (with
 * the comparison their type needs) for ES|QL, taxonomy fields per logsource for Sigma.
 * (KQL columns are checked by analysing the queries against the table schemas.)
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ESQL_RULES } from '../../src/hunting/rules/esql.ts';
import { SIGMA_RULES } from '../../src/hunting/rules/sigma.ts';
import { SPLUNK_RULES } from '../../src/hunting/rules/splunk.ts';
import { TYPES } from './samples.ts';

const fixture = <T>(path: string): T => JSON.parse(readFileSync(new URL(`../fixtures/siem/${path}`, import.meta.url), 'utf8')) as T;

type Cim = Record<string, Record<string, string[]>> & { _base_fields_all_datasets: string[] };
const cim = fixture<Cim>('splunk/cim.json');
const ecs = fixture<{ all_fields: Record<string, string> }>('elastic/ecs-fields.json').all_fields;
const taxonomy = fixture<{ categories: Record<string, string[]>; logsources: { logsource: Record<string, string> }[] }>('sigma/taxonomy.json');

/**
 * Splunk Enterprise Security's Risk data model and its ATT&CK annotation fields are not part of
 * the CIM add-on; they are the documented exception for ATT&CK hunts.
 */
const ES_RISK_FIELDS = new Set(['annotations.mitre_attack.mitre_technique_id', 'mitre_technique_id', 'risk_object', 'risk_object_type', 'search_name', 'source']);
/**
 * CIM has no AS field: ASN enrichment (a lookup at search time or in the ingest pipeline) writes
 * src_asn/dest_asn beside CIM's src_ip/dest_ip. The documented exception for AS hunts.
 */
const AS_ENRICHMENT_FIELDS = new Set(['src_asn', 'dest_asn']);
/** Sigma logsources of one product's own log, whose fields are that log's columns (Sentinel's table of it). */
const SIGMA_PRODUCT_TABLES: Readonly<Record<string, string>> = { 'azure/signinlogs': 'SigninLogs' };
const kqlTables = fixture<Record<string, { name: string }[]>>('kql/tables.json');

function cimFields(datamodel: string): Set<string> {
  const [model, ...dataset] = datamodel.split('.');
  const fields = cim[model!]?.[dataset.join('.')];
  return new Set([...(fields ?? []), ...cim._base_fields_all_datasets]);
}

const allCimFields = new Set(
  Object.entries(cim).flatMap(([k, v]) => (k.startsWith('_') ? [] : Object.values(v as Record<string, string[]>).flat())),
);

describe('fields named by the rules exist', () => {
  it('Splunk tstats: every field is in its CIM data model', () => {
    for (const type of TYPES) {
      for (const leg of SPLUNK_RULES[type].tstats) {
        if (leg.datamodel === 'Risk.All_Risk') {
          for (const f of [...leg.terms.map((t) => t.field), ...leg.by]) assert.ok(ES_RISK_FIELDS.has(f), f);
          continue;
        }
        const fields = cimFields(leg.datamodel);
        assert.ok(fields.size > cim._base_fields_all_datasets.length, `${leg.datamodel} is a CIM dataset`);
        for (const f of [...leg.terms.map((t) => t.field), ...leg.by]) assert.ok(fields.has(f), `${type}: ${leg.datamodel} has no ${f}`);
      }
    }
  });

  it('Splunk search: every field is a CIM field', () => {
    for (const type of TYPES) {
      const { terms, by } = SPLUNK_RULES[type].search;
      for (const f of [...terms.map((t) => t.field), ...by]) {
        const known = allCimFields.has(f) || cim._base_fields_all_datasets.includes(f) || ES_RISK_FIELDS.has(f);
        assert.ok(known || (type === 'asn' && AS_ENRICHMENT_FIELDS.has(f)), `${type}: ${f}`);
      }
    }
  });

  it('ES|QL: every field is in ECS, and ip fields are compared through TO_IP', () => {
    for (const type of TYPES) {
      const rule = ESQL_RULES[type];
      for (const t of rule.terms) {
        const ecsType = ecs[t.field];
        assert.ok(ecsType, `${type}: ${t.field} is not an ECS field`);
        assert.equal(t.pattern === 'ip', ecsType === 'ip', `${type}: ${t.field} is ${ecsType}, matched as ${t.pattern}`);
        assert.equal(t.pattern === 'long', ecsType === 'long', `${type}: ${t.field} is ${ecsType}, matched as ${t.pattern}`);
      }
      for (const f of rule.by) assert.ok(ecs[f], `${type}: ${f} is not an ECS field`);
    }
  });

  it('Sigma: logsources are in the taxonomy and fields belong to their category', () => {
    const known = new Set(taxonomy.logsources.map((l) => JSON.stringify(Object.entries(l.logsource).sort())));
    for (const type of TYPES) {
      const rule = SIGMA_RULES[type];
      const { category } = rule.logsource;
      if (category !== undefined) assert.ok(taxonomy.categories[category], `${type}: category ${category}`);
      else assert.ok(known.has(JSON.stringify(Object.entries(rule.logsource).sort())), `${type}: logsource ${JSON.stringify(rule.logsource)}`);
      for (const s of rule.selections) {
        if (s.field === null) continue;
        const field = s.field.split('|')[0]!;
        if (category === undefined) {
          const table = SIGMA_PRODUCT_TABLES[`${rule.logsource.product}/${rule.logsource.service}`];
          assert.ok(table, `${type}: no field list for ${JSON.stringify(rule.logsource)}`);
          assert.ok(kqlTables[table]!.some((c) => c.name === field), `${type}: ${table} has no ${field}`);
          continue;
        }
        assert.ok(taxonomy.categories[category]!.includes(field), `${type}: ${category} has no ${field}`);
      }
    }
  });
});
