/**
 * Which report a sighting comes from. Entries that share an origin — one MISP event, one OTX
 * pulse, one STIX report, one Spamhaus SBL record, one feed entry that yields several values —
 * are one report, however many indicators it lists: the risk model counts them once. Anything
 * else is a report of its own (one feed's entry for one indicator).
 */
import { detail } from './details.ts';

export interface Originated {
  feedId: string;
  type: string;
  value: string;
  attributes: Readonly<Record<string, unknown>>;
}

const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' && Number.isFinite(v) ? String(v) : null);

/**
 * The grouping key. Report ids and SBL records are global (the same MISP event relayed by two
 * feeds is still one report; DROP and DROPv6 entries of one SBL record are one listing); an
 * entry id belongs to its feed.
 */
export function originOf(s: Originated): string {
  const a = s.attributes;
  const report = text(detail(a, 'report_id'));
  if (report !== null) return `report:${report}`;
  const sbl = text(detail(a, 'sbl'));
  if (sbl !== null) return `sbl:${sbl}`;
  const entry = text(detail(a, 'entry_id'));
  if (entry !== null) return `entry:${s.feedId}:${entry}`;
  return `sighting:${s.feedId}:${s.type}:${s.value}`;
}

/** The origin in words, for a factor: `MISP event "…"`, `Spamhaus SBL123`, `entry 123`. */
export function originLabel(s: Originated): string {
  const a = s.attributes;
  const report = text(detail(a, 'report_id'));
  if (report !== null) {
    const name = text(detail(a, 'report_name'));
    const kind = text(detail(a, 'report_type'));
    const what = kind === 'misp-event' || a['eventUuid'] !== undefined ? 'MISP event' : kind === 'otx-pulse' ? 'OTX pulse' : kind === 'stix-report' ? 'STIX report' : 'report';
    return name === null ? `${what} ${report}` : `${what} "${name.length > 80 ? `${name.slice(0, 79)}…` : name}"`;
  }
  const sbl = text(detail(a, 'sbl'));
  if (sbl !== null) return `Spamhaus ${sbl}`;
  const entry = text(detail(a, 'entry_id'));
  if (entry !== null) return `entry ${entry}`;
  return `${s.type} ${s.value}`;
}
