/**
 * Generic mappings for a team's own feeds, configured in the catalog entry's options:
 *   fields: { value: "<column or key>", type?, threatType?, malwareFamily?, tags?, confidence?,
 *             firstSeen?, lastSeen?, referenceUrl? }  (JSON lines accept dotted paths: "ioc.value")
 *   type?: fixed stored type when no type column; threatType?: default threat type;
 *   attributes?: extra columns kept verbatim; csv only: delimiter?, header? (default true), columns?;
 *   JSON only: recordsPath? (the dotted path of the array holding the records in one document).
 * A row's dates are the mapped `firstSeen`/`lastSeen` cells and nothing else; a CSV row without
 * them takes the date the file's comment header states (csv-mapping.ts), else none.
 */
import type { SightingRecord } from '../../model.ts';
import { isThreatType } from '../threat-types.ts';
import { looksLikeOf, toIndicator, typeOption } from './indicator.ts';
import { splitTags, str, toConfidence, toIsoDate } from './text.ts';
import { FeedParseError } from './types.ts';

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

/** Position of each mapped field in `RecordMapper.cells`. */
const Cell = Object.fromEntries(MAPPED_FIELDS.map((f, i) => [f, i])) as Readonly<Record<MappedField, number>>;
/** Distinct tag cells remembered per run (feeds repeat a few tag lists across many rows). */
const TAGS_MEMO_SIZE = 1024;

/**
 * Maps rows to records for one run. A parser puts a row's cells into `cells` (by position in
 * MAPPED_FIELDS; `columnOf` names the column or key of each) and `attributeCells` (by position
 * in `mapping.attributes`), then calls `map()`: no closure or lookup table per row.
 */
export class RecordMapper {
  readonly cells: unknown[] = new Array<unknown>(MAPPED_FIELDS.length).fill(undefined);
  readonly attributeCells: unknown[];
  /** The column or key holding each field, by position (undefined when unmapped). */
  readonly columnOf: readonly (string | undefined)[];
  private readonly tagsMemo = new Map<string, string[]>();
  private readonly defaultTags: string[];

  constructor(readonly mapping: Mapping) {
    this.attributeCells = new Array<unknown>(mapping.attributes.length).fill(undefined);
    this.columnOf = MAPPED_FIELDS.map((f) => mapping.fields[f]);
    this.defaultTags = [...new Set(mapping.tags)];
  }

  /**
   * What the last rejected row looks like, when it was refused for its shape or its value's type
   * (no value column: the row's own kind; a value of another type: the value's); undefined for
   * other refusals (an unknown type or threat type name).
   */
  rejectedValue: string | null | undefined = undefined;

  /** The record for the cells set, or why the row is rejected (see `rejectedValue`). */
  map(): SightingRecord | string {
    const m = this.mapping;
    const c = this.cells;
    this.rejectedValue = undefined;
    const raw = str(c[Cell.value]);
    if (raw === null) {
      this.rejectedValue = null;
      return `no value in "${m.fields.value}"`;
    }
    const typeCell = str(c[Cell.type]);
    const type = typeCell !== null ? typeOption(typeCell.toLowerCase()) : m.type;
    if (typeCell !== null && type === null) return `unknown type "${typeCell}"`;
    const ind = toIndicator(raw, type);
    if (!ind.ok) {
      this.rejectedValue = raw;
      return ind.reason;
    }
    const threatCell = str(c[Cell.threatType]);
    if (threatCell !== null && !isThreatType(threatCell)) return `unknown threat type "${threatCell}"`;
    const attributes: Record<string, unknown> = {};
    for (let i = 0; i < m.attributes.length; i++) {
      const v = this.attributeCells[i];
      if (v !== undefined && v !== null && v !== '') attributes[m.attributes[i] as string] = v;
    }
    return {
      type: ind.type,
      value: ind.value,
      firstSeen: toIsoDate(c[Cell.firstSeen]),
      lastSeen: toIsoDate(c[Cell.lastSeen]),
      threatType: (threatCell as SightingRecord['threatType']) ?? m.threatType,
      malwareFamily: str(c[Cell.malwareFamily]),
      tags: this.tags(c[Cell.tags]),
      confidence: toConfidence(c[Cell.confidence]),
      referenceUrl: str(c[Cell.referenceUrl]),
      attributes,
    };
  }

  /** `looksLike` for the row just refused, given the row's raw text. */
  looksLike(row: string): string | undefined {
    const v = this.rejectedValue;
    return v === undefined ? undefined : looksLikeOf(v ?? row);
  }

  /** The mapping's own tags and the row's, united; rows with the same tag cell share one array. */
  private tags(cell: unknown): string[] {
    if (cell === undefined || cell === null) return this.defaultTags;
    if (typeof cell !== 'string') return [...new Set([...this.mapping.tags, ...splitTags(cell)])];
    let tags = this.tagsMemo.get(cell);
    if (tags === undefined) {
      tags = [...new Set([...this.mapping.tags, ...splitTags(cell)])];
      if (this.tagsMemo.size >= TAGS_MEMO_SIZE) this.tagsMemo.clear();
      this.tagsMemo.set(cell, tags);
    }
    return tags;
  }
}
