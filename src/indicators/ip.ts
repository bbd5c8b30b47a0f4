/**
 * IP addresses and networks. IPv4 is accepted only as four decimal octets without leading zeros:
 * `010.1.1.1` (octal to some parsers), `0x7f.1` and `2130706433` are rejected rather than guessed.
 * IPv6 is written in RFC 5952 form; an IPv4-mapped address keeps its dotted tail (RFC 5952 §5).
 */
import ipaddr from 'ipaddr.js';
import { fail, ok, type Normalized } from './result.ts';

const IPV4_SHAPE = /^\d+(?:\.\d+){3}$/;
const IPV6_ZONE = /%[^%]*$/;
const PREFIX = /^(?:0|[1-9]\d{0,2})$/;

export function normalizeIpv4(raw: string): Normalized {
  const s = raw.trim();
  if (s === '') return fail('empty value');
  if (!IPV4_SHAPE.test(s)) {
    if (/^0x/i.test(s) || /\.0x/i.test(s)) return fail('hexadecimal forms are not accepted');
    return fail('not four dot-separated decimal octets');
  }
  const parts = s.split('.');
  for (const part of parts) {
    if (part.length > 1 && part.startsWith('0')) return fail(`octet ${part} has a leading zero (ambiguous: octal or decimal)`);
    if (part.length > 3 || Number(part) > 255) return fail(`octet ${part} out of range (0-255)`);
  }
  // Defence in depth: the shape checks above must agree with ipaddr.js's strict decimal form.
  if (!ipaddr.IPv4.isValidFourPartDecimal(s)) return fail('not a valid IPv4 address');
  return ok(s);
}

export function normalizeIpv6(raw: string): Normalized {
  let s = raw.trim();
  if (s === '') return fail('empty value');
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  // A zone id (`%eth0`) only means something on the host that wrote it; the address is the indicator.
  s = s.replace(IPV6_ZONE, '');
  if (!s.includes(':')) return fail('no colon: not an IPv6 address');
  if (s.length > 45) return fail('too long for an IPv6 address');
  const dot = s.indexOf('.');
  if (dot !== -1) {
    const tail = s.slice(s.lastIndexOf(':') + 1);
    const v4 = normalizeIpv4(tail);
    if (!v4.ok) return fail(`embedded IPv4 part: ${v4.reason}`);
  }
  let addr: ipaddr.IPv6;
  try {
    addr = ipaddr.IPv6.parse(s);
  } catch {
    return fail('not a valid IPv6 address');
  }
  if (addr.isIPv4MappedAddress()) return ok(`::ffff:${addr.toIPv4Address().toString()}`);
  return ok(addr.toRFC5952String());
}

/** A network `address/prefix`, canonicalized to its network address (host bits cleared). */
export function normalizeCidr(raw: string): Normalized {
  const s = raw.trim();
  const slash = s.indexOf('/');
  if (slash === -1) return fail('no /prefix: not a CIDR network');
  const addrPart = s.slice(0, slash);
  const prefixPart = s.slice(slash + 1);
  if (!PREFIX.test(prefixPart)) return fail(`prefix ${prefixPart || '(empty)'} is not a decimal number`);
  const prefix = Number(prefixPart);
  if (addrPart.includes(':')) {
    const v6 = normalizeIpv6(addrPart);
    if (!v6.ok) return v6;
    if (prefix > 128) return fail(`prefix /${prefix} out of range (0-128)`);
    const net = ipaddr.IPv6.networkAddressFromCIDR(`${v6.value}/${prefix}`);
    const text = net.isIPv4MappedAddress() ? `::ffff:${net.toIPv4Address().toString()}` : net.toRFC5952String();
    return ok(`${text}/${prefix}`);
  }
  const v4 = normalizeIpv4(addrPart);
  if (!v4.ok) return v4;
  if (prefix > 32) return fail(`prefix /${prefix} out of range (0-32)`);
  return ok(`${ipaddr.IPv4.networkAddressFromCIDR(`${v4.value}/${prefix}`).toString()}/${prefix}`);
}
