/** Format → parser, as one table. `misp-feed`, `taxii21` and `otx` also have sources (a manifest, a paged API) in ../sources.ts. */
import type { FeedFormat } from '../types.ts';
import { parseCisaKev } from './cisa-kev.ts';
import { parseCsvMapping } from './csv-mapping.ts';
import { parseFeodoTrackerCsv } from './feodotracker-csv.ts';
import { parseFeodoTrackerJson } from './feodotracker-json.ts';
import { parseJsonlMapping } from './jsonl-mapping.ts';
import { parseMalwareBazaarCsv } from './malwarebazaar-csv.ts';
import { parseMispEvent } from './misp.ts';
import { parseOtxPulses } from './otx.ts';
import { parsePhishTankJson } from './phishtank.ts';
import { parsePlainList } from './plain-list.ts';
import { parseReportFeed } from './rss.ts';
import { parseSpamhausAsnDrop } from './spamhaus-asndrop.ts';
import { parseSpamhausDrop } from './spamhaus-drop.ts';
import { parseSpamhausDropNdjson } from './spamhaus-drop-ndjson.ts';
import { parseStixBundle } from './stix.ts';
import { parseThreatFoxJson } from './threatfox-json.ts';
import type { FeedParser } from './types.ts';
import { parseUrlhausCsv } from './urlhaus-csv.ts';

export const PARSERS: Readonly<Record<FeedFormat, FeedParser>> = {
  'plain-list': parsePlainList,
  'spamhaus-drop': parseSpamhausDrop,
  'spamhaus-drop-ndjson': parseSpamhausDropNdjson,
  'spamhaus-asndrop': parseSpamhausAsnDrop,
  'cisa-kev': parseCisaKev,
  'urlhaus-csv': parseUrlhausCsv,
  'threatfox-json': parseThreatFoxJson,
  'feodotracker-json': parseFeodoTrackerJson,
  'feodotracker-csv': parseFeodoTrackerCsv,
  'malwarebazaar-csv': parseMalwareBazaarCsv,
  'misp-feed': parseMispEvent,
  // a TAXII collection's objects arrive as pages of STIX objects; a saved bundle imports like STIX
  taxii21: parseStixBundle,
  'stix-bundle': parseStixBundle,
  'csv-mapping': parseCsvMapping,
  'jsonl-mapping': parseJsonlMapping,
  otx: parseOtxPulses,
  'phishtank-json': parsePhishTankJson,
  // a report feed's run fetches each entry's page (../reports/source.ts); this reads a saved feed alone
  rss: parseReportFeed,
};

export { FeedParseError, RejectTally, newContext } from './types.ts';
export type { ByteSource, FeedParser, ParseContext } from './types.ts';
