/** Which analyst decision applies: an API override first, then the latest internal-list sighting. */
import type { EvidenceSighting } from '../model.ts';
import type { ScoringInput } from './types.ts';

export interface AppliedOverride {
  verdict: 'allow' | 'deny';
  reason: string;
  /** Who said so, for the factor. */
  source: string;
  feedId: string | null;
}

function verdictOf(s: EvidenceSighting): 'allow' | 'deny' | null {
  if (s.feed.category !== 'internal' || !s.listed) return null;
  if (s.feed.verdict !== undefined) return s.feed.verdict;
  if (s.threatType === 'allowlisted') return 'allow';
  if (s.threatType === 'denylisted') return 'deny';
  return null;
}

export function resolveOverride(input: Pick<ScoringInput, 'override' | 'sightings'>): AppliedOverride | null {
  if (input.override !== null) {
    return { verdict: input.override.verdict, reason: input.override.reason, source: 'An analyst override', feedId: null };
  }
  let best: { s: EvidenceSighting; verdict: 'allow' | 'deny'; at: number } | null = null;
  for (const s of input.sightings) {
    const verdict = verdictOf(s);
    if (verdict === null) continue;
    const at = Date.parse(s.lastSeen) || 0;
    // The latest decision wins; on a tie, deny (the safer mistake).
    if (best === null || at > best.at || (at === best.at && verdict === 'deny')) best = { s, verdict, at };
  }
  if (best === null) return null;
  const reason = typeof best.s.attributes['reason'] === 'string' ? best.s.attributes['reason'] : '';
  return { verdict: best.verdict, reason, source: `The internal list ${best.s.feed.name}`, feedId: best.s.feedId };
}
