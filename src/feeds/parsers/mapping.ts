/**
 * Generic mappings for a team's own feeds, configured in the catalog entry's options:
 *   fields: { value: "<column or key>", type?, threatType?, malwareFamily?, tags?, confidence?,
 *             firstSeen?, lastSeen?, referenceUrl? }  (JSON lines accept dotted paths: "ioc.value")
 *   type?: fixed stored type when no type column; threatType?: default threat type;
 *   attributes?: extra columns kept verbatim; csv only: delimiter?, header? (default true), columns?.
 */
import type { SightingRecord } from '../../model.ts';
import { isThreatType } from '../threat-types.ts';
import { toIndicator, typeOption } from './indicator.ts';
import { splitTags, str, toConfidence, toIsoDate } from './text.ts';
import { FeedParseError, type ParseContext } from './types.ts';

export const MAPPED_FIELDS = ['value', 'type', 'threatType', 'malwareFamily', 'tags', 'confidence', 'firstSeen', 'lastSeen', 'referenceUrl'] as const;
type MappedField = (typeof MAPPED_FIELDS)[number];

export interface Mapping {
  fields: Partial<Record<MappedField, string>> & { value: string };
  type: ReturnType<typeof typeOption>;
  threatType: SightingRecord['threatType'];
  tags: string[];
  attributes: string[];
}

/** Reads and checks the mapping once per run; a bad mapping is a configuration error, not a row error. */
export function readMapping(options: Readonly<Record<string, unknown>>): Mapping {
  const f = options.fields;
  if (typeof f !== 'object' || f === null || typeof (f as Record<string, unknown>).value !== 'string') {
    throw new FeedParseError('mapping: options.fields.value (the column holding the indicator) is required');
  }
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) {
    if (!(MAPPED_FIELDS as readonly string[]).includes(k)) throw new FeedParseError(`mapping: unknown field "${k}" (known: ${MAPPED_FIELDS.join(', ')})`);
    if (typeof v !== 'string') throw new FeedParseError(`mapping: fields.${k} must name a column`);
    fields[k] = v;
  }
  return {
    fields: fields as Mapping['fields'],
    type: typeOption(options.type),
    threatType: isThreatType(options.threatType) ? options.threatType : null,
    tags: splitTags(options.tags),
    attributes: Array.isArray(options.attributes) ? options.attributes.filter((a): a is string => typeof a === 'string') : [],
  };
}

/** One record from a row, given a getter for named columns; a string is the reject reason. */
export function mappedRecord(m: Mapping, get: (name: string) => unknown): SightingRecord | string {
  const pick = (field: MappedField): unknown => {
    const col = m.fields[field];
    return col === undefined ? undefined : get(col);
  };
  const raw = str(pick('value'));
  if (raw === null) return `no value in "${m.fields.value}"`;
  const typeCell = str(pick('type'));
  const type = typeCell !== null ? typeOption(typeCell.toLowerCase()) : m.type;
  if (typeCell !== null && type === null) return `unknown type "${typeCell}"`;
  const ind = toIndicator(raw, type);
  if (!ind.ok) return ind.reason;
  const threatCell = str(pick('threatType'));
  if (threatCell !== null && !isThreatType(threatCell)) return `unknown threat type "${threatCell}"`;
  const attributes: Record<string, unknown> = {};
  for (const a of m.attributes) {
    const v = get(a);
    if (v !== undefined && v !== null && v !== '') attributes[a] = v;
  }
  return {
    type: ind.type,
    value: ind.value,
    firstSeen: toIsoDate(pick('firstSeen')),
    lastSeen: toIsoDate(pick('lastSeen')),
    threatType: (threatCell as SightingRecord['threatType']) ?? m.threatType,
    malwareFamily: str(pick('malwareFamily')),
    tags: [...new Set([...m.tags, ...splitTags(pick('tags'))])],
    confidence: toConfidence(pick('confidence')),
    referenceUrl: str(pick('referenceUrl')),
    attributes,
  };
}

export function rejectOrYield(rec: SightingRecord | string, raw: string, ctx: ParseContext): SightingRecord | null {
  if (typeof rec === 'string') {
    ctx.tally.reject(raw, rec);
    return null;
  }
  return rec;
}
