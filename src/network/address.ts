/**
 * Addresses as the range tables hold them: IPv4 as one unsigned 32-bit number, IPv6 as four
 * unsigned 32-bit words, most significant first. The parsers take the canonical forms that
 * src/indicators produces (and any valid IPv6 text); they run on every IP lookup, so they read
 * characters rather than allocate.
 */
/** Dotted-decimal IPv4 to an unsigned 32-bit number; -1 when it is not one. */
export function ipv4Number(s: string): number {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else if (c === 46 && digits > 0 && dots < 3) {
      n = n * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return n * 256 + part;
}

export function ipv4Text(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 32;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/**
 * IPv6 text (no brackets, no zone) into `out[0..3]`; false when it is not IPv6. A dotted IPv4
 * tail (`::ffff:192.0.2.1`) is read as the last two groups.
 */
export function ipv6Words(s: string, out: Uint32Array): boolean {
  const groups = GROUPS;
  let count = 0;
  let gapAt = -1;
  let i = 0;
  const n = s.length;
  if (n < 2) return false;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false;
    gapAt = 0;
    i = 2;
    if (i === n) return fill(groups, 0, gapAt, out);
  }
  while (i < n) {
    let v = 0;
    let j = i;
    while (j < n && j - i < 5) {
      const d = hexValue(s.charCodeAt(j));
      if (d < 0) break;
      v = v * 16 + d;
      j++;
    }
    if (j < n && s.charCodeAt(j) === 46) {
      const v4 = ipv4Number(s.slice(i));
      if (v4 < 0 || count > 6) return false;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      i = n;
      break;
    }
    if (j === i || j - i > 4 || count === 8) return false;
    groups[count++] = v;
    if (j === n) {
      i = n;
      break;
    }
    if (s.charCodeAt(j) !== 58) return false;
    if (s.charCodeAt(j + 1) === 58) {
      if (gapAt >= 0) return false;
      gapAt = count;
      i = j + 2;
      if (i === n) break;
    } else {
      i = j + 1;
      if (i === n) return false;
    }
  }
  return fill(groups, count, gapAt, out);
}

const GROUPS = new Uint16Array(8);
const EXPANDED = new Uint16Array(8);

/** Expands `::` and packs the eight groups into four words. */
function fill(groups: Uint16Array, count: number, gapAt: number, out: Uint32Array): boolean {
  if (gapAt < 0 ? count !== 8 : count > 7) return false;
  const g = EXPANDED;
  if (gapAt < 0) g.set(groups);
  else {
    const missing = 8 - count;
    for (let k = 0; k < 8; k++) g[k] = k < gapAt ? groups[k]! : k < gapAt + missing ? 0 : groups[k - missing]!;
  }
  out[0] = ((g[0]! << 16) | g[1]!) >>> 0;
  out[1] = ((g[2]! << 16) | g[3]!) >>> 0;
  out[2] = ((g[4]! << 16) | g[5]!) >>> 0;
  out[3] = ((g[6]! << 16) | g[7]!) >>> 0;
  return true;
}

/** Four words to RFC 5952 text: lower case, no leading zeros, the longest run of two or more zero groups (the first of equal runs) as `::`. */
export function ipv6Text(w: ArrayLike<number>, offset = 0): string {
  const g = EXPANDED;
  for (let k = 0; k < 4; k++) {
    const x = w[offset + k]!;
    g[2 * k] = x >>> 16;
    g[2 * k + 1] = x & 0xffff;
  }
  let bestAt = -1;
  let bestLen = 1;
  for (let k = 0; k < 8; ) {
    if (g[k] !== 0) {
      k++;
      continue;
    }
    let end = k;
    while (end < 8 && g[end] === 0) end++;
    if (end - k > bestLen) {
      bestAt = k;
      bestLen = end - k;
    }
    k = end;
  }
  let text = '';
  for (let k = 0; k < 8; k++) {
    if (k === bestAt) {
      text += k === 0 ? '::' : ':';
      k += bestLen - 1;
      continue;
    }
    text += g[k]!.toString(16);
    if (k < 7) text += ':';
  }
  return text;
}

/** The prefix length when [start, end] is exactly one CIDR block, else -1. */
export function ipv4Prefix(start: number, end: number): number {
  const host = (start ^ end) >>> 0;
  // host bits must be a run of ones at the bottom, clear in start (and so set in end)
  if ((host & (host + 1)) !== 0 || (start & host) !== 0) return -1;
  return Math.clz32(host);
}

/** The same for IPv6 words (starting at `offset` in each array). */
export function ipv6Prefix(start: ArrayLike<number>, end: ArrayLike<number>, offset = 0): number {
  let prefix = 0;
  let inHost = false;
  for (let k = 0; k < 4; k++) {
    const s = start[offset + k]!;
    const host = (s ^ end[offset + k]!) >>> 0;
    if (inHost) {
      if (host !== 0xffffffff || s !== 0) return -1;
      continue;
    }
    if ((host & (host + 1)) !== 0 || (s & host) !== 0) return -1;
    prefix += Math.clz32(host);
    if (host !== 0) inHost = true;
  }
  return prefix;
}

/** `a.b.c.d/n` when the range is one block, else `first-last`. */
export function ipv4RangeText(start: number, end: number): string {
  const p = ipv4Prefix(start, end);
  return p >= 0 ? `${ipv4Text(start)}/${p}` : `${ipv4Text(start)}-${ipv4Text(end)}`;
}

export function ipv6RangeText(start: ArrayLike<number>, end: ArrayLike<number>, offset = 0): string {
  const p = ipv6Prefix(start, end, offset);
  return p >= 0 ? `${ipv6Text(start, offset)}/${p}` : `${ipv6Text(start, offset)}-${ipv6Text(end, offset)}`;
}

/** A 128-bit number as four words (build time and tests). */
export function wordsOf(n: bigint): [number, number, number, number] {
  return [Number((n >> 96n) & 0xffffffffn), Number((n >> 64n) & 0xffffffffn), Number((n >> 32n) & 0xffffffffn), Number(n & 0xffffffffn)];
}

export function bigintOf(w: ArrayLike<number>, offset = 0): bigint {
  return (BigInt(w[offset]!) << 96n) | (BigInt(w[offset + 1]!) << 64n) | (BigInt(w[offset + 2]!) << 32n) | BigInt(w[offset + 3]!);
}
