/**
 * IP range tables for cidr warning lists: ranges sorted by start and merged, so that a lookup is
 * one binary search however long the list (the public-resolver list has 62k entries).
 */
import ipaddr from '../vendor/ipaddr.ts';

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/;

/** Dotted-quad IPv4 to an unsigned 32-bit integer; null when not a plain IPv4 address. */
export function ipv4ToInt(ip: string): number | null {
  const m = IPV4_CIDR.exec(ip);
  if (m === null || m[5] !== undefined) return null;
  return octets(m);
}

function octets(m: RegExpExecArray): number | null {
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255) return null;
    n = n * 256 + o;
  }
  return n;
}

/**
 * `a.b.c.d` or `a.b.c.d/n` to an inclusive [start, end]; null when malformed. Read character by
 * character: the public-resolver list alone has 62,000 entries to read when the IP tables are built.
 */
export function parseIpv4Range(entry: string): [number, number] | null {
  let base = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  let i = 0;
  const n = entry.length;
  for (; i < n; i++) {
    const c = entry.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return null;
    } else if (c === 46 /* . */ && dots < 3 && digits > 0) {
      base = base * 256 + octet;
      dots++;
      octet = 0;
      digits = 0;
    } else break;
  }
  if (dots !== 3 || digits === 0) return null;
  base = base * 256 + octet;
  let bits = 32;
  if (i < n) {
    if (entry.charCodeAt(i) !== 47 /* / */ || i + 1 === n || n - i - 1 > 2) return null;
    bits = 0;
    for (let j = i + 1; j < n; j++) {
      const c = entry.charCodeAt(j);
      if (c < 48 || c > 57) return null;
      bits = bits * 10 + (c - 48);
    }
    if (bits > 32) return null;
  }
  const size = 2 ** (32 - bits);
  const start = base - (base % size);
  return [start, start + size - 1];
}

/** IPv6 (any case, any compression) to a 128-bit integer; null when not IPv6. */
export function ipv6ToBigInt(ip: string): bigint | null {
  if (!ip.includes(':') || !ipaddr.IPv6.isValid(ip)) return null;
  let n = 0n;
  for (const part of ipaddr.IPv6.parse(ip).parts) n = (n << 16n) | BigInt(part);
  return n;
}

export function parseIpv6Range(entry: string): [bigint, bigint] | null {
  const slash = entry.indexOf('/');
  const addr = ipv6ToBigInt(slash < 0 ? entry : entry.slice(0, slash));
  if (addr === null) return null;
  const bits = slash < 0 ? 128 : Number(entry.slice(slash + 1));
  if (!Number.isInteger(bits) || bits < 0 || bits > 128) return null;
  const size = 1n << BigInt(128 - bits);
  const start = addr - (addr % size);
  return [start, start + size - 1n];
}

/** Sorted, merged, non-overlapping ranges searched by binary search. */
export class RangeTable<N extends number | bigint> {
  private readonly starts: N[];
  private readonly ends: N[];

  constructor(ranges: [N, N][]) {
    const sorted = [...ranges].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    this.starts = [];
    this.ends = [];
    for (const [s, e] of sorted) {
      const last = this.ends.length - 1;
      // Merge overlapping ranges so that at most one range can hold an address.
      const lastEnd = this.ends[last];
      if (lastEnd !== undefined && s <= lastEnd) {
        if (e > lastEnd) this.ends[last] = e;
      } else {
        this.starts.push(s);
        this.ends.push(e);
      }
    }
  }

  get size(): number {
    return this.starts.length;
  }

  has(ip: N): boolean {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.starts[mid] as N) <= ip) lo = mid + 1;
      else hi = mid - 1;
    }
    // hi is now the last range starting at or before ip.
    return hi >= 0 && (this.ends[hi] as N) >= ip;
  }
}
