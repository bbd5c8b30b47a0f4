/**
 * Text made from indicators for the analyst to carry elsewhere: CSV (RFC 4180, with spreadsheet
 * formula injection neutralized) and defanged values safe to paste into chat or a ticket.
 */
import type { ExtractedIndicator } from './api.ts';

/** Levels from worst to least, for sorting and for the worst level of a selection. */
export const LEVELS = ['critical', 'high', 'medium', 'low', 'info', 'none', 'unknown'] as const;

export function levelRank(level: string | undefined): number {
  const i = level === undefined ? -1 : (LEVELS as readonly string[]).indexOf(level);
  return i === -1 ? LEVELS.length : i;
}

/**
 * A value made unclickable and unresolvable the usual way: `hxxp(s)://`, `[.]` for dots of IPs,
 * domains, URLs and email addresses, `[@]`; Verdict (and most tools) refang it on the way back in.
 */
export function defang(type: string, value: string): string {
  if (type !== 'ipv4' && type !== 'domain' && type !== 'url' && type !== 'email') return value;
  return value.replace(/^http(s?):\/\//i, 'hxxp$1://').replace(/\./g, '[.]').replace(/@/g, '[@]');
}

/** One field of CSV: quoted when needed, a leading =, +, - or @ made inert for spreadsheets. */
function csvField(v: string | number | boolean): string {
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = "'" + s;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_COLUMNS = ['type', 'value', 'role', 'count', 'level', 'score', 'confidence', 'found', 'sources', 'techniques'] as const;

export function toCsv(rows: readonly ExtractedIndicator[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of rows) {
    const v = r.verdict;
    lines.push(
      [r.type, r.value, r.role, r.count, v?.level ?? '', v?.score ?? '', v?.confidence ?? '', v === undefined ? '' : v.found, v?.sources ?? '', v?.techniques.join(' ') ?? '']
        .map(csvField)
        .join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}

export function toDefangedText(rows: readonly ExtractedIndicator[]): string {
  return rows.map((r) => defang(r.type, r.value)).join('\n');
}
