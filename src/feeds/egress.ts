/**
 * Where a feed run may connect. A feed is trusted with its configured URL's origin, and only that:
 * a redirect or a link found in feed content that leaves the origin is a request the feed's server
 * chose, so it must not reach Verdict's own network — loopback, private, link-local (cloud
 * metadata at 169.254.169.254), carrier-grade NAT (100.100.100.200), unique-local and other
 * non-public addresses — unless the feed says `options.allowPrivateNetworks: true`.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import ipaddr from '../vendor/ipaddr.ts';

/** Resolves a host name to its addresses (injected in tests). */
export type Resolve = (host: string) => Promise<string[]>;

export const resolveHost: Resolve = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** True for an address on the public internet; false for loopback, private, link-local, reserved, … */
export function isPublicAddress(address: string): boolean {
  let a: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    a = ipaddr.parse(address);
  } catch {
    return false;
  }
  if (a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress()) a = (a as ipaddr.IPv6).toIPv4Address();
  return a.range() === 'unicast';
}

/** The host of a URL as a DNS name or address literal (IPv6 without brackets). */
function hostOf(url: URL): string {
  const h = url.hostname;
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

export interface EgressPolicy {
  /** The origin of the feed's configured URL: always allowed, credentials included. */
  trustedOrigin: string;
  /** `options.allowPrivateNetworks`: the feed may lead to non-public addresses. */
  allowPrivateNetworks: boolean;
  resolve?: Resolve;
}

/**
 * Why a request to `target` is refused, or null when it may go ahead. Outside the trusted origin
 * only http(s) to public addresses (every address the name resolves to) is allowed.
 */
export async function refusal(target: URL, policy: EgressPolicy): Promise<string | null> {
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return `${target.protocol} is not http or https`;
  if (target.origin === policy.trustedOrigin || policy.allowPrivateNetworks) return null;
  const host = hostOf(target);
  let addresses: string[];
  if (ipaddr.isValid(host)) addresses = [host];
  else {
    try {
      addresses = await (policy.resolve ?? resolveHost)(host);
    } catch (err) {
      return `${host} does not resolve (${err instanceof Error ? err.message : String(err)})`;
    }
  }
  const inside = addresses.find((a) => !isPublicAddress(a));
  if (inside !== undefined) {
    return `${target.origin} is outside the feed's origin and ${inside === host ? 'is' : `resolves to ${inside}, which is`} not a public address (set options.allowPrivateNetworks to allow it)`;
  }
  return null;
}
