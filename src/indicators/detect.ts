/**
 * Lone-value parsing: trim, refang if needed, then validate as the given type or detect the type.
 * Detection tries, in DETECTION_ORDER, every type whose shape the value has; the first that
 * validates wins, and a failure lists every type tried with its reason.
 */
import { normalize } from './normalize.ts';
import { refang } from './refang.ts';
import { DETECTION_ORDER, HASH_LENGTHS } from './rules.ts';
import { parseUrl } from './url.ts';
import type { IndicatorType, StoredType } from './types.ts';

export type ParseResult =
  | { ok: true; type: StoredType; value: string }
  | { ok: false; tried: { type: StoredType; reason: string }[] };

const HEX = /^[0-9a-f]+$/i;
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
const MAILTO = /^mailto:/i;
const CVE_PREFIX = /^cve[-_ ]/i;
const ATTACK_SHAPE = /^ta?\d/i;
// `AS13335`, `ASN 13335`; a bare number is never detected as an AS number (it needs type=asn).
const ASN_SHAPE = /^asn?[ \t]?\d/i;
const DIGITS = /^\d+$/;
const IPV4_SHAPE = /^[\d.]+$/;
const IPV4_LOOSE = /^(?:0x[\da-f]+|\d+)(?:\.(?:0x[\da-f]+|\d+)){0,3}$/i;
const CIDR_SHAPE = /^[\da-f.:]+\/\d+$/i;

/** Which types a value is shaped like; cheap string checks only. */
const SHAPES: Readonly<Record<IndicatorType, (s: string) => boolean>> = {
  url: (s) => SCHEME.test(s) || (s.includes('/') && !CIDR_SHAPE.test(s) && !s.includes('@')),
  email: (s) => s.includes('@') || MAILTO.test(s),
  md5: (s) => s.length === HASH_LENGTHS.md5 && HEX.test(s),
  sha1: (s) => s.length === HASH_LENGTHS.sha1 && HEX.test(s),
  sha256: (s) => s.length === HASH_LENGTHS.sha256 && HEX.test(s),
  sha512: (s) => s.length === HASH_LENGTHS.sha512 && HEX.test(s),
  cve: (s) => CVE_PREFIX.test(s),
  'mitre-attack': (s) => ATTACK_SHAPE.test(s) && s.length <= 12,
  asn: (s) => ASN_SHAPE.test(s) && s.length <= 20,
  ipv6: (s) => s.includes(':') && !s.includes('/') && !s.includes('@'),
  ipv4: (s) => IPV4_SHAPE.test(s) || IPV4_LOOSE.test(s),
  domain: (s) => s.includes('.') && !s.includes('/') && !s.includes('@') && !s.includes(':'),
};

function validate(type: IndicatorType, s: string): { ok: true; value: string } | { ok: false; reason: string } {
  if (type === 'url' && !SCHEME.test(s)) {
    // A URL written without a scheme (`evil.com/a`) gets the default one; its host must be a domain
    // or an address, so `1.2.3.0/24` (a network) and `and/or` are not URLs.
    const r = parseUrl(s, { assumeScheme: true });
    return r.ok ? { ok: true, value: r.value } : { ok: false, reason: r.reason };
  }
  return normalize(type, s);
}

function attempt(s: string, type?: IndicatorType): ParseResult {
  if (type !== undefined) {
    const r = validate(type, s);
    return r.ok ? { ok: true, type, value: r.value } : { ok: false, tried: [{ type, reason: r.reason }] };
  }
  if (s === '') return { ok: false, tried: DETECTION_ORDER.map((t) => ({ type: t, reason: 'empty value' })) };
  const tried: { type: StoredType; reason: string }[] = [];
  for (const t of DETECTION_ORDER) {
    if (!SHAPES[t](s)) continue;
    const r = validate(t, s);
    if (r.ok) return { ok: true, type: t, value: r.value };
    tried.push({ type: t, reason: r.reason });
  }
  if (DIGITS.test(s) && normalize('asn', s).ok) tried.push({ type: 'asn', reason: 'a bare number is not taken as an AS number: write AS13335 or give the type asn' });
  if (tried.length > 0) return { ok: false, tried };
  if (CIDR_SHAPE.test(s)) return { ok: false, tried: [{ type: 'cidr', reason: 'a CIDR network is not a lookup type; look up an address' }] };
  // No shape matched: try every type, so that a failure still explains itself per type.
  for (const t of DETECTION_ORDER) {
    const r = validate(t, s);
    if (r.ok) return { ok: true, type: t, value: r.value };
    tried.push({ type: t, reason: r.reason });
  }
  return { ok: false, tried };
}

/**
 * The value is first tried as written and refanged only if that fails (or if it read as a URL
 * without a scheme, which may be one with a defanged scheme): defang markers such as `{.}` are
 * legal inside an email local part, so a valid value must never be "refanged" into an invalid one.
 * Clean values (the common case) also skip the refang pass.
 */
export function parseIndicator(raw: string, type?: IndicatorType): ParseResult {
  if (typeof raw !== 'string') return { ok: false, tried: [{ type: type ?? 'domain', reason: 'not a string' }] };
  const s = raw.trim();
  const asWritten = attempt(s, type);
  // A URL written without a scheme may be one with a defanged scheme (`h__ps__evil.com/a`,
  // `http__evil.com/a`): its host would keep the scheme word, so the refanged form is preferred.
  const schemeless = asWritten.ok && asWritten.type === 'url' && !SCHEME.test(s);
  if (asWritten.ok && !schemeless) return asWritten;
  const refanged = refang(s).trim();
  if (refanged === s) return asWritten;
  const r = attempt(refanged, type);
  return r.ok || !asWritten.ok ? r : asWritten;
}

/** The type a lone value would be detected as, or null. */
export function detect(raw: string): IndicatorType | null {
  const r = parseIndicator(raw);
  return r.ok ? (r.type as IndicatorType) : null;
}
