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
}

export function parseIp(ip: string): ParsedIp | null {
  if (!ipaddr.isValid(ip)) return null;
  const addr = ipaddr.parse(ip);
  return { family: addr.kind() === 'ipv4' ? 4 : 6, bytes: addr.toByteArray() };
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
