/**
 * URLs: the scheme must be one Verdict knows, the host must be a valid domain or IP address under
 * the same strict rules as a lone value, the scheme and host are lowercased, default ports
 * dropped, and for the WHATWG "special" schemes the path is canonicalized by the URL parser
 * (dot segments resolved, unsafe characters percent-encoded, `/` for an empty path).
 */
import { normalizeDomain } from './domain.ts';
import { normalizeIpv4, normalizeIpv6 } from './ip.ts';
import { fail, ok, type Normalized } from './result.ts';
import { DEFAULT_URL_SCHEME, URL_SCHEMES } from './rules.ts';

const SCHEME_SPLIT = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#\\]*)([\s\S]*)$/;
const IPV4_LIKE = /^[\d.]+$/;
const PORT = /^\d{1,5}$/;
const WHITESPACE_OR_CONTROL = /[\s\x00-\x1f\x7f]/;

export interface UrlParts {
  /** Canonical URL. */
  value: string;
  /** Canonical host (domain, IPv4 or IPv6 without brackets) and its type. */
  host: string;
  hostType: 'domain' | 'ipv4' | 'ipv6';
}

export type UrlResult = ({ ok: true } & UrlParts) | { ok: false; reason: string };

/** Validates and canonicalizes a host (no port); IPv6 may be bracketed. */
export function normalizeHost(raw: string): { ok: true; value: string; type: 'domain' | 'ipv4' | 'ipv6' } | { ok: false; reason: string } {
  if (raw.startsWith('[')) {
    if (!raw.endsWith(']')) return { ok: false, reason: 'unclosed [ in host' };
    const v6 = normalizeIpv6(raw.slice(1, -1));
    return v6.ok ? { ok: true, value: v6.value, type: 'ipv6' } : { ok: false, reason: `host: ${v6.reason}` };
  }
  if (IPV4_LIKE.test(raw.endsWith('.') ? raw.slice(0, -1) : raw)) {
    const v4 = normalizeIpv4(raw);
    return v4.ok ? { ok: true, value: v4.value, type: 'ipv4' } : { ok: false, reason: `host: ${v4.reason}` };
  }
  const d = normalizeDomain(raw);
  return d.ok ? { ok: true, value: d.value, type: 'domain' } : { ok: false, reason: `host: ${d.reason}` };
}

export function parseUrl(raw: string, options: { assumeScheme?: boolean } = {}): UrlResult {
  let s = raw.trim();
  if (s === '') return { ok: false, reason: 'empty value' };
  if (WHITESPACE_OR_CONTROL.test(s)) return { ok: false, reason: 'contains whitespace or control characters' };
  let m = SCHEME_SPLIT.exec(s);
  if (!m && options.assumeScheme) {
    s = `${DEFAULT_URL_SCHEME}://${s}`;
    m = SCHEME_SPLIT.exec(s);
  }
  if (!m) return { ok: false, reason: 'no scheme (expected scheme://host)' };
  const scheme = (m[1] as string).toLowerCase();
  const authority = m[2] as string;
  const rest = m[3] as string;
  const info = URL_SCHEMES[scheme];
  if (!info) return { ok: false, reason: `unsupported scheme "${scheme}"` };

  const at = authority.lastIndexOf('@');
  const userinfo = at === -1 ? '' : authority.slice(0, at);
  const hostPort = at === -1 ? authority : authority.slice(at + 1);
  let hostText = hostPort;
  let portText = '';
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close === -1) return { ok: false, reason: 'unclosed [ in host' };
    hostText = hostPort.slice(0, close + 1);
    const after = hostPort.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) return { ok: false, reason: 'unexpected characters after the IPv6 host' };
    portText = after.slice(1);
  } else {
    const colon = hostPort.lastIndexOf(':');
    if (colon !== -1) {
      hostText = hostPort.slice(0, colon);
      portText = hostPort.slice(colon + 1);
    }
  }
  if (hostText === '') return { ok: false, reason: 'no host' };
  let port: number | null = null;
  if (portText !== '') {
    if (!PORT.test(portText) || Number(portText) > 65535) return { ok: false, reason: `port "${portText}" is not a number from 0 to 65535` };
    port = Number(portText);
  }
  const host = normalizeHost(hostText);
  if (!host.ok) return host;

  const hostOut = host.type === 'ipv6' ? `[${host.value}]` : host.value;
  const portOut = port === null || port === info.defaultPort ? '' : `:${port}`;
  const built = `${scheme}://${userinfo === '' ? '' : `${userinfo}@`}${hostOut}${portOut}${rest}`;
  let value = built;
  if (info.special) {
    try {
      value = new URL(built).href;
    } catch {
      return { ok: false, reason: 'not a valid URL' };
    }
  }
  return { ok: true, value, host: host.value, hostType: host.type };
}

export function normalizeUrl(raw: string): Normalized {
  const r = parseUrl(raw);
  return r.ok ? ok(r.value) : fail(r.reason);
}
