/** A team's JSON-lines feed (one object a line), read through the key mapping in its catalog entry. */
import type { SightingRecord } from '../../model.ts';
import { mappedRecord, readMapping, rejectOrYield } from './mapping.ts';
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
  const mapping = readMapping(ctx.options);
  for await (const line of lines(input)) {
    if (line.trim() === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      ctx.tally.reject(line, 'not JSON');
      continue;
    }
    if (!isRecord(obj)) {
      ctx.tally.reject(line, 'not a JSON object');
      continue;
    }
    const o = obj;
    const out = rejectOrYield(mappedRecord(mapping, (name) => getPath(o, name)), line, ctx);
    if (out) yield out;
  }
}
