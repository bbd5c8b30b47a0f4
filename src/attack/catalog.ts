/**
 * The ATT&CK Enterprise catalog, built once from the shipped tables (data/attack/): techniques with
 * their tactics, parents and sub-techniques, software and groups with the techniques they use,
 * and revoked ids resolved to their successors where the successor is unambiguous.
 */

export interface Tactic {
  id: string;
  name: string;
  shortname: string;
}

export interface Technique {
  id: string;
  /** Official name; sub-techniques read "Parent: Sub" as on attack.mitre.org. */
  name: string;
  /** The name in the STIX object (sub-techniques without their parent). */
  shortName: string;
  tactics: string[];
  isSubtechnique: boolean;
  parentId: string | null;
  platforms: string[];
  url: string;
  revoked: boolean;
  deprecated: boolean;
}

export interface Software {
  id: string;
  name: string;
  type: string;
  aliases: string[];
  techniques: string[];
  url: string;
}

export interface Group {
  id: string;
  name: string;
  aliases: string[];
  techniques: string[];
  software: string[];
  url: string;
}

/** The shapes of the three shipped JSON tables (only the fields Verdict reads). */
export interface AttackTables {
  techniques: {
    tactics: { id: string; name: string; shortname: string }[];
    techniques: { id: string; name: string; tactics: string[]; is_subtechnique: boolean; platforms?: string[]; url: string; revoked: boolean; deprecated: boolean; parent_name?: string }[];
  };
  /** The software and groups tables, or functions that read them when first needed. */
  software: SoftwareTable | (() => SoftwareTable);
  groups: GroupsTable | (() => GroupsTable);
}

export interface SoftwareTable {
  software: { id: string; name: string; type: string; aliases: string[]; techniques: string[]; url: string; revoked: boolean; deprecated: boolean }[];
}

export interface GroupsTable {
  groups: { id: string; name: string; aliases: string[]; techniques: string[]; software: string[]; url: string; revoked: boolean; deprecated: boolean }[];
}

export type Resolution = { technique: Technique; replaces?: string } | { technique: null; reason: 'unknown' | 'revoked' | 'deprecated' };

export interface AttackCatalog {
  readonly tactics: readonly Tactic[];
  /** Any id in the tables, revoked and deprecated included. */
  technique(id: string): Technique | undefined;
  /** The current technique for an id: revoked ids map to their successor when known, else nothing. */
  resolve(id: string): Resolution;
  tactic(idOrShortname: string): Tactic | undefined;
  subtechniques(parentId: string): readonly Technique[];
  techniquesOfTactic(shortname: string): readonly Technique[];
  software(id: string): Software | undefined;
  /** ATT&CK software by name or alias, case, spacing and Malpedia prefixes ignored. */
  softwareByName(name: string): Software | undefined;
  group(id: string): Group | undefined;
  /** Every active software entry, by id. */
  allSoftware(): readonly Software[];
  /** Active groups and software that use the technique (for a parent: or any of its sub-techniques). */
  usersOf(techniqueId: string): { groups: readonly Group[]; software: readonly Software[] };
  readonly counts: { techniques: number; active: number; software: number; groups: number };
}

/** Malpedia-style platform prefixes (`win.emotet`) that feeds put before family names. */
const PLATFORM_PREFIX = /^(?:win|elf|osx|apk|jar|ps1|js|vbs|py|php|asp|ios|symbian)\./;

const NAME_CACHE_MAX = 10_000;

export function familyKey(name: string): string {
  return name.trim().toLowerCase().replace(PLATFORM_PREFIX, '').replace(/[^a-z0-9]/g, '');
}

export function buildAttackCatalog(tables: AttackTables): AttackCatalog {
  const tactics = tables.techniques.tactics.map((t) => ({ id: t.id, name: t.name, shortname: t.shortname }));
  const tacticByKey = new Map<string, Tactic>();
  for (const t of tactics) {
    tacticByKey.set(t.id, t);
    tacticByKey.set(t.shortname, t);
  }

  const raw = tables.techniques.techniques;
  const shortNames = new Map(raw.map((t) => [t.id, t.name]));
  const techniques = new Map<string, Technique>();
  for (const t of raw) {
    const parentId = t.is_subtechnique ? t.id.slice(0, t.id.indexOf('.')) : null;
    const parentName = parentId === null ? undefined : (t.parent_name ?? shortNames.get(parentId));
    techniques.set(t.id, {
      id: t.id,
      name: parentName === undefined ? t.name : `${parentName}: ${t.name}`,
      shortName: t.name,
      tactics: [...t.tactics],
      isSubtechnique: t.is_subtechnique,
      parentId,
      platforms: [...(t.platforms ?? [])],
      url: t.url,
      revoked: t.revoked,
      deprecated: t.deprecated,
    });
  }
  const active = [...techniques.values()].filter((t) => !t.revoked && !t.deprecated);

  const subs = new Map<string, Technique[]>();
  const byTactic = new Map<string, Technique[]>();
  for (const t of active) {
    if (t.parentId !== null) push(subs, t.parentId, t);
    else for (const tac of t.tactics) push(byTactic, tac, t);
  }

  const successors = revokedSuccessors([...techniques.values()], active);

  // Software and groups are read on first use (a malware family, a technique lookup): a CVE or an
  // address with no family needs the techniques only.
  let softwareIndex: { software: Map<string, Software>; softwareByKey: Map<string, Software>; usersSoftware: Map<string, Software[]> } | null = null;
  function softwareOf(): NonNullable<typeof softwareIndex> {
    if (softwareIndex !== null) return softwareIndex;
    const table = typeof tables.software === 'function' ? tables.software() : tables.software;
    const software = new Map<string, Software>();
    const softwareByKey = new Map<string, Software>();
    const usersSoftware = new Map<string, Software[]>();
    for (const s of table.software) {
      if (s.revoked || s.deprecated) continue;
      const sw: Software = { id: s.id, name: s.name, type: s.type, aliases: [...s.aliases], techniques: [...s.techniques], url: s.url };
      software.set(sw.id, sw);
      for (const tid of sw.techniques) push(usersSoftware, tid, sw);
    }
    // Names first, then aliases, so that an alias never shadows another software's own name.
    for (const sw of software.values()) if (!softwareByKey.has(familyKey(sw.name))) softwareByKey.set(familyKey(sw.name), sw);
    for (const sw of software.values()) for (const a of sw.aliases) if (!softwareByKey.has(familyKey(a))) softwareByKey.set(familyKey(a), sw);
    return (softwareIndex = { software, softwareByKey, usersSoftware });
  }

  let groupIndex: { groups: Map<string, Group>; usersGroups: Map<string, Group[]> } | null = null;
  function groupsOf(): NonNullable<typeof groupIndex> {
    if (groupIndex !== null) return groupIndex;
    const table = typeof tables.groups === 'function' ? tables.groups() : tables.groups;
    const groups = new Map<string, Group>();
    const usersGroups = new Map<string, Group[]>();
    for (const g of table.groups) {
      if (g.revoked || g.deprecated) continue;
      const grp: Group = { id: g.id, name: g.name, aliases: [...g.aliases], techniques: [...g.techniques], software: [...g.software], url: g.url };
      groups.set(grp.id, grp);
      for (const tid of grp.techniques) push(usersGroups, tid, grp);
    }
    return (groupIndex = { groups, usersGroups });
  }

  const nameCache = new Map<string, Software | null>();

  function usersOf(id: string): { groups: Group[]; software: Software[] } {
    const ids = [id, ...(subs.get(id) ?? []).map((s) => s.id)];
    const g = new Map<string, Group>();
    const s = new Map<string, Software>();
    const { usersGroups } = groupsOf();
    const { usersSoftware } = softwareOf();
    for (const i of ids) {
      for (const x of usersGroups.get(i) ?? []) g.set(x.id, x);
      for (const x of usersSoftware.get(i) ?? []) s.set(x.id, x);
    }
    return { groups: [...g.values()].sort(byId), software: [...s.values()].sort(byId) };
  }

  return {
    tactics,
    technique: (id) => techniques.get(id),
    resolve(id) {
      const t = techniques.get(id);
      if (t === undefined) return { technique: null, reason: 'unknown' };
      if (!t.revoked && !t.deprecated) return { technique: t };
      const next = successors.get(id);
      if (next !== undefined) return { technique: next, replaces: id };
      return { technique: null, reason: t.revoked ? 'revoked' : 'deprecated' };
    },
    tactic: (key) => tacticByKey.get(key),
    subtechniques: (id) => subs.get(id) ?? [],
    techniquesOfTactic: (shortname) => byTactic.get(shortname) ?? [],
    software: (id) => softwareOf().software.get(id),
    softwareByName(name) {
      // Feeds repeat a handful of family spellings; remember each so a lookup skips the regexes.
      let sw = nameCache.get(name);
      if (sw === undefined) {
        sw = softwareOf().softwareByKey.get(familyKey(name)) ?? null;
        if (nameCache.size >= NAME_CACHE_MAX) nameCache.clear();
        nameCache.set(name, sw);
      }
      return sw ?? undefined;
    },
    group: (id) => groupsOf().groups.get(id),
    allSoftware: () => [...softwareOf().software.values()],
    usersOf,
    get counts() {
      return { techniques: techniques.size, active: active.length, software: softwareOf().software.size, groups: groupsOf().groups.size };
    },
  };
}

/**
 * The tables carry no revoked-by links, so a revoked technique maps to the active technique of the
 * same name (most were folded into sub-techniques of that name); when several share it, the one
 * sharing a tactic wins, and if that is still ambiguous the id is dropped rather than guessed.
 */
function revokedSuccessors(all: Technique[], active: Technique[]): Map<string, Technique> {
  const byName = new Map<string, Technique[]>();
  for (const t of active) push(byName, t.shortName.toLowerCase(), t);
  const out = new Map<string, Technique>();
  for (const t of all) {
    if (!t.revoked) continue;
    const candidates = byName.get(t.shortName.toLowerCase()) ?? [];
    const fitting = candidates.length > 1 ? candidates.filter((c) => c.tactics.some((x) => t.tactics.includes(x))) : candidates;
    if (fitting.length === 1) out.set(t.id, fitting[0] as Technique);
  }
  return out;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const at = m.get(k);
  if (at === undefined) m.set(k, [v]);
  else at.push(v);
}

function byId(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
