/**
 * A MISP event in MISP's own JSON (`{"Event": {…}}`, as MISP's event import and feeds read it):
 * one MISP object per indicator holding its attribute (the category/type pair MISP's describe
 * types allow), `to_ids` when the verdict is worth detecting, the indicator's context in the
 * object's comment, TLP tags, and ATT&CK and malware galaxy clusters as tags (MISP attaches a
 * cluster for a `misp-galaxy:` tag it knows). Attribute and object uuids are derived from the
 * indicator (UUIDv5), so importing the same export twice adds nothing new.
 *
 * The event is written incrementally like the STIX bundle; its tags (which depend on every
 * indicator) are written after the objects, which MISP's JSON import does not mind.
 */
import { randomUUID } from 'node:crypto';
import { uuidV5 } from '../hunting/uuid.ts';
import type { StoredType } from '../indicators/types.ts';
import { itemTlp, stricterTlp, type TlpLevel } from './tlp.ts';
import { eachItem, type ExportItem, type ExportItems, type ExportOptions } from './types.ts';
import { STIX_NAMESPACE } from './stix.ts';

/** Verdict type → MISP object template, the attribute's object relation, MISP type and category. */
export const MISP_MAPPING: Readonly<Record<StoredType, { object: string; relation: string; type: string; category: string } | null>> = {
  ipv4: { object: 'ip-port', relation: 'ip', type: 'ip-dst', category: 'Network activity' },
  ipv6: { object: 'ip-port', relation: 'ip', type: 'ip-dst', category: 'Network activity' },
  cidr: { object: 'ip-port', relation: 'ip', type: 'ip-dst', category: 'Network activity' },
  domain: { object: 'domain-ip', relation: 'domain', type: 'domain', category: 'Network activity' },
  url: { object: 'url', relation: 'url', type: 'url', category: 'Network activity' },
  md5: { object: 'file', relation: 'md5', type: 'md5', category: 'Payload delivery' },
  sha1: { object: 'file', relation: 'sha1', type: 'sha1', category: 'Payload delivery' },
  sha256: { object: 'file', relation: 'sha256', type: 'sha256', category: 'Payload delivery' },
  sha512: { object: 'file', relation: 'sha512', type: 'sha512', category: 'Payload delivery' },
  email: { object: 'email', relation: 'from', type: 'email-src', category: 'Payload delivery' },
  cve: { object: 'vulnerability', relation: 'id', type: 'vulnerability', category: 'External analysis' },
  asn: { object: 'asn', relation: 'asn', type: 'AS', category: 'Network activity' },
  // an ATT&CK id is a galaxy cluster, not an attribute
  'mitre-attack': null,
};

/** The object templates' uuids and versions as MISP ships them (misp-objects). */
const TEMPLATES: Readonly<Record<string, { uuid: string; version: string; meta: string }>> = {
  'ip-port': { uuid: '9f8cea74-16fe-4968-a2b4-026676949ac6', version: '8', meta: 'network' },
  'domain-ip': { uuid: '43b3b146-77eb-4931-b4cc-b66c60f28734', version: '9', meta: 'network' },
  url: { uuid: '60efb77b-40b5-4c46-871b-ed1ed999fce5', version: '9', meta: 'network' },
  file: { uuid: '688c46fb-5edb-40a3-8273-1af7923e2215', version: '24', meta: 'file' },
  email: { uuid: 'a0c666e0-fc65-4be8-b48f-3423d788b552', version: '18', meta: 'network' },
  vulnerability: { uuid: '81650945-f186-437b-8945-9f31715d32da', version: '9', meta: 'vulnerability' },
  asn: { uuid: '4ec55cc6-9e49-4c64-b794-03c25c1a6587', version: '4', meta: 'network' },
};

/** MISP threat_level_id: 1 high, 2 medium, 3 low, 4 undefined. */
const THREAT_LEVEL: Readonly<Record<string, number>> = { critical: 1, high: 1, medium: 2, low: 3 };

const unix = (iso: string): string => String(Math.floor(Date.parse(iso) / 1000));

/** The tag names of one indicator: its threat types and families as Verdict tags, its ATT&CK techniques as galaxy clusters. */
function clusterTags(item: ExportItem): { name: string }[] {
  const tags = item.mitre_techniques.map((t) => `misp-galaxy:mitre-attack-pattern="${t.name.replaceAll('"', "'")} - ${t.id}"`);
  for (const f of item.malware_families) tags.push(`misp-galaxy:malpedia="${f.replaceAll('"', "'")}"`);
  return tags.map((name) => ({ name }));
}

/** Whether MISP should hand it to detection: found, not cleared, and at least medium risk. */
function toIds(item: ExportItem, type: string): boolean {
  if (type === 'vulnerability' || type === 'AS') return false;
  return item.found && !item.threat_types.includes('allowlisted') && item.risk.level !== 'low';
}

/** One indicator's MISP object, or null when it has no attribute form (an ATT&CK id, nothing found). */
export function mispObjectOf(item: ExportItem, opts: ExportOptions): Record<string, unknown> | null {
  const m = MISP_MAPPING[item.type];
  if (m === null || !item.found) return null;
  const t = TEMPLATES[m.object]!;
  const tlp = itemTlp(item.sources, opts.tlp);
  const timestamp = unix(item.last_seen ?? opts.now.toISOString());
  const feeds = [...new Set(item.sources.map((s) => s.feed_name))];
  const context = [
    `Verdict: risk ${item.risk.level} (${item.risk.score}/100), confidence ${item.confidence}`,
    item.threat_types.length > 0 ? `threat types: ${item.threat_types.join(', ')}` : null,
    item.malware_families.length > 0 ? `families: ${item.malware_families.join(', ')}` : null,
    `reported by: ${feeds.join(', ')}`,
  ].filter((x) => x !== null).join('; ');
  const attribute: Record<string, unknown> = {
    uuid: uuidV5(STIX_NAMESPACE, `misp-attribute:${item.type}:${item.value}`),
    object_relation: m.relation,
    type: m.type,
    category: m.category,
    value: item.type === 'asn' ? item.value.replace(/^AS/i, '') : item.value,
    to_ids: toIds(item, m.type),
    distribution: '5',
    comment: context,
    timestamp,
    disable_correlation: false,
    Tag: [{ name: `tlp:${tlp}` }, { name: `verdict:risk="${item.risk.level}"` }, ...clusterTags(item)],
  };
  if (item.first_seen !== null) attribute.first_seen = new Date(item.first_seen).toISOString();
  if (item.last_seen !== null) attribute.last_seen = new Date(item.last_seen).toISOString();
  return {
    uuid: uuidV5(STIX_NAMESPACE, `misp-object:${item.type}:${item.value}`),
    name: m.object,
    'meta-category': t.meta,
    template_uuid: t.uuid,
    template_version: t.version,
    description: `Verdict ${item.type} indicator`,
    comment: context,
    distribution: '5',
    sharing_group_id: '0',
    timestamp,
    Attribute: [attribute],
  };
}

/** The event's JSON, written incrementally. */
export async function* mispEvent(items: ExportItems, opts: ExportOptions): AsyncIterable<string> {
  const now = opts.now.toISOString();
  const head = {
    uuid: opts.documentId ?? randomUUID(),
    info: `Verdict export ${now}`,
    date: now.slice(0, 10),
    analysis: '2',
    distribution: '0',
    published: false,
    timestamp: unix(now),
    Orgc: { name: 'Verdict', uuid: uuidV5(STIX_NAMESPACE, 'misp-org:verdict') },
  };
  let buf = `{"Event":${JSON.stringify(head).slice(0, -1)},"Object":[`;
  let first = true;
  let tlp: TlpLevel = opts.tlp ?? 'clear';
  let level = 4;
  const galaxy = new Map<string, { name: string }>();
  for await (const item of eachItem(items)) {
    if (!item.found) continue;
    tlp = stricterTlp(tlp, itemTlp(item.sources, opts.tlp));
    level = Math.min(level, THREAT_LEVEL[item.risk.level] ?? 4);
    for (const tag of clusterTags(item)) galaxy.set(tag.name, tag);
    const obj = mispObjectOf(item, opts);
    if (obj === null) continue;
    buf += (first ? '' : ',') + JSON.stringify(obj);
    first = false;
    if (buf.length >= 64 * 1024) {
      yield buf;
      buf = '';
    }
  }
  const tags = [{ name: `tlp:${tlp}` }, ...galaxy.values()];
  yield `${buf}],"threat_level_id":"${level}","Tag":${JSON.stringify(tags)}}}`;
}
