/**
 * Indicator → ATT&CK techniques, in order of how directly the evidence states them: ids stated by
 * sources; for a CVE, the Center for Threat-Informed Defense's typed mappings, else what its KEV
 * entry describes, then CTID's uncategorized mappings; the threat type; then the malware family's
 * ATT&CK software entry filtered to the indicator's role. Each technique says how it was derived.
 */
import type { MappedTechnique } from '../model.ts';
import type { AttackCatalog, Technique } from './catalog.ts';
import { CTID_MAPPING_TYPES, type CtidMapping, type CtidMappings, type CtidMappingType, type CtidSource } from './ctid.ts';
import type { MappingRules } from './rules.ts';

/** The parts of a sighting the mapping reads. */
export interface MappableSighting {
  attackIds: readonly string[];
  tags: readonly string[];
  threatType: string | null;
  malwareFamily: string | null;
  attributes: Readonly<Record<string, unknown>>;
  feedId: string;
}

export interface KevTechnique {
  technique: Technique;
  why: string;
}

/** One CTID mapping of a CVE, its technique resolved against the shipped catalog. */
export interface AttackMapping {
  id: string;
  name: string;
  mapping_type: CtidMappingType;
  capability_group?: string;
  source: CtidSource;
  /** The id the file states, when ATT&CK has since revoked it in favour of `id`. */
  replaces?: string;
}

export interface TechniqueMapper {
  /** `value` is the indicator itself: a CVE's id selects its CTID mappings. */
  map(type: string, value: string, sightings: readonly MappableSighting[]): MappedTechnique[];
  /** Techniques a KEV entry describes (T1068 / T1203 / T1210 / T1190 by its words and CWEs). */
  kevTechniques(entry: Readonly<Record<string, unknown>>): KevTechnique[];
  /** A CVE's CTID mappings whose technique is current in the catalog (revoked ids resolved, others left out). */
  attackMappings(cveId: string): AttackMapping[];
  /** The ATT&CK software a reported family name matches, if any. */
  familySoftware(name: string): Readonly<{ id: string; name: string }> | null;
}

/** A CVE's CTID mappings, resolved once at start-up. */
interface CveTechniques {
  /** Exploitation techniques, then primary, then secondary impacts, without repeats. */
  typed: readonly MappedTechnique[];
  uncategorized: readonly MappedTechnique[];
  rows: readonly AttackMapping[];
}

const TYPE_RANK = new Map<string, number>(CTID_MAPPING_TYPES.map((t, i) => [t, i]));

const STATED_ID = /\b(T\d{4}(?:\.\d{3})?)\b/i;
const HAS_DIGITS = /\d{4}/;

/**
 * `ctid` may be a function that loads the mappings: they are read on the first CVE lookup (a
 * command that looks up an IP never reads them). Each CVE's mappings are resolved against the
 * catalog the first time it is asked for, then kept.
 */
export function createTechniqueMapper(catalog: AttackCatalog, rules: MappingRules, ctid: CtidMappings | (() => CtidMappings)): TechniqueMapper {
  const current = (id: string): Technique | null => catalog.resolve(id).technique;
  const rank = (t: Technique): number => Math.min(...t.tactics.map((x) => rules.tacticRank.get(x) ?? 99));

  // Per role and software, the techniques to show, computed once.
  const familyCache = new Map<string, Map<string, readonly Technique[]>>();
  function familyTechniques(softwareId: string, type: string): readonly Technique[] {
    const role = rules.familyRoleOf(type);
    const sw = catalog.software(softwareId);
    if (role === null || sw === undefined) return [];
    let byRole = familyCache.get(role.role);
    if (byRole === undefined) familyCache.set(role.role, (byRole = new Map()));
    const cached = byRole.get(softwareId);
    if (cached !== undefined) return cached;
    const seen = new Set<string>();
    const list: Technique[] = [];
    for (const id of sw.techniques) {
      const t = current(id);
      if (t === null || seen.has(t.id)) continue;
      if (role.tactics !== null && !t.tactics.some((x) => role.tactics?.has(x))) continue;
      seen.add(t.id);
      list.push(t);
    }
    list.sort((a, b) => rank(a) - rank(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const out = list.slice(0, role.max);
    byRole.set(softwareId, out);
    return out;
  }

  const kevFallback = rules.kev.fallback.map(current).filter((t): t is Technique => t !== null);

  function kevTechniques(entry: Readonly<Record<string, unknown>>): KevTechnique[] {
    const text = rules.kev.fields.map((f) => (typeof entry[f] === 'string' ? (entry[f] as string) : '')).join(' \n ');
    const cwes = Array.isArray(entry['cwes']) ? (entry['cwes'] as unknown[]).filter((c): c is string => typeof c === 'string') : [];
    const matched = new Set<string>();
    const out: KevTechnique[] = [];
    for (const rule of rules.kev.rules) {
      // Several rules may name one technique: the first that matches gives the reason.
      if (matched.has(rule.technique) || rule.unless.some((u) => matched.has(u))) continue;
      if (!rule.pattern.test(text) && !cwes.some((c) => rule.cwes.has(c))) continue;
      if (rule.also !== null && !rule.also.test(text)) continue;
      if (rule.none !== null && rule.none.test(text)) continue;
      const t = current(rule.technique);
      if (t === null) continue;
      matched.add(rule.technique);
      out.push({ technique: t, why: rule.why });
    }
    if (out.length === 0) for (const t of kevFallback) out.push({ technique: t, why: 'KEV entries are mostly internet-facing products' });
    return out;
  }

  let mappings: CtidMappings | null = typeof ctid === 'function' ? null : ctid;
  // only CVEs that have mappings are kept (at most the files' ~1,200), whatever ids are asked about
  const cveTechniques = new Map<string, CveTechniques>();
  /** A CVE's CTID mappings resolved and ordered (kept once resolved), or undefined when it has none. */
  function curatedOf(cve: string): CveTechniques | undefined {
    const id = cve.toUpperCase();
    let known = cveTechniques.get(id);
    if (known === undefined) {
      mappings ??= (ctid as () => CtidMappings)();
      const rows = mappings.of(id);
      if (rows.length === 0) return undefined;
      known = resolveCtid(catalog, rows);
      cveTechniques.set(id, known);
    }
    return known;
  }

  /**
   * One frozen object per technique and derivation, shared by every answer that names it: an
   * answer's list is made without copying them, and their JSON is written once (lookup-json.ts).
   */
  const shared = new Map<string, Map<Technique, MappedTechnique>>();
  function sharedOf(t: Technique, derivedFrom: string): MappedTechnique {
    let byTechnique = shared.get(derivedFrom);
    if (byTechnique === undefined) shared.set(derivedFrom, (byTechnique = new Map()));
    let m = byTechnique.get(t);
    if (m === undefined) byTechnique.set(t, (m = Object.freeze({ id: t.id, name: t.name, derived_from: derivedFrom })));
    return m;
  }

  function map(type: string, value: string, sightings: readonly MappableSighting[]): MappedTechnique[] {
    const out: MappedTechnique[] = [];
    const seen = new Set<string>();
    const add = (t: Technique | null, derivedFrom: string): void => {
      if (t === null || seen.has(t.id)) return;
      seen.add(t.id);
      out.push(sharedOf(t, derivedFrom));
    };
    const addMapped = (list: readonly MappedTechnique[]): void => {
      for (const t of list) {
        if (seen.has(t.id)) continue;
        seen.add(t.id);
        out.push(t);
      }
    };
    for (const s of sightings) {
      for (const id of s.attackIds) add(current(id.toUpperCase()), 'source');
      for (const tag of s.tags) {
        // Most tags are words; only run the pattern on those that could hold an id.
        if (tag.length < 5 || !HAS_DIGITS.test(tag)) continue;
        const m = STATED_ID.exec(tag);
        if (m !== null) add(current((m[1] as string).toUpperCase()), 'source');
      }
    }
    if (type === 'cve') {
      const curated = curatedOf(value);
      if (curated !== undefined) addMapped(curated.typed);
      // A curated typed mapping says how the CVE is exploited better than phrases of its KEV entry.
      if (curated === undefined || curated.typed.length === 0) {
        for (const s of sightings) {
          if (s.threatType === 'exploited_vulnerability' && hasKevFields(s.attributes)) {
            for (const k of kevTechniques(s.attributes)) add(k.technique, 'kev');
          }
        }
      }
      if (curated !== undefined) addMapped(curated.uncategorized);
    }
    for (const s of sightings) {
      if (s.threatType === null) continue;
      const byType = rules.threatTypes[s.threatType];
      if (byType === undefined) continue;
      for (const id of byType[type] ?? byType['*'] ?? []) add(current(id), 'threat_type');
    }
    const families = new Set<string>();
    for (const s of sightings) {
      if (s.malwareFamily === null || s.malwareFamily === '') continue;
      const sw = catalog.softwareByName(s.malwareFamily);
      if (sw !== undefined) families.add(sw.id);
    }
    for (const id of families) for (const t of familyTechniques(id, type)) add(t, 'malware_family');
    return out;
  }

  return {
    map,
    kevTechniques,
    attackMappings: (cveId) => (curatedOf(cveId)?.rows ?? []).map((r) => ({ ...r })),
    familySoftware: (name) => catalog.softwareByName(name) ?? null,
  };
}

function hasKevFields(a: Readonly<Record<string, unknown>>): boolean {
  return typeof a['vulnerabilityName'] === 'string' || typeof a['shortDescription'] === 'string';
}

/**
 * A CVE's mappings against the shipped catalog: ordered by mapping type (stable within a type, so
 * the KEV file comes before the CVE table), revoked ids replaced by their successor, ids the catalog
 * cannot place (revoked without successor, deprecated, or not Enterprise) left out.
 */
function resolveCtid(catalog: AttackCatalog, mappings: readonly CtidMapping[]): CveTechniques {
  const ordered = [...mappings].sort((a, b) => (TYPE_RANK.get(a.mappingType) ?? 99) - (TYPE_RANK.get(b.mappingType) ?? 99));
  const typed: MappedTechnique[] = [];
  const uncategorized: MappedTechnique[] = [];
  const rows: AttackMapping[] = [];
  const seen = new Set<string>();
  for (const m of ordered) {
    const r = catalog.resolve(m.techniqueId);
    if (r.technique === null) continue;
    const t = r.technique;
    rows.push({
      id: t.id,
      name: t.name,
      mapping_type: m.mappingType,
      ...(m.capabilityGroup === undefined ? {} : { capability_group: m.capabilityGroup }),
      source: m.source,
      ...(r.replaces === undefined ? {} : { replaces: r.replaces }),
    });
    if (seen.has(t.id)) continue;
    seen.add(t.id);
    // kept for the CVE and shared by its answers, as sharedOf's are
    (m.mappingType === 'uncategorized' ? uncategorized : typed).push(Object.freeze({ id: t.id, name: t.name, derived_from: 'ctid', mapping_type: m.mappingType }));
  }
  return { typed, uncategorized, rows };
}
