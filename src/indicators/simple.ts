/** The fixed-shape types: hashes, CVE ids, ATT&CK ids, email addresses. */
import { normalizeDomain } from './domain.ts';
import { fail, ok, type Normalized } from './result.ts';
import { HASH_LENGTHS, SPECIAL_ASNS, type HashType } from './rules.ts';

const HEX = /^[0-9a-fA-F]+$/;
const CVE = /^CVE-(\d{4})-(0\d{3}|[1-9]\d{3,18})$/i;
const ATTACK = /^(?:TA\d{4}|T\d{4}(?:\.\d{3})?)$/i;
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const MAILTO = /^mailto:/i;

export function normalizeHash(type: HashType, raw: string): Normalized {
  const s = raw.trim();
  const want = HASH_LENGTHS[type];
  if (!HEX.test(s)) return fail('not hexadecimal');
  if (s.length !== want) return fail(`${s.length} hex characters, ${type} has ${want}`);
  return ok(s.toLowerCase());
}

export function normalizeCve(raw: string): Normalized {
  const s = raw.trim();
  const m = CVE.exec(s);
  if (!m) return fail('not of the form CVE-YYYY-NNNN (four or more digits, no extra leading zeros)');
  if (Number(m[1]) < 1999) return fail(`year ${m[1]} is before the first CVE year (1999)`);
  return ok(s.toUpperCase());
}

export function normalizeAttack(raw: string): Normalized {
  const s = raw.trim();
  if (!ATTACK.test(s)) return fail('not an ATT&CK technique (T1234, T1234.001) or tactic (TA0001) id');
  return ok(s.toUpperCase());
}

export function normalizeEmail(raw: string): Normalized {
  let s = raw.trim();
  if (MAILTO.test(s)) {
    s = s.slice(7);
    const q = s.indexOf('?');
    if (q !== -1) s = s.slice(0, q);
    try {
      s = decodeURIComponent(s);
    } catch {
      return fail('malformed percent-encoding in mailto: address');
    }
  }
  const at = s.lastIndexOf('@');
  if (at === -1) return fail('no @');
  const local = s.slice(0, at);
  const domain = s.slice(at + 1);
  if (local === '') return fail('empty local part before @');
  if (local.length > 64) return fail('local part longer than 64 characters');
  if (!LOCAL_PART.test(local)) return fail('local part has characters or dots not allowed in an address');
  if (domain.startsWith('[')) return fail('address literals ([1.2.3.4]) are not accepted');
  const d = normalizeDomain(domain);
  if (!d.ok) return fail(`domain: ${d.reason}`);
  // The local part is case-sensitive by RFC 5321, so only the domain is lowercased.
  return ok(`${local}@${d.value}`);
}

/** Largest AS number: AS numbers are 32 bits (RFC 6793). */
export const MAX_ASN = 4_294_967_295;
/**
 * `AS13335`, `as13335`, `ASN 13335`, `ASN13335`, `AS 13335`, a bare `13335` (the caller has said
 * it is an AS number), and asdot `AS1.10` (RFC 5396: high.low, = 65546). At most ten digits are
 * read as a number, so a long run of digits is refused before it is converted.
 */
const ASN = /^(?:ASN?[ \t]?)?(?:(\d{1,10})|(\d{1,5})\.(\d{1,5}))$/i;

export function normalizeAsn(raw: string): Normalized {
  const s = raw.trim();
  const m = ASN.exec(s);
  if (!m) {
    if (/^ASN?[ \t]?\d{11,}$/i.test(s) || /^\d{11,}$/.test(s)) return fail(`out of range: AS numbers are 1 to ${MAX_ASN} (32 bits)`);
    return fail('not an AS number (AS13335, ASN 13335, or 13335 with the type asn)');
  }
  let n: number;
  if (m[1] !== undefined) n = Number(m[1]);
  else {
    const high = Number(m[2]);
    const low = Number(m[3]);
    if (high > 65535 || low > 65535) return fail('asdot halves must each be 0 to 65535 (AS1.10 is 1 × 65536 + 10)');
    n = high * 65536 + low;
  }
  if (n === 0) return fail('AS0 is reserved (RFC 7607) and never a network; AS numbers are 1 to 4294967295');
  if (n > MAX_ASN) return fail(`out of range: AS numbers are 1 to ${MAX_ASN} (32 bits)`);
  return ok(`AS${n}`);
}

/** What a canonical AS number is when it is one of the special numbers (SPECIAL_ASNS), else null. */
export function specialAsn(value: string): { range: string; use: string } | null {
  if (!/^AS\d{1,10}$/.test(value)) return null;
  const n = Number(value.slice(2));
  const hit = SPECIAL_ASNS.find((r) => n >= r.from && n <= r.to);
  if (hit === undefined) return null;
  return { range: hit.from === hit.to ? `AS${hit.from}` : `AS${hit.from}-AS${hit.to}`, use: hit.use };
}
