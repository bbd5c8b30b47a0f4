/**
 * Dates as feeds write them, read strictly into RFC 3339 UTC. Each form has its own anchored
 * grammar and every field is range-checked, so a value that is not a date (`0`, `yesterday`,
 * `2024-02-30`, a MySQL zero date) is null rather than whatever `new Date()` would guess.
 *
 * - ISO 8601 and SQL: `2024-01-10`, `2024-01-10 10:05:22`, `2024-01-10T10:05:22.123456+02:00`;
 *   without an offset the time is UTC (abuse.ch, DShield), a trailing `UTC`/`(UTC)`/`GMT` is read
 * - Unix seconds, as a number or a string of 9–10 digits (MISP timestamps, Spamhaus metadata)
 * - RFC 1123 / 2822 as HTTP and Spamhaus headers write it: `Fri, 17 Jan 2025 17:03:47 GMT`
 * - asctime and date(1): `Tue Dec 22 04:10:11 2009 UTC`, `Tue Jan  9 10:05:22 UTC 2024`
 */

const MONTHS: Readonly<Record<string, number>> = { jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11 };

// named pieces, compiled once into anchored grammars
const ZONE_NAME = String.raw`\(?(?:UTC|GMT|UT|Z)\)?`;
const ISO_OFFSET = String.raw`Z|[+-]\d{2}(?::?\d{2})?`;
const CLOCK = String.raw`(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?`;
const WEEKDAY = String.raw`(?:[a-z]{3,9},?\s+)?`;
const MONTH = String.raw`([a-z]{3})[a-z]*\.?`;

const ISO = new RegExp(String.raw`^(\d{4})-(\d{2})-(\d{2})(?:[T ]${CLOCK})?\s*(${ISO_OFFSET}|${ZONE_NAME})?$`, 'i');
const RFC1123 = new RegExp(String.raw`^${WEEKDAY}(\d{1,2})[\s-]+${MONTH}[\s-]+(\d{4})\s+${CLOCK}\s*(${ZONE_NAME}|[+-]\d{4})?$`, 'i');
const ASCTIME = new RegExp(String.raw`^${WEEKDAY}${MONTH}\s+(\d{1,2}),?\s+${CLOCK}\s+(?:(${ZONE_NAME})\s+)?(\d{4})(?:\s+(${ZONE_NAME}|[+-]\d{4}))?$`, 'i');
const EPOCH = /^\d{9,10}(?:\.\d+)?$/;

/** Earliest year read as a date: a feed stating 1969 or before is stating a placeholder. */
const MIN_YEAR = 1970;

/** Offset east of UTC in minutes, from `Z`, `UTC`, `+02`, `+0200`, `-05:30`; 0 when absent. */
function offsetMinutes(zone: string | undefined): number | null {
  if (zone === undefined || zone === '') return 0;
  const c = zone.charCodeAt(0);
  if (c !== 43 /* + */ && c !== 45 /* - */) return 0;
  const digits = zone.slice(1).replace(':', '');
  const h = Number(digits.slice(0, 2));
  const m = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (h > 23 || m > 59) return null;
  return (c === 45 ? -1 : 1) * (h * 60 + m);
}

/** The instant, or null when a field is out of range (month 13, 30 February, hour 24 …). */
function instant(year: number, month: number, day: number, hour: number, minute: number, second: number, fraction: string | undefined, zone: string | undefined): number | null {
  if (year < MIN_YEAR || month < 0 || month > 11 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const offset = offsetMinutes(zone);
  if (offset === null) return null;
  const ms = fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * 1000);
  const t = Date.UTC(year, month, day, hour, minute, second, ms);
  // Date.UTC rolls 30 February over into March: the day must survive the round trip
  if (new Date(t).getUTCDate() !== day) return null;
  return t - offset * 60_000;
}

function num(s: string | undefined): number {
  return s === undefined ? 0 : Number(s);
}

function parseInstant(s: string): number | null {
  const c = s.charCodeAt(0);
  if (c >= 48 && c <= 57) {
    if (EPOCH.test(s)) return Math.floor(Number(s)) * 1000;
    const m = ISO.exec(s);
    if (m === null) return null;
    return instant(num(m[1]), num(m[2]) - 1, num(m[3]), num(m[4]), num(m[5]), num(m[6]), m[7], m[8]);
  }
  let m = RFC1123.exec(s);
  if (m !== null) {
    const month = MONTHS[(m[2] as string).toLowerCase()];
    return month === undefined ? null : instant(num(m[3]), month, num(m[1]), num(m[4]), num(m[5]), num(m[6]), m[7], m[8]);
  }
  m = ASCTIME.exec(s);
  if (m !== null) {
    const month = MONTHS[(m[1] as string).toLowerCase()];
    return month === undefined ? null : instant(num(m[8]), month, num(m[2]), num(m[3]), num(m[4]), num(m[5]), m[6], m[7] ?? m[9]);
  }
  return null;
}

/** Reads one of the forms above; RFC 3339 UTC (milliseconds only when the source gave them), else null. */
export function parseFeedDate(s: string): string | null {
  if (s === '') return null;
  const t = parseInstant(s);
  if (t === null || !Number.isFinite(t)) return null;
  const d = new Date(t);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() > 9999) return null;
  return d.toISOString().replace('.000Z', 'Z');
}
