/** Warning-list caps: known benign or special values may not rise above a level. */
import type { RiskFactor, RiskLevel } from '../model.ts';
import { RISK_LEVELS } from '../model.ts';
import type { ScoringRules } from './rules.ts';
import { bandOf } from './levels.ts';
import type { ListedOn } from './types.ts';

const rank = (l: RiskLevel): number => RISK_LEVELS.indexOf(l);

export function applyWarninglists(lists: readonly ListedOn[], score: number, level: RiskLevel, overridden: boolean, rules: ScoringRules, factors: RiskFactor[]): { score: number; level: RiskLevel } {
  for (const l of lists) {
    const cap = rules.warninglists.caps[l.id];
    if (cap === undefined) {
      factors.push({ kind: 'warninglist_context', description: `On the warning list "${l.name}": context for an analyst, not a sign of safety; the score is not capped.`, list_id: l.id });
      continue;
    }
    if (overridden || !l.canCap) {
      const why = overridden ? 'an analyst override decides instead' : (l.note ?? 'the match does not cover the indicator itself');
      factors.push({ kind: 'warninglist', description: `On the warning list "${l.name}", which would cap the level at ${cap}; not applied: ${why}.`, delta: 0, list_id: l.id, cap });
      continue;
    }
    if (rank(level) > rank(cap)) {
      const next = Math.min(score, bandOf(cap, rules)[1]);
      factors.push({ kind: 'warninglist', description: `On the warning list "${l.name}" (known benign or special values): level capped from ${level} to ${cap}.`, delta: next - score, list_id: l.id, cap });
      score = next;
      level = cap;
    } else {
      factors.push({ kind: 'warninglist', description: `On the warning list "${l.name}" (known benign or special values): the level may not exceed ${cap}.`, delta: 0, list_id: l.id, cap });
    }
  }
  return { score, level };
}
