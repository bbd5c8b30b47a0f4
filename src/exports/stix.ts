/**
 * STIX 2.1: each indicator becomes its observable (SCO), an `indicator` with a STIX pattern
 * valid from its first sighting until its decay lifetime after the last, `sighting`s by each
 * feed's `identity`, and `relationship`s to `attack-pattern` and `malware` objects, every one
 * marked with a TLP 2.0 marking definition. Ids are derived from content (UUIDv5), so exporting
 * the same indicator again gives the same ids and a consumer dedupes them; SCO ids follow the
 * STIX 2.1 deterministic-id rule (§2.9), so they match any other producer's.
 *
 * `stixObjects` yields objects one at a time; `stixBundle` writes the bundle's JSON as it goes,
 * so a bundle of any size streams without being held. Objects shared by many indicators
 * (identities, markings, techniques, families) are written once, before their first use.
 */
import { randomUUID } from 'node:crypto';
import { uuidV5 } from '../hunting/uuid.ts';
import type { StoredType } from '../indicators/types.ts';
import { itemTlp, type TlpLevel } from './tlp.ts';
import { eachItem, type ExportItem, type ExportItems, type ExportOptions } from './types.ts';

export type StixObject = Record<string, unknown> & { type: string; id: string };

/** Namespace of Verdict's STIX ids; never change it, or every exported id changes. */
/** The media type of STIX 2.1 content (exports, TAXII collections and manifests). */
export const STIX_MEDIA_TYPE = 'application/stix+json;version=2.1';

export const STIX_NAMESPACE = '3b1f6a52-5c0e-5d8a-9f47-0e2c8d7b4a61';
/** The namespace STIX 2.1 §2.9 fixes for deterministic SCO ids. */
export const STIX_SCO_NAMESPACE = '00abedb4-aa42-466c-9c01-fed23315a9b7';
/** `created` of the reference objects Verdict writes (identities, techniques, families): fixed, so they export identically every time. */
export const REFERENCE_TIME = '2024-01-01T00:00:00.000Z';

const TLP_EXTENSION = 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d';
/** The OASIS TLP 2.0 marking definitions, as published (ids, creator and date are theirs). */
export const TLP_MARKING_IDS: Readonly<Record<TlpLevel, string>> = {
  clear: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487',
  green: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb',
  amber: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421',
  'amber+strict': 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
  red: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1',
};

export function tlpMarking(tlp: TlpLevel): StixObject {
  return {
    type: 'marking-definition',
    spec_version: '2.1',
    id: TLP_MARKING_IDS[tlp],
    created: '2022-10-01T00:00:00.000Z',
    created_by_ref: 'identity--b3bca3c2-1f3d-4b54-b44f-dac42c3a8f01',
    name: `TLP:${tlp.toUpperCase()}`,
    extensions: { [TLP_EXTENSION]: { extension_type: 'property-extension', tlp_2_0: tlp } },
  };
}

const HASH_KEYS: Partial<Record<StoredType, string>> = { md5: 'MD5', sha1: 'SHA-1', sha256: 'SHA-256', sha512: 'SHA-512' };

/** A STIX pattern string literal: backslash and quote escaped (STIX 2.1 patterning §9.2). */
function literal(s: string): string {
  return `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** RFC 3986 leaves these as they are; anything else in a URL (`|`, a space, a non-ASCII letter) is percent-encoded, as a `url` SCO's value must be a URI. */
const NOT_URI = /[^A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+/g;

export function uriOf(url: string): string {
  return url.replace(NOT_URI, (run) => encodeURIComponent(run));
}

function asnNumber(value: string): number {
  return Number(value.replace(/^AS/i, ''));
}

/** The observable of an indicator and its pattern; null for types that are no observable (CVE, ATT&CK id). */
export function observableOf(type: StoredType, value: string): { sco: StixObject; pattern: string } | null {
  const sco = (scoType: string, props: Record<string, unknown>): StixObject => ({
    type: scoType,
    spec_version: '2.1',
    // §2.9: UUIDv5 over the canonical JSON of the id-contributing properties (one key each here)
    id: `${scoType}--${uuidV5(STIX_SCO_NAMESPACE, JSON.stringify(props))}`,
    ...props,
  });
  const hashKey = HASH_KEYS[type];
  if (hashKey !== undefined) {
    return { sco: sco('file', { hashes: { [hashKey]: value } }), pattern: `[file:hashes.${literal(hashKey)} = ${literal(value)}]` };
  }
  switch (type) {
    case 'ipv4':
    case 'ipv6':
    case 'cidr': {
      const t = type === 'ipv6' || value.includes(':') ? 'ipv6-addr' : 'ipv4-addr';
      return { sco: sco(t, { value }), pattern: `[${t}:value = ${literal(value)}]` };
    }
    case 'domain':
      return { sco: sco('domain-name', { value }), pattern: `[domain-name:value = ${literal(value)}]` };
    case 'url': {
      const uri = uriOf(value);
      return { sco: sco('url', { value: uri }), pattern: `[url:value = ${literal(uri)}]` };
    }
    case 'email':
      return { sco: sco('email-addr', { value }), pattern: `[email-addr:value = ${literal(value)}]` };
    case 'asn': {
      const number = asnNumber(value);
      return { sco: sco('autonomous-system', { number }), pattern: `[autonomous-system:number = ${number}]` };
    }
    default:
      return null;
  }
}

/** STIX's confidence scale for Low/Med/High (STIX 2.1 appendix A). */
export const CONFIDENCE: Readonly<Record<string, number>> = { low: 15, medium: 50, high: 85 };

/** Verdict's threat types → the STIX indicator-type vocabulary. */
const INDICATOR_TYPES: Readonly<Record<string, string>> = {
  scanner: 'anomalous-activity',
  brute_force: 'anomalous-activity',
  suspicious: 'anomalous-activity',
  spam: 'anomalous-activity',
  tor_exit: 'anonymization',
  compromised: 'compromised',
  allowlisted: 'benign',
  hijacked_range: 'malicious-activity',
};

export function indicatorTypes(threatTypes: readonly string[]): string[] {
  const out = new Set<string>();
  for (const t of threatTypes) out.add(INDICATOR_TYPES[t] ?? 'malicious-activity');
  if (out.size === 0) out.add('unknown');
  return [...out];
}

function attackUrl(id: string): string {
  return `https://attack.mitre.org/techniques/${id.replace('.', '/')}/`;
}

const DAY_MS = 86_400_000;

function iso(s: string): string {
  return new Date(s).toISOString();
}

function later(a: string, b: string): string {
  return a >= b ? a : b;
}

export const verdictIdentityId = `identity--${uuidV5(STIX_NAMESPACE, 'identity:verdict')}`;
export const feedIdentityId = (feedName: string): string => `identity--${uuidV5(STIX_NAMESPACE, `identity:feed:${feedName}`)}`;
export const indicatorId = (type: StoredType, value: string): string => `indicator--${uuidV5(STIX_NAMESPACE, `${type}:${value}`)}`;
export const attackPatternId = (techniqueId: string): string => `attack-pattern--${uuidV5(STIX_NAMESPACE, `attack-pattern:${techniqueId.toUpperCase()}`)}`;
export const malwareId = (family: string): string => `malware--${uuidV5(STIX_NAMESPACE, `malware:${family.toLowerCase()}`)}`;
export const vulnerabilityId = (cve: string): string => `vulnerability--${uuidV5(STIX_NAMESPACE, `vulnerability:${cve.toUpperCase()}`)}`;

function reference(type: string, id: string, props: Record<string, unknown>): StixObject {
  return { type, spec_version: '2.1', id, created: REFERENCE_TIME, modified: REFERENCE_TIME, ...props };
}

/** Verdict's own identity, which every object Verdict writes names as its creator. */
export const VERDICT_IDENTITY: StixObject = Object.freeze(
  reference('identity', verdictIdentityId, { name: 'Verdict', identity_class: 'system', description: 'Self-hosted threat-intelligence lookup service' }),
);

/**
 * The indicator of an observable as the export writes it: valid from its first sighting, until
 * its last one plus the type's lifetime (`lifetimeDays`, none when null), its sources' reference
 * URLs as external references. TAXII serves the same object with its own version dates.
 */
export function indicatorObject(item: ExportItem, id: string, pattern: string, firstSeen: string, lastSeen: string, lifetimeDays: number | null, marking: string[]): StixObject {
  const refs = new Map<string, { source_name: string; url: string }>();
  for (const s of item.sources) if (s.reference_url !== null && !refs.has(s.reference_url)) refs.set(s.reference_url, { source_name: s.feed_name, url: s.reference_url });
  const indicator: StixObject = {
    type: 'indicator',
    spec_version: '2.1',
    id,
    created: firstSeen,
    modified: lastSeen,
    name: `${item.type} ${item.value}`,
    description: `Verdict: risk ${item.risk.level} (${item.risk.score}/100), confidence ${item.confidence}; reported by ${[...new Set(item.sources.map((s) => s.feed_name))].join(', ')}.`,
    indicator_types: indicatorTypes(item.threat_types),
    pattern,
    pattern_type: 'stix',
    pattern_version: '2.1',
    valid_from: firstSeen,
    confidence: CONFIDENCE[item.confidence] ?? 50,
    labels: [`risk:${item.risk.level}`, ...item.threat_types, ...item.tags].filter((l, i, all) => l !== '' && all.indexOf(l) === i),
    created_by_ref: verdictIdentityId,
    object_marking_refs: marking,
  };
  if (lifetimeDays !== null) indicator.valid_until = new Date(Date.parse(lastSeen) + Math.max(lifetimeDays * DAY_MS, 1)).toISOString();
  if (refs.size > 0) indicator.external_references = [...refs.values()];
  return indicator;
}

/**
 * The objects of one indicator, and before them whichever shared object it refers to that `seen`
 * does not hold yet (`seen` is kept across items by the caller; it only grows with distinct feeds,
 * markings, techniques and families, never with indicators).
 */
export function* stixObjectsOf(item: ExportItem, opts: ExportOptions, seen: Set<string>): Iterable<StixObject> {
  if (!item.found) return;
  const tlp = itemTlp(item.sources, opts.tlp);
  const marking = [TLP_MARKING_IDS[tlp]];
  function* once(obj: StixObject): Iterable<StixObject> {
    if (seen.has(obj.id)) return;
    seen.add(obj.id);
    yield obj;
  }
  yield* once(tlpMarking(tlp));
  yield* once(VERDICT_IDENTITY);

  const now = opts.now.toISOString();
  const firstSeen = item.first_seen === null ? now : iso(item.first_seen);
  const lastSeen = item.last_seen === null ? firstSeen : later(iso(item.last_seen), firstSeen);
  const common = { created_by_ref: verdictIdentityId, object_marking_refs: marking };
  const techniques: StixObject[] = [];
  for (const t of item.mitre_techniques) {
    techniques.push(
      reference('attack-pattern', attackPatternId(t.id), {
        name: t.name,
        external_references: [{ source_name: 'mitre-attack', external_id: t.id, url: attackUrl(t.id) }],
      }),
    );
  }
  const families = item.malware_families.map((f) => reference('malware', malwareId(f), { name: f, is_family: true }));

  // The subject every sighting and relationship hangs on: an indicator, or the vulnerability or technique itself.
  let subject: string;
  const sdos: StixObject[] = [];
  if (item.type === 'mitre-attack') {
    const own = techniques.find((t) => (t.external_references as { external_id: string }[])[0]!.external_id === item.value.toUpperCase());
    if (own === undefined) techniques.unshift(reference('attack-pattern', attackPatternId(item.value), { name: item.value, external_references: [{ source_name: 'mitre-attack', external_id: item.value, url: attackUrl(item.value) }] }));
    subject = attackPatternId(item.value);
  } else if (item.type === 'cve') {
    subject = vulnerabilityId(item.value);
    sdos.push({
      type: 'vulnerability',
      spec_version: '2.1',
      id: subject,
      created: firstSeen,
      modified: lastSeen,
      name: item.value,
      external_references: [{ source_name: 'cve', external_id: item.value, url: `https://nvd.nist.gov/vuln/detail/${item.value}` }],
      ...common,
    });
  } else {
    const obs = observableOf(item.type, item.value);
    if (obs === null) return;
    subject = indicatorId(item.type, item.value);
    const indicator = indicatorObject(item, subject, obs.pattern, firstSeen, lastSeen, opts.lifetimeDays(item.type), marking);
    yield { ...obs.sco, object_marking_refs: marking };
    sdos.push(indicator);
    sdos.push(relationship(subject, 'based-on', obs.sco.id, firstSeen, lastSeen, common));
  }
  for (const t of techniques) yield* once(t);
  for (const f of families) yield* once(f);
  yield* sdos;
  for (const t of techniques) {
    if (t.id === subject) continue;
    // a CVE is targeted by the techniques exploiting it; an indicator indicates them
    if (item.type === 'cve') yield relationship(t.id, 'targets', subject, firstSeen, lastSeen, common);
    else yield relationship(subject, item.type === 'mitre-attack' ? 'related-to' : 'indicates', t.id, firstSeen, lastSeen, common);
  }
  for (const f of families) yield relationship(subject, subject.startsWith('indicator--') ? 'indicates' : 'related-to', f.id, firstSeen, lastSeen, common);

  // one sighting per feed that listed the indicator itself (a range or parent domain is another thing)
  const byFeed = new Map<string, { first: string; last: string; count: number; category: string }>();
  for (const s of item.sources) {
    if (s.match !== 'exact') continue;
    const first = iso(s.first_seen);
    const last = later(iso(s.last_seen), first);
    const had = byFeed.get(s.feed_name);
    if (had === undefined) byFeed.set(s.feed_name, { first, last, count: 1, category: s.category });
    else byFeed.set(s.feed_name, { first: had.first < first ? had.first : first, last: later(had.last, last), count: had.count + 1, category: had.category });
  }
  for (const [feed, w] of byFeed) {
    const identity = feedIdentityId(feed);
    yield* once(reference('identity', identity, { name: feed, identity_class: 'organization', description: `Threat-intelligence feed (${w.category}) read by Verdict` }));
    yield {
      type: 'sighting',
      spec_version: '2.1',
      id: `sighting--${uuidV5(STIX_NAMESPACE, `sighting:${subject}|${feed}`)}`,
      created: w.first,
      modified: w.last,
      first_seen: w.first,
      last_seen: w.last,
      count: w.count,
      sighting_of_ref: subject,
      where_sighted_refs: [identity],
      ...common,
    };
  }
}

function relationship(source: string, type: string, target: string, created: string, modified: string, common: Record<string, unknown>): StixObject {
  return {
    type: 'relationship',
    spec_version: '2.1',
    id: `relationship--${uuidV5(STIX_NAMESPACE, `relationship:${source}|${type}|${target}`)}`,
    created,
    modified,
    relationship_type: type,
    source_ref: source,
    target_ref: target,
    ...common,
  };
}

/** Every object of every item, shared objects once. */
export async function* stixObjects(items: ExportItems, opts: ExportOptions): AsyncIterable<StixObject> {
  const seen = new Set<string>();
  for await (const item of eachItem(items)) yield* stixObjectsOf(item, opts, seen);
}

/** Chunks of this many characters are handed on (fewer, larger writes; memory stays bounded). */
const CHUNK = 64 * 1024;

/** The bundle's JSON, written incrementally: nothing but one chunk is ever held. */
export async function* stixBundle(items: ExportItems, opts: ExportOptions): AsyncIterable<string> {
  // `objects` holds one or more objects, or is left out: it is opened with the first one
  let buf = `{"type":"bundle","id":"bundle--${opts.documentId ?? randomUUID()}"`;
  let first = true;
  for await (const obj of stixObjects(items, opts)) {
    buf += (first ? ',"objects":[' : ',') + JSON.stringify(obj);
    first = false;
    if (buf.length >= CHUNK) {
      yield buf;
      buf = '';
    }
  }
  yield buf + (first ? '}' : ']}');
}
