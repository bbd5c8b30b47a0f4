/** Feed catalog entries: what a feed is, where it lives, how to read it. */
import type { StoredType } from '../indicators/types.ts';
import type { FeedCategory, Reliability } from '../model.ts';
import type { IngestMode } from '../store/types.ts';

export const FEED_FORMATS = [
  'plain-list',
  'spamhaus-drop',
  'spamhaus-drop-ndjson',
  'spamhaus-asndrop',
  'cisa-kev',
  'urlhaus-csv',
  'threatfox-json',
  'feodotracker-json',
  'feodotracker-csv',
  'malwarebazaar-csv',
  'misp-feed',
  'stix-bundle',
  'taxii21',
  'csv-mapping',
  'jsonl-mapping',
  'otx',
  'phishtank-json',
  'rss',
] as const;
export type FeedFormat = (typeof FEED_FORMATS)[number];

/** The indicator types a format can carry at all (absent: any, as the entry's options decide). */
export const FORMAT_TYPES: Readonly<Partial<Record<FeedFormat, readonly StoredType[]>>> = {
  'spamhaus-drop': ['cidr'],
  'spamhaus-drop-ndjson': ['cidr'],
  'spamhaus-asndrop': ['asn'],
  'cisa-kev': ['cve'],
  'urlhaus-csv': ['url'],
  'threatfox-json': ['ipv4', 'ipv6', 'domain', 'url', 'md5', 'sha1', 'sha256'],
  'feodotracker-json': ['ipv4', 'ipv6'],
  'feodotracker-csv': ['ipv4', 'ipv6'],
  'malwarebazaar-csv': ['md5', 'sha1', 'sha256'],
  otx: ['ipv4', 'ipv6', 'cidr', 'domain', 'url', 'email', 'md5', 'sha1', 'sha256', 'cve'],
  'phishtank-json': ['url'],
  // report feeds: what a threat report names (ATT&CK ids are kept with the report, not as sightings)
  rss: ['ipv4', 'ipv6', 'cidr', 'domain', 'url', 'email', 'md5', 'sha1', 'sha256', 'sha512', 'cve', 'asn'],
};

export interface FeedDefinition {
  id: string;
  /** Shown as sources[].feed_name. */
  name: string;
  category: FeedCategory;
  reliability: Reliability;
  format: FeedFormat;
  url: string | null;
  /** Seconds between runs. */
  interval: number;
  mode: IngestMode;
  enabled: boolean;
  license: string;
  /** Internal feeds: what being listed means. */
  verdict?: 'allow' | 'deny';
  /**
   * The indicator types the feed may carry (an IP list only IPs, a URL feed only URLs); records
   * of any other type are refused, and a file made mostly of them fails as a whole. Absent: what
   * the format can carry.
   */
  types?: readonly StoredType[];
  /** Format options (plain-list default type/threat type, csv column mapping, TAXII collection, …). */
  options?: Record<string, unknown>;
}

/** Mutual exclusion for feed runs: in-process by default; a store shared across processes offers its own. */
export type { RunLock } from '../store/types.ts';
