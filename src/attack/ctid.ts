/**
 * The Center for Threat-Informed Defense's CVE → ATT&CK mappings (data/attack/ctid-mappings/):
 * the KEV mappings, each typed and with a capability group, and the project's older per-CVE table.
 * Parsed once at start-up; technique ids stay as the files state them (ATT&CK 16.1 or older) and are
 * resolved against the shipped catalog by the mapper.
 */
import { splitCsv } from '../feeds/parsers/csv.ts';
import { AttackDataError } from './errors.ts';

/** In the order techniques are shown: how the flaw is exploited, then what exploiting it gives. */
export const CTID_MAPPING_TYPES = ['exploitation_technique', 'primary_impact', 'secondary_impact', 'uncategorized'] as const;
export type CtidMappingType = (typeof CTID_MAPPING_TYPES)[number];

/** Which file a mapping comes from. */
export const CTID_SOURCES = ['kev-mappings', 'cve-table'] as const;
export type CtidSource = (typeof CTID_SOURCES)[number];

export const CTID_FILES = {
  'kev-mappings': 'kev-07.28.2025_attack-16.1-enterprise.json',
  'cve-table': 'attack-to-cve-mappings.csv',
} as const satisfies Record<CtidSource, string>;

export interface CtidMapping {
  techniqueId: string;
  mappingType: CtidMappingType;
  /** The KEV file's capability group key (`code_execution`, `xxe`, …); the CVE table has none. */
  capabilityGroup?: string;
  source: CtidSource;
}

export interface CtidMappings {
  /** A CVE's mappings (any case of the id), the KEV file's first, each file in its own order. */
  of(cveId: string): readonly CtidMapping[];
  /** Every CVE id with a mapping, upper case. */
  cves(): readonly string[];
  readonly counts: { cves: number; mappings: number };
}

export type CtidRow = readonly [cveId: string, mapping: CtidMapping];

const CVE_ID = /^CVE-\d{4}-\d{4,}$/;
const TECHNIQUE_ID = /^T\d{4}(?:\.\d{3})?$/;
const MAPPING_TYPES: ReadonlySet<string> = new Set(CTID_MAPPING_TYPES);

/** The CVE table's columns and the mapping type each holds. */
const TABLE_COLUMNS = [
  ['Exploitation Technique', 'exploitation_technique'],
  ['Primary Impact', 'primary_impact'],
  ['Secondary Impact', 'secondary_impact'],
  ['Uncategorized', 'uncategorized'],
] as const satisfies readonly (readonly [string, CtidMappingType])[];

/** `mapping_objects` of the KEV mappings file (Mappings Explorer's JSON format). */
export function parseKevMappings(json: unknown, file: string): CtidRow[] {
  const objects = (json as { mapping_objects?: unknown } | null)?.mapping_objects;
  if (!Array.isArray(objects)) throw new AttackDataError(`${file}: expected a "mapping_objects" array`);
  const rows: CtidRow[] = [];
  objects.forEach((o: Record<string, unknown> | null, i) => {
    const bad = (what: string): never => {
      throw new AttackDataError(`${file}: mapping_objects[${i}]: ${what}`);
    };
    if (o === null || typeof o !== 'object') return bad('expected an object');
    // Mappings Explorer marks a capability it looked at and could not map as non_mappable, without a technique.
    if (o['status'] === 'non_mappable' || o['attack_object_id'] === null) return;
    const cve = typeof o['capability_id'] === 'string' ? o['capability_id'].trim().toUpperCase() : '';
    if (!CVE_ID.test(cve)) return bad(`"capability_id" must be a CVE id, got ${JSON.stringify(o['capability_id'])}`);
    const technique = typeof o['attack_object_id'] === 'string' ? o['attack_object_id'].trim().toUpperCase() : '';
    if (!TECHNIQUE_ID.test(technique)) return bad(`"attack_object_id" must be a technique id, got ${JSON.stringify(o['attack_object_id'])}`);
    const type = o['mapping_type'];
    if (typeof type !== 'string' || !MAPPING_TYPES.has(type)) return bad(`unknown "mapping_type" ${JSON.stringify(type)}`);
    const group = o['capability_group'];
    const mapping: CtidMapping = { techniqueId: technique, mappingType: type as CtidMappingType, source: 'kev-mappings' };
    if (typeof group === 'string' && group !== '') mapping.capabilityGroup = group;
    rows.push([cve, mapping]);
  });
  return rows;
}

/**
 * The CVE table: a UTF-8 BOM, then `CVE ID,Primary Impact,Secondary Impact,Exploitation Technique,Uncategorized,Phase`,
 * each technique cell a `; `-separated list. Stray spaces and a trailing dot (`T1036.`) are tolerated.
 */
export function parseCveTable(text: string, file: string): CtidRow[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = splitCsv(lines[0] ?? '');
  const at = new Map((header ?? []).map((name, i) => [name, i]));
  const missing = ['CVE ID', ...TABLE_COLUMNS.map(([name]) => name)].filter((name) => !at.has(name));
  if (missing.length > 0) throw new AttackDataError(`${file}: line 1: missing column(s) ${missing.join(', ')}`);
  const cveAt = at.get('CVE ID') as number;
  const rows: CtidRow[] = [];
  lines.forEach((line, i) => {
    if (i === 0 || line.trim() === '') return;
    const bad = (what: string): never => {
      throw new AttackDataError(`${file}: line ${i + 1}: ${what}`);
    };
    const cells = splitCsv(line);
    if (cells === null) return bad('unterminated quoted field');
    const cve = (cells[cveAt] ?? '').toUpperCase();
    if (!CVE_ID.test(cve)) return bad(`expected a CVE id, got ${JSON.stringify(cells[cveAt] ?? '')}`);
    for (const [column, mappingType] of TABLE_COLUMNS) {
      for (const part of (cells[at.get(column) as number] ?? '').split(';')) {
        const technique = part.trim().replace(/\.$/, '').toUpperCase();
        if (technique === '') continue;
        if (!TECHNIQUE_ID.test(technique)) bad(`${column}: expected technique ids like T1190 or T1574.001, got ${JSON.stringify(part.trim())}`);
        rows.push([cve, { techniqueId: technique, mappingType, source: 'cve-table' }]);
      }
    }
  });
  return rows;
}

/** One lookup table over both files; a mapping repeated within a file is kept once. */
export function buildCtidMappings(...files: readonly (readonly CtidRow[])[]): CtidMappings {
  const byCve = new Map<string, CtidMapping[]>();
  const keys = new Set<string>();
  let count = 0;
  for (const rows of files) {
    for (const [cve, m] of rows) {
      const key = `${cve} ${m.source} ${m.mappingType} ${m.techniqueId}`;
      if (keys.has(key)) continue;
      keys.add(key);
      const list = byCve.get(cve);
      if (list === undefined) byCve.set(cve, [m]);
      else list.push(m);
      count++;
    }
  }
  const cves = [...byCve.keys()];
  return {
    of: (cveId) => byCve.get(cveId) ?? byCve.get(cveId.toUpperCase()) ?? [],
    cves: () => cves,
    counts: { cves: byCve.size, mappings: count },
  };
}
