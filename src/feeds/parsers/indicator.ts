/** Every value a feed states goes through src/indicators, so stored values are canonical. */
import { normalize } from '../../indicators/normalize.ts';
import { parseIndicator } from '../../indicators/detect.ts';
import { isIndicatorType, isStoredType, type StoredType } from '../../indicators/types.ts';

export type IndicatorOutcome = { ok: true; type: StoredType; value: string } | { ok: false; reason: string };

/** `a.b.c.d/nn` or an IPv6 prefix: ranges are stored as `cidr`, which detection never yields. */
const CIDR_SHAPE = /^[0-9a-f:.]+\/\d{1,3}$/i;

/**
 * True when `s` is an IPv4 address already in canonical form: four decimal octets of at most
 * 255, without leading zeros. Such a value is its own canonical form (normalize returns it
 * unchanged), so a feed pinned to ipv4 skips the full check, which costs about twenty times
 * more, on the values nearly every IP list holds. Anything else takes the full path.
 */
export function isCanonicalIpv4(s: string): boolean {
  const n = s.length;
  if (n < 7 || n > 15) return false;
  let dots = 0;
  let octet = 0;
  let digits = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || ++dots > 3) return false;
      octet = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits === 1 && octet === 0) return false; // a leading zero
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return false;
    } else return false;
  }
  return dots === 3 && digits > 0;
}

/**
 * Canonical form of a feed value. `type` pins the type (a list of IPs says so in the catalog);
 * otherwise the type is detected, with `ip/prefix` read as a range.
 */
export function toIndicator(raw: string, type?: StoredType | null): IndicatorOutcome {
  const trimmed = raw.trim();
  if (trimmed === '') return { ok: false, reason: 'empty value' };
  if (type === 'cidr' || ((type === undefined || type === null) && CIDR_SHAPE.test(trimmed))) {
    const r = normalize('cidr', trimmed);
    return r.ok ? { ok: true, type: 'cidr', value: r.value } : { ok: false, reason: r.reason };
  }
  if (type !== undefined && type !== null) {
    if (type === 'ipv4' && isCanonicalIpv4(trimmed)) return { ok: true, type, value: trimmed };
    if (!isIndicatorType(type)) return { ok: false, reason: `unknown type ${String(type)}` };
    // most feed values are already clean: the plain check first, refanging only when it fails
    const plain = normalize(type, trimmed);
    if (plain.ok) return { ok: true, type, value: plain.value };
    if (type === 'url') {
      // the lenient reading would make `http://198.51.100.7/` of a bare address: in a feed that
      // says it lists URLs, a lone address or domain is a file of another kind, not a URL
      const bare = toIndicator(trimmed);
      if (bare.ok && bare.type !== 'url') return { ok: false, reason: `a bare ${bare.type}, not a URL` };
    }
  }
  const r = parseIndicator(trimmed, type ?? undefined);
  if (r.ok) return { ok: true, type: r.type, value: r.value };
  const why = r.tried.map((t) => `${t.type}: ${t.reason}`).join('; ');
  return { ok: false, reason: why === '' ? 'not an indicator' : why };
}

/** Reads a catalog option naming a stored type (`"type": "ipv4"`). */
export function typeOption(v: unknown): StoredType | null {
  return typeof v === 'string' && isStoredType(v) ? v : null;
}

/**
 * What a refused row looks like, for RejectTally.reject's `looksLike`: the indicator type it is
 * detected as (`cidr`, `ipv4`, `url`, …), else `json` for a JSON object or array, `csv` for
 * comma-, semicolon- or tab-separated or quoted fields, else `text`. Only called on refusals.
 */
export function looksLikeOf(raw: string): string {
  const t = raw.trim();
  const ind = toIndicator(t);
  if (ind.ok) return ind.type;
  // `1.10.16.0/20 ; SBL256894`: a value with a trailing comment is that value
  const cut = TRAILING_COMMENT.exec(t);
  if (cut !== null && cut.index > 0) {
    const head = toIndicator(t.slice(0, cut.index));
    if (head.ok) return head.type;
  }
  const c = t.charCodeAt(0);
  if (c === 123 /* { */ || c === 91 /* [ */) return 'json';
  if (SEPARATED.test(t)) return 'csv';
  return 'text';
}

const TRAILING_COMMENT = /\s[#;]/;
/** Two or more fields: a separator between non-empty parts, or a quoted field. */
const SEPARATED = /^"|[^,;\t]\s*[,;\t]\s*[^,;\t]/;
