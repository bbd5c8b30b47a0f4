/**
 * CIDR ranges as lookup keys. A range is kept as (family, prefix length, network start) in
 * fixed-width hex, so that "which ranges contain this IP" is one point lookup per prefix length
 * present in the data (at most 33 for IPv4, 129 for IPv6, ~20 in practice) instead of a scan
 * over every range whose start is below the address.
 */
import ipaddr from 'ipaddr.js';

export type Family = 4 | 6;

export interface RangeKey {
  family: Family;
  prefix: number;
  /** Network address (host bits cleared), lower-case hex, 8 (IPv4) or 32 (IPv6) digits. */
  start: string;
  /** Last address of the range, same encoding. */
  end: string;
}

export interface ParsedIp {
  family: Family;
  bytes: number[];
  /** IPv4 only: the address as an unsigned 32-bit integer (masking without byte arrays). */
  v4: number;
}

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIp(ip: string): ParsedIp | null {
  // the canonical IPv4 form is by far the most common input: parse it without ipaddr.js
  const m = DOTTED_QUAD.exec(ip);
  if (m !== null) {
    const bytes = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
    if (bytes.some((b) => b > 255)) return null;
    return { family: 4, bytes, v4: ((bytes[0] as number) * 0x1000000 + (bytes[1] as number) * 0x10000 + (bytes[2] as number) * 0x100 + (bytes[3] as number)) >>> 0 };
  }
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.parse(ip);
  } catch {
    return null;
  }
  const bytes = addr.toByteArray();
  if (addr.kind() === 'ipv4') return { family: 4, bytes, v4: bytes.reduce((n, b) => n * 256 + b, 0) };
  return { family: 6, bytes, v4: 0 };
}

export function parseCidrRange(cidr: string): RangeKey | null {
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(cidr);
  } catch {
    return null;
  }
  const [addr, prefix] = parsed;
  const bytes = addr.toByteArray();
  return {
    family: addr.kind() === 'ipv4' ? 4 : 6,
    prefix,
    start: toHex(maskBytes(bytes, prefix, false)),
    end: toHex(maskBytes(bytes, prefix, true)),
  };
}

/** The network start of `ip` at `prefix` bits, in the same encoding as RangeKey.start. */
export function networkKey(ip: ParsedIp, prefix: number): string {
  if (ip.family === 4) {
    // `>>> 32` is a no-op in JS, hence the explicit /0
    const net = prefix === 0 ? 0 : ((ip.v4 >>> (32 - prefix)) << (32 - prefix)) >>> 0;
    return net.toString(16).padStart(8, '0');
  }
  return toHex(maskBytes(ip.bytes, prefix, false));
}

function maskBytes(bytes: readonly number[], prefix: number, fill: boolean): number[] {
  const out = bytes.slice();
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    const hostMask = 0xff >> keep; // bits after the prefix within this byte
    const b = out[i] ?? 0;
    out[i] = fill ? b | hostMask : b & ~hostMask & 0xff;
  }
  return out;
}

function toHex(bytes: readonly number[]): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/**
 * The range keys held in memory, per family and prefix length, so that the usual answer —
 * no range contains this address — costs a few set probes and no query. Rebuilt when the
 * store's ranges version moves (a run added ranges, or a purge removed some).
 */
export class RangeIndex {
  private readonly byFamily = new Map<Family, { prefixes: number[]; starts: Map<number, Set<string>> }>();

  constructor(
    readonly version: number,
    keys: Iterable<{ family: number; prefix: number; start: string }>,
  ) {
    for (const k of keys) {
      const family = k.family as Family;
      let f = this.byFamily.get(family);
      if (f === undefined) this.byFamily.set(family, (f = { prefixes: [], starts: new Map() }));
      let starts = f.starts.get(k.prefix);
      if (starts === undefined) {
        f.starts.set(k.prefix, (starts = new Set()));
        f.prefixes.push(k.prefix);
      }
      starts.add(k.start);
    }
    for (const f of this.byFamily.values()) f.prefixes.sort((a, b) => b - a); // most specific first
  }

  /** The (prefix, network start) pairs of stored ranges that contain `ip`. */
  containing(ip: ParsedIp): { prefix: number; start: string }[] {
    const f = this.byFamily.get(ip.family);
    if (f === undefined) return [];
    const out: { prefix: number; start: string }[] = [];
    for (const prefix of f.prefixes) {
      const start = networkKey(ip, prefix);
      if (f.starts.get(prefix)?.has(start) === true) out.push({ prefix, start });
    }
    return out;
  }
}
