/** Feodo Tracker IP blocklist CSV: first_seen_utc, dst_ip, dst_port, c2_status, last_online, malware. */
import type { SightingRecord } from '../../model.ts';
import { abusechRows } from './abusech-csv.ts';
import { toIndicator } from './indicator.ts';
import { toIsoDate } from './text.ts';
import type { ByteSource, ParseContext } from './types.ts';

const HEADER = ['first_seen_utc', 'dst_ip', 'dst_port', 'c2_status', 'last_online', 'malware'];

export function feodoRecord(ip: string | null, fields: { port: unknown; status: unknown; firstSeen: unknown; lastOnline: unknown; malware: unknown; extra?: Record<string, unknown> }): SightingRecord | string {
  if (ip === null) return 'no ip';
  const ind = toIndicator(ip);
  if (!ind.ok) return ind.reason;
  if (ind.type !== 'ipv4' && ind.type !== 'ipv6') return `not an IP address (${ind.type})`;
  const attributes: Record<string, unknown> = { ...fields.extra };
  const port = Number(fields.port);
  if (Number.isInteger(port) && port > 0 && port < 65536) attributes.port = port;
  if (typeof fields.status === 'string' && fields.status !== '') attributes.status = fields.status;
  const malware = typeof fields.malware === 'string' && fields.malware.trim() !== '' ? fields.malware.trim() : null;
  return {
    type: ind.type,
    value: ind.value,
    firstSeen: toIsoDate(fields.firstSeen),
    lastSeen: toIsoDate(fields.lastOnline),
    threatType: 'botnet_cc',
    malwareFamily: malware,
    tags: [],
    referenceUrl: `https://feodotracker.abuse.ch/browse/host/${ind.value}/`,
    attributes,
  };
}

export async function* parseFeodoTrackerCsv(input: ByteSource, ctx: ParseContext): AsyncIterable<SightingRecord> {
  for await (const row of abusechRows(input, 'dst_ip', HEADER)) {
    const rec = feodoRecord(row.get('dst_ip'), {
      port: row.get('dst_port'),
      status: row.get('c2_status'),
      firstSeen: row.get('first_seen_utc'),
      lastOnline: row.get('last_online'),
      malware: row.get('malware'),
    });
    if (typeof rec === 'string') ctx.tally.reject(row.raw, rec);
    else yield rec;
  }
}
