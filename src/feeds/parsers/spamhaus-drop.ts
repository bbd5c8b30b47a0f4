/**
 * Spamhaus DROP / DROPv6 / EDROP text: `1.10.16.0/20 ; SBL256894` a line after a `;` comment
 * header that states when the list was made (`; Last-Modified: Fri, 17 Jan 2025 17:03:47 GMT`),
 * and `; EOF`. Each line is a hijacked or criminal-controlled range, stored as `cidr` with its
 * SBL record (`sbl`). Lines in the newer NDJSON form (`{"cidr":…,"sblid":…,"rir":…}`, then a
 * `{"type":"metadata","timestamp":…}` line) are read too, so either download imports under
 * either format.
 *
 * A line without a prefix length is refused: DROP lists ranges, and a bare address in it is a
 * file of another kind, not a /32. The ranges are dated by the list's own date, which the NDJSON
 * form gives only in its last line: ranges read before any date are held (at most HOLD_MAX)
 * until it arrives, and go out undated if it never does.
 */
import type { SightingRecord } from '../../model.ts';
import { fileDateOf } from './file-date.ts';
import { looksLikeOf, toIndicator } from './indicator.ts';
import { isRecord, lines, str, toIsoDate } from './text.ts';
import type { ByteSource, ParseContext } from './types.ts';

const SBL = /SBL\d+/;
/** Ranges held while waiting for the list's date; DROP and DROPv6 list a few thousand. */
const HOLD_MAX = 50_000;

export type Refusal = { reason: string; looksLike?: string };
/** One line: a record, the list's date (the NDJSON metadata line), or why it is refused. */
export type DropLine = SightingRecord | { date: string | null } | Refusal;

export function dropRecord(cidr: string, sbl: string | null, rir: string | null = null): SightingRecord | Refusal {
  if (!cidr.includes('/')) return { reason: 'not a range (no prefix length)', looksLike: looksLikeOf(cidr) };
  const ind = toIndicator(cidr, 'cidr');
  if (!ind.ok) return { reason: ind.reason, looksLike: looksLikeOf(cidr) };
  const attributes: Record<string, unknown> = {};
  if (sbl !== null) attributes.sbl = sbl;
  if (rir !== null) attributes.rir = rir;
  return {
    type: 'cidr',
    value: ind.value,
    threatType: 'hijacked_range',
    tags: [],
    referenceUrl: sbl !== null ? `https://check.spamhaus.org/sbl/query/${sbl}` : null,
    attributes,
  };
}

/** One NDJSON line: parsed, its metadata line read as the list's date, the rest left to `read`. */
export function spamhausJsonLine(line: string, read: (obj: Record<string, unknown>) => SightingRecord | Refusal): DropLine {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    return { reason: 'not JSON', looksLike: looksLikeOf(line) };
  }
  if (!isRecord(obj)) return { reason: 'not a JSON object', looksLike: 'json' };
  if (obj.type === 'metadata') return { date: toIsoDate(obj.timestamp) };
  return read(obj);
}

/** One NDJSON line of DROP. */
export function dropJsonLine(line: string): DropLine {
  return spamhausJsonLine(line, (obj) => {
    const cidr = str(obj.cidr);
    // an ASN-DROP line read as DROP: say so, for the mismatch message
    if (cidr === null) return { reason: 'no cidr', looksLike: obj.asn !== undefined ? 'asn' : 'json' };
    return dropRecord(cidr, str(obj.sblid), str(obj.rir));
  });
}

function dropTextLine(t: string): SightingRecord | Refusal {
  const semi = t.indexOf(';');
  const range = (semi === -1 ? t : t.slice(0, semi)).trim();
  const sbl = semi === -1 ? null : (SBL.exec(t.slice(semi))?.[0] ?? null);
  return dropRecord(range, sbl);
}

function dated(rec: SightingRecord, date: string): SightingRecord {
  rec.firstSeen = date;
  rec.lastSeen = date;
  rec.dateSource = 'file';
  return rec;
}

/**
 * The reading every Spamhaus list shares: `;` comment lines (the first stated date is the list's),
 * JSON lines to `json` and other lines to `text`; records dated by the list's date, held until
 * it comes (NDJSON states it last).
 */
export async function* readSpamhausList(
  input: ByteSource,
  ctx: ParseContext,
  json: (line: string) => DropLine,
  text: (line: string) => SightingRecord | Refusal,
): AsyncIterable<SightingRecord> {
  let fileDate: string | null = null;
  let held: SightingRecord[] | null = [];
  for await (const line of lines(input)) {
    const t = line.trim();
    if (t === '') continue;
    let out: DropLine;
    if (t.startsWith(';') || t.startsWith('#')) {
      if (fileDate === null) out = { date: fileDateOf(t) };
      else continue;
    } else out = t.startsWith('{') ? json(t) : text(t);
    if ('reason' in out) {
      ctx.tally.reject(line, out.reason, out.looksLike);
    } else if ('date' in out) {
      if (out.date === null || fileDate !== null) continue;
      fileDate = out.date;
      if (held !== null) for (const rec of held) yield dated(rec, fileDate);
      held = null;
    } else if (fileDate !== null) {
      yield dated(out, fileDate);
    } else if (held !== null && held.length < HOLD_MAX) {
      held.push(out);
    } else {
      // past the bound: what is held goes out undated, and so does the rest until a date comes
      if (held !== null) yield* held;
      held = null;
      yield out;
    }
  }
  if (held !== null) yield* held;
}

export function parseSpamhausDrop(input: ByteSource, ctx: ParseContext): AsyncIterable<SightingRecord> {
  return readSpamhausList(input, ctx, dropJsonLine, dropTextLine);
}
