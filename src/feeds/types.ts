/** Feed catalog entries: what a feed is, where it lives, how to read it. */
import type { FeedCategory, Reliability } from '../model.ts';
import type { IngestMode } from '../store/types.ts';

export const FEED_FORMATS = [
  'plain-list',
  'spamhaus-drop',
  'spamhaus-drop-ndjson',
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
] as const;
export type FeedFormat = (typeof FEED_FORMATS)[number];

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
  /** Format options (plain-list default type/threat type, csv column mapping, TAXII collection, …). */
  options?: Record<string, unknown>;
}
