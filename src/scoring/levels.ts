/** Score ↔ level: thresholds from the rules, and the score band each level covers. */
import type { RiskLevel } from '../model.ts';
import type { ScoringRules } from './rules.ts';

export function levelOf(score: number, rules: ScoringRules): RiskLevel {
  const l = rules.levels;
  return score >= l.critical ? 'critical' : score >= l.high ? 'high' : score >= l.medium ? 'medium' : 'low';
}

/** The inclusive score band of a level. */
export function bandOf(level: RiskLevel, rules: ScoringRules): [number, number] {
  const l = rules.levels;
  switch (level) {
    case 'critical':
      return [l.critical, 100];
    case 'high':
      return [l.high, l.critical - 1];
    case 'medium':
      return [l.medium, l.high - 1];
    default:
      return [0, l.medium - 1];
  }
}
