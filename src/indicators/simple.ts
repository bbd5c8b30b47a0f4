/** The fixed-shape types: hashes, CVE ids, ATT&CK ids, email addresses. */
import { normalizeDomain } from './domain.ts';
import { fail, ok, type Normalized } from './result.ts';
import { HASH_LENGTHS, type HashType } from './rules.ts';

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
