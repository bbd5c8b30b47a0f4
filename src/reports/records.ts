/**
 * A report's ids and sightings. Every indicator a report names becomes a sighting of the
 * report's feed, dated by the report (its published date, `date_source` feed; the fetch time
 * only when it gives none), with the report as its origin: `report_id` groups them, so that the
 * risk model counts one report once however many indicators it names (src/evidence/origin.ts).
 */
import { createHash } from 'node:crypto';
import type { SightingRecord, ThreatType } from '../model.ts';
import type { ReportRecord } from '../store/types.ts';

/** Stable per feed and entry (its guid, else its URL): the same entry read again is the same report. */
export function reportId(feedId: string, entryKey: string): string {
  return `rpt_${createHash('sha256').update(`${feedId}\n${entryKey}`).digest('hex').slice(0, 24)}`;
}

export const REPORT_TYPE = 'threat-report';

export function reportSightings(r: ReportRecord, threatType: ThreatType | null = null): SightingRecord[] {
  const attributes: Record<string, unknown> = { report_id: r.id, report_type: REPORT_TYPE, report_name: r.title };
  if (r.published !== null) attributes.report_date = r.published;
  const dated = r.published === null ? {} : { firstSeen: r.published, lastSeen: r.published, dateSource: 'feed' as const };
  const one = (type: SightingRecord['type'], value: string): SightingRecord => ({ type, value, ...dated, threatType, referenceUrl: r.url, attributes });
  return [...r.indicators.map((x) => one(x.type, x.value)), ...r.cves.map((c) => one('cve', c))];
}
