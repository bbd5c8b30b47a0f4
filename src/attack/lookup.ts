/**
 * `type=mitre-attack` lookups: a technique (T1059, T1059.001) or a tactic (TA0002) described from
 * the catalog, with its tactics, parent or sub-techniques, and the groups and software using it.
 */
import type { MappedTechnique } from '../model.ts';
import type { AttackCatalog, Technique } from './catalog.ts';

export interface AttackDescription {
  found: boolean;
  techniques: MappedTechnique[];
  related: Record<string, unknown>;
}

const ref = (x: { id: string; name: string }) => ({ id: x.id, name: x.name });

export function describeAttackId(catalog: AttackCatalog, rawId: string): AttackDescription {
  const id = rawId.trim().toUpperCase();
  if (/^TA\d{4}$/.test(id)) {
    const tactic = catalog.tactic(id);
    if (tactic === undefined) return { found: false, techniques: [], related: { attack: { id, status: 'unknown' } } };
    return {
      found: true,
      techniques: [],
      related: {
        tactic: { id: tactic.id, name: tactic.name, shortname: tactic.shortname, url: `https://attack.mitre.org/tactics/${tactic.id}` },
        techniques: catalog.techniquesOfTactic(tactic.shortname).map(ref),
      },
    };
  }
  const resolution = catalog.resolve(id);
  if (resolution.technique === null) {
    return { found: false, techniques: [], related: { attack: { id, status: resolution.reason } } };
  }
  const t = resolution.technique;
  const users = catalog.usersOf(t.id);
  const related: Record<string, unknown> = {
    technique: describeTechnique(catalog, t),
    groups: users.groups.map(ref),
    software: users.software.map((s) => ({ id: s.id, name: s.name, type: s.type })),
  };
  if (resolution.replaces !== undefined) related['revoked'] = { id: resolution.replaces, replaced_by: t.id };
  return { found: true, techniques: [{ id: t.id, name: t.name, derived_from: 'lookup' }], related };
}

function describeTechnique(catalog: AttackCatalog, t: Technique): Record<string, unknown> {
  const parent = t.parentId === null ? undefined : catalog.technique(t.parentId);
  return {
    id: t.id,
    name: t.name,
    url: t.url,
    tactics: t.tactics.map((s) => catalog.tactic(s)).filter((x) => x !== undefined).map((x) => ({ id: x.id, name: x.name })),
    platforms: t.platforms,
    is_subtechnique: t.isSubtechnique,
    parent: parent === undefined ? null : ref(parent),
    subtechniques: catalog.subtechniques(t.id).map(ref),
  };
}
