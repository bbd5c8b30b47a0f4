/**
 * Which report a sighting comes from. Entries that share an origin — one MISP event, one OTX
 * pulse, one STIX report, one Spamhaus SBL record, one feed entry that yields several values —
 * are one report, however many indicators it lists: the risk model counts them once. Anything
 * else is a report of its own (one feed's entry for one indicator).
 */

export interface Originated {
  feedId: string;
  type: string;
  value: string;
  attributes: Readonly<Record<string, unknown>>;
}

const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' && Number.isFinite(v) ? String(v) : null);

/** The attribute names that place a sighting in a report, by kind; each kind's vocabulary key first, then the names it had before. */
const KINDS = { report: ['report_id', 'eventUuid', 'pulse_id'], sbl: ['sbl', 'sblId'], entry: ['entry_id', 'id', 'attributeUuid', 'stixId', 'sha256'] } as const;
const ORIGIN_NAMES: ReadonlySet<string> = new Set(Object.values(KINDS).flat());

function first(a: Readonly<Record<string, unknown>>, names: readonly string[]): string | null {
  for (const n of names) {
    const v = text(a[n]);
    if (v !== null) return v;
  }
  return null;
}

/**
 * The grouping key, or null when the sighting is a report of its own (most are). Report ids and
 * SBL records are global (the same MISP event relayed by two feeds is still one report; DROP
 * and DROPv6 entries of one SBL record are one listing); an entry id belongs to its feed.
 */
export function originOf(s: Originated): string | null {
  const a = s.attributes;
  // scoring asks this of every sighting: most carry none of these names, and have few attributes
  let any = false;
  for (const k in a) {
    if (ORIGIN_NAMES.has(k)) {
      any = true;
      break;
    }
  }
  if (!any) return null;
  const report = first(a, KINDS.report);
  if (report !== null) return `report:${report}`;
  const sbl = first(a, KINDS.sbl);
  if (sbl !== null) return `sbl:${sbl}`;
  const entry = first(a, KINDS.entry);
  if (entry !== null) return `entry:${s.feedId}:${entry}`;
  return null;
}

/** The origin in words, for a factor: `MISP event "…"`, `Spamhaus SBL123`, `entry 123`. */
export function originLabel(s: Originated): string {
  const a = s.attributes;
  const report = first(a, KINDS.report);
  if (report !== null) {
    const name = first(a, ['report_name', 'eventInfo', 'pulse_name']);
    const kind = text(a['report_type']);
    const what = kind === 'misp-event' || a['eventUuid'] !== undefined ? 'MISP event' : kind === 'otx-pulse' ? 'OTX pulse' : kind === 'stix-report' ? 'STIX report' : 'report';
    return name === null ? `${what} ${report}` : `${what} "${name.length > 80 ? `${name.slice(0, 79)}…` : name}"`;
  }
  const sbl = first(a, KINDS.sbl);
  if (sbl !== null) return `Spamhaus ${sbl}`;
  const entry = first(a, KINDS.entry);
  if (entry !== null) return `entry ${entry}`;
  return `${s.type} ${s.value}`;
}
