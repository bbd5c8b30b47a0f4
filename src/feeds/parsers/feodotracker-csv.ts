/**
 * Feodo Tracker IP blocklist CSV: first_seen_utc, dst_ip, dst_port, c2_status, last_online,
 * malware. `feodoRecord` is shared with the JSON blocklist, which names the same facts
 * differently and adds hostname, AS and country.
 */
import type { SightingRecord } from '../../model.ts';
import { abusechRows } from './abusech-csv.ts';
import { withFileDate } from './file-date.ts';
import { looksLikeOf, toIndicator } from './indicator.ts';
import { str, toIsoDate } from './text.ts';
import type { ByteSource, ParseContext } from './types.ts';

const HEADER = ['first_seen_utc', 'dst_ip', 'dst_port', 'c2_status', 'last_online', 'malware'];

export interface FeodoEntry {
  port: unknown;
  status: unknown;
  firstSeen: unknown;
  lastOnline: unknown;
  malware: unknown;
  hostname?: unknown;
  asn?: unknown;
  asName?: unknown;
  country?: unknown;
}

export type FeodoOutcome = SightingRecord | { reason: string; looksLike?: string };

const DAY = 10; // `YYYY-MM-DD`

/**
 * `last_online` is a day, `first_seen` a time: an entry first seen at 07:44 and last online
 * "that day" was last seen no earlier than 07:44, not at the day's midnight.
 */
function lastSeenOf(firstSeen: string | null, lastOnline: string | null): string | null {
  if (firstSeen === null || lastOnline === null || Date.parse(lastOnline) >= Date.parse(firstSeen)) return lastOnline;
  return lastOnline.slice(0, DAY) === firstSeen.slice(0, DAY) ? firstSeen : lastOnline;
}

export function feodoRecord(ip: string | null, e: FeodoEntry): FeodoOutcome {
  if (ip === null) return { reason: 'no ip' };
  const ind = toIndicator(ip);
  if (!ind.ok) return { reason: ind.reason, looksLike: looksLikeOf(ip) };
  if (ind.type !== 'ipv4' && ind.type !== 'ipv6') return { reason: `not an IP address (${ind.type})`, looksLike: ind.type };
  const firstSeen = toIsoDate(e.firstSeen);
  const lastOnline = toIsoDate(e.lastOnline);
  const attributes: Record<string, unknown> = {};
  const port = Number(e.port);
  if (e.port !== null && e.port !== '' && Number.isInteger(port) && port > 0 && port < 65536) attributes.port = port;
  const hostname = str(e.hostname);
  if (hostname !== null) attributes.hostname = hostname;
  const asn = Number(e.asn);
  if (e.asn !== null && e.asn !== undefined && e.asn !== '' && Number.isSafeInteger(asn) && asn > 0) attributes.asn = asn;
  const asName = str(e.asName);
  if (asName !== null) attributes.as_name = asName;
  const country = str(e.country);
  if (country !== null) attributes.country = country;
  const status = str(e.status);
  if (status !== null) attributes.status = status;
  if (lastOnline !== null) attributes.last_online = lastOnline;
  return {
    type: ind.type,
    value: ind.value,
    firstSeen,
    lastSeen: lastSeenOf(firstSeen, lastOnline),
    threatType: 'botnet_cc',
    malwareFamily: str(e.malware),
    tags: [],
    referenceUrl: `https://feodotracker.abuse.ch/browse/host/${ind.value}/`,
    attributes,
  };
}

export function isRefusal(o: FeodoOutcome): o is { reason: string; looksLike?: string } {
  return 'reason' in o;
}

export async function* parseFeodoTrackerCsv(input: ByteSource, ctx: ParseContext): AsyncIterable<SightingRecord> {
  for await (const row of abusechRows(input, 'dst_ip', HEADER)) {
    const ip = row.get('dst_ip');
    const rec = feodoRecord(ip, {
      port: row.get('dst_port'),
      status: row.get('c2_status'),
      firstSeen: row.get('first_seen_utc'),
      lastOnline: row.get('last_online'),
      malware: row.get('malware'),
    });
    if (isRefusal(rec)) ctx.tally.reject(row.raw, rec.reason, ip === null ? row.looksLike('dst_ip') : rec.looksLike);
    else yield withFileDate(rec, row.fileDate);
  }
}
