/**
 * A team's CSV feed, read through the column mapping in its catalog entry (see mapping.ts).
 * `#` lines are comments; one stating the file's date (file-date.ts) dates the rows that map none.
 */
import type { SightingRecord } from '../../model.ts';
import { CsvLine, CsvLineReader } from './csv.ts';
import { fileDateOf, withFileDate } from './file-date.ts';
import { RecordMapper, readMapping } from './mapping.ts';
import { lineBatches } from './text.ts';
import type { ByteSource, ParseContext } from './types.ts';

/** Where each mapped field and attribute sits in a row (-1: no such column). */
interface ColumnPositions {
  fields: number[];
  attributes: number[];
}

function positions(mapper: RecordMapper, names: readonly string[]): ColumnPositions {
  const index = new Map<string, number>();
  // a repeated header name is read from its last column, as a name → position map would
  names.forEach((c, i) => index.set(c, i));
  const at = (name: string | undefined): number => (name === undefined ? -1 : (index.get(name) ?? -1));
  return { fields: mapper.columnOf.map(at), attributes: mapper.mapping.attributes.map(at) };
}

export async function* parseCsvMapping(input: ByteSource, ctx: ParseContext): AsyncIterable<SightingRecord> {
  const mapper = new RecordMapper(readMapping(ctx.options));
  const delimiter = typeof ctx.options.delimiter === 'string' && ctx.options.delimiter !== '' ? ctx.options.delimiter : ',';
  const fixed = Array.isArray(ctx.options.columns) ? ctx.options.columns.map(String) : null;
  let cols: ColumnPositions | null = fixed ? positions(mapper, fixed) : null;
  const header = ctx.options.header !== false && fixed === null;
  const reader = new CsvLineReader(delimiter, ['#']);
  const { cells, attributeCells } = mapper;
  let fileDate: string | null = null;
  // one record, or null when the row was the header or was rejected
  const mapRow = (): SightingRecord | null => {
    const fields = reader.fields;
    if (cols === null) {
      cols = positions(mapper, header ? fields : fields.map((_c, i) => String(i)));
      if (header) return null;
    }
    for (let i = 0; i < cells.length; i++) {
      const at = cols.fields[i] as number;
      cells[i] = at < 0 ? undefined : fields[at];
    }
    for (let i = 0; i < attributeCells.length; i++) {
      const at = cols.attributes[i] as number;
      attributeCells[i] = at < 0 ? undefined : fields[at];
    }
    const rec = mapper.map();
    if (typeof rec !== 'string') return fileDate === null ? rec : withFileDate(rec, fileDate);
    ctx.tally.reject(reader.raw, rec, mapper.looksLike(reader.raw));
    return null;
  };
  for await (const batch of lineBatches(input)) {
    for (const line of batch) {
      const kind = reader.read(line);
      if (kind === CsvLine.Comment) {
        if (fileDate === null) fileDate = fileDateOf(reader.raw);
        continue;
      }
      if (kind !== CsvLine.Row) continue;
      const rec = mapRow();
      if (rec !== null) yield rec;
    }
  }
  if (reader.finish() === CsvLine.Row) {
    const rec = mapRow();
    if (rec !== null) yield rec;
  }
}
