/**
 * MISP events as MISP feeds serve them (`<uuid>.json` = `{"Event": {…}}`; a REST export's
 * `{"response": [{"Event": …}]}` is accepted too). Attributes and object attributes become
 * indicators; `to_ids: false` ones are skipped unless `options.includeNonIds` is true.
 *
 * Every record of one event carries the event as its report (`report_id` = the event uuid,
 * `report_name`, `report_date`, `author`, `threat_level`, `tlp`) and the attribute as its entry
 * (`entry_id` = the attribute uuid, `category`, `comment`, `misp_type`, `misp_object`, `to_ids`,
 * and the other half of a composite value as `port`, `ip`, `hostname` or `file_name`).
 * Dates are MISP's own: first seen is the attribute's (or its object's) `first_seen`, else the
 * event's `date`, else the attribute's `timestamp`; last seen is the attribute's (or object's)
 * `last_seen`, else its `timestamp`, else the event's `publish_timestamp` and `timestamp`.
 * Tags of the event and the attribute are kept, galaxy clusters become tags, ATT&CK galaxies
 * become attackIds, malware and tool galaxies give the family.
 */
import type { SightingRecord, ThreatType } from '../../model.ts';
import type { StoredType } from '../../indicators/types.ts';
import { mapThreat, MISP_CATEGORIES } from '../threat-types.ts';
import { looksLikeOf, toIndicator } from './indicator.ts';
import { isRecord, jsonCapOf, readJson, str, toIsoDate } from './text.ts';
import { FeedParseError, type ByteSource, type ParseContext } from './types.ts';

/** MISP attribute type → stored type (null: detect, for ip-src/ip-dst that may be v4, v6 or a range). */
const MISP_TYPES: Readonly<Record<string, StoredType | null>> = {
  'ip-src': null,
  'ip-dst': null,
  domain: 'domain',
  hostname: 'domain',
  url: 'url',
  uri: 'url',
  md5: 'md5',
  sha1: 'sha1',
  sha256: 'sha256',
  sha512: 'sha512',
  'email-src': 'email',
  'email-dst': 'email',
  email: 'email',
  vulnerability: 'cve',
};
/** Composite types `a|b`: which part holds the indicator, and the details key of the other part. */
const MISP_COMPOSITE: Readonly<Record<string, { index: number; type: StoredType | null; other: 'port' | 'ip' | 'file_name' }>> = {
  'ip-dst|port': { index: 0, type: null, other: 'port' },
  'ip-src|port': { index: 0, type: null, other: 'port' },
  'domain|ip': { index: 0, type: 'domain', other: 'ip' },
  'hostname|port': { index: 0, type: 'domain', other: 'port' },
  'filename|md5': { index: 1, type: 'md5', other: 'file_name' },
  'filename|sha1': { index: 1, type: 'sha1', other: 'file_name' },
  'filename|sha256': { index: 1, type: 'sha256', other: 'file_name' },
  'filename|sha512': { index: 1, type: 'sha512', other: 'file_name' },
};
/** MISP threat_level_id. */
const THREAT_LEVELS: Readonly<Record<string, string>> = { '1': 'high', '2': 'medium', '3': 'low', '4': 'undefined' };

/** `misp-galaxy:mitre-attack-pattern="Phishing - T1566"` and the older per-matrix galaxies. */
const ATTACK_TAG = /^misp-galaxy:mitre-(?:(?:enterprise|mobile|pre)-attack-)?attack-pattern="[^"]*?\b(T\d{4}(?:\.\d{3})?)"$/;
/** Galaxies whose clusters name a malware family or tool. */
const FAMILY_GALAXIES = [
  'malpedia',
  'mitre-malware',
  'mitre-tool',
  'mitre-enterprise-attack-malware',
  'mitre-enterprise-attack-tool',
  'mitre-mobile-attack-malware',
  'mitre-mobile-attack-tool',
  'tool',
  'backdoor',
  'ransomware',
  'rat',
  'banker',
  'botnet',
  'stealer',
  'android',
  'exploit-kit',
] as const;
const FAMILY_TAG = new RegExp(`^misp-galaxy:(?:${FAMILY_GALAXIES.join('|')})="([^"]+?)(?: - S\\d{4})?"$`);
/** `tlp:amber+strict`, and namespaced forms such as `cert-fr:TLP="clear"`. */
const TLP_TAG = /^(?:tlp:([a-z+-]+)|[\w-]+:tlp="([a-z+-]+)")$/i;

interface TagFacts {
  tags: string[];
  attackIds: string[];
  family: string | null;
  tlp: string | null;
}

interface EventContext extends TagFacts {
  threatType: ThreatType | null;
  reference: string | null;
  /** The report details every record of the event carries. */
  report: Readonly<Record<string, unknown>>;
  date: string | null;
  published: string | null;
  modified: string | null;
}

/** The names of a holder's tags and of its galaxy clusters (as their machine tags). */
function tagNames(holder: Record<string, unknown>): string[] {
  const out: string[] = [];
  if (Array.isArray(holder.Tag)) for (const t of holder.Tag) if (isRecord(t) && typeof t.name === 'string') out.push(t.name);
  if (Array.isArray(holder.Galaxy)) {
    for (const g of holder.Galaxy) {
      if (!isRecord(g) || !Array.isArray(g.GalaxyCluster)) continue;
      for (const c of g.GalaxyCluster) {
        if (!isRecord(c)) continue;
        if (typeof c.tag_name === 'string') out.push(c.tag_name);
        // an export may leave tag_name out; the cluster's galaxy type and value make the same tag
        else if (typeof g.type === 'string' && typeof c.value === 'string') out.push(`misp-galaxy:${g.type}="${c.value}"`);
      }
    }
  }
  return out;
}

function readTags(names: string[]): TagFacts {
  const attackIds: string[] = [];
  let family: string | null = null;
  let tlp: string | null = null;
  for (const n of names) {
    const a = ATTACK_TAG.exec(n);
    if (a?.[1]) attackIds.push(a[1]);
    const f = FAMILY_TAG.exec(n);
    if (f?.[1] && family === null) family = f[1];
    const t = TLP_TAG.exec(n);
    if (t && tlp === null) tlp = (t[1] ?? t[2] ?? '').toLowerCase();
  }
  return { tags: [...new Set(names)], attackIds: [...new Set(attackIds)], family, tlp };
}

function events(doc: unknown): Record<string, unknown>[] {
  if (isRecord(doc) && isRecord(doc.Event)) return [doc.Event];
  if (isRecord(doc) && Array.isArray(doc.response)) return doc.response.flatMap((r) => (isRecord(r) && isRecord(r.Event) ? [r.Event] : []));
  if (Array.isArray(doc)) return doc.flatMap((r) => (isRecord(r) && isRecord(r.Event) ? [r.Event] : []));
  // PyMISP writes events without the wrapper too
  if (isRecord(doc) && (Array.isArray(doc.Attribute) || Array.isArray(doc.Object))) return [doc];
  if (isManifest(doc)) throw new FeedParseError('MISP: this is a MISP feed\'s manifest.json, which lists events and holds none: pass the folder of the feed, with manifest.json and its <uuid>.json event files');
  throw new FeedParseError('MISP: no "Event" in the document');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A feed's manifest: event summaries (info, timestamp, …) keyed by event uuid. */
function isManifest(doc: unknown): boolean {
  if (!isRecord(doc)) return false;
  const entries = Object.entries(doc).slice(0, 20);
  return entries.length > 0 && entries.every(([k, v]) => UUID.test(k) && isRecord(v) && ('info' in v || 'timestamp' in v));
}

/** What an object says about its attributes as a whole: its name, dates, and sibling values. */
interface ObjectContext {
  name: string | null;
  firstSeen: string | null;
  lastSeen: string | null;
  /** The first value of each sibling kind: a file object's filename, a port, an address, a host. */
  fileName: string | null;
  port: number | null;
  ip: string | null;
  hostname: string | null;
}

const PORT = /^\d{1,5}$/;

function portOf(v: string): number | null {
  if (!PORT.test(v)) return null;
  const n = Number(v);
  return n > 0 && n < 65536 ? n : null;
}

function objectContext(o: Record<string, unknown>, attrs: unknown[]): ObjectContext {
  const ctx: ObjectContext = { name: str(o.name), firstSeen: toIsoDate(o.first_seen), lastSeen: toIsoDate(o.last_seen), fileName: null, port: null, ip: null, hostname: null };
  for (const a of attrs) {
    if (!isRecord(a)) continue;
    const type = str(a.type);
    const value = str(a.value);
    if (type === null || value === null) continue;
    if (type === 'filename') ctx.fileName ??= value;
    else if (type === 'port') ctx.port ??= portOf(value);
    else if (type === 'ip-dst' || type === 'ip-src') ctx.ip ??= value;
    else if (type === 'domain' || type === 'hostname') ctx.hostname ??= value;
  }
  return ctx;
}

function attributeRecord(a: Record<string, unknown>, ev: EventContext, ctx: ParseContext, obj: ObjectContext | null): SightingRecord | null {
  const mispType = str(a.type);
  const rawValue = str(a.value);
  if (mispType === null || rawValue === null) {
    ctx.tally.reject(JSON.stringify(a), 'attribute without type or value');
    return null;
  }
  if (a.deleted === true) return null;
  const includeNonIds = ctx.options.includeNonIds === true;
  if (a.to_ids === false && !includeNonIds) return null;
  let raw = rawValue;
  let type: StoredType | null | undefined = MISP_TYPES[mispType];
  const attributes: Record<string, unknown> = { ...ev.report };
  const composite = MISP_COMPOSITE[mispType];
  let other: string | undefined;
  if (composite) {
    const parts = rawValue.split('|');
    raw = parts[composite.index] ?? '';
    other = parts[1 - composite.index];
    type = composite.type;
  } else if (type === undefined) {
    return null; // filenames, registry keys, comments: not indicators Verdict stores
  }
  const ind = toIndicator(raw, type);
  if (!ind.ok) {
    ctx.tally.reject(`${mispType} ${rawValue}`, ind.reason, looksLikeOf(raw));
    return null;
  }
  const entry = str(a.uuid);
  if (entry !== null) attributes.entry_id = entry;
  const category = str(a.category);
  if (category !== null) attributes.category = category;
  const comment = str(a.comment);
  if (comment !== null) attributes.comment = comment;
  attributes.misp_type = mispType;
  if (obj?.name) attributes.misp_object = obj.name;
  attributes.to_ids = a.to_ids === true;
  if (composite && other !== undefined && other !== '') {
    if (composite.other !== 'port') attributes[composite.other] = other;
    else if (portOf(other) !== null) attributes.port = portOf(other);
  }
  if (obj !== null) {
    const isHash = ind.type === 'md5' || ind.type === 'sha1' || ind.type === 'sha256' || ind.type === 'sha512';
    const isIp = ind.type === 'ipv4' || ind.type === 'ipv6';
    if (isHash && obj.fileName !== null) attributes.file_name ??= obj.fileName;
    if ((isIp || ind.type === 'domain') && obj.port !== null) attributes.port ??= obj.port;
    if (ind.type === 'domain' && obj.ip !== null) attributes.ip ??= obj.ip;
    if (isIp && obj.hostname !== null) attributes.hostname ??= obj.hostname;
  }
  const own = readTags(tagNames(a));
  const tlp = own.tlp ?? ev.tlp;
  if (tlp !== null) attributes.tlp = tlp;
  const stamp = toIsoDate(a.timestamp);
  return {
    type: ind.type,
    value: ind.value,
    firstSeen: toIsoDate(a.first_seen) ?? obj?.firstSeen ?? ev.date ?? stamp,
    lastSeen: toIsoDate(a.last_seen) ?? obj?.lastSeen ?? stamp ?? ev.published ?? ev.modified,
    threatType: mapThreat(MISP_CATEGORIES, category, ev.threatType),
    malwareFamily: own.family ?? ev.family,
    tags: [...new Set([...ev.tags, ...own.tags])],
    referenceUrl: ev.reference,
    attackIds: [...new Set([...ev.attackIds, ...own.attackIds])],
    attributes,
  };
}

/** The event as a report: what every record of it carries. */
function reportDetails(event: Record<string, unknown>, date: string | null): Record<string, unknown> {
  const report: Record<string, unknown> = {};
  const uuid = str(event.uuid);
  if (uuid !== null) {
    report.report_id = uuid;
    report.report_type = 'misp-event';
  }
  const info = str(event.info);
  if (info !== null) report.report_name = info;
  if (date !== null) report.report_date = date;
  const author = isRecord(event.Orgc) ? str(event.Orgc.name) : null;
  if (author !== null) report.author = author;
  const level = THREAT_LEVELS[str(event.threat_level_id) ?? ''];
  if (level !== undefined) report.threat_level = level;
  return report;
}

/** Records of one MISP event object (already parsed JSON). */
export function* mispEventRecords(event: Record<string, unknown>, ctx: ParseContext): Iterable<SightingRecord> {
  const t = readTags(tagNames(event));
  const attrs = Array.isArray(event.Attribute) ? event.Attribute : [];
  const objects = Array.isArray(event.Object) ? event.Object : [];
  const link = attrs.find((a) => isRecord(a) && a.type === 'link' && typeof a.value === 'string');
  const date = toIsoDate(event.date);
  const ev: EventContext = {
    ...t,
    threatType: null,
    reference: typeof ctx.options.eventUrlBase === 'string' && typeof event.uuid === 'string'
      ? `${ctx.options.eventUrlBase}${event.uuid}`
      : isRecord(link) ? str(link.value) : null,
    report: reportDetails(event, date),
    date,
    // an unpublished event has publish_timestamp "0", which is no date
    published: toIsoDate(event.publish_timestamp),
    modified: toIsoDate(event.timestamp),
  };
  for (const a of attrs) {
    if (!isRecord(a)) continue;
    const r = attributeRecord(a, ev, ctx, null);
    if (r) yield r;
  }
  for (const o of objects) {
    if (!isRecord(o) || !Array.isArray(o.Attribute)) continue;
    const obj = objectContext(o, o.Attribute);
    for (const a of o.Attribute) {
      if (!isRecord(a)) continue;
      const r = attributeRecord(a, ev, ctx, obj);
      if (r) yield r;
    }
  }
}

export async function* parseMispEvent(input: ByteSource, ctx: ParseContext): AsyncIterable<SightingRecord> {
  const doc = await readJson(input, 'MISP event', jsonCapOf(ctx.options));
  for (const ev of events(doc)) yield* mispEventRecords(ev, ctx);
}

export interface MispManifestEntry {
  uuid: string;
  /** Unix seconds of the event's last change. */
  timestamp: number;
  info: string | null;
}

/** Reads a MISP feed `manifest.json`: `{ "<event uuid>": { info, timestamp, … } }`. */
export function readMispManifest(doc: unknown): MispManifestEntry[] {
  if (!isRecord(doc)) throw new FeedParseError('MISP manifest: expected a JSON object keyed by event uuid');
  const out: MispManifestEntry[] = [];
  for (const [uuid, meta] of Object.entries(doc)) {
    if (!/^[0-9a-f-]{36}$/i.test(uuid) || !isRecord(meta)) continue;
    out.push({ uuid, timestamp: Number(meta.timestamp) || 0, info: str(meta.info) });
  }
  return out;
}
