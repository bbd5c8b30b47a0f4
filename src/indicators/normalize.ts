/** One canonical form per type. `normalize` trims but never refangs; it is idempotent. */
import { normalizeDomain } from './domain.ts';
import { normalizeCidr, normalizeIpv4, normalizeIpv6 } from './ip.ts';
import { fail, type Normalized } from './result.ts';
import { normalizeAsn, normalizeAttack, normalizeCve, normalizeEmail, normalizeHash } from './simple.ts';
import { isStoredType, type StoredType } from './types.ts';
import { normalizeUrl } from './url.ts';

/** Longest value accepted (API.md §4). */
export const MAX_INDICATOR_LENGTH = 2048;

const NORMALIZERS: Readonly<Record<StoredType, (raw: string) => Normalized>> = {
  ipv4: normalizeIpv4,
  ipv6: normalizeIpv6,
  domain: normalizeDomain,
  url: normalizeUrl,
  md5: (s) => normalizeHash('md5', s),
  sha1: (s) => normalizeHash('sha1', s),
  sha256: (s) => normalizeHash('sha256', s),
  sha512: (s) => normalizeHash('sha512', s),
  cve: normalizeCve,
  'mitre-attack': normalizeAttack,
  email: normalizeEmail,
  asn: normalizeAsn,
  cidr: normalizeCidr,
};

export function normalize(type: StoredType, raw: string): Normalized {
  if (typeof raw !== 'string') return fail('not a string');
  if (!isStoredType(type)) return fail(`unknown indicator type "${String(type)}"`);
  const s = raw.trim();
  if (s === '') return fail('empty value');
  if (s.length > MAX_INDICATOR_LENGTH) return fail(`longer than ${MAX_INDICATOR_LENGTH} characters`);
  return NORMALIZERS[type](s);
}
