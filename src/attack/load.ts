/** Reads the shipped ATT&CK tables, CVE mappings and mapping rules from data/attack/ (once, at start-up). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildAttackCatalog, type AttackCatalog, type AttackTables, type GroupsTable, type SoftwareTable } from './catalog.ts';
import { buildCtidMappings, CTID_FILES, parseCveTable, parseKevMappings, type CtidMappings } from './ctid.ts';
import { AttackDataError } from './errors.ts';
import { compileMappingRules, type MappingRules, type MappingRulesFile } from './rules.ts';

export { AttackDataError };

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new AttackDataError(`cannot read ATT&CK data file ${path}: ${(cause as Error).message}`, { cause });
  }
}

function readJson(path: string): unknown {
  const text = readText(path);
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new AttackDataError(`cannot read ATT&CK data file ${path}: ${(cause as Error).message}`, { cause });
  }
}

function need(ok: boolean, path: string, what: string): void {
  if (!ok) throw new AttackDataError(`${path}: ${what}`);
}

export function loadAttackCatalog(dir: string): AttackCatalog {
  const tp = join(dir, 'enterprise-techniques.json');
  const sp = join(dir, 'enterprise-software-techniques.json');
  const gp = join(dir, 'enterprise-groups.json');
  const techniques = readJson(tp) as AttackTables['techniques'];
  need(Array.isArray(techniques?.techniques) && Array.isArray(techniques?.tactics), tp, 'expected "tactics" and "techniques" arrays');
  // the software and groups tables are read when a family or a technique lookup first needs them
  const software = (): SoftwareTable => {
    const t = readJson(sp) as SoftwareTable;
    need(Array.isArray(t?.software), sp, 'expected a "software" array');
    return t;
  };
  const groups = (): GroupsTable => {
    const t = readJson(gp) as GroupsTable;
    need(Array.isArray(t?.groups), gp, 'expected a "groups" array');
    return t;
  };
  return buildAttackCatalog({ techniques, software, groups });
}

export function loadMappingRules(dir: string): MappingRules {
  const path = join(dir, 'mapping.json');
  try {
    return compileMappingRules(readJson(path) as MappingRulesFile);
  } catch (cause) {
    if (cause instanceof AttackDataError) throw cause;
    throw new AttackDataError(`${path}: ${(cause as Error).message}`, { cause });
  }
}

/** The Center for Threat-Informed Defense's CVE → ATT&CK mappings, from data/attack/ctid-mappings/. */
export function loadCtidMappings(dir: string): CtidMappings {
  const kevPath = join(dir, CTID_FILES['kev-mappings']);
  const tablePath = join(dir, CTID_FILES['cve-table']);
  return buildCtidMappings(parseKevMappings(readJson(kevPath), kevPath), parseCveTable(readText(tablePath), tablePath));
}
