/** The mapping rules of data/attack/mapping.json, checked and compiled (regexes built once). */
import { STORED_TYPES } from '../indicators/types.ts';

export interface MappingRulesFile {
  tacticOrder: string[];
  threatTypes: Record<string, Record<string, string[]>>;
  familyRoles: { role: string; types: string[]; tactics: string[] | null; max: number }[];
  kev: {
    fields: string[];
    /**
     * A rule matches when one `anyOf` phrase or one of its `cwes` is in the entry, and also one
     * `alsoAnyOf` phrase when given, and no `noneOf` phrase; `unless` names techniques whose rules,
     * matched earlier, rule this one out.
     */
    rules: { technique: string; why?: string; anyOf: string[]; alsoAnyOf?: string[]; noneOf?: string[]; cwes?: string[]; unless?: string[] }[];
    fallback: string[];
  };
}

export interface KevRule {
  technique: string;
  why: string;
  pattern: RegExp;
  /** One of these must also be in the entry (null: no such condition). */
  also: RegExp | null;
  /** None of these may be in the entry (null: no such condition). */
  none: RegExp | null;
  cwes: ReadonlySet<string>;
  unless: readonly string[];
}

export interface FamilyRole {
  role: string;
  tactics: ReadonlySet<string> | null;
  max: number;
}

export interface MappingRules {
  /** Tactic shortname → position in the kill chain. */
  tacticRank: ReadonlyMap<string, number>;
  /** threat type → indicator type (or `*`) → technique ids. */
  threatTypes: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
  familyRoleOf(type: string): FamilyRole | null;
  /** One indicator type per role, to precompute each role once. */
  familyRoleTypes: readonly string[];
  kev: { fields: readonly string[]; rules: readonly KevRule[]; fallback: readonly string[] };
}

const TECHNIQUE_ID = /^T\d{4}(?:\.\d{3})?$/;

export function compileMappingRules(file: MappingRulesFile): MappingRules {
  const fail = (what: string): never => {
    throw new Error(what);
  };
  if (!Array.isArray(file?.tacticOrder)) fail('"tacticOrder" must be an array of tactic shortnames');
  const ids = (list: unknown, where: string): string[] => {
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'string' && TECHNIQUE_ID.test(x))) fail(`${where}: expected technique ids like T1071 or T1566.002`);
    return list as string[];
  };
  const threatTypes: Record<string, Record<string, string[]>> = {};
  for (const [tt, byType] of Object.entries(file.threatTypes ?? {})) {
    threatTypes[tt] = {};
    for (const [type, list] of Object.entries(byType)) {
      if (type !== '*' && !(STORED_TYPES as string[]).includes(type)) fail(`threatTypes.${tt}: unknown indicator type "${type}"`);
      (threatTypes[tt] as Record<string, string[]>)[type] = ids(list, `threatTypes.${tt}.${type}`);
    }
  }
  const roles = new Map<string, FamilyRole>();
  for (const r of file.familyRoles ?? []) {
    if (!Number.isInteger(r.max) || r.max < 1) fail(`familyRoles.${r.role}: "max" must be a positive integer`);
    const role: FamilyRole = { role: r.role, tactics: r.tactics === null ? null : new Set(r.tactics), max: r.max };
    for (const t of r.types) roles.set(t, role);
  }
  const kevRules: KevRule[] = (file.kev?.rules ?? []).map((r, i) => {
    ids([r.technique], `kev.rules[${i}].technique`);
    if (!Array.isArray(r.anyOf) || r.anyOf.length === 0) fail(`kev.rules[${i}]: "anyOf" must list phrases`);
    const phrases = (list: string[] | undefined, key: string): RegExp | null => {
      if (list === undefined) return null;
      if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'string')) return fail(`kev.rules[${i}]: "${key}" must list phrases`);
      try {
        return new RegExp(`\\b(?:${list.join('|')})\\b`, 'i');
      } catch (e) {
        return fail(`kev.rules[${i}]: bad phrase pattern in "${key}" (${(e as Error).message})`);
      }
    };
    const pattern = phrases(r.anyOf, 'anyOf') as RegExp;
    const unless = r.unless ?? [];
    ids(unless, `kev.rules[${i}].unless`);
    return { technique: r.technique, why: r.why ?? '', pattern, also: phrases(r.alsoAnyOf, 'alsoAnyOf'), none: phrases(r.noneOf, 'noneOf'), cwes: new Set(r.cwes ?? []), unless };
  });
  return {
    tacticRank: new Map(file.tacticOrder.map((t, i) => [t, i])),
    threatTypes,
    familyRoleOf: (type) => roles.get(type) ?? null,
    familyRoleTypes: (file.familyRoles ?? []).map((r) => r.types[0]).filter((t): t is string => t !== undefined),
    kev: { fields: file.kev?.fields ?? [], rules: kevRules, fallback: ids(file.kev?.fallback ?? [], 'kev.fallback') },
  };
}
