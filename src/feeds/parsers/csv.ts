/**
 * CSV as abuse.ch and most internal exports write it: quoted or bare fields, `""` escapes,
 * a space after the comma allowed (MalwareBazaar), quoted fields that span lines.
 */
import { lines } from './text.ts';
import type { ByteSource } from './types.ts';

/** Splits one complete CSV record. Returns null when a quote is left open (the record continues on the next line). */
export function splitCsv(line: string, delimiter = ','): string[] | null {
  if (!line.includes('"')) return line.split(delimiter).map((f) => f.trim());
  const fields: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    while (i < n && line[i] === ' ') i++;
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q === -1) return null;
        value += line.slice(i, q);
        if (line[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      const next = line.indexOf(delimiter, i);
      fields.push(value);
      if (next === -1) return fields;
      i = next + delimiter.length;
    } else {
      const next = line.indexOf(delimiter, i);
      if (next === -1) {
        fields.push(line.slice(i).trim());
        return fields;
      }
      fields.push(line.slice(i, next).trim());
      i = next + delimiter.length;
    }
  }
}

export interface CsvRow {
  /** The raw text of the record, for reject samples. */
  raw: string;
  fields: string[];
}

export interface CsvReadOptions {
  delimiter?: string;
  /** Lines starting with any of these are comments (the header may sit in the last one). */
  commentPrefixes?: readonly string[];
}

export interface CsvStreamItem {
  kind: 'row' | 'comment';
  row?: CsvRow;
  comment?: string;
}

const MAX_RECORD_LINES = 50;

/** Yields comments and records in order, so a caller can read a header kept in a comment line. */
export async function* csvStream(input: ByteSource, opts: CsvReadOptions = {}): AsyncIterable<CsvStreamItem> {
  const delimiter = opts.delimiter ?? ',';
  const prefixes = opts.commentPrefixes ?? ['#'];
  let pending: string | null = null;
  let pendingLines = 0;
  for await (const line of lines(input)) {
    if (pending === null) {
      if (line.trim() === '') continue;
      if (prefixes.some((p) => line.startsWith(p))) {
        yield { kind: 'comment', comment: line };
        continue;
      }
    }
    const text: string = pending === null ? line : `${pending}\n${line}`;
    const fields = splitCsv(text, delimiter);
    if (fields === null && pendingLines < MAX_RECORD_LINES) {
      pending = text;
      pendingLines++;
      continue;
    }
    pending = null;
    pendingLines = 0;
    yield { kind: 'row', row: { raw: text, fields: fields ?? [] } };
  }
  if (pending !== null) yield { kind: 'row', row: { raw: pending, fields: [] } };
}

/** Reads a header from a comment line such as `# id,dateadded,url` or `# "first_seen_utc","sha256_hash"`. */
export function headerFromComment(comment: string, expect: string, delimiter = ','): string[] | null {
  const body = comment.replace(/^[#;]+\s*/, '');
  if (!body.toLowerCase().includes(expect)) return null;
  const fields = splitCsv(body, delimiter);
  return fields === null ? null : fields.map((f) => f.toLowerCase());
}
