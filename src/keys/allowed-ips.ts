/**
 * A key's IP allow-list: CIDR ranges (or single addresses) the key may be used from. An empty
 * list allows every address. Parsed once (when a key is created or updated, and when a verified
 * key is cached), matched per request against the client address Fastify works out — which
 * honours VERDICT_TRUST_PROXY, so behind a trusted proxy it is the forwarded client's.
 * An IPv4-mapped IPv6 address (::ffff:192.0.2.1, as a dual-stack socket reports IPv4 clients)
 * is matched as the IPv4 address.
 */
import ipaddr from '../vendor/ipaddr.ts';

/** Most entries one key's list may hold. */
export const MAX_ALLOWED_IPS = 100;

export type ParsedRange = [ipaddr.IPv4 | ipaddr.IPv6, number];

export type AllowListParse = { ok: true; ranges: ParsedRange[]; canonical: string[] } | { ok: false; entry: string; reason: string };

/** `203.0.113.0/24`, `2001:db8::/32`, or one address (a /32 or /128). Host bits set are refused, as a typo is likelier than intent. */
export function parseAllowedIps(entries: readonly string[]): AllowListParse {
  if (entries.length > MAX_ALLOWED_IPS) return { ok: false, entry: String(entries.length), reason: `at most ${MAX_ALLOWED_IPS} entries` };
  const ranges: ParsedRange[] = [];
  const canonical: string[] = [];
  for (const raw of entries) {
    const entry = typeof raw === 'string' ? raw.trim() : '';
    let range: ParsedRange;
    try {
      if (entry.includes('/')) {
        range = ipaddr.parseCIDR(entry);
      } else {
        const addr = ipaddr.parse(entry);
        range = [addr, addr.kind() === 'ipv4' ? 32 : 128];
      }
    } catch {
      return { ok: false, entry: String(raw).slice(0, 80), reason: 'not an IP address or CIDR range' };
    }
    let [addr, bits] = range;
    if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
      addr = (addr as ipaddr.IPv6).toIPv4Address();
      bits -= 96;
    }
    const network = ipaddr.parse(networkOf(addr, bits));
    if (network.toString() !== addr.toString()) return { ok: false, entry: entry.slice(0, 80), reason: `host bits set; the range is ${network.toString()}/${bits}` };
    ranges.push([addr, bits]);
    canonical.push(`${addr.toString()}/${bits}`);
  }
  return { ok: true, ranges, canonical };
}

function networkOf(addr: ipaddr.IPv4 | ipaddr.IPv6, bits: number): string {
  const bytes = addr.toByteArray();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    bytes[i] = bytes[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return ipaddr.fromByteArray(bytes).toString();
}

/** Whether `ip` (the request's client address) falls in one of `ranges`; an empty list allows all. */
export function ipAllowed(ranges: readonly ParsedRange[], ip: string | undefined): boolean {
  if (ranges.length === 0) return true;
  if (ip === undefined || !ipaddr.isValid(ip)) return false;
  const addr = ipaddr.process(ip);
  for (const [net, bits] of ranges) {
    if (net.kind() === addr.kind() && addr.match(net as never, bits)) return true;
  }
  return false;
}
