/**
 * MISP events as MISP feeds serve them (`<uuid>.json` = `{"Event": {…}}`; a REST export's
 * `{"response": [{"Event": …}]}` is accepted too). Attributes and object attributes become
 * indicators; `to_ids: false` ones are skipped unless `options.includeNonIds` is true. Event and
 * attribute tags are kept; galaxy clusters become tags; ATT&CK galaxy tags become attackIds.
 */
import type { SightingRecord, ThreatType } from '../../model.ts';
import type { StoredType } from '../../indicators/types.ts';
import { mapThreat, MISP_CATEGORIES } from '../threat-types.ts';
import { toIndicator } from './indicator.ts';
import { isRecord, readJson, str, toIsoDate } from './text.ts';
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
/** Composite types `a|b`: which part holds the indicator and what the other part is called. */
const MISP_COMPOSITE: Readonly<Record<string, { index: number; type: StoredType | null; other: string }>> = {
  'ip-dst|port': { index: 0, type: null, other: 'port' },
  'ip-src|port': { index: 0, type: null, other: 'port' },
  'domain|ip': { index: 0, type: 'domain', other: 'ip' },
  'hostname|port': { index: 0, type: 'domain', other: 'port' },
  'filename|md5': { index: 1, type: 'md5', other: 'filename' },
  'filename|sha1': { index: 1, type: 'sha1', other: 'filename' },
  'filename|sha256': { index: 1, type: 'sha256', other: 'filename' },
  'filename|sha512': { index: 1, type: 'sha512', other: 'filename' },
};
const ATTACK_TAG = /^misp-galaxy:mitre-(?:enterprise-|mobile-|pre-)?attack-pattern="[^"]*?\b((?:T\d{4}(?:\.\d{3})?))"$/;
const FAMILY_TAG = /^misp-galaxy:(?:malpedia|mitre-malware|mitre-tool|ransomware|rat|banker|botnet|stealer)="([^"]+?)(?: - S\d{4})?"$/;

interface EventContext {
  tags: string[];
  attackIds: string[];
  family: string | null;
  threatType: ThreatType | null;
  reference: string | null;
  eventUuid: string | null;
  eventInfo: string | null;
  eventDate: string | null;
}

function tagNames(holder: Record<string, unknown>): string[] {
  const out: string[] = [];
  if (Array.isArray(holder.Tag)) for (const t of holder.Tag) if (isRecord(t) && typeof t.name === 'string') out.push(t.name);
  if (Array.isArray(holder.Galaxy)) {
    for (const g of holder.Galaxy) {
      if (!isRecord(g) || !Array.isArray(g.GalaxyCluster)) continue;
      for (const c of g.GalaxyCluster) if (isRecord(c) && typeof c.tag_name === 'string') out.push(c.tag_name);
    }
  }
  return out;
}

function readTags(names: string[]): { tags: string[]; attackIds: string[]; family: string | null } {
  const attackIds: string[] = [];
  let family: string | null = null;
  for (const n of names) {
    const a = ATTACK_TAG.exec(n);
    if (a?.[1]) attackIds.push(a[1]);
    const f = FAMILY_TAG.exec(n);
    if (f?.[1] && family === null) family = f[1];
  }
  return { tags: [...new Set(names)], attackIds: [...new Set(attackIds)], family };
}

function events(doc: unknown): Record<string, unknown>[] {
  if (isRecord(doc) && isRecord(doc.Event)) return [doc.Event];
  if (isRecord(doc) && Array.isArray(doc.response)) return doc.response.flatMap((r) => (isRecord(r) && isRecord(r.Event) ? [r.Event] : []));
  if (Array.isArray(doc)) return doc.flatMap((r) => (isRecord(r) && isRecord(r.Event) ? [r.Event] : []));
  // PyMISP writes events without the wrapper too
  if (isRecord(doc) && (Array.isArray(doc.Attribute) || Array.isArray(doc.Object))) return [doc];
  throw new FeedParseError('MISP: no "Event" in the document');
}

function attributeRecord(a: Record<string, unknown>, ev: EventContext, ctx: ParseContext, objectName: string | null): SightingRecord | null {
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
  const attributes: Record<string, unknown> = { mispType };
  const composite = MISP_COMPOSITE[mispType];
  if (composite) {
    const parts = rawValue.split('|');
    raw = parts[composite.index] ?? '';
    const other = parts[1 - composite.index];
    if (other !== undefined && other !== '') attributes[composite.other] = composite.other === 'port' && /^\d+$/.test(other) ? Number(other) : other;
    type = composite.type;
  } else if (type === undefined) {
    return null; // filenames, registry keys, comments: not indicators Verdict stores
  }
  const ind = toIndicator(raw, type);
  if (!ind.ok) {
    ctx.tally.reject(`${mispType} ${rawValue}`, ind.reason);
    return null;
  }
  if (ev.eventUuid) attributes.eventUuid = ev.eventUuid;
  if (ev.eventInfo) attributes.eventInfo = ev.eventInfo;
  for (const k of ['uuid', 'category', 'comment'] as const) {
    const v = str(a[k]);
    if (v !== null) attributes[k === 'uuid' ? 'attributeUuid' : k] = v;
  }
  if (objectName) attributes.object = objectName;
  attributes.toIds = a.to_ids === true;
  const own = readTags(tagNames(a));
  return {
    type: ind.type,
    value: ind.value,
    firstSeen: toIsoDate(a.first_seen) ?? ev.eventDate ?? toIsoDate(a.timestamp),
    lastSeen: toIsoDate(a.last_seen),
    threatType: mapThreat(MISP_CATEGORIES, str(a.category), ev.threatType),
    malwareFamily: own.family ?? ev.family,
    tags: [...new Set([...ev.tags, ...own.tags])],
    referenceUrl: ev.reference,
    attackIds: [...new Set([...ev.attackIds, ...own.attackIds])],
    attributes,
  };
}

/** Records of one MISP event object (already parsed JSON). */
export function* mispEventRecords(event: Record<string, unknown>, ctx: ParseContext): Iterable<SightingRecord> {
  const t = readTags(tagNames(event));
  const attrs = Array.isArray(event.Attribute) ? event.Attribute : [];
  const objects = Array.isArray(event.Object) ? event.Object : [];
  const link = attrs.find((a) => isRecord(a) && a.type === 'link' && typeof a.value === 'string');
  const ev: EventContext = {
    tags: t.tags,
    attackIds: t.attackIds,
    family: t.family,
    threatType: null,
    reference: typeof ctx.options.eventUrlBase === 'string' && typeof event.uuid === 'string'
      ? `${ctx.options.eventUrlBase}${event.uuid}`
      : isRecord(link) ? str(link.value) : null,
    eventUuid: str(event.uuid),
    eventInfo: str(event.info),
    eventDate: toIsoDate(event.date),
  };
  for (const a of attrs) {
    if (!isRecord(a)) continue;
    const r = attributeRecord(a, ev, ctx, null);
    if (r) yield r;
  }
  for (const o of objects) {
    if (!isRecord(o) || !Array.isArray(o.Attribute)) continue;
    const name = str(o.name);
    for (const a of o.Attribute) {
      if (!isRecord(a)) continue;
      const r = attributeRecord(a, ev, ctx, name);
      if (r) yield r;
    }
  }
}

export async function* parseMispEvent(input: ByteSource, ctx: ParseContext): AsyncIterable<SightingRecord> {
  const doc = await readJson(input, 'MISP event');
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
