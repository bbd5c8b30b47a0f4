/**
 * Domain names: lowercased, one trailing dot removed, IDNs converted to punycode (A-labels), and
 * the top-level label checked against the ICANN section of the Public Suffix List (via tldts).
 */
import { domainToASCII } from 'node:url';
import { parse as parseDomain } from '../vendor/tldts.ts';
import { fail, ok, type Normalized } from './result.ts';

const ASCII_HOST = /^[\x21-\x7e]+$/;
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
const TLD = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;
const ALL_DIGITS = /^\d+$/;

// TLD validity is checked on the top label alone (only ICANN rules decide whether a TLD exists).
const TLD_OPTIONS = { allowPrivateDomains: false, extractHostname: false, detectIp: false, validateHostname: false } as const;
// The registrable domain honours the PRIVATE section too: `evil.github.io` is owned apart from
// `github.io`, which is what matters when grouping threat infrastructure. See docs/indicators.md.
const REGISTRABLE_OPTIONS = { allowPrivateDomains: true, extractHostname: false, detectIp: false, validateHostname: false } as const;

// Memo of TLD lookups: a few thousand TLDs exist, and extraction asks about the same ones again and
// again. Bounded so that text full of made-up TLDs cannot grow it without limit.
const TLD_MEMO = new Map<string, boolean>();
const TLD_MEMO_MAX = 4096;

/** Whether `tld` (lower case) is a top-level domain in the ICANN section of the Public Suffix List. */
export function isKnownTld(tld: string): boolean {
  const known = TLD_MEMO.get(tld);
  if (known !== undefined) return known;
  const answer = parseDomain(tld, TLD_OPTIONS).isIcann === true;
  if (TLD_MEMO.size < TLD_MEMO_MAX) TLD_MEMO.set(tld, answer);
  return answer;
}

/** Syntax only: lower case, punycode, one trailing dot dropped, labels checked; no TLD check. */
export function canonicalHostname(raw: string): Normalized {
  let s = raw.trim();
  if (s === '') return fail('empty value');
  if (s.endsWith('.')) s = s.slice(0, -1);
  if (s === '') return fail('empty value');
  if (s.length > 253) return fail('longer than 253 characters');
  if (!ASCII_HOST.test(s) || s.includes('xn--') || s.includes('XN--')) {
    if (/[\s/\\@:?#]/.test(s)) return fail('contains characters not allowed in a domain name');
    const ascii = domainToASCII(s);
    if (ascii === '') return fail('not a valid internationalized domain name');
    s = ascii;
  } else {
    s = s.toLowerCase();
  }
  const labels = s.split('.');
  for (const label of labels) {
    if (label === '') return fail('empty label (consecutive, leading or extra trailing dots)');
    if (label.length > 63) return fail('label longer than 63 characters');
    if (!LABEL.test(label)) return fail(`label "${label}" has characters or hyphens not allowed in a domain name`);
  }
  if (s.length > 253) return fail('longer than 253 characters');
  return ok(s);
}

export function normalizeDomain(raw: string): Normalized {
  const c = canonicalHostname(raw);
  if (!c.ok) return c;
  const s = c.value;
  const dot = s.lastIndexOf('.');
  if (dot === -1) return fail('no dot: a domain needs a name and a top-level domain');
  const tld = s.slice(dot + 1);
  if (ALL_DIGITS.test(tld)) return fail('numeric top-level label: looks like an IP address, not a domain');
  if (!TLD.test(tld) || !isKnownTld(tld)) return fail(`"${tld}" is not a top-level domain on the Public Suffix List`);
  return ok(s);
}

/**
 * The registrable domain ("eTLD+1") of a host name, honouring private suffixes and the PSL's
 * default rule for unlisted TLDs; null when the name is itself a public suffix or malformed.
 */
export function registrableDomain(name: string): string | null {
  if (typeof name !== 'string') return null;
  const c = canonicalHostname(name);
  if (!c.ok) return null;
  return parseDomain(c.value, REGISTRABLE_OPTIONS).domain;
}
