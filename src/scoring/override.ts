/** Which analyst decision applies: an API override first, then the latest internal-list sighting. */
import type { EvidenceSighting } from '../model.ts';
import { parseTime } from './time.ts';
import type { ScoringInput } from './types.ts';

export interface AppliedOverride {
  verdict: 'allow' | 'deny';
  reason: string;
  /** Who said so, for the factor. */
  source: string;
  feedId: string | null;
}

/**
 * A sighting on an internal list that states a verdict rather than evidence. Only the catalog's
 * `verdict` makes a list decisive: an `allowlisted` threat type alone (a STIX `benign` indicator,
 * or a feed since removed from the catalog, which lookups show as internal) is only a report.
 */
export function isVerdict(s: EvidenceSighting): boolean {
  return s.feed.category === 'internal' && s.feed.verdict !== undefined;
}

function verdictOf(s: EvidenceSighting): 'allow' | 'deny' | null {
  return s.listed && isVerdict(s) ? (s.feed.verdict ?? null) : null;
}

/** The latest internal verdict among the sightings; on a tie, deny (the safer mistake). */
function latestVerdict(sightings: readonly EvidenceSighting[]): { s: EvidenceSighting; verdict: 'allow' | 'deny' } | null {
  let best: { s: EvidenceSighting; verdict: 'allow' | 'deny'; at: number } | null = null;
  for (const s of sightings) {
    const verdict = verdictOf(s);
    if (verdict === null) continue;
    const at = parseTime(s.lastSeen) || 0;
    if (best === null || at > best.at || (at === best.at && verdict === 'deny')) best = { s, verdict, at };
  }
  return best;
}

/**
 * Precedence: an API override, then the indicator's own internal-list entries, then an internal
 * entry for what contains it (an allowlisted range or parent domain covers what lies inside).
 */
export function resolveOverride(input: Pick<ScoringInput, 'override' | 'sightings' | 'context'>): AppliedOverride | null {
  if (input.override !== null) {
    return { verdict: input.override.verdict, reason: input.override.reason, source: 'An analyst override', feedId: null };
  }
  const own = latestVerdict(input.sightings);
  const found = own ?? latestVerdict(input.context);
  if (found === null) return null;
  const reason = typeof found.s.attributes['reason'] === 'string' ? found.s.attributes['reason'] : '';
  const via = own === null ? ` (through ${found.s.value})` : '';
  return { verdict: found.verdict, reason, source: `The internal list ${found.s.feed.name}${via}`, feedId: found.s.feedId };
}
