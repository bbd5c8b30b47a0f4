/**
 * Indicator → ATT&CK techniques, in order of how directly the evidence states them:
 * ids stated by sources, what a KEV entry describes, the threat type, then the malware family's
 * ATT&CK software entry filtered to the indicator's role. Each technique says how it was derived.
 */
import type { MappedTechnique } from '../model.ts';
import type { AttackCatalog, Technique } from './catalog.ts';
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

export interface TechniqueMapper {
  map(type: string, sightings: readonly MappableSighting[]): MappedTechnique[];
  /** Techniques a KEV entry describes (T1190 / T1203 / T1068 by its words and CWEs). */
  kevTechniques(entry: Readonly<Record<string, unknown>>): KevTechnique[];
  /** The ATT&CK software a reported family name matches, if any. */
  familySoftware(name: string): Readonly<{ id: string; name: string }> | null;
}

const STATED_ID = /\b(T\d{4}(?:\.\d{3})?)\b/i;
const HAS_DIGITS = /\d{4}/;

export function createTechniqueMapper(catalog: AttackCatalog, rules: MappingRules): TechniqueMapper {
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

  // Work once at start-up: every software entry's techniques for every role.
  for (const sw of catalog.allSoftware()) for (const type of rules.familyRoleTypes) familyTechniques(sw.id, type);

  const kevFallback = rules.kev.fallback.map(current).filter((t): t is Technique => t !== null);

  function kevTechniques(entry: Readonly<Record<string, unknown>>): KevTechnique[] {
    const text = rules.kev.fields.map((f) => (typeof entry[f] === 'string' ? (entry[f] as string) : '')).join(' \n ');
    const cwes = Array.isArray(entry['cwes']) ? (entry['cwes'] as unknown[]).filter((c): c is string => typeof c === 'string') : [];
    const matched = new Set<string>();
    const out: KevTechnique[] = [];
    for (const rule of rules.kev.rules) {
      if (rule.unless.some((u) => matched.has(u))) continue;
      if (!rule.pattern.test(text) && !cwes.some((c) => rule.cwes.has(c))) continue;
      const t = current(rule.technique);
      if (t === null) continue;
      matched.add(rule.technique);
      out.push({ technique: t, why: rule.why });
    }
    if (out.length === 0) for (const t of kevFallback) out.push({ technique: t, why: 'KEV entries are mostly internet-facing products' });
    return out;
  }

  function map(type: string, sightings: readonly MappableSighting[]): MappedTechnique[] {
    const out: MappedTechnique[] = [];
    const seen = new Set<string>();
    const add = (t: Technique | null, derivedFrom: string): void => {
      if (t === null || seen.has(t.id)) return;
      seen.add(t.id);
      out.push({ id: t.id, name: t.name, derived_from: derivedFrom });
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
    for (const s of sightings) {
      if (s.threatType === 'exploited_vulnerability' && type === 'cve' && hasKevFields(s.attributes)) {
        for (const k of kevTechniques(s.attributes)) add(k.technique, 'kev');
      }
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
    familySoftware: (name) => catalog.softwareByName(name) ?? null,
  };
}

function hasKevFields(a: Readonly<Record<string, unknown>>): boolean {
  return typeof a['vulnerabilityName'] === 'string' || typeof a['shortDescription'] === 'string';
}
