/** Byte-stream helpers shared by the parsers: streaming line splitting and whole-document reads. */
import { parseFeedDate } from './dates.ts';
import { FeedParseError, type ByteSource } from './types.ts';

async function* chunks(input: ByteSource): AsyncIterable<Uint8Array | string> {
  if (typeof input === 'string' || input instanceof Uint8Array) {
    yield input;
    return;
  }
  yield* input;
}

/**
 * Byte chunks of at most 64 KiB. Text decoded from a larger chunk is a string V8 keeps in its
 * large-object space, which only a full collection frees: a file read in 256 KiB chunks left
 * tens of megabytes of such strings behind between collections.
 */
async function* pieces(input: ByteSource): AsyncIterable<Uint8Array | string> {
  for await (const chunk of chunks(input)) {
    if (typeof chunk === 'string' || chunk.length <= PIECE_BYTES) yield chunk;
    else for (let i = 0; i < chunk.length; i += PIECE_BYTES) yield chunk.subarray(i, i + PIECE_BYTES);
  }
}

const PIECE_BYTES = 64 * 1024;

/**
 * Characters a line may have. Feed lines are short (an address, a URL, a CSV row, one JSON object);
 * a "line" longer than this is a file of another kind, or a bomb of zeros without a line break,
 * which would otherwise be held whole as it grows.
 */
export const MAX_LINE_CHARS = 1024 * 1024;

function lineTooLong(): FeedParseError {
  return new FeedParseError(`a line is longer than ${MAX_LINE_CHARS} characters: not a line-based feed file (or a decompression bomb)`);
}

/**
 * Lines without their terminators (LF or CRLF) and without a leading BOM, one array per chunk
 * of input: a parser loops over each array synchronously instead of awaiting every line.
 * Never holds the whole input, nor a line longer than MAX_LINE_CHARS (the run fails instead).
 */
export async function* lineBatches(input: ByteSource): AsyncIterable<string[]> {
  const decoder = new TextDecoder('utf-8');
  let rest = '';
  let first = true;
  for await (const chunk of pieces(input)) {
    let text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    rest += text;
    const batch: string[] = [];
    let start = 0;
    let nl = rest.indexOf('\n', start);
    while (nl !== -1) {
      const end = nl > start && rest.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      batch.push(rest.slice(start, end));
      start = nl + 1;
      nl = rest.indexOf('\n', start);
    }
    rest = rest.slice(start);
    if (rest.length > MAX_LINE_CHARS) throw lineTooLong();
    if (batch.length > 0) yield batch;
  }
  rest += decoder.decode();
  if (rest.endsWith('\r')) rest = rest.slice(0, -1);
  if (rest.length > MAX_LINE_CHARS) throw lineTooLong();
  if (rest.length > 0) yield [rest];
}

/** Lines without their terminators (LF or CRLF) and without a leading BOM; never holds the whole input. */
export async function* lines(input: ByteSource): AsyncIterable<string> {
  for await (const batch of lineBatches(input)) yield* batch;
}

/**
 * Bytes a JSON document may have, unless the feed's `options.maxJsonBytes` says otherwise. A JSON
 * document is parsed whole (a STIX bundle's relationships and a MISP event's tags reach across
 * it), and reading and parsing one takes about three times its size in memory (a 64 MiB
 * KEV-like document: ~175 MB).
 */
export const DEFAULT_MAX_JSON_BYTES = 64 * 1024 * 1024;

/** The feed's cap on one JSON document: `options.maxJsonBytes` when it is a positive number, else the default. */
export function jsonCapOf(options: Readonly<Record<string, unknown>> | undefined): number {
  const v = options?.['maxJsonBytes'];
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : DEFAULT_MAX_JSON_BYTES;
}

/** `2 GiB (2147483648 bytes)`: a size for a message, readable as well as exact. */
export function formatBytes(n: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = -1;
  while (v >= 1024 && v % 1024 === 0 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i < 0 ? `${n} bytes` : `${v} ${units[i]} (${n} bytes)`;
}

/** The error of a JSON document over its cap (the parsers' and the MISP and TAXII downloads'). */
export function jsonTooLarge(what: string, cap: number): FeedParseError {
  return new FeedParseError(`${what}: the JSON document is larger than ${formatBytes(cap)}, the feed's cap on one JSON document (options.maxJsonBytes)`);
}

/**
 * Reads a JSON document of at most `maxBytes` bytes (a feed's `jsonCapOf(options)`); a larger
 * one fails before it is parsed, and is not held whole while it is read.
 */
export async function readJson(input: ByteSource, what: string, maxBytes: number): Promise<unknown> {
  const parts: string[] = [];
  const decoder = new TextDecoder('utf-8');
  let bytes = 0;
  for await (const chunk of chunks(input)) {
    bytes += chunk.length; // characters of a string: close enough for a cap

    if (bytes > maxBytes) throw jsonTooLarge(what, maxBytes);
    parts.push(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
  }
  parts.push(decoder.decode());
  let text = parts.join('');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new FeedParseError(`${what}: not valid JSON (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | null {
  if (typeof v === 'string') {
    const t = v.trim();
    return t === '' ? null : t;
  }
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

/**
 * A feed's date as RFC 3339 UTC, or null when absent or not a date. Reads `YYYY-MM-DD`,
 * `YYYY-MM-DD HH:MM:SS` (UTC, abuse.ch), ISO 8601 with offsets and fractions, Unix seconds as a
 * number or a string (MISP), and RFC 1123 / asctime as list headers write them (see dates.ts).
 */
export function toIsoDate(raw: unknown): string | null {
  const s = str(raw);
  if (s === null) return null;
  // feeds repeat the same few dates across thousands of rows; reading one is the costly part
  const hit = dateMemo.get(s);
  if (hit !== undefined) return hit;
  const iso = parseFeedDate(s);
  if (dateMemo.size >= DATE_MEMO_SIZE) dateMemo.clear();
  dateMemo.set(s, iso);
  return iso;
}

const DATE_MEMO_SIZE = 4096;
const dateMemo = new Map<string, string | null>();

/** Splits a tag list (`a,b`, `a;b`, an array) into trimmed, non-empty, unique tags. */
export function splitTags(raw: unknown): string[] {
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(/[,;|]/) : [];
  const out = new Set<string>();
  for (const t of list) {
    const s = str(t);
    if (s !== null && s.toLowerCase() !== 'none' && s.toLowerCase() !== 'n/a') out.add(s);
  }
  return [...out];
}

/** A 0–100 confidence, or null. */
export function toConfidence(raw: unknown): number | null {
  const s = str(raw);
  if (s === null) return null;
  const n = Number(s);
  if (!Number.isFinite(n) || n < 0 || n > 100) return null;
  return Math.round(n);
}
