/**
 * IP addresses and networks. IPv4 is accepted only as four decimal octets without leading zeros:
 * `010.1.1.1` (octal to some parsers), `0x7f.1` and `2130706433` are rejected rather than guessed.
 * IPv6 is written in RFC 5952 form; an IPv4-mapped address keeps its dotted tail (RFC 5952 §5).
 */
import ipaddr from '../vendor/ipaddr.ts';
import { fail, ok, type Normalized } from './result.ts';

const IPV4_SHAPE = /^\d+(?:\.\d+){3}$/;
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

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 32; // ASCII lower case
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/**
 * The eight 16-bit groups of IPv6 text (no zone, no brackets), or why it is not IPv6.
 * A hand-written single pass: ipaddr.js's parser costs microseconds per address, and this runs
 * for every candidate in extracted text. The property tests check it against ipaddr.js.
 */
function parseIpv6Groups(s: string): number[] | string {
  const head: number[] = [];
  const tail: number[] = [];
  let cur = head;
  let gap = false;
  const n = s.length;
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return 'stray colon at the start';
    gap = true;
    cur = tail;
    i = 2;
  }
  while (i < n) {
    let j = i;
    let v = 0;
    while (j < n && j - i < 5) {
      const d = hexDigit(s.charCodeAt(j));
      if (d < 0) break;
      v = v * 16 + d;
      j++;
    }
    if (j < n && s.charCodeAt(j) === 46) {
      const v4 = normalizeIpv4(s.slice(i));
      if (!v4.ok) return `embedded IPv4 part: ${v4.reason}`;
      const o = v4.value.split('.').map(Number) as [number, number, number, number];
      cur.push((o[0] << 8) | o[1], (o[2] << 8) | o[3]);
      i = n;
      break;
    }
    if (j === i) return j < n ? `unexpected character "${s[j]}"` : 'empty group (stray colon)';
    if (j - i > 4) return 'a group has more than 4 hex digits';
    cur.push(v);
    if (j === n) break;
    if (s.charCodeAt(j) !== 58) return `unexpected character "${s[j]}"`;
    if (s.charCodeAt(j + 1) === 58) {
      if (gap) return 'more than one "::"';
      gap = true;
      cur = tail;
      i = j + 2;
      continue;
    }
    if (j + 1 === n) return 'stray colon at the end';
    i = j + 1;
  }
  const count = head.length + tail.length;
  if (!gap && count !== 8) return `${count} groups, IPv6 has 8 (or uses "::")`;
  if (gap && count > 7) return 'too many groups for "::"';
  while (head.length + tail.length < 8) head.push(0);
  for (const t of tail) head.push(t);
  return head;
}

/** RFC 5952: lower-case hex, no leading zeros, the longest (first on a tie) run of 2+ zero groups as `::`. */
function formatRfc5952(h: number[]): string {
  if (h[0] === 0 && h[1] === 0 && h[2] === 0 && h[3] === 0 && h[4] === 0 && h[5] === 0xffff) {
    // IPv4-mapped: RFC 5952 §5 recommends the dotted tail.
    const a = h[6] as number;
    const b = h[7] as number;
    return `::ffff:${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (h[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && h[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += (h[i] as number).toString(16);
  }
  return out;
}

export function normalizeIpv6(raw: string): Normalized {
  let s = raw.trim();
  if (s === '') return fail('empty value');
  if (s.charCodeAt(0) === 91 && s.endsWith(']')) s = s.slice(1, -1);
  // A zone id (`%eth0`) only means something on the host that wrote it; the address is the indicator.
  const zone = s.indexOf('%');
  if (zone !== -1) s = s.slice(0, zone);
  if (!s.includes(':')) return fail('no colon: not an IPv6 address');
  if (s.length > 45) return fail('too long for an IPv6 address');
  const groups = parseIpv6Groups(s);
  return typeof groups === 'string' ? fail(groups) : ok(formatRfc5952(groups));
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
