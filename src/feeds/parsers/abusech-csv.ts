/**
 * abuse.ch CSV dumps share one layout: a `#` banner stating when the dump was made
 * (`# Last updated: 2024-01-10 10:05:22 UTC`), the column names in the last comment line before
 * the data (`# id,dateadded,…`), quoted fields, and sometimes a trailing `# Number of entries`
 * comment. The header is read from the file; the documented one is the fallback.
 */
import { csvStream, headerFromComment } from './csv.ts';
import { fileDateOf } from './file-date.ts';
import { looksLikeOf } from './indicator.ts';
import type { ByteSource } from './types.ts';

export interface NamedRow {
  raw: string;
  get(column: string): string | null;
  /** The date the banner states for the dump, when it states one before this row. */
  fileDate: string | null;
  /**
   * What a row refused for its `column` looks like: the cell's kind, or the whole row's when
   * the cell is missing (a file of another format has fewer columns).
   */
  looksLike(column: string): string;
}

export async function* abusechRows(input: ByteSource, keyColumn: string, fallbackHeader: readonly string[]): AsyncIterable<NamedRow> {
  let header: readonly string[] = fallbackHeader;
  let index = new Map(header.map((h, i) => [h, i]));
  let fileDate: string | null = null;
  for await (const item of csvStream(input)) {
    if (item.kind === 'comment') {
      const comment = item.comment ?? '';
      if (fileDate === null) fileDate = fileDateOf(comment);
      const h = headerFromComment(comment, keyColumn);
      if (h !== null) {
        header = h;
        index = new Map(header.map((name, i) => [name, i]));
      }
      continue;
    }
    const row = item.row;
    if (row === undefined) continue;
    const fields = row.fields;
    const at = index;
    const get = (column: string): string | null => {
      const i = at.get(column);
      if (i === undefined) return null;
      const v = fields[i];
      return v === undefined || v === '' ? null : v;
    };
    yield {
      raw: row.raw,
      get,
      fileDate,
      looksLike(column: string): string {
        const cell = get(column);
        return looksLikeOf(cell ?? row.raw);
      },
    };
  }
}
