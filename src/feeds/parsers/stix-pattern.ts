/**
 * The part of the STIX 2.1 patterning language that feeds use: equality comparisons on
 * observable values, joined by AND/OR inside and between observation expressions, qualifiers
 * ignored. Other operators (MATCHES, LIKE, !=, IN, …) do not name one indicator and are skipped.
 */
import type { StoredType } from '../../indicators/types.ts';

/** Object path → stored type (null: IPv4/IPv6 value that may be a range). */
const PATHS: Readonly<Record<string, StoredType | null>> = {
  'ipv4-addr:value': null,
  'ipv6-addr:value': null,
  'domain-name:value': 'domain',
  'url:value': 'url',
  'email-addr:value': 'email',
  'email-message:from_ref.value': 'email',
  'email-message:sender_ref.value': 'email',
  "file:hashes.'md5'": 'md5',
  'file:hashes.md5': 'md5',
  "file:hashes.'sha-1'": 'sha1',
  'file:hashes.sha1': 'sha1',
  "file:hashes.'sha-256'": 'sha256',
  'file:hashes.sha256': 'sha256',
  "file:hashes.'sha-512'": 'sha512',
  'file:hashes.sha512': 'sha512',
};

// path, operator, single-quoted literal with backslash escapes
const COMPARISON = /([a-z0-9-]+:[a-z0-9_.'\-[\]*]+)\s*(NOT\s+)?(=|!=|<>|>=|<=|>|<|MATCHES|LIKE|IN|ISSUBSET|ISSUPERSET)\s*('(?:[^'\\]|\\.)*'|\([^)]*\))/gi;
const ESCAPE = /\\(.)/g;
const OBSERVATION_START = /^[(\s]*\[/;

export interface PatternTerm {
  type: StoredType | null;
  path: string;
  value: string;
}

export type PatternResult = { ok: true; terms: PatternTerm[]; skipped: number } | { ok: false; reason: string };

export function parseStixPattern(pattern: string): PatternResult {
  const p = pattern.trim();
  if (!OBSERVATION_START.test(p)) return { ok: false, reason: 'pattern does not start with an observation expression' };
  let depth = 0;
  let inString = false;
  for (let i = 0; i < p.length; i++) {
    const ch = p[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === "'") inString = false;
    } else if (ch === "'") inString = true;
    else if (ch === '[') depth++;
    else if (ch === ']') depth--;
    if (depth < 0) return { ok: false, reason: 'unbalanced brackets' };
  }
  if (depth !== 0 || inString) return { ok: false, reason: 'unbalanced brackets or quotes' };
  const terms: PatternTerm[] = [];
  let skipped = 0;
  // a fresh RegExp per call: a shared /g regex would carry lastIndex between calls
  const re = new RegExp(COMPARISON.source, COMPARISON.flags);
  for (let m = re.exec(p); m !== null; m = re.exec(p)) {
    const path = (m[1] ?? '').toLowerCase();
    const negated = m[2] !== undefined;
    const op = (m[3] ?? '').toUpperCase();
    const literal = m[4] ?? '';
    const type = PATHS[path];
    if (type === undefined || negated || op !== '=' || !literal.startsWith("'")) {
      skipped++;
      continue;
    }
    terms.push({ type, path, value: literal.slice(1, -1).replace(ESCAPE, '$1') });
  }
  if (terms.length === 0 && skipped === 0) return { ok: false, reason: 'no comparison expression found' };
  return { ok: true, terms, skipped };
}
