/**
 * Feodo Tracker IP blocklist JSON (`ipblocklist.json`): an array of {ip_address, port, status,
 * hostname, as_number, as_name, country, first_seen, last_online, malware}; `last_online` is
 * null for an entry never confirmed online.
 */
import type { SightingRecord } from '../../model.ts';
import { feodoRecord, isRefusal } from './feodotracker-csv.ts';
import { isRecord, jsonCapOf, readJson, str } from './text.ts';
import { FeedParseError, type ByteSource, type ParseContext } from './types.ts';

export async function* parseFeodoTrackerJson(input: ByteSource, ctx: ParseContext): AsyncIterable<SightingRecord> {
  const doc = await readJson(input, 'Feodo Tracker', jsonCapOf(ctx.options));
  if (!Array.isArray(doc)) throw new FeedParseError('Feodo Tracker: expected a JSON array');
  for (const entry of doc) {
    if (!isRecord(entry)) {
      ctx.tally.reject(JSON.stringify(entry), 'not an object', 'json');
      continue;
    }
    const rec = feodoRecord(str(entry.ip_address), {
      port: entry.port,
      status: entry.status,
      firstSeen: entry.first_seen ?? entry.first_seen_utc,
      lastOnline: entry.last_online,
      malware: entry.malware,
      hostname: entry.hostname,
      asn: entry.as_number,
      asName: entry.as_name,
      country: entry.country,
    });
    if (isRefusal(rec)) ctx.tally.reject(JSON.stringify(entry), rec.reason, rec.looksLike);
    else yield rec;
  }
}
