/**
 * STIX 2.1: indicators with `pattern_type: stix` become records; `indicates` relationships to
 * malware give the family, to attack-patterns the ATT&CK ids (from `external_references`), and
 * the malware's own `uses` relationships to attack-patterns add theirs.
 */
import type { SightingRecord, ThreatType } from '../../model.ts';
import { mapThreat, STIX_INDICATOR_TYPES } from '../threat-types.ts';
import { toIndicator } from './indicator.ts';
import { parseStixPattern } from './stix-pattern.ts';
import { isRecord, readJson, str, toConfidence, toIsoDate } from './text.ts';
import { FeedParseError, type ByteSource, type ParseContext } from './types.ts';

type StixObject = Record<string, unknown> & { id: string; type: string };

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

/** Records from a set of STIX objects (a bundle's `objects`, or every page of a TAXII collection). */
export function* stixObjectRecords(objects: readonly unknown[], ctx: ParseContext): Iterable<SightingRecord> {
  const byId = new Map<string, StixObject>();
  const indicators: StixObject[] = [];
  const rels: StixObject[] = [];
  for (const o of objects) {
    if (!isRecord(o) || typeof o.id !== 'string' || typeof o.type !== 'string') continue;
    const so = o as StixObject;
    byId.set(so.id, so);
    if (so.type === 'indicator') indicators.push(so);
    else if (so.type === 'relationship') rels.push(so);
  }
  const outgoing = new Map<string, StixObject[]>();
  for (const r of rels) {
    if (r.revoked === true) continue;
    const rt = r.relationship_type;
    if (rt !== 'indicates' && rt !== 'uses') continue;
    const src = str(r.source_ref);
    const dst = str(r.target_ref);
    const target = dst === null ? undefined : byId.get(dst);
    if (src === null || target === undefined) continue;
    const list = outgoing.get(src) ?? [];
    list.push(target);
    outgoing.set(src, list);
  }
  for (const ind of indicators) {
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
    for (const target of outgoing.get(ind.id) ?? []) {
      if (target.type === 'malware' || target.type === 'tool') {
        family ??= str(target.name);
        for (const used of outgoing.get(target.id) ?? []) {
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
    const types = Array.isArray(ind.indicator_types) ? ind.indicator_types : [];
    let threatType: ThreatType | null = null;
    for (const t of types) threatType ??= typeof t === 'string' ? mapThreat(STIX_INDICATOR_TYPES, t, null) : null;
    for (const term of parsed.terms) {
      const r = toIndicator(term.value, term.type);
      if (!r.ok) {
        ctx.tally.reject(`${ind.id} ${term.path} = '${term.value}'`, r.reason);
        continue;
      }
      yield {
        type: r.type,
        value: r.value,
        firstSeen: toIsoDate(ind.valid_from) ?? toIsoDate(ind.created),
        lastSeen: toIsoDate(ind.modified),
        threatType: threatType ?? 'malicious_infrastructure',
        malwareFamily: family,
        tags: [...tags],
        confidence: toConfidence(ind.confidence),
        referenceUrl: referenceOf(ind),
        attackIds: [...attackIds],
        attributes: { stixId: ind.id, ...(typeof ind.name === 'string' ? { name: ind.name } : {}), pattern },
      };
    }
  }
}

export async function* parseStixBundle(input: ByteSource, ctx: ParseContext): AsyncIterable<SightingRecord> {
  const doc = await readJson(input, 'STIX bundle');
  const objects = isRecord(doc) && Array.isArray(doc.objects) ? doc.objects : Array.isArray(doc) ? doc : null;
  if (objects === null) throw new FeedParseError('STIX: expected a bundle with "objects"');
  yield* stixObjectRecords(objects, ctx);
}
