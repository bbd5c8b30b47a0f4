/** A team's CSV feed, read through the column mapping in its catalog entry (see mapping.ts). */
import type { SightingRecord } from '../../model.ts';
import { csvStream } from './csv.ts';
import { mappedRecord, readMapping, rejectOrYield } from './mapping.ts';
import type { ByteSource, ParseContext } from './types.ts';

export async function* parseCsvMapping(input: ByteSource, ctx: ParseContext): AsyncIterable<SightingRecord> {
  const mapping = readMapping(ctx.options);
  const delimiter = typeof ctx.options.delimiter === 'string' && ctx.options.delimiter !== '' ? ctx.options.delimiter : ',';
  const fixed = Array.isArray(ctx.options.columns) ? ctx.options.columns.map(String) : null;
  let index: Map<string, number> | null = fixed ? new Map(fixed.map((c, i) => [c, i])) : null;
  const header = ctx.options.header !== false && fixed === null;
  for await (const item of csvStream(input, { delimiter, commentPrefixes: ['#'] })) {
    const row = item.row;
    if (item.kind !== 'row' || row === undefined) continue;
    if (index === null) {
      if (header) {
        index = new Map(row.fields.map((c, i) => [c, i]));
        continue;
      }
      index = new Map(row.fields.map((_c, i) => [String(i), i]));
    }
    const cols = index;
    const rec = mappedRecord(mapping, (name) => {
      const i = cols.get(name);
      return i === undefined ? undefined : row.fields[i];
    });
    const out = rejectOrYield(rec, row.raw, ctx);
    if (out) yield out;
  }
}
