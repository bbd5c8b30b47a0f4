/**
 * CIDR ranges as keys: (family, prefix length, network start) in fixed-width hex. Every engine
 * checks a `cidr` record with `parseCidrRange`; the SQLite store also keys its range table and
 * its in-memory index (sqlite/ranges.ts) on them, so that "which ranges contain this IP" is one
 * point lookup per prefix length present in the data instead of a scan.
 */
import ipaddr from '../vendor/ipaddr.ts';

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

/** A range's address bytes and prefix length, as ipaddr.js reads it; null for anything else. */
function parsedCidr(cidr: string): { addr: ipaddr.IPv4 | ipaddr.IPv6; prefix: number } | null {
  try {
    const [addr, prefix] = ipaddr.parseCIDR(cidr);
    return { addr, prefix };
  } catch {
    return null;
  }
}

export function parseCidrRange(cidr: string): RangeKey | null {
  const parsed = parsedCidr(cidr);
  if (parsed === null) return null;
  const { addr, prefix } = parsed;
  const bytes = addr.toByteArray();
  return {
    family: addr.kind() === 'ipv4' ? 4 : 6,
    prefix,
    start: toHex(maskBytes(bytes, prefix, false)),
    end: toHex(maskBytes(bytes, prefix, true)),
  };
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** The network a CIDR value denotes, in canonical text with host bits cleared (PostgreSQL's `cidr` input form), or null. */
export function cidrNetwork(value: string): string | null {
  // Fast path for dotted-quad IPv4 (most ranges in feeds); ipaddr.js tries IPv6 first and is slow.
  const m = IPV4_CIDR.exec(value);
  // leading zeros are left to ipaddr.js, so that every reading of a range agrees on them
  if (m !== null && !/(^|\.)0\d/.test(value)) {
    const prefix = Number(m[5]);
    const octets = [m[1], m[2], m[3], m[4]].map(Number);
    if (prefix > 32 || octets.some((o) => o > 255)) return null;
    const n = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
    const net = prefix === 0 ? 0 : (n & (0xffffffff << (32 - prefix))) >>> 0;
    return `${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.${net & 255}/${prefix}`;
  }
  const parsed = parsedCidr(value);
  if (parsed === null) return null;
  return `${ipaddr.fromByteArray(maskBytes(parsed.addr.toByteArray(), parsed.prefix, false)).toString()}/${parsed.prefix}`;
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
