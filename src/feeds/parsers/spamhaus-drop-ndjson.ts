/**
 * Spamhaus DROP in the NDJSON format: `{"cidr":…,"sblid":…,"rir":…}` a line, then one
 * `{"type":"metadata",…}` line that is not a range.
 */
import type { SightingRecord } from '../../model.ts';
import { dropRecord } from './spamhaus-drop.ts';
import { isRecord, lines, str } from './text.ts';
import type { ByteSource, ParseContext } from './types.ts';

export async function* parseSpamhausDropNdjson(input: ByteSource, ctx: ParseContext): AsyncIterable<SightingRecord> {
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
    if (obj.type === 'metadata') continue;
    const cidr = str(obj.cidr);
    if (cidr === null) {
      ctx.tally.reject(line, 'no cidr');
      continue;
    }
    const rir = str(obj.rir);
    const rec = dropRecord(cidr, str(obj.sblid), rir ? { rir } : {});
    if (typeof rec === 'string') ctx.tally.reject(line, rec);
    else yield rec;
  }
}
