/**
 * The intelligence model: warning lists, the risk model and the ATT&CK mapping combined into one
 * Assessment per indicator. Everything is loaded and compiled here, once; assess() is pure.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { getDomain } from './vendor/tldts.ts';
import type { Assessment, Evidence, EvidenceSighting, Intelligence, RiskFactor } from './model.ts';
import { createTechniqueMapper, describeAttackId, loadAttackCatalog, loadCtidMappings, loadMappingRules, type AttackCatalog } from './attack/index.ts';
import { parseScoringRules, scoreEvidence, ScoringRulesError, type ListedOn, type ScoringRules } from './scoring/index.ts';
import { hostOf, loadWarninglists, type WarninglistMatch, type Warninglists } from './warninglists/index.ts';
import { createNetworkContext } from './network/index.ts';
import { specialAsn } from './indicators/simple.ts';

export interface IntelligenceOptions {
  /** Folder holding scoring.json, attack/, warninglists/ and network/ (default: the shipped data/). */
  dataDir?: string;
}

/** Malpedia-style platform prefixes (`win.emotet`) dropped from family names ATT&CK does not know. */
const MALPEDIA_PREFIX = /^(?:win|elf|osx|apk|jar)\./i;

const DEFAULT_DATA_DIR = fileURLToPath(new URL('../data/', import.meta.url));

export function loadScoringRules(path: string): ScoringRules {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new ScoringRulesError(`cannot read ${path}: ${(cause as Error).message}`);
  }
  return parseScoringRules(raw);
}

/**
 * The scoring rules and the ATT&CK catalog are read now (every lookup needs them); the CTID
 * mappings on the first CVE, the network table on the first IP, and each kind of warning list on
 * the first value of that kind, so a command that looks up one indicator reads only what that
 * indicator needs. `warm()` reads everything at once (the server does, right after it starts
 * listening).
 */
export function createIntelligence(opts: IntelligenceOptions = {}): Intelligence & { readonly catalog: AttackCatalog; readonly rules: ScoringRules; readonly warninglists: Warninglists; network: NonNullable<Intelligence['network']>; warm(): void; warmSoon(): Promise<void> } {
  const dir = opts.dataDir ?? DEFAULT_DATA_DIR;
  const rules = loadScoringRules(join(dir, 'scoring.json'));
  const catalog = loadAttackCatalog(join(dir, 'attack'));
  const ctid = (): ReturnType<typeof loadCtidMappings> => loadCtidMappings(join(dir, 'attack', 'ctid-mappings'));
  const mapper = createTechniqueMapper(catalog, loadMappingRules(join(dir, 'attack')), ctid);
  const warninglists = loadWarninglists(join(dir, 'warninglists'));
  // the IP-to-AS and IP-to-country table (~20 MB), read on the first IP
  const network = createNetworkContext({ file: join(dir, 'network', 'ip-network.bin') });

  function assess(evidence: Evidence, now: Date): Assessment {
    if (evidence.type === 'mitre-attack') return assessAttackId(evidence, catalog);

    const host = hostOfIndicator(evidence.type, evidence.value);
    const hits = warninglists.match(evidence.type, evidence.value, evidence.type === 'url' ? host : undefined);
    const registrable = host === null ? null : getDomain(host, { allowPrivateDomains: true });
    const listed = hits.map((h) => listedOn(h, evidence, registrable, rules));
    const result = scoreEvidence({ type: evidence.type, sightings: evidence.sightings, context: evidence.context, override: evidence.override, warninglists: listed }, rules, now);

    const threatTypes = new Set<string>();
    // Family names keyed case-insensitively: the ATT&CK name when the family is known to ATT&CK.
    const families = new Map<string, string>();
    const software = new Map<string, { family: string; id: string; name: string }>();
    const tags = new Set<string>();
    const gather = (s: EvidenceSighting, own: boolean): void => {
      if (s.threatType !== null) threatTypes.add(s.threatType);
      const family = s.malwareFamily;
      if (family !== null && family !== '') {
        const sw = mapper.familySoftware(family);
        const name = sw?.name ?? family.trim().replace(MALPEDIA_PREFIX, '');
        const key = name.toLowerCase();
        if (name !== '' && !families.has(key)) families.set(key, name);
        if (own && sw !== null && !software.has(sw.id)) software.set(sw.id, { family, id: sw.id, name: sw.name });
      }
    };
    for (const s of evidence.sightings) {
      gather(s, true);
      for (const t of s.tags) {
        const tag = t.trim().toLowerCase();
        if (tag !== '') tags.add(tag);
      }
    }
    for (const s of evidence.context) gather(s, false);
    const related = relatedOf(evidence, host, registrable, mapper);
    if (software.size > 0) related['attack_software'] = [...software.values()];

    return {
      risk: { score: result.score, level: result.level, factors: result.factors },
      confidence: result.confidence,
      techniques: mapper.map(evidence.type, evidence.value, evidence.sightings),
      threatTypes: [...threatTypes],
      malwareFamilies: [...families.values()],
      tags: [...tags],
      warninglists: hits.map((h) => ({ id: h.id, name: h.name })),
      related,
    };
  }

  /** What would be read on first use, as steps of a few tens of milliseconds each. */
  const warmSteps = (): (() => void)[] => [
    ...warninglists.warmSteps(),
    // ATT&CK software and groups
    () => void catalog.counts,
    // the first CVE reads and checks the CTID files
    () => void mapper.map('cve', 'CVE-2021-44228', []),
    () => network.warm(),
  ];

  function warm(): void {
    for (const step of warmSteps()) step();
  }

  /** The same, one step per turn of the event loop: requests and log writes go on between steps. */
  async function warmSoon(): Promise<void> {
    for (const step of warmSteps()) {
      await new Promise((resolve) => setImmediate(resolve));
      step();
    }
  }

  return { assess, catalog, rules, warninglists, network: network.of, warm, warmSoon };
}

/**
 * The name whose registrable domain the indicator has (private suffixes such as duckdns.org count
 * as suffixes): the domain itself, a URL's host, an email's domain.
 */
function hostOfIndicator(type: string, value: string): string | null {
  let host: string | null = null;
  if (type === 'domain') host = value;
  else if (type === 'url') host = hostOf(value);
  else if (type === 'email') host = value.slice(value.lastIndexOf('@') + 1);
  return host === '' ? null : host;
}

/**
 * Whether a warning-list match may cap. A name list entry caps the name itself or its registrable
 * domain (www.google.com under google.com), never a separately registered name below a shared
 * platform (x.duckdns.org under duckdns.org); a URL's host does not vouch for the URL unless the rules say so.
 */
function listedOn(hit: WarninglistMatch, evidence: Evidence, registrable: string | null, rules: ScoringRules): ListedOn {
  if (hit.via === 'host' && !rules.warninglists.capUrlHosts) {
    return { id: hit.id, name: hit.name, canCap: false, note: 'a well-known host can still serve a malicious URL' };
  }
  if (hit.entry !== undefined && evidence.type === 'domain') {
    const entry = hit.entry.trim().toLowerCase().replace(/^\./, '').replace(/\.$/, '');
    const value = evidence.value.toLowerCase();
    if (entry !== value && entry !== registrable) {
      return { id: hit.id, name: hit.name, canCap: false, note: `the list names ${entry}, and ${value} is registered separately below it` };
    }
  }
  return { id: hit.id, name: hit.name, canCap: true };
}

function relatedOf(evidence: Evidence, host: string | null, registrable: string | null, mapper: ReturnType<typeof createTechniqueMapper>): Record<string, unknown> {
  const related: Record<string, unknown> = {};
  if (registrable !== null) related['registrable_domain'] = registrable;
  if (evidence.type === 'url' && host !== null) related['host'] = host;
  const ranges = evidence.context.filter((c) => c.relation === 'range');
  if (ranges.length > 0) related['ranges'] = ranges.map(rangeOf);
  const parents = evidence.context.filter((c) => c.relation !== 'range');
  if (parents.length > 0) {
    related['containing'] = parents.map((c) => ({ relation: c.relation, type: c.type, value: c.value, feed_id: c.feedId, feed_name: c.feed.name, threat_type: c.threatType }));
  }
  const kev = evidence.sightings.find(isKev);
  if (kev !== undefined) {
    related['kev'] = kev.attributes;
    related['kev_techniques'] = mapper.kevTechniques(kev.attributes).map((k) => ({ id: k.technique.id, name: k.technique.name, why: k.why }));
  }
  if (evidence.type === 'asn') {
    const special = specialAsn(evidence.value);
    if (special !== null) related['special_asn'] = special;
  }
  if (evidence.type === 'cve') {
    const mappings = mapper.attackMappings(evidence.value);
    if (mappings.length > 0) related['attack_mappings'] = mappings;
  }
  return related;
}

function rangeOf(c: EvidenceSighting): Record<string, unknown> {
  // The agreed key is `sbl`; the Spamhaus parser also writes `sblId`.
  const sbl = c.attributes['sbl'] ?? c.attributes['sblId'];
  return {
    range: c.value,
    feed_id: c.feedId,
    feed_name: c.feed.name,
    threat_type: c.threatType,
    ...(typeof sbl === 'string' ? { sbl } : {}),
    reference_url: c.referenceUrl,
    listed: c.listed,
  };
}

function isKev(s: EvidenceSighting): boolean {
  return s.type === 'cve' && (s.feedId === 'cisa-kev' || (s.threatType === 'exploited_vulnerability' && typeof s.attributes['vulnerabilityName'] === 'string'));
}

function assessAttackId(evidence: Evidence, catalog: AttackCatalog): Assessment {
  const d = describeAttackId(catalog, evidence.value);
  const factors: RiskFactor[] = [
    {
      kind: 'reference',
      description: d.found
        ? 'ATT&CK ids are reference data: they describe behaviour and carry no risk of their own.'
        : `${evidence.value} is not a current ATT&CK technique or tactic.`,
      delta: 0,
    },
  ];
  return {
    risk: { score: 0, level: 'low', factors },
    confidence: d.found ? 'high' : 'low',
    techniques: d.techniques,
    threatTypes: [],
    malwareFamilies: [],
    tags: [],
    warninglists: [],
    related: d.related,
    knownReference: d.found,
  };
}
