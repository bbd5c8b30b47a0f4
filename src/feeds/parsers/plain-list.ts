/**
 * Plain lists: one indicator a line, `#`/`;` comments (whole-line or trailing), as Emerging Threats,
 * blocklist.de, CINS Army, OpenPhish and Tor exit lists publish them. DShield-style lists with
 * several whitespace-separated columns pick theirs with `options.column`, and build a range from
 * a start-address column and a prefix-length column with `options.prefixColumn`.
 * Options: `type` (stored type, else detected), `threatType`, `tags`, `column` (0-based),
 * `prefixColumn`, `header` (true: the first non-comment line names the columns).
 * A list has no dates of its own: the date its header comment states (file-date.ts) dates every
 * entry, and a list that states none yields undated records.
 */
import type { SightingRecord } from '../../model.ts';
import { isThreatType } from '../threat-types.ts';
import { fileDateOf } from './file-date.ts';
import { looksLikeOf, toIndicator, typeOption } from './indicator.ts';
import { lineBatches, splitTags } from './text.ts';
import type { ByteSource, ParseContext } from './types.ts';

const WHITESPACE = /\s+/;
const TRAILING_COMMENT = /\s[#;]/;

export async function* parsePlainList(input: ByteSource, ctx: ParseContext): AsyncIterable<SightingRecord> {
  const type = typeOption(ctx.options.type);
  const threatType = isThreatType(ctx.options.threatType) ? ctx.options.threatType : null;
  const tags = splitTags(ctx.options.tags);
  const column = typeof ctx.options.column === 'number' ? ctx.options.column : 0;
  const prefixColumn = typeof ctx.options.prefixColumn === 'number' ? ctx.options.prefixColumn : null;
  let header = ctx.options.header === true;
  let fileDate: string | null = null;
  for await (const batch of lineBatches(input)) {
    for (const line of batch) {
      const c = line.charCodeAt(0);
      if (c === 35 /* # */ || c === 59 /* ; */) {
        if (fileDate === null) fileDate = fileDateOf(line);
        continue;
      }
      // a trailing comment needs whitespace before it: `;` and `#` also occur inside URLs
      const cut = line.includes('#') || line.includes(';') ? TRAILING_COMMENT.exec(line) : null;
      const text = (cut ? line.slice(0, cut.index) : line).trim();
      if (text === '') continue;
      if (header) {
        header = false;
        continue;
      }
      let raw: string | undefined;
      if (column === 0 && prefixColumn === null && !WHITESPACE.test(text)) raw = text;
      else {
        const cols = text.split(WHITESPACE);
        raw = cols[column];
        if (raw !== undefined && prefixColumn !== null) {
          const prefix = cols[prefixColumn];
          raw = prefix === undefined ? undefined : `${raw}/${prefix}`;
        }
      }
      if (raw === undefined) {
        ctx.tally.reject(line, `missing column ${prefixColumn ?? column}`, looksLikeOf(text));
        continue;
      }
      const ind = toIndicator(raw, prefixColumn !== null ? 'cidr' : type);
      if (!ind.ok) {
        ctx.tally.reject(line, ind.reason, looksLikeOf(raw));
        continue;
      }
      if (fileDate === null) yield { type: ind.type, value: ind.value, threatType, tags };
      else yield { type: ind.type, value: ind.value, firstSeen: fileDate, lastSeen: fileDate, dateSource: 'file', threatType, tags };
    }
  }
}
