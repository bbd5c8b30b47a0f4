/** Words for factors: small, allocation-light helpers so that explaining stays cheap. */

export function ageWords(days: number | null): string {
  if (days === null) return 'at an unknown time';
  if (days < 1) return 'today';
  const d = Math.floor(days);
  return d === 1 ? '1 day ago' : `${d} days ago`;
}

export function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
