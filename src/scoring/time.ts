/**
 * RFC 3339 timestamps to epoch milliseconds without Date.parse, which costs about as much as the
 * rest of scoring a sighting. Handles `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; anything else
 * falls back to Date.parse, so the result always equals Date.parse's for valid input.
 */

const ZERO = 48;

function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const d = s.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function fast(s: string): number {
  if (s.length < 20 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return Number.NaN;
  const t = s.charCodeAt(10);
  if (t !== 84 && t !== 116) return Number.NaN; // 'T' or 't'
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > (DAYS_IN_MONTH[month - 1] as number) || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return Number.NaN;
  if (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return Number.NaN;
  let i = 19;
  let ms = 0;
  if (s.charCodeAt(i) === 46) {
    i++;
    const start = i;
    while (i < s.length && s.charCodeAt(i) >= ZERO && s.charCodeAt(i) <= ZERO + 9) i++;
    if (i === start) return Number.NaN;
    // Milliseconds are the first three digits (a shorter fraction padded with zeros); further
    // digits are dropped, as Date.parse does.
    for (let k = start; k < start + 3; k++) ms = ms * 10 + (k < i ? s.charCodeAt(k) - ZERO : 0);
  }
  let offset = 0;
  const z = s.charCodeAt(i);
  if ((z === 90 || z === 122) && i + 1 === s.length) offset = 0; // 'Z' or 'z'
  else if ((z === 43 || z === 45) && i + 6 === s.length && s.charCodeAt(i + 3) === 58) {
    const oh = digits(s, i + 1, 2);
    const om = digits(s, i + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return Number.NaN;
    offset = (z === 43 ? 1 : -1) * (oh * 60 + om) * 60_000;
  } else return Number.NaN;
  return daysFromCivil(year, month, day) * 86_400_000 + ((hour * 60 + minute) * 60 + second) * 1000 + ms - offset;
}

/** Epoch milliseconds of an RFC 3339 time; NaN when unreadable (like Date.parse). */
export function parseTime(s: string): number {
  const v = fast(s);
  return Number.isNaN(v) ? Date.parse(s) : v;
}
