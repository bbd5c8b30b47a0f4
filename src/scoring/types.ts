import type { StoredType } from '../indicators/types.ts';
import type { ConfidenceLevel, ContextSighting, EvidenceSighting, Override, RiskFactor, RiskLevel } from '../model.ts';

/** A warning list the indicator is on, as the scoring sees it. */
export interface ListedOn {
  id: string;
  name: string;
  /** False when the match must not cap (a URL's host, a subdomain on a shared platform). */
  canCap: boolean;
  /** Why it cannot cap, for the factor. */
  note?: string;
}

export interface ScoringInput {
  type: StoredType;
  sightings: readonly EvidenceSighting[];
  context: readonly ContextSighting[];
  override: Override | null;
  warninglists: readonly ListedOn[];
}

export interface ScoreResult {
  score: number;
  level: RiskLevel;
  confidence: ConfidenceLevel;
  factors: RiskFactor[];
}
