/**
 * The lookup use case: parse → gather evidence from the store → assess → hunt → the response of
 * API.md §4. The HTTP route and `verdict lookup` both call `lookup`; neither knows how it is built.
 */
import { getDomain } from './vendor/tldts.ts';
import { detailsOf } from './evidence/details.ts';
import { parseIndicator, type ParseResult } from './indicators/detect.ts';
import type { IndicatorType, StoredType } from './indicators/types.ts';
import type {
  Assessment,
  ContextSighting,
  DateSource,
  Evidence,
  EvidenceSighting,
  FeedInfo,
  HuntingPlatform,
  HuntingQueries,
  HuntingQueryBuilder,
  Intelligence,
  Override,
  Sighting,
} from './model.ts';
import type { NetworkAnswer } from './network/index.ts';
import type { Store } from './store/types.ts';
import type { LookupCache } from './cache/types.ts';

/** How a source's evidence matched the indicator: the value itself, or what contains it. */
export type SourceMatch = 'exact' | ContextSighting['relation'];

/** The seed fields first, in the seed's order, then the additional fields (API.md §4). */
export interface LookupSource {
  feed_name: string;
  category: string;
  first_seen: string;
  last_seen: string;
  threat_type: string | null;
  malware_family: string | null;
  confidence: number | null;
  reference_url: string | null;
  /** `exact`, or `range` / `host` / `parent_domain` / `asn` when the feed listed what contains the indicator. */
  match: SourceMatch;
  /** What the feed listed: the indicator itself, or the range, host, parent domain or AS number. */
  matched_value: string;
  /** Where the dates came from (`feed`, `file`, `http`, `fetched`); null for data stored before Verdict recorded it. */
  date_source: DateSource | null;
  /** False once a snapshot feed stopped listing it. */
  listed: boolean;
  /** What the feed stated besides (the details vocabulary: port, status, report_name, sbl, …). */
  details: Record<string, unknown>;
}

export interface LookupResponse {
  value: string;
  type: IndicatorType;
  risk_score: string;
  confidence: string;
  mitre_techniques: { id: string; name: string; derived_from: string; mapping_type?: string }[];
  hunting_queries: HuntingQueries;
  sources: LookupSource[];
  found: boolean;
  first_seen: string | null;
  last_seen: string | null;
  risk: { score: number; level: string; factors: Record<string, unknown>[] };
  threat_types: string[];
  malware_families: string[];
  tags: string[];
  warninglists: { id: string; name: string }[];
  related: Record<string, unknown>;
}

export type LookupOutcome =
  | { ok: true; result: LookupResponse }
  | { ok: false; problem: 'invalid_indicator'; expectedTypes: StoredType[]; reasons: { type: StoredType; reason: string }[] };

export interface LookupRequest {
  value: string;
  type?: IndicatorType;
  /** Extra hunting platforms besides the seed's `splunk` and `kql`. */
  platforms?: readonly HuntingPlatform[];
}

export interface EnrichDeps {
  store: Store;
  /** `refreshAt`: a catalog that labels feeds from the store's definitions too reads them again when the data version moves. */
  catalog: { info(id: string): FeedInfo | undefined; refreshAt?(dataVersion: number): Promise<number> };
  intel: Intelligence;
  hunting: HuntingQueryBuilder;
  cache: LookupCache | null;
  clock: () => Date;
}

export interface LookupOptions {
  /**
   * How long one reading of the store's data version serves cache lookups (ms; 0 reads it every
   * time). A feed run or override is then seen by cached lookups at most this much later.
   */
  versionWindowMs?: number;
  /** Monotonic milliseconds for that window; tests pass their own. */
  monotonicMs?: () => number;
}

/**
 * The store's data version, read at most once per window and shared by the requests in flight:
 * on PostgreSQL that saves a round trip per cached lookup, on SQLite a read transaction.
 */
export interface VersionWindow {
  /** The version, from this window's reading (read now if the window has passed). */
  read(): Promise<number>;
  /** This window's reading when it has already arrived; undefined otherwise (then call `read`). */
  fresh(): number | undefined;
  /** Ends the window now: this process changed the data (an override), so the next request reads the version again. */
  expire(): void;
}

export function windowedVersion(read: () => Promise<number>, windowMs: number, nowMs: () => number = () => performance.now()): VersionWindow {
  if (windowMs <= 0) return { read, fresh: () => undefined, expire: () => undefined };
  type Reading = { at: number; version: Promise<number>; value: number | undefined };
  let current: Reading | null = null;
  return {
    read() {
      const now = nowMs();
      if (current === null || now - current.at >= windowMs) {
        const version = read();
        const reading: Reading = { at: now, version, value: undefined };
        current = reading;
        version.then(
          (v) => {
            reading.value = v;
          },
          // a failed read is not kept: the next request asks again
          () => {
            if (current === reading) current = null;
          },
        );
      }
      return current.version;
    },
    fresh() {
      if (current === null || current.value === undefined || nowMs() - current.at >= windowMs) return undefined;
      return current.value;
    },
    expire() {
      current = null;
    },
  };
}

/** The seed's hunting queries are always present; callers may ask for more. */
const SEED_PLATFORMS: readonly HuntingPlatform[] = ['splunk', 'kql'];

/** Reports named in a lookup's related.reports, and other indicators of theirs in related.related_iocs, at most. */
export const RELATED_REPORTS = 10;
export const RELATED_IOCS = 50;

export function createLookup(deps: EnrichDeps, opts: LookupOptions = {}) {
  const parsedIndicators = new ParsedIndicators();
  const { refreshAt } = deps.catalog;
  // answers are computed and cached under a version; the feeds' labels are read at that version too
  const readVersion = refreshAt === undefined ? () => deps.store.dataVersion() : () => deps.store.dataVersion().then((v) => refreshAt.call(deps.catalog, v));
  const dataVersion = windowedVersion(readVersion, opts.versionWindowMs ?? 0, opts.monotonicMs);
  /**
   * Overrides are few (an analyst's decisions) and every change of them moves the data version:
   * one reading of them all serves every lookup under a version, instead of one query per lookup.
   * Past OVERRIDES_HELD of them, each lookup asks the store for its own.
   */
  let overridesAt: { version: number; byKey: Promise<Map<string, Override> | null> } | null = null;
  async function overrideOf(type: IndicatorType, value: string, version: number): Promise<Override | null> {
    if (overridesAt === null || overridesAt.version !== version) {
      const reading = { version, byKey: deps.store.overrides.list().then((list) => (list.length > OVERRIDES_HELD ? null : new Map(list.map((o) => [`${o.type}\u0000${o.value}`, o])))) };
      overridesAt = reading;
      // a failed reading is not kept: the next lookup asks again
      reading.byKey.catch(() => {
        if (overridesAt === reading) overridesAt = null;
      });
    }
    const byKey = await overridesAt.byKey;
    return byKey === null ? deps.store.overrides.get(type, value) : (byKey.get(`${type}\u0000${value}`) ?? null);
  }
  const feedInfo = (feedId: string): FeedInfo =>
    // a feed removed from the catalog still shows what it reported, as an internal source of unknown reliability
    deps.catalog.info(feedId) ?? { id: feedId, name: feedId, category: 'internal', reliability: 'F' };
  const withFeed = (s: Sighting): EvidenceSighting => evidenceOf(s, feedInfo(s.feedId));

  /**
   * What contains the indicator, most specific first. Every read is started before any is
   * awaited, so that they can share one read transaction (`readTogether`).
   */
  async function gatherContext(type: IndicatorType, value: string, network: NetworkAnswer | null): Promise<ContextSighting[]> {
    const { store } = deps;
    const planned = contextReads(type, value, network?.asn ?? null);
    if (planned.length === 0) return [];
    const reads = planned.map((r) => ('ip' in r ? store.rangesContaining(r.ip) : store.sightingsOf(r.type, r.value)));
    const relations = planned.map((r) => r.relation);
    const lists = await Promise.all(reads);
    const out: ContextSighting[] = [];
    for (let i = 0; i < lists.length; i++) {
      const relation = relations[i]!;
      for (const s of lists[i]!) {
        const c: EvidenceSighting & { relation?: ContextSighting['relation'] } = evidenceOf(s, feedInfo(s.feedId));
        c.relation = relation;
        out.push(c as ContextSighting);
      }
    }
    return out;
  }

  /**
   * The threat reports naming the indicator (up to RELATED_REPORTS, newest first) and the other
   * indicators those reports name (up to RELATED_IOCS): none when no report names it.
   */
  async function relatedReports(type: IndicatorType, value: string): Promise<Record<string, unknown>> {
    const reports = await deps.store.reports.mentioning(type, value, RELATED_REPORTS);
    if (reports.length === 0) return {};
    const iocs = new Map<string, { type: string; value: string; report_id: string }>();
    for (const r of reports) {
      for (const x of r.indicators) {
        if (iocs.size >= RELATED_IOCS) break;
        const key = `${x.type} ${x.value}`;
        if ((x.type !== type || x.value !== value) && !iocs.has(key)) iocs.set(key, { type: x.type, value: x.value, report_id: r.id });
      }
    }
    return {
      reports: reports.map((r) => ({ id: r.id, title: r.title, url: r.url, published: r.published, feed_id: r.feedId })),
      related_iocs: [...iocs.values()],
    };
  }

  async function compute(type: IndicatorType, value: string, override: Override | null, platforms: readonly HuntingPlatform[]): Promise<LookupResponse> {
    const now = deps.clock();
    // the address's AS, range and country, from the offline tables (docs/api.md, related.network)
    const network = type === 'ipv4' || type === 'ipv6' ? (deps.intel.network?.(value) ?? null) : null;
    // On SQLite every read of the lookup starts at once and they share one read transaction
    // instead of one each. Elsewhere (PostgreSQL: a round trip each, on pooled connections) they
    // go one after another: started together they cost 2–7 % more per lookup under load.
    const { store } = deps;
    const [own, context, reports] =
      store.readTogether === undefined
        ? [await store.sightingsOf(type, value), await gatherContext(type, value, network), await relatedReports(type, value)]
        : await store.readTogether(() => Promise.all([store.sightingsOf(type, value), gatherContext(type, value, network), relatedReports(type, value)]));
    const sightings = own.map(withFeed);
    const evidence: Evidence = { type, value, sightings, context, override };
    const assessment = deps.intel.assess(evidence, now);
    const hunting = deps.hunting.build(
      {
        type,
        value,
        level: assessment.risk.level,
        techniques: assessment.techniques.map((t) => t.id),
        context: {
          threatTypes: assessment.threatTypes,
          malwareFamilies: assessment.malwareFamilies,
          references: unique(sightings.map((s) => s.referenceUrl).filter((u): u is string => u !== null)),
        },
      },
      platforms,
    );
    // The assessment is this lookup's own: its related record is completed in place, in the
    // order the three would spread into a new one (spreading records of three shapes cost ~1 µs).
    const related = assessment.related;
    if (network !== null) related['network'] = network;
    for (const key in reports) related[key] = reports[key];
    return toResponse(type, value, sightings, context, assessment, related, hunting);
  }

  function invalid(parsed: Extract<ParsedLookup, { ok: false }>): LookupOutcome {
    return { ok: false, problem: 'invalid_indicator', expectedTypes: unique(parsed.tried.map((t) => t.type)), reasons: parsed.tried };
  }

  function platformsOf(extra: readonly HuntingPlatform[] | undefined): readonly HuntingPlatform[] {
    return extra === undefined || extra.length === 0 ? SEED_PLATFORMS : unique([...SEED_PLATFORMS, ...extra]);
  }

  /** The seed platforms' key is made once per parsed value; other platform sets are keyed here. */
  function cacheKeyOf(parsed: ParsedIndicator, platforms: readonly HuntingPlatform[]): string {
    return platforms === SEED_PLATFORMS ? parsed.seedCacheKey : lookupCacheKey(parsed.type, parsed.value, platforms);
  }

  return {
    /**
     * Whether results are kept (an in-process or shared cache): a result object handed out may
     * then come back for a later request, and work derived from it, like its JSON, is worth keeping.
     */
    caching: deps.cache !== null,

    /**
     * The store's data version results are computed and cached under (read at most once per
     * window): what keys anything derived from a result, like its analyst summary (src/llm).
     */
    dataVersion(): Promise<number> {
      const fresh = dataVersion.fresh();
      return fresh === undefined ? dataVersion.read() : Promise.resolve(fresh);
    },

    /**
     * This process has just changed the data (an analyst's override): the next lookup reads the
     * data version again instead of waiting out the window, so the change shows at once here (other
     * instances see it within the window).
     */
    dataChanged(): void {
      dataVersion.expire();
    },

    /**
     * The answer when it needs no I/O — an invalid value, or a result this process holds under
     * the data version already read in this window — else undefined (then call `lookup`). Most
     * repeated lookups end here without awaiting anything.
     */
    cached(req: LookupRequest): LookupOutcome | undefined {
      const parsed = parsedIndicators.parse(req.value, req.type);
      if (!parsed.ok) return invalid(parsed);
      if (deps.cache === null) return undefined;
      const version = dataVersion.fresh();
      if (version === undefined) return undefined;
      const hit = deps.cache.peek(cacheKeyOf(parsed, platformsOf(req.platforms)), version);
      return hit === undefined ? undefined : { ok: true, result: hit as LookupResponse };
    },

    async lookup(req: LookupRequest): Promise<LookupOutcome> {
      const parsed = parsedIndicators.parse(req.value, req.type);
      if (!parsed.ok) return invalid(parsed);
      return { ok: true, result: await answer(parsed, platformsOf(req.platforms)) };
    },

    /**
     * An indicator its caller has parsed already (`ParsedIndicators`): the bulk lookup parses
     * every value to plan its reads, and this spares parsing it a second time.
     */
    lookupParsed(parsed: ParsedIndicator, extraPlatforms?: readonly HuntingPlatform[]): Promise<LookupResponse> {
      return answer(parsed, platformsOf(extraPlatforms));
    },
  };

  async function answer(parsed: ParsedIndicator, platforms: readonly HuntingPlatform[]): Promise<LookupResponse> {
    const { type, value } = parsed;
    if (deps.cache === null) {
      const version = await dataVersion.read();
      return compute(type, value, await overrideOf(type, value, version), platforms);
    }
    // Ingest runs and override changes both bump the data version (the store contract tests it),
    // so an entry under the current version already reflects any override.
    const cacheKey = cacheKeyOf(parsed, platforms);
    const version = await dataVersion.read();
    const hit = await deps.cache.get(cacheKey, version);
    if (hit !== undefined) return hit as LookupResponse;
    const result = await compute(type, value, await overrideOf(type, value, version), platforms);
    await deps.cache.set(cacheKey, version, result);
    return result;
  }
}

export type Lookup = ReturnType<typeof createLookup>;

/** Overrides held in memory per data version (see overrideOf); more are read one by one. */
const OVERRIDES_HELD = 10_000;

function lookupCacheKey(type: IndicatorType, value: string, platforms: readonly HuntingPlatform[]): string {
  return `lookup:${type}:${value}:${platforms.join(',')}`;
}

/** A value parsed to its canonical form and type. */
export interface ParsedIndicator {
  readonly ok: true;
  readonly type: IndicatorType;
  readonly value: string;
  /** The cache key with the seed platforms only (made when first asked). */
  readonly seedCacheKey: string;
}

type ParsedLookup = ParsedIndicator | Extract<ParseResult, { ok: false }>;

/**
 * A parsed value whose cache key is made when a lookup first asks for it: a bulk call without a
 * cache never does, and a key made for each of its values would only be garbage (while parsed
 * values lived for a whole chunk, their keys were promoted to V8's old generation and piled up
 * there).
 */
class Parsed implements ParsedIndicator {
  readonly ok = true as const;
  #seedCacheKey: string | undefined;
  constructor(
    readonly type: IndicatorType,
    readonly value: string,
  ) {}
  get seedCacheKey(): string {
    return (this.#seedCacheKey ??= lookupCacheKey(this.type, this.value, SEED_PLATFORMS));
  }
}

/** A lookup's value parsed as `parseIndicator` parses it (no memo: see ParsedIndicators). */
export function parseLookupValue(raw: string, type?: IndicatorType): ParsedLookup {
  const parsed = parseIndicator(raw, type);
  // parseIndicator detects lookup types only, never cidr
  return parsed.ok ? new Parsed(parsed.type as IndicatorType, parsed.value) : parsed;
}

/** A value its caller parsed before (with `parseLookupValue`) and kept as its type and canonical text. */
export function parsedIndicator(type: IndicatorType, value: string): ParsedIndicator {
  return new Parsed(type, value);
}

/**
 * Parsed indicators by type hint and raw value: parsing is a pure function of the two, and the
 * values asked about repeat (a cached lookup otherwise spends a good part of its time re-parsing
 * the same value). Only successes are kept; past `maxEntries` the memo starts over, so its memory
 * stays bounded whatever values arrive.
 */
export class ParsedIndicators {
  readonly #byType = new Map<IndicatorType | undefined, Map<string, ParsedIndicator>>();
  #size = 0;
  constructor(readonly maxEntries = 1_000) {}

  parse(raw: string, type?: IndicatorType): ParsedLookup {
    let known = this.#byType.get(type);
    const hit = known?.get(raw);
    if (hit !== undefined) return hit;
    const entry = parseLookupValue(raw, type);
    if (!entry.ok) return entry;
    if (this.#size >= this.maxEntries) {
      this.#byType.clear();
      this.#size = 0;
      known = undefined;
    }
    if (known === undefined) {
      known = new Map();
      this.#byType.set(type, known);
    }
    known.set(raw, entry);
    this.#size += 1;
    return entry;
  }
}

/**
 * A sighting with its feed (fields in the order the stores make them), written out field by field: `{ ...s, feed }` cost ~1 µs a sighting
 * on Node 20 (a spread with a property added after it), some 40 times this. The type keeps the
 * list of fields complete.
 */
function evidenceOf(s: Sighting, feed: FeedInfo): EvidenceSighting {
  return {
    type: s.type,
    value: s.value,
    feedId: s.feedId,
    firstSeen: s.firstSeen,
    lastSeen: s.lastSeen,
    threatType: s.threatType,
    malwareFamily: s.malwareFamily,
    tags: s.tags,
    confidence: s.confidence,
    referenceUrl: s.referenceUrl,
    attackIds: s.attackIds,
    attributes: s.attributes,
    dateSource: s.dateSource,
    listed: s.listed,
    updatedAt: s.updatedAt,
    feed,
  };
}

function sourceOf(s: EvidenceSighting, match: SourceMatch): LookupSource {
  return {
    feed_name: s.feed.name,
    category: s.feed.category,
    first_seen: rfc3339(s.firstSeen),
    last_seen: rfc3339(s.lastSeen),
    threat_type: s.threatType,
    malware_family: s.malwareFamily,
    confidence: s.confidence,
    reference_url: s.referenceUrl,
    match,
    matched_value: s.value,
    date_source: s.dateSource,
    listed: s.listed,
    details: detailsOf(s.attributes, s.tags),
  };
}

const byFeedName = (x: EvidenceSighting, y: EvidenceSighting): number => (x.feed.name < y.feed.name ? -1 : x.feed.name > y.feed.name ? 1 : 0);

function toResponse(
  type: IndicatorType,
  value: string,
  sightings: EvidenceSighting[],
  context: ContextSighting[],
  a: Assessment,
  related: Record<string, unknown>,
  hunting: HuntingQueries,
): LookupResponse {
  // The indicator's own entries first (by feed name), then what contains it, most specific first:
  // a feed that lists a range, a URL's host or a parent domain reports every value inside it.
  const sources: LookupSource[] = [];
  for (const s of sightings.length > 1 ? [...sightings].sort(byFeedName) : sightings) sources.push(sourceOf(s, 'exact'));
  for (const c of context) sources.push(sourceOf(c, c.relation));
  // stored times all have milliseconds, so they compare as text (the API form drops `.000`)
  let first: string | undefined;
  let last: string | undefined;
  for (const list of [sightings, context]) {
    for (const s of list) {
      if (first === undefined || s.firstSeen < first) first = s.firstSeen;
      if (last === undefined || s.lastSeen > last) last = s.lastSeen;
    }
  }
  return {
    value,
    type,
    risk_score: a.risk.level,
    confidence: a.confidence,
    // the mapper's objects are the answer's shape, frozen and shared between answers
    mitre_techniques: a.techniques,
    // the builder's record as it is: it carries its JSON text (QUERIES_JSON)
    hunting_queries: hunting,
    sources,
    found: sources.length > 0 || a.knownReference === true,
    first_seen: first === undefined ? null : rfc3339(first),
    last_seen: last === undefined ? null : rfc3339(last),
    risk: { score: a.risk.score, level: a.risk.level, factors: a.risk.factors },
    threat_types: a.threatTypes,
    malware_families: a.malwareFamilies,
    tags: a.tags,
    warninglists: a.warninglists.map((w) => ({ id: w.id, name: w.name })),
    related,
  };
}

/** `a.b.evil.co.uk` → `b.evil.co.uk`, `evil.co.uk` (stops at the registrable domain). */
/** One read of the evidence about what contains an indicator: sightings of a value, or the ranges holding an address. */
export type ContextRead = { relation: ContextSighting['relation']; type: StoredType; value: string } | { relation: 'range'; ip: string };

/**
 * The context a lookup weighs for an indicator, in the order it weighs it: the ranges holding an
 * address and its AS (`asn`, from the network table; Spamhaus ASN-DROP lists whole ASes), a URL's
 * host with the host's parent domains or ranges, a domain's parent domains. The single lookup,
 * the bulk read-ahead and the catalogue's refresh all read these.
 */
export function contextReads(type: string, value: string, asn: string | null): ContextRead[] {
  const out: ContextRead[] = [];
  if (type === 'ipv4' || type === 'ipv6') {
    out.push({ relation: 'range', ip: value });
    if (asn !== null) out.push({ relation: 'asn', type: 'asn', value: asn });
  } else if (type === 'domain') {
    for (const parent of parentDomains(value)) out.push({ relation: 'parent_domain', type: 'domain', value: parent });
  } else if (type === 'url') {
    const host = urlHost(value);
    if (host !== null) {
      out.push({ relation: 'host', type: host.type, value: host.value });
      if (host.type === 'domain') for (const parent of parentDomains(host.value)) out.push({ relation: 'parent_domain', type: 'domain', value: parent });
      else out.push({ relation: 'range', ip: host.value });
    }
  }
  return out;
}

export function parentDomains(domain: string): string[] {
  const registrable = getDomain(domain, { allowPrivateDomains: false });
  if (registrable === null || registrable === domain) return [];
  const out: string[] = [];
  let rest = domain;
  while (rest !== registrable) {
    const dot = rest.indexOf('.');
    if (dot < 0) break;
    rest = rest.slice(dot + 1);
    out.push(rest);
  }
  return out;
}

/** WHATWG URL parsing has already turned any IPv4 host into dotted-decimal form. */
const IPV4_HOST = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** The host of a canonical URL, typed for a store lookup. */
export function urlHost(url: string): { type: 'domain' | 'ipv4' | 'ipv6'; value: string } | null {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return null;
  }
  if (host === '') return null;
  if (host.startsWith('[') && host.endsWith(']')) return { type: 'ipv6', value: host.slice(1, -1) };
  if (IPV4_HOST.test(host)) return { type: 'ipv4', value: host };
  return { type: 'domain', value: host };
}

const WHOLE_SECOND_MS = /\.000Z$/;
/** API times are RFC 3339 UTC to the second when nothing finer is known: `2026-11-30T12:00:00Z`. */
function rfc3339(t: string): string {
  return t.replace(WHOLE_SECOND_MS, 'Z');
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}
