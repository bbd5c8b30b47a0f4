/**
 * Domain records shared by every room: feeds produce SightingRecords, the store keeps Sightings,
 * the intelligence model turns Evidence into an Assessment, enrich builds the LookupResult.
 * Lists are defined once here; types are derived from them.
 */
import type { IndicatorType, StoredType } from './indicators/types.ts';
import type { NetworkAnswer } from './network/index.ts';

export const FEED_CATEGORIES = ['government', 'community', 'commercial', 'research', 'internal'] as const;
export type FeedCategory = (typeof FEED_CATEGORIES)[number];

/** Admiralty-style source reliability: A completely reliable … F cannot be judged. */
export const RELIABILITIES = ['A', 'B', 'C', 'D', 'E', 'F'] as const;
export type Reliability = (typeof RELIABILITIES)[number];

export const RISK_LEVELS = ['low', 'medium', 'high', 'critical'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

export const CONFIDENCE_LEVELS = ['low', 'medium', 'high'] as const;
export type ConfidenceLevel = (typeof CONFIDENCE_LEVELS)[number];

/**
 * Threat types as Verdict speaks them (feeds map their own vocabulary onto these).
 * `allowlisted`/`denylisted` come from internal feeds.
 */
export const THREAT_TYPES = [
  'botnet_cc',
  'payload_delivery',
  'payload',
  'phishing',
  'exploited_vulnerability',
  'scanner',
  'brute_force',
  'spam',
  'tor_exit',
  'compromised',
  'malicious_infrastructure',
  'hijacked_range',
  'malware',
  'suspicious',
  'allowlisted',
  'denylisted',
] as const;
export type ThreatType = (typeof THREAT_TYPES)[number];

/**
 * Where a sighting's dates came from: `feed` the entry's own dates, `file` the generation date a
 * list states in its header, `http` the server's Last-Modified, `fetched` the time Verdict fetched
 * or imported it (the source gave no date at all).
 */
export const DATE_SOURCES = ['feed', 'file', 'http', 'fetched'] as const;
export type DateSource = (typeof DATE_SOURCES)[number];

/** What a feed parser yields: one fact about one indicator, as the feed stated it. */
export interface SightingRecord {
  type: StoredType;
  /** Canonical value (normalized by src/indicators). */
  value: string;
  /**
   * RFC 3339, as the source states them. One stated date sets both; a record with neither takes
   * the run's fallback (the HTTP Last-Modified, else the fetch time).
   */
  firstSeen?: string | null;
  lastSeen?: string | null;
  /** Where the dates above came from; `feed` when absent and the record has a date. */
  dateSource?: DateSource | null;
  threatType?: ThreatType | null;
  malwareFamily?: string | null;
  tags?: string[];
  /** The feed's own confidence, 0–100, when it states one. */
  confidence?: number | null;
  referenceUrl?: string | null;
  /** ATT&CK ids stated by the source (STIX relationships, MISP galaxies, tags). */
  attackIds?: string[];
  /**
   * What the feed stated about the indicator besides the above, under the keys of the details
   * vocabulary (src/evidence/details.ts: port, status, report_id, sbl, …); a KEV entry is kept
   * verbatim in KEV's own field names. JSON-safe.
   */
  attributes?: Record<string, unknown>;
}

/** A stored sighting: (indicator, feed) with its history. */
export interface Sighting {
  type: StoredType;
  value: string;
  feedId: string;
  firstSeen: string;
  lastSeen: string;
  /** Where the dates came from; null for sightings stored before Verdict recorded it. */
  dateSource: DateSource | null;
  threatType: ThreatType | null;
  malwareFamily: string | null;
  tags: string[];
  confidence: number | null;
  referenceUrl: string | null;
  attackIds: string[];
  attributes: Record<string, unknown>;
  /** False once a snapshot feed stopped listing it (history is kept). */
  listed: boolean;
  /** Last time a run of the feed confirmed this sighting (RFC 3339). */
  updatedAt: string;
}

/** What a lookup needs to know about a feed; comes from the catalog. */
export interface FeedInfo {
  id: string;
  name: string;
  category: FeedCategory;
  reliability: Reliability;
  /** Internal feeds only: what a sighting on this feed means. */
  verdict?: 'allow' | 'deny';
}

export interface EvidenceSighting extends Sighting {
  feed: FeedInfo;
}

/**
 * How evidence on something else bears on the indicator: the CIDR range holding an IP, a parent
 * domain, the host of a URL, the AS announcing an IP (from the network table).
 */
export const CONTEXT_RELATIONS = ['range', 'host', 'parent_domain', 'asn'] as const;
export type ContextRelation = (typeof CONTEXT_RELATIONS)[number];

/** A sighting of something that contains or describes the indicator. */
export interface ContextSighting extends EvidenceSighting {
  relation: ContextRelation;
}

export interface Override {
  type: IndicatorType;
  value: string;
  verdict: 'allow' | 'deny';
  reason: string;
  createdAt: string;
  createdBy: string | null;
}

/** Everything known about one indicator, gathered by enrich for the intelligence model. */
export interface Evidence {
  type: IndicatorType;
  value: string;
  sightings: EvidenceSighting[];
  context: ContextSighting[];
  override: Override | null;
}

export interface RiskFactor {
  /** Machine-readable kind: `sighting`, `decay`, `corroboration`, `warninglist`, `override`, `context`, … */
  kind: string;
  /** One sentence for a person. */
  description: string;
  /** Signed contribution to the 0–100 score, when it has one. */
  delta?: number;
  feed_id?: string;
  [extra: string]: unknown;
}

export interface MappedTechnique {
  id: string;
  name: string;
  /** How it was derived: `source`, `ctid`, `kev`, `threat_type`, `malware_family`, `lookup`. */
  derived_from: string;
  /**
   * Only for `ctid`: the Center for Threat-Informed Defense's mapping type, `exploitation_technique`,
   * `primary_impact`, `secondary_impact` or `uncategorized`.
   */
  mapping_type?: string;
}

export interface WarninglistHit {
  id: string;
  name: string;
}

/** The intelligence model's answer for one indicator (everything but sources and hunting queries). */
export interface Assessment {
  risk: { score: number; level: RiskLevel; factors: RiskFactor[] };
  confidence: ConfidenceLevel;
  techniques: MappedTechnique[];
  threatTypes: string[];
  malwareFamilies: string[];
  tags: string[];
  warninglists: WarninglistHit[];
  related: Record<string, unknown>;
  /** Known to Verdict's reference data without any feed sighting (an ATT&CK id in the catalog). */
  knownReference?: boolean;
}

/** Pure: evidence and time in, assessment out. Implemented in src/scoring + src/attack. */
export interface Intelligence {
  assess(evidence: Evidence, now: Date): Assessment;
  /** The AS, range and country of a canonical IPv4 or IPv6 address (offline tables); null for anything else. */
  network?(ip: string): NetworkAnswer | null;
  /** Reads and compiles now what would otherwise be read on first use (reference data, warning lists). */
  warm?(): void;
  /** The same in small steps between other work (a server that is already answering). */
  warmSoon?(): Promise<void>;
}

export const HUNTING_PLATFORMS = ['splunk', 'splunk_tstats', 'kql', 'sigma', 'esql'] as const;
export type HuntingPlatform = (typeof HUNTING_PLATFORMS)[number];

export interface HuntingInput {
  type: IndicatorType;
  value: string;
  level: RiskLevel;
  techniques: string[];
  /** Free words for rule titles/descriptions (threat types, families). */
  context?: { threatTypes?: string[]; malwareFamilies?: string[]; references?: string[] };
}

/**
 * The JSON text of a HuntingQueries record, as its builder made it from pre-escaped templates:
 * answers are serialized with it (src/lookup-json.ts) instead of escaping every query again.
 * Non-enumerable: JSON.stringify, spreads and copies leave it behind, so a changed copy never
 * carries stale text.
 */
export const QUERIES_JSON: unique symbol = Symbol('hunting queries as JSON');

/** Queries by platform, each present platform with its query. */
export type HuntingQueries = { readonly [P in HuntingPlatform]?: string } & { readonly [QUERIES_JSON]?: string };

/** Builds ready-to-paste queries. Implemented in src/hunting. */
export interface HuntingQueryBuilder {
  build(input: HuntingInput, platforms?: readonly HuntingPlatform[]): HuntingQueries;
}
