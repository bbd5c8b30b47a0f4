/**
 * A team's JSON-lines feed (one object a line), read through the key mapping in its catalog entry.
 * Its dates are the mapped `firstSeen`/`lastSeen` keys (ISO 8601 or Unix seconds) and nothing else.
 */
import type { SightingRecord } from '../../model.ts';
import { looksLikeOf } from './indicator.ts';
import { RecordMapper, readMapping } from './mapping.ts';
import { isRecord, lines } from './text.ts';
import type { ByteSource, ParseContext } from './types.ts';

function getPath(obj: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(obj, path)) return obj[path];
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (!isRecord(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

export async function* parseJsonlMapping(input: ByteSource, ctx: ParseContext): AsyncIterable<SightingRecord> {
  const mapper = new RecordMapper(readMapping(ctx.options));
  const { cells, attributeCells, columnOf } = mapper;
  const attributeKeys = mapper.mapping.attributes;
  for await (const line of lines(input)) {
    if (line.trim() === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      ctx.tally.reject(line, 'not JSON', looksLikeOf(line));
      continue;
    }
    if (!isRecord(obj)) {
      ctx.tally.reject(line, 'not a JSON object', 'json');
      continue;
    }
    for (let i = 0; i < cells.length; i++) {
      const path = columnOf[i];
      cells[i] = path === undefined ? undefined : getPath(obj, path);
    }
    for (let i = 0; i < attributeCells.length; i++) attributeCells[i] = getPath(obj, attributeKeys[i] as string);
    const rec = mapper.map();
    if (typeof rec === 'string') ctx.tally.reject(line, rec, mapper.looksLike(line));
    else yield rec;
  }
}
