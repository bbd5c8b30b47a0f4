/**
 * ThreatFox JSON export: `{ "<ioc id>": [ { ioc_value, ioc_type, threat_type, malware,
 * malware_printable, first_seen_utc, last_seen_utc, confidence_level, reference, tags, … } ] }`.
 * `ip:port` values become the IP with the port in attributes; `first_seen_utc` is first seen and
 * `last_seen_utc` (null until ThreatFox sees the IOC again) last seen; the IOC id is `entry_id`.
 */
import type { SightingRecord } from '../../model.ts';
import type { StoredType } from '../../indicators/types.ts';
import { mapThreat, THREATFOX_THREAT_TYPES } from '../threat-types.ts';
import { looksLikeOf, toIndicator } from './indicator.ts';
import { isRecord, jsonCapOf, readJson, splitTags, str, toConfidence, toIsoDate } from './text.ts';
import { FeedParseError, type ByteSource, type ParseContext } from './types.ts';

const IOC_TYPES: Readonly<Record<string, StoredType>> = {
  'ip:port': 'ipv4',
  domain: 'domain',
  url: 'url',
  md5_hash: 'md5',
  sha1_hash: 'sha1',
  sha256_hash: 'sha256',
};
const IP_PORT = /^\[?([0-9a-f:.]+?)\]?:(\d{1,5})$/i;

function entries(doc: unknown): Array<[string, unknown]> {
  // the export is keyed by IOC id; the API's `{"data": [...]}` shape is accepted too
  if (isRecord(doc) && Array.isArray(doc.data)) return doc.data.map((e) => [isRecord(e) ? String(e.id ?? '') : '', e]);
  if (Array.isArray(doc)) return doc.map((e) => [isRecord(e) ? String(e.id ?? '') : '', e]);
  if (!isRecord(doc)) throw new FeedParseError('ThreatFox: expected a JSON object keyed by IOC id');
  const out: Array<[string, unknown]> = [];
  for (const [id, list] of Object.entries(doc)) {
    if (Array.isArray(list)) for (const e of list) out.push([id, e]);
    else out.push([id, list]);
  }
  return out;
}

export async function* parseThreatFoxJson(input: ByteSource, ctx: ParseContext): AsyncIterable<SightingRecord> {
  const doc = await readJson(input, 'ThreatFox', jsonCapOf(ctx.options));
  for (const [id, e] of entries(doc)) {
    if (!isRecord(e)) {
      ctx.tally.reject(JSON.stringify(e), 'not an object', 'json');
      continue;
    }
    const iocType = str(e.ioc_type);
    let raw = str(e.ioc_value ?? e.ioc);
    const type = iocType === null ? undefined : IOC_TYPES[iocType];
    if (raw === null || type === undefined) {
      ctx.tally.reject(JSON.stringify(e), raw === null ? 'no ioc_value' : `unknown ioc_type ${iocType}`);
      continue;
    }
    const attributes: Record<string, unknown> = {};
    if (id !== '') attributes.entry_id = id;
    if (iocType === 'ip:port') {
      const m = IP_PORT.exec(raw);
      if (m) {
        raw = m[1] ?? raw;
        attributes.port = Number(m[2]);
      }
    }
    const ind = toIndicator(raw, iocType === 'ip:port' ? (raw.includes(':') ? 'ipv6' : 'ipv4') : type);
    if (!ind.ok) {
      ctx.tally.reject(JSON.stringify(e), ind.reason, looksLikeOf(raw));
      continue;
    }
    for (const k of ['reporter', 'reference', 'malware_alias'] as const) {
      const v = str(e[k]);
      if (v !== null) attributes[k] = v;
    }
    yield {
      type: ind.type,
      value: ind.value,
      firstSeen: toIsoDate(e.first_seen_utc ?? e.first_seen),
      lastSeen: toIsoDate(e.last_seen_utc ?? e.last_seen),
      threatType: mapThreat(THREATFOX_THREAT_TYPES, str(e.threat_type), 'malicious_infrastructure'),
      malwareFamily: str(e.malware_printable) ?? str(e.malware),
      tags: splitTags(e.tags),
      confidence: toConfidence(e.confidence_level),
      referenceUrl: id !== '' ? `https://threatfox.abuse.ch/ioc/${id}/` : str(e.reference),
      attributes,
    };
  }
}
