/**
 * CSV as abuse.ch and most internal exports write it: quoted or bare fields, `""` escapes,
 * a space after the comma allowed (MalwareBazaar), quoted fields that span lines.
 */
import { lineBatches } from './text.ts';
import type { ByteSource } from './types.ts';

/** Splits one complete CSV record. Returns null when a quote is left open (the record continues on the next line). */
export function splitCsv(line: string, delimiter = ','): string[] | null {
  if (!line.includes('"')) {
    const fields = line.split(delimiter);
    for (let k = 0; k < fields.length; k++) fields[k] = (fields[k] as string).trim();
    return fields;
  }
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

/** What `CsvLineReader.read` made of a line. */
export const CsvLine = { Skip: 0, Comment: 1, Row: 2 } as const;
export type CsvLine = (typeof CsvLine)[keyof typeof CsvLine];

/**
 * Turns physical lines into CSV records, one line at a time and synchronously: blank lines and
 * comments between records, quoted fields that continue on the next line (at most 50 lines, after
 * which the record is given up as malformed). The last record read is in `raw` and `fields`.
 */
export class CsvLineReader {
  /** The raw text of the last record (for reject samples), or the last comment line. */
  raw = '';
  /** The last record's fields; empty for a record whose quote never closed. */
  fields: string[] = [];
  private pending: string | null = null;
  private pendingLines = 0;

  constructor(
    private readonly delimiter = ',',
    private readonly commentPrefixes: readonly string[] = ['#'],
  ) {}

  read(line: string): CsvLine {
    if (this.pending === null) {
      if (line.trim() === '') return CsvLine.Skip;
      if (this.isComment(line)) {
        this.raw = line;
        return CsvLine.Comment;
      }
    }
    const text: string = this.pending === null ? line : `${this.pending}\n${line}`;
    const fields = splitCsv(text, this.delimiter);
    if (fields === null && this.pendingLines < MAX_RECORD_LINES) {
      this.pending = text;
      this.pendingLines++;
      return CsvLine.Skip;
    }
    this.pending = null;
    this.pendingLines = 0;
    this.raw = text;
    this.fields = fields ?? [];
    return CsvLine.Row;
  }

  /** At the end of the input: a record left open becomes a malformed row. */
  finish(): CsvLine {
    if (this.pending === null) return CsvLine.Skip;
    this.raw = this.pending;
    this.fields = [];
    this.pending = null;
    return CsvLine.Row;
  }

  private isComment(line: string): boolean {
    for (const p of this.commentPrefixes) if (line.startsWith(p)) return true;
    return false;
  }
}

/** Yields comments and records in order, so a caller can read a header kept in a comment line. */
export async function* csvStream(input: ByteSource, opts: CsvReadOptions = {}): AsyncIterable<CsvStreamItem> {
  const reader = new CsvLineReader(opts.delimiter ?? ',', opts.commentPrefixes ?? ['#']);
  for await (const batch of lineBatches(input)) {
    for (const line of batch) {
      const kind = reader.read(line);
      if (kind === CsvLine.Comment) yield { kind: 'comment', comment: reader.raw };
      else if (kind === CsvLine.Row) yield { kind: 'row', row: { raw: reader.raw, fields: reader.fields } };
    }
  }
  if (reader.finish() === CsvLine.Row) yield { kind: 'row', row: { raw: reader.raw, fields: reader.fields } };
}

/** Reads a header from a comment line such as `# id,dateadded,url` or `# "first_seen_utc","sha256_hash"`. */
export function headerFromComment(comment: string, expect: string, delimiter = ','): string[] | null {
  const body = comment.replace(/^[#;]+\s*/, '');
  if (!body.toLowerCase().includes(expect)) return null;
  const fields = splitCsv(body, delimiter);
  return fields === null ? null : fields.map((f) => f.toLowerCase());
}
