/**
 * abuse.ch CSV dumps share one layout: a `#` banner, the column names in the last comment line
 * before the data (`# id,dateadded,url,…`), quoted fields, and sometimes a trailing
 * `# Number of entries` comment. The header is read from the file; the documented one is the fallback.
 */
import { csvStream, headerFromComment } from './csv.ts';
import type { ByteSource } from './types.ts';

export interface NamedRow {
  raw: string;
  get(column: string): string | null;
}

export async function* abusechRows(input: ByteSource, keyColumn: string, fallbackHeader: readonly string[]): AsyncIterable<NamedRow> {
  let header: readonly string[] = fallbackHeader;
  let index = new Map(header.map((h, i) => [h, i]));
  for await (const item of csvStream(input)) {
    if (item.kind === 'comment') {
      const h = headerFromComment(item.comment ?? '', keyColumn);
      if (h !== null) {
        header = h;
        index = new Map(header.map((name, i) => [name, i]));
      }
      continue;
    }
    const row = item.row;
    if (row === undefined) continue;
    const fields = row.fields;
    yield {
      raw: row.raw,
      get(column: string): string | null {
        const i = index.get(column);
        if (i === undefined) return null;
        const v = fields[i];
        return v === undefined || v === '' ? null : v;
      },
    };
  }
}
