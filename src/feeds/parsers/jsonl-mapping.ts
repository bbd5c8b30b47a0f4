/**
 * A team's JSON feed, read through the key mapping in its catalog entry: JSON lines (one object a
 * line), a JSON array of objects, or one JSON document whose records are the array at
 * `options.recordsPath` (a dotted path, `data.items`). An array document is recognised by its
 * first character; JSON lines are read as a stream, a document whole (within `maxJsonBytes`).
 * Its dates are the mapped `firstSeen`/`lastSeen` keys (ISO 8601 or Unix seconds) and nothing else.
 */
import type { SightingRecord } from '../../model.ts';
import { looksLikeOf } from './indicator.ts';
import { RecordMapper, readMapping } from './mapping.ts';
import { isRecord, jsonCapOf, lines, readJson } from './text.ts';
import { FeedParseError, type ByteSource, type ParseContext } from './types.ts';

function getPath(obj: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(obj, path)) return obj[path];
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (!isRecord(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

/** Bytes looked at, at most, for the first character before reading the input as lines. */
const PEEK_MAX_BYTES = 1024 * 1024;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** The first character that is not white space (or a leading BOM), or null within the first bytes. */
function firstChar(bytes: Uint8Array, atStart: boolean): string | null {
  let i = atStart && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  for (; i < bytes.length; i++) if (!WHITESPACE.has(bytes[i] as number)) return String.fromCharCode(bytes[i] as number);
  return null;
}

/** The input's first character, and the input to read from the start again. */
async function peek(input: ByteSource): Promise<{ first: string | null; input: ByteSource }> {
  if (typeof input === 'string') return { first: /\S/.exec(input.replace(/^\ufeff/, ''))?.[0] ?? null, input };
  if (input instanceof Uint8Array) return { first: firstChar(input, true), input };
  const it = input[Symbol.asyncIterator]();
  const held: Uint8Array[] = [];
  let first: string | null = null;
  let done = false;
  let bytes = 0;
  while (first === null && bytes < PEEK_MAX_BYTES) {
    const n = await it.next();
    if (n.done === true) {
      done = true;
      break;
    }
    held.push(n.value);
    first = firstChar(n.value, bytes === 0);
    bytes += n.value.length;
  }
  async function* replay(): AsyncIterable<Uint8Array> {
    let finished = done;
    try {
      yield* held;
      held.length = 0;
      while (!finished) {
        const n = await it.next();
        if (n.done === true) finished = true;
        else yield n.value;
      }
    } finally {
      if (!finished) await it.return?.();
    }
  }
  return { first, input: replay() };
}

/** `options.recordsPath`: the dotted path of the array holding the records, or null. */
function recordsPathOf(options: Readonly<Record<string, unknown>>): string | null {
  const p = options.recordsPath;
  if (p === undefined || p === null) return null;
  if (typeof p !== 'string' || p.trim() === '') throw new FeedParseError('JSON mapping: options.recordsPath must name the array holding the records, as a dotted path ("data.items")');
  return p.trim();
}

/** What a path leads to, in words, for an error. */
function kindOf(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return isRecord(v) ? `an object (keys: ${Object.keys(v).slice(0, 8).join(', ') || 'none'})` : `a ${typeof v}`;
}

/** The records of a whole JSON document: the document itself when it is an array, else the array at `path`. */
function recordsOf(doc: unknown, path: string | null): unknown[] {
  if (path === null) {
    if (Array.isArray(doc)) return doc;
    throw new FeedParseError(`JSON mapping: the document is ${kindOf(doc)}, not an array of records; set options.recordsPath to the array that holds them`);
  }
  const found = isRecord(doc) ? getPath(doc, path) : undefined;
  if (Array.isArray(found)) return found;
  throw new FeedParseError(`JSON mapping: options.recordsPath "${path}" leads to ${kindOf(found)} in a document that is ${kindOf(doc)}; it must name an array of records`);
}

export async function* parseJsonlMapping(input: ByteSource, ctx: ParseContext): AsyncIterable<SightingRecord> {
  const mapper = new RecordMapper(readMapping(ctx.options));
  const { cells, attributeCells, columnOf } = mapper;
  const attributeKeys = mapper.mapping.attributes;
  /** The record for one object, or null when it is refused (counted, with `row()` as the sample). */
  const mapObject = (obj: unknown, row: () => string): SightingRecord | null => {
    if (!isRecord(obj)) {
      ctx.tally.reject(row(), 'not a JSON object', 'json');
      return null;
    }
    for (let i = 0; i < cells.length; i++) {
      const path = columnOf[i];
      cells[i] = path === undefined ? undefined : getPath(obj, path);
    }
    for (let i = 0; i < attributeCells.length; i++) attributeCells[i] = getPath(obj, attributeKeys[i] as string);
    const rec = mapper.map();
    if (typeof rec !== 'string') return rec;
    const text = row();
    ctx.tally.reject(text, rec, mapper.looksLike(text));
    return null;
  };

  const recordsPath = recordsPathOf(ctx.options);
  const peeked = await peek(input);
  if (recordsPath !== null || peeked.first === '[') {
    const doc = await readJson(peeked.input, 'JSON mapping', jsonCapOf(ctx.options));
    for (const obj of recordsOf(doc, recordsPath)) {
      const rec = mapObject(obj, () => JSON.stringify(obj) ?? String(obj));
      if (rec !== null) yield rec;
    }
    return;
  }
  let firstLine = true;
  for await (const line of lines(peeked.input)) {
    if (line.trim() === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      const t = line.trim();
      if (firstLine && t.startsWith('{') && !t.endsWith('}')) {
        throw new FeedParseError('JSON mapping: this is one JSON document spread over lines, not JSON lines (one object a line); set options.recordsPath to the array that holds the records (e.g. "data.items")');
      }
      firstLine = false;
      ctx.tally.reject(line, 'not JSON', looksLikeOf(line));
      continue;
    }
    firstLine = false;
    const rec = mapObject(obj, () => line);
    if (rec !== null) yield rec;
  }
}
