/**
 * The feed catalog: data/feeds.json, plus the operator's file (VERDICT_FEEDS_FILE) whose entries
 * add feeds or override bundled ones by id, field by field. Read once, checked, frozen.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { errorText } from '../file-errors.ts';
import { STORED_TYPES, type StoredType } from '../indicators/types.ts';
import { FEED_CATEGORIES, RELIABILITIES, type FeedInfo } from '../model.ts';
import { clientTlsProblem } from './client-tls.ts';
import type { OrphanedFeed } from './stored-definitions.ts';
import { FEED_FORMATS, FORMAT_TYPES, type FeedDefinition, type FeedFormat } from './types.ts';

export const BUNDLED_CATALOG = fileURLToPath(new URL('../../data/feeds.json', import.meta.url));

export interface FeedCatalog {
  /** The feeds this process defines (bundled and VERDICT_FEEDS_FILE): the ones it runs. */
  list(): FeedDefinition[];
  get(id: string): FeedDefinition | undefined;
  /** How lookups label a feed's data: as defined here, else as the store remembers it (an orphaned feed). */
  info(id: string): FeedInfo | undefined;
  /** Feeds the store remembers that this process no longer defines, by id (see stored-definitions.ts). */
  orphans(): readonly OrphanedFeed[];
  /**
   * Reads the store's definitions again when its data version has moved since the last reading
   * (a definition changes the version), and resolves that version: a lookup that asks before
   * computing an answer under a version labels it by definitions at least as new. Absent on a
   * catalog that does not read the store.
   */
  refreshAt?(dataVersion: number): Promise<number>;
}

export class CatalogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogError';
  }
}

const ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const KEYS = new Set(['id', 'name', 'category', 'reliability', 'format', 'url', 'interval', 'mode', 'enabled', 'license', 'verdict', 'types', 'options']);

/**
 * The types a feed may carry: its `types`, which must fit what the format can carry; else a
 * list's or mapping's fixed `options.type`, a range list's prefix column, or the format's own.
 */
function typesOf(at: string, raw: unknown, format: FeedFormat, options: Record<string, unknown> | undefined): readonly StoredType[] | undefined {
  const intrinsic = FORMAT_TYPES[format];
  if (raw !== undefined) {
    if (!Array.isArray(raw) || raw.length === 0 || raw.some((t) => typeof t !== 'string' || !(STORED_TYPES as readonly string[]).includes(t))) {
      throw new CatalogError(`${at}: "types" must be a non-empty list of ${STORED_TYPES.join(', ')}`);
    }
    const outside = (raw as StoredType[]).filter((t) => intrinsic !== undefined && !intrinsic.includes(t));
    if (outside.length > 0) throw new CatalogError(`${at}: "types" names ${outside.join(', ')}, which the ${format} format never carries (it carries ${intrinsic?.join(', ')})`);
    return [...new Set(raw as StoredType[])];
  }
  if (intrinsic !== undefined) return intrinsic;
  const fixed = options?.type;
  if ((format === 'plain-list' || format === 'csv-mapping' || format === 'jsonl-mapping') && typeof fixed === 'string' && (STORED_TYPES as readonly string[]).includes(fixed)) {
    // a mapping with a type column may still name other types per row
    const perRow = typeof (options?.fields as Record<string, unknown> | undefined)?.type === 'string';
    if (!perRow) return [fixed as StoredType];
  }
  if (format === 'plain-list' && typeof options?.prefixColumn === 'number') return ['cidr'];
  return undefined;
}

function oneOf(where: string, field: string, v: unknown, allowed: readonly string[]): string {
  if (typeof v !== 'string' || !allowed.includes(v)) throw new CatalogError(`${where}: "${field}" must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return v;
}

/** Checks one merged entry; the message names the file, the feed and the field. */
export function checkDefinition(raw: Record<string, unknown>, where: string): FeedDefinition {
  for (const k of Object.keys(raw)) if (!KEYS.has(k)) throw new CatalogError(`${where}: unknown field "${k}"`);
  const id = raw.id;
  if (typeof id !== 'string' || !ID.test(id)) throw new CatalogError(`${where}: "id" must be lowercase letters, digits, '.', '_' or '-', got ${JSON.stringify(id)}`);
  const at = `${where} feed "${id}"`;
  if (typeof raw.name !== 'string' || raw.name.trim() === '') throw new CatalogError(`${at}: "name" is required`);
  const category = oneOf(at, 'category', raw.category, FEED_CATEGORIES) as FeedDefinition['category'];
  const reliability = oneOf(at, 'reliability', raw.reliability, RELIABILITIES) as FeedDefinition['reliability'];
  const format = oneOf(at, 'format', raw.format, FEED_FORMATS) as FeedDefinition['format'];
  const mode = oneOf(at, 'mode', raw.mode ?? (format === 'rss' ? 'incremental' : 'snapshot'), ['snapshot', 'incremental']) as FeedDefinition['mode'];
  // a report feed reads only its new entries: a snapshot would delist every report read before
  if (format === 'rss' && mode !== 'incremental') throw new CatalogError(`${at}: a report feed (format rss) is "incremental"`);
  const url = raw.url ?? null;
  if (url !== null && (typeof url !== 'string' || !/^https?:\/\//i.test(url))) throw new CatalogError(`${at}: "url" must be an http(s) URL or null`);
  const interval = raw.interval ?? (url === null ? 0 : 3600);
  if (typeof interval !== 'number' || !Number.isInteger(interval) || interval < 0 || (url !== null && interval < 60)) {
    throw new CatalogError(`${at}: "interval" must be whole seconds, at least 60 for a fetched feed`);
  }
  const enabled = raw.enabled ?? true;
  if (typeof enabled !== 'boolean') throw new CatalogError(`${at}: "enabled" must be true or false`);
  const license = raw.license ?? '';
  if (typeof license !== 'string') throw new CatalogError(`${at}: "license" must be text`);
  const def: FeedDefinition = { id, name: raw.name.trim(), category, reliability, format, url: url as string | null, interval, mode, enabled, license };
  if (raw.verdict !== undefined) def.verdict = oneOf(at, 'verdict', raw.verdict, ['allow', 'deny']) as 'allow' | 'deny';
  if (category === 'internal' && def.verdict === undefined) throw new CatalogError(`${at}: internal feeds need "verdict": "allow" or "deny"`);
  if (raw.options !== undefined) {
    if (typeof raw.options !== 'object' || raw.options === null || Array.isArray(raw.options)) throw new CatalogError(`${at}: "options" must be an object`);
    def.options = raw.options as Record<string, unknown>;
    const tls = clientTlsProblem(def.options.tls, def.url);
    if (tls !== null) throw new CatalogError(`${at}: ${tls}`);
  }
  const types = typesOf(at, raw.types, format, def.options);
  if (types !== undefined) def.types = types;
  if (format === 'csv-mapping' || format === 'jsonl-mapping') {
    const fields = def.options?.fields as Record<string, unknown> | undefined;
    if (typeof fields?.value !== 'string') throw new CatalogError(`${at}: ${format} needs "options.fields.value" naming the indicator column`);
  }
  const recordsPath = def.options?.recordsPath;
  if (recordsPath !== undefined && (format !== 'jsonl-mapping' || typeof recordsPath !== 'string' || recordsPath.trim() === '')) {
    throw new CatalogError(`${at}: "options.recordsPath" is for the JSON mapping (jsonl-mapping) and names the array holding the records, as a dotted path ("data.items")`);
  }
  return def;
}

function readEntries(file: string): Record<string, unknown>[] {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CatalogError(`${file}: cannot read feed definitions (${errorText(err, file)})`);
  }
  const list = Array.isArray(doc) ? doc : typeof doc === 'object' && doc !== null ? (doc as { feeds?: unknown }).feeds : undefined;
  if (!Array.isArray(list)) throw new CatalogError(`${file}: expected {"feeds": [...]} or an array of feed definitions`);
  return list.map((e, i) => {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new CatalogError(`${file}: entry ${i} is not an object`);
    return e as Record<string, unknown>;
  });
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

export function catalogFrom(definitions: FeedDefinition[]): FeedCatalog {
  const byId = new Map(definitions.map((d) => [d.id, deepFreeze(d)]));
  const infos = new Map<string, FeedInfo>();
  for (const d of byId.values()) {
    const info: FeedInfo = { id: d.id, name: d.name, category: d.category, reliability: d.reliability };
    if (d.verdict) info.verdict = d.verdict;
    infos.set(d.id, Object.freeze(info));
  }
  return {
    list: () => [...byId.values()],
    get: (id) => byId.get(id),
    info: (id) => infos.get(id),
    orphans: () => [],
  };
}

/** The bundled catalog merged with the operator's extra feeds file (entries with a known id override it). */
export function loadCatalog(opts: { extraFeedsFile?: string | null; catalogFile?: string } = {}): FeedCatalog {
  const file = opts.catalogFile ?? BUNDLED_CATALOG;
  const merged = new Map<string, Record<string, unknown>>();
  for (const e of readEntries(file)) {
    const id = String(e.id);
    if (merged.has(id)) throw new CatalogError(`${file}: feed "${id}" is defined twice`);
    merged.set(id, e);
  }
  const extra = opts.extraFeedsFile ?? null;
  const fromExtra = new Set<string>();
  if (extra !== null) {
    for (const e of readEntries(extra)) {
      const id = String(e.id);
      fromExtra.add(id);
      const base = merged.get(id);
      merged.set(id, base ? { ...base, ...e, options: { ...(base.options as object | undefined), ...(e.options as object | undefined) } } : e);
    }
  }
  const defs: FeedDefinition[] = [];
  for (const [id, e] of merged) defs.push(checkDefinition(e, extra !== null && fromExtra.has(id) ? extra : file));
  return catalogFrom(defs);
}
