/** The pure risk model: evidence + now → score, level, confidence, factors. */
export { scoreEvidence } from './score.ts';
export { levelOf, bandOf } from './levels.ts';
export { decayFactor, ageInDays } from './decay.ts';
export { parseScoringRules, ScoringRulesError, type ScoringRules, type DecayRule } from './rules.ts';
export { resolveOverride, type AppliedOverride } from './override.ts';
export type { ScoringInput, ScoreResult, ListedOn } from './types.ts';
