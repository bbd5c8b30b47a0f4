/**
 * Spamhaus DROP / DROPv6 / EDROP text: `1.10.16.0/20 ; SBL256894`, `;` comment header and `; EOF`.
 * Each line is a hijacked or criminal-controlled range, stored as `cidr` with its SBL reference.
 * Lines in the newer NDJSON form are read too, so either download imports under either format.
 */
import type { SightingRecord } from '../../model.ts';
import { toIndicator } from './indicator.ts';
import { isRecord, lines, str } from './text.ts';
import type { ByteSource, ParseContext } from './types.ts';

const SBL = /SBL\d+/;

export function dropRecord(cidr: string, sblId: string | null, extra: Record<string, unknown> = {}): SightingRecord | string {
  const ind = toIndicator(cidr.includes('/') ? cidr : `${cidr}/${cidr.includes(':') ? 128 : 32}`, 'cidr');
  if (!ind.ok) return ind.reason;
  return {
    type: 'cidr',
    value: ind.value,
    threatType: 'hijacked_range',
    tags: [],
    referenceUrl: sblId ? `https://check.spamhaus.org/sbl/query/${sblId}` : null,
    attributes: { ...(sblId ? { sblId } : {}), ...extra },
  };
}

/** One NDJSON line: a range record, null for the trailing metadata line, or a reject reason. */
export function dropJsonLine(line: string): SightingRecord | string | null {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  if (!isRecord(obj)) return 'not a JSON object';
  if (obj.type === 'metadata') return null;
  const cidr = str(obj.cidr);
  if (cidr === null) return 'no cidr';
  const rir = str(obj.rir);
  return dropRecord(cidr, str(obj.sblid), rir ? { rir } : {});
}

export async function* parseSpamhausDrop(input: ByteSource, ctx: ParseContext): AsyncIterable<SightingRecord> {
  for await (const line of lines(input)) {
    const t = line.trim();
    if (t === '' || t.startsWith(';') || t.startsWith('#')) continue;
    if (t.startsWith('{')) {
      const rec = dropJsonLine(t);
      if (typeof rec === 'string') ctx.tally.reject(line, rec);
      else if (rec !== null) yield rec;
      continue;
    }
    const semi = t.indexOf(';');
    const range = (semi === -1 ? t : t.slice(0, semi)).trim();
    const sbl = semi === -1 ? null : (SBL.exec(t.slice(semi))?.[0] ?? null);
    const rec = dropRecord(range, sbl);
    if (typeof rec === 'string') ctx.tally.reject(line, rec);
    else yield rec;
  }
}
