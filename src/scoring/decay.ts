/** Polynomial decay as in MISP and OpenCTI: weight × (1 − (t / lifetime)^(1/speed)), time passed in. */
import type { DecayRule } from './rules.ts';
import { parseTime } from './time.ts';

export const DAY_MS = 86_400_000;

/** Share of its weight that evidence keeps after `ageDays` (1 = fresh, 0 = expired). `null` rule: no decay. */
export function decayFactor(ageDays: number, rule: DecayRule | null): number {
  if (rule === null || !(ageDays > 0)) return 1;
  if (ageDays >= rule.lifetimeDays) return 0;
  return 1 - (ageDays / rule.lifetimeDays) ** (1 / rule.speed);
}

/** Days between an RFC 3339 time and now; null when the time cannot be read. Future times count as 0. */
export function ageInDays(time: string | null | undefined, now: Date): number | null {
  if (time === null || time === undefined) return null;
  const t = parseTime(time);
  if (Number.isNaN(t)) return null;
  return Math.max(0, (now.getTime() - t) / DAY_MS);
}
