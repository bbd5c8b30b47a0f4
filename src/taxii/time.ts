/**
 * TAXII timestamps at microsecond precision: `date_added` is unique per object, so a client that
 * pages by `added_after` with the last `date_added` it saw neither misses nor repeats one.
 */

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i;

/** RFC 3339 UTC with six fractional digits. */
export function isoMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  return `${new Date(ms).toISOString().slice(0, -1)}${String(us - ms * 1000).padStart(3, '0')}Z`;
}

/**
 * An RFC 3339 timestamp as epoch microseconds, digits past the sixth dropped (floor: for a whole
 * number of microseconds d, d > t exactly when d > floor(t)); null when it is not one.
 */
export function parseMicros(s: string): number | null {
  const m = TIMESTAMP.exec(s.trim());
  if (m === null) return null;
  const seconds = Date.parse(`${m[1]}${m[3]!.toUpperCase()}`);
  if (Number.isNaN(seconds)) return null;
  const fraction = Number((m[2] ?? '').padEnd(6, '0').slice(0, 6));
  return seconds * 1000 + fraction;
}
