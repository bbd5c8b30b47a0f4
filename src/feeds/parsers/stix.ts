/**
 * STIX 2.1: indicators with `pattern_type: stix` become records; `indicates` relationships to
 * malware give the family, to attack-patterns the ATT&CK ids (from `external_references`), and
 * the malware's own `uses` relationships to attack-patterns add theirs. An indicator that
 * indicates no malware takes the family of the report holding it when that report names exactly
 * one malware.
 *
 * Dates: first seen is `valid_from` (else `created`); last seen is the latest `last_seen` of the
 * `sighting` objects of the indicator (else `modified`); `valid_until` is kept as a detail.
 * Details: the indicator as the entry (`entry_id` = its id, so the values of one pattern count
 * as one entry; `indicator_name`, `stix_pattern`), the `report` listing it in `object_refs` as
 * the report (`report_id`, `report_name`, `report_type: stix-report`, `report_date` = published),
 * the creator identity's name as `author`, and a TLP marking as `tlp`.
 */
import type { SightingRecord, ThreatType } from '../../model.ts';
import { mapThreat, STIX_INDICATOR_TYPES } from '../threat-types.ts';
import { looksLikeOf, toIndicator } from './indicator.ts';
import { parseStixPattern } from './stix-pattern.ts';
import { isRecord, jsonCapOf, readJson, str, toConfidence, toIsoDate } from './text.ts';
import { FeedParseError, type ByteSource, type ParseContext } from './types.ts';

type StixObject = Record<string, unknown> & { id: string; type: string };

/** The TLP marking definitions STIX 2.1 predefines (TLP 1.0) and the OASIS TLP 2.0 extension's. */
const TLP_MARKINGS: Readonly<Record<string, string>> = {
  'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9': 'white',
  'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da': 'green',
  'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82': 'amber',
  'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed': 'red',
  'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487': 'clear',
  'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb': 'green',
  'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421': 'amber',
  'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003': 'amber+strict',
  'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1': 'red',
};
const TLP_NAME = /^TLP:\s*([A-Z+-]+)$/i;

function attackIdOf(o: StixObject): string | null {
  if (!Array.isArray(o.external_references)) return null;
  for (const r of o.external_references) {
    if (isRecord(r) && r.source_name === 'mitre-attack' && typeof r.external_id === 'string' && /^T\d{4}(\.\d{3})?$/.test(r.external_id)) return r.external_id;
  }
  return null;
}

function referenceOf(o: StixObject): string | null {
  if (!Array.isArray(o.external_references)) return null;
  for (const r of o.external_references) if (isRecord(r) && typeof r.url === 'string') return r.url;
  return null;
}

/** A marking definition of the set that is a TLP level: `definition_type: tlp`, or a TLP 2.0 name. */
function tlpOfDefinition(o: StixObject): string | null {
  if (o.definition_type === 'tlp' && isRecord(o.definition)) return str(o.definition.tlp)?.toLowerCase() ?? null;
  const m = TLP_NAME.exec(str(o.name) ?? '');
  return m?.[1] ? m[1].toLowerCase() : null;
}

/** What the set says around its indicators: reports, sightings, identities and markings. */
class StixContext {
  readonly byId = new Map<string, StixObject>();
  readonly indicators: StixObject[] = [];
  /** Source id → the objects its `indicates` / `uses` relationships point at. */
  readonly outgoing = new Map<string, StixObject[]>();
  /** Indicator id → the first report listing it. */
  readonly reportOf = new Map<string, StixObject>();
  /** Report id → its one malware, when it lists exactly one. */
  readonly reportFamily = new Map<string, string>();
  /** Indicator id → the latest time a sighting of it was last seen (ms). */
  readonly sightedAt = new Map<string, number>();
  private readonly tlpById = new Map<string, string>(Object.entries(TLP_MARKINGS));

  constructor(objects: readonly unknown[]) {
    const rels: StixObject[] = [];
    const reports: StixObject[] = [];
    const sightings: StixObject[] = [];
    for (const o of objects) {
      if (!isRecord(o) || typeof o.id !== 'string' || typeof o.type !== 'string') continue;
      const so = o as StixObject;
      this.byId.set(so.id, so);
      if (so.type === 'indicator') this.indicators.push(so);
      else if (so.type === 'relationship') rels.push(so);
      else if (so.type === 'report') reports.push(so);
      else if (so.type === 'sighting') sightings.push(so);
      else if (so.type === 'marking-definition') {
        const tlp = tlpOfDefinition(so);
        if (tlp !== null) this.tlpById.set(so.id, tlp);
      }
    }
    for (const r of rels) {
      if (r.revoked === true) continue;
      const rt = r.relationship_type;
      if (rt !== 'indicates' && rt !== 'uses') continue;
      const src = str(r.source_ref);
      const dst = str(r.target_ref);
      const target = dst === null ? undefined : this.byId.get(dst);
      if (src === null || target === undefined) continue;
      const list = this.outgoing.get(src) ?? [];
      list.push(target);
      this.outgoing.set(src, list);
    }
    for (const rep of reports) {
      if (rep.revoked === true || !Array.isArray(rep.object_refs)) continue;
      const malware = new Set<string>();
      for (const ref of rep.object_refs) {
        if (typeof ref !== 'string') continue;
        if (ref.startsWith('indicator--') && !this.reportOf.has(ref)) this.reportOf.set(ref, rep);
        const target = this.byId.get(ref);
        const name = target?.type === 'malware' ? str(target.name) : null;
        if (name !== null) malware.add(name);
      }
      if (malware.size === 1) this.reportFamily.set(rep.id, [...malware][0] as string);
    }
    for (const s of sightings) {
      const ref = str(s.sighting_of_ref);
      const when = toIsoDate(s.last_seen) ?? toIsoDate(s.first_seen);
      if (ref === null || when === null || s.revoked === true) continue;
      const t = Date.parse(when);
      if (t > (this.sightedAt.get(ref) ?? Number.NEGATIVE_INFINITY)) this.sightedAt.set(ref, t);
    }
  }

  authorOf(o: StixObject | undefined): string | null {
    const ref = str(o?.created_by_ref);
    const who = ref === null ? undefined : this.byId.get(ref);
    return who?.type === 'identity' ? str(who.name) : null;
  }

  tlpOf(o: StixObject | undefined): string | null {
    if (o === undefined || !Array.isArray(o.object_marking_refs)) return null;
    for (const ref of o.object_marking_refs) {
      const tlp = typeof ref === 'string' ? this.tlpById.get(ref) : undefined;
      if (tlp !== undefined) return tlp;
    }
    return null;
  }
}

/** The details every value of one indicator carries. */
function indicatorDetails(ind: StixObject, pattern: string, sc: StixContext): Record<string, unknown> {
  const attributes: Record<string, unknown> = { entry_id: ind.id };
  const name = str(ind.name);
  if (name !== null) attributes.indicator_name = name;
  attributes.stix_pattern = pattern;
  const validUntil = toIsoDate(ind.valid_until);
  if (validUntil !== null) attributes.valid_until = validUntil;
  const report = sc.reportOf.get(ind.id);
  if (report !== undefined) {
    attributes.report_id = report.id;
    const reportName = str(report.name);
    if (reportName !== null) attributes.report_name = reportName;
    attributes.report_type = 'stix-report';
    const published = toIsoDate(report.published);
    if (published !== null) attributes.report_date = published;
  }
  const author = sc.authorOf(ind) ?? sc.authorOf(report);
  if (author !== null) attributes.author = author;
  const tlp = sc.tlpOf(ind) ?? sc.tlpOf(report);
  if (tlp !== null) attributes.tlp = tlp;
  return attributes;
}

/** Records from a set of STIX objects (a bundle's `objects`, or every page of a TAXII collection). */
export function* stixObjectRecords(objects: readonly unknown[], ctx: ParseContext): Iterable<SightingRecord> {
  const sc = new StixContext(objects);
  for (const ind of sc.indicators) {
    if (ind.revoked === true) continue;
    const patternType = str(ind.pattern_type) ?? 'stix';
    const pattern = str(ind.pattern);
    if (patternType !== 'stix' || pattern === null) {
      ctx.tally.reject(`${ind.id} ${pattern ?? ''}`, `unsupported pattern_type ${patternType}`);
      continue;
    }
    const parsed = parseStixPattern(pattern);
    if (!parsed.ok || parsed.terms.length === 0) {
      ctx.tally.reject(`${ind.id} ${pattern}`, parsed.ok ? 'no supported equality comparison' : parsed.reason);
      continue;
    }
    let family: string | null = null;
    const attackIds = new Set<string>();
    const tags = new Set<string>(Array.isArray(ind.labels) ? ind.labels.filter((l): l is string => typeof l === 'string') : []);
    for (const target of sc.outgoing.get(ind.id) ?? []) {
      if (target.type === 'malware' || target.type === 'tool') {
        family ??= str(target.name);
        for (const used of sc.outgoing.get(target.id) ?? []) {
          const t = used.type === 'attack-pattern' ? attackIdOf(used) : null;
          if (t) attackIds.add(t);
        }
      } else if (target.type === 'attack-pattern') {
        const t = attackIdOf(target);
        if (t) attackIds.add(t);
      } else if ((target.type === 'intrusion-set' || target.type === 'campaign' || target.type === 'threat-actor') && typeof target.name === 'string') {
        tags.add(target.name);
      }
    }
    const report = sc.reportOf.get(ind.id);
    if (family === null && report !== undefined) family = sc.reportFamily.get(report.id) ?? null;
    const types = Array.isArray(ind.indicator_types) ? ind.indicator_types : [];
    let threatType: ThreatType | null = null;
    for (const t of types) threatType ??= typeof t === 'string' ? mapThreat(STIX_INDICATOR_TYPES, t, null) : null;
    const sighted = sc.sightedAt.get(ind.id);
    const firstSeen = toIsoDate(ind.valid_from) ?? toIsoDate(ind.created);
    const lastSeen = sighted !== undefined ? new Date(sighted).toISOString().replace('.000Z', 'Z') : toIsoDate(ind.modified);
    const attributes = indicatorDetails(ind, pattern, sc);
    for (const term of parsed.terms) {
      const r = toIndicator(term.value, term.type);
      if (!r.ok) {
        ctx.tally.reject(`${ind.id} ${term.path} = '${term.value}'`, r.reason, looksLikeOf(term.value));
        continue;
      }
      yield {
        type: r.type,
        value: r.value,
        firstSeen,
        lastSeen,
        threatType: threatType ?? 'malicious_infrastructure',
        malwareFamily: family,
        tags: [...tags],
        confidence: toConfidence(ind.confidence),
        referenceUrl: referenceOf(ind),
        attackIds: [...attackIds],
        attributes,
      };
    }
  }
}

export async function* parseStixBundle(input: ByteSource, ctx: ParseContext): AsyncIterable<SightingRecord> {
  const doc = await readJson(input, 'STIX bundle', jsonCapOf(ctx.options));
  const objects = isRecord(doc) && Array.isArray(doc.objects) ? doc.objects : Array.isArray(doc) ? doc : null;
  if (objects === null) throw new FeedParseError('STIX: expected a bundle with "objects"');
  yield* stixObjectRecords(objects, ctx);
}
