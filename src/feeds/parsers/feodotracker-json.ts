/** Feodo Tracker IP blocklist JSON: an array of {ip_address, port, status, hostname, as_number, as_name, country, first_seen, last_online, malware}. */
import type { SightingRecord } from '../../model.ts';
import { feodoRecord } from './feodotracker-csv.ts';
import { isRecord, readJson, str } from './text.ts';
import { FeedParseError, type ByteSource, type ParseContext } from './types.ts';

export async function* parseFeodoTrackerJson(input: ByteSource, ctx: ParseContext): AsyncIterable<SightingRecord> {
  const doc = await readJson(input, 'Feodo Tracker');
  if (!Array.isArray(doc)) throw new FeedParseError('Feodo Tracker: expected a JSON array');
  for (const entry of doc) {
    if (!isRecord(entry)) {
      ctx.tally.reject(JSON.stringify(entry), 'not an object');
      continue;
    }
    const extra: Record<string, unknown> = {};
    for (const k of ['hostname', 'as_number', 'as_name', 'country'] as const) if (entry[k] !== undefined && entry[k] !== null) extra[k] = entry[k];
    const rec = feodoRecord(str(entry.ip_address), {
      port: entry.port,
      status: entry.status,
      firstSeen: entry.first_seen,
      lastOnline: entry.last_online,
      malware: entry.malware,
      extra,
    });
    if (typeof rec === 'string') ctx.tally.reject(JSON.stringify(entry), rec);
    else yield rec;
  }
}
