/**
 * Confidence: how many independent, reliable, fresh sources agree, and what they stated. Entries
 * of one report (one MISP event, one SBL record, …) are one source: the caller passes the best
 * of each report.
 */
import type { ConfidenceLevel, ContextSighting, EvidenceSighting } from '../model.ts';
import { RELIABILITIES } from '../model.ts';
import type { ScoringRules } from './rules.ts';

/** One piece of evidence weighed. */
export interface Weighed {
  s: EvidenceSighting;
  relation: ContextSighting['relation'] | null;
  ageDays: number | null;
  decay: number;
  stated: number | null;
  p: number;
  severity: number;
  severityReason: string | null;
  /** Why the source's own word makes it weigh less (marked offline, validity ended), or null. */
  inactive: string | null;
  /** The report it belongs to (src/evidence/origin.ts): entries of one report count once. Null: a report of its own. */
  origin: string | null;
}

export function confidenceOf(direct: readonly Weighed[], rules: ScoringRules): ConfidenceLevel {
  const c = rules.confidence;
  // Count, per reliability grade, the fresh sources whose own statement does not undercut them.
  const counted = direct.filter((w) => w.p > 0 && w.decay >= c.freshDecayMin && (w.stated === null || w.stated >= c.statedConfidenceMin));
  const atLeast = (min: (typeof RELIABILITIES)[number]) => {
    const bound = RELIABILITIES.indexOf(min);
    let n = 0;
    for (const w of counted) if (RELIABILITIES.indexOf(w.s.feed.reliability) <= bound) n++;
    return n;
  };
  if (c.high.some((r) => atLeast(r.minReliability) >= r.sources)) return 'high';
  if (c.medium.some((r) => atLeast(r.minReliability) >= r.sources)) return 'medium';
  return 'low';
}
