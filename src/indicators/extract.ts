/**
 * Extraction of every indicator from free text. One regular expression, built once from named
 * pieces, proposes candidates left to right; each candidate is then validated by the same
 * normalizers as a lone value, so the extractor never reports what `normalize` would reject.
 *
 * Linear time: every alternative starts with a look-behind that refuses to start inside a run of
 * the characters it consumes, so a long run (1 MB of dots, hex or `a@a@`) is entered at most once,
 * and every repetition inside a candidate is bounded or deterministic.
 */
import { normalizeDomain } from './domain.ts';
import { normalizeCidr, normalizeIpv4, normalizeIpv6 } from './ip.ts';
import { originalOffset, refangWithMap, type RefangEdit } from './refang.ts';
import { FIELD_NAME_SUFFIXES, FILE_EXTENSION_SUFFIXES, HASH_TYPE_BY_LENGTH, PRODUCT_NAMES, URL_SCHEMES } from './rules.ts';
import { normalizeCve, normalizeEmail } from './simple.ts';
import type { StoredType } from './types.ts';
import { parseUrl } from './url.ts';

export interface ExtractedIndicator {
  type: StoredType;
  /** Canonical value. */
  value: string;
  /** Offsets in the input text (UTF-16 code units, end exclusive). */
  start: number;
  end: number;
  /** Set on a URL's host or an email's domain: the indicator it was found inside. */
  partOf?: { type: StoredType; value: string };
}

export interface ExtractOptions {
  /** Undo defanging before matching (default true). */
  refang?: boolean;
  /** Also report the host of each URL and the domain of each email address (default true). */
  includeParts?: boolean;
  /** Keep only these types (default: all). */
  types?: StoredType[];
}

// ---- named pieces -------------------------------------------------------------------------
/**
 * Characters a URL may contain in running text: stops at spaces, quotes, angle brackets and
 * commas (legal in URLs but far more often a CSV or list separator next to one).
 */
const URL_CHAR = String.raw`[^\s<>"'\x60{}|\\^,\x00-\x1f\x7f\u00a0\u2000-\u206f\u3000-\u303f\uff08\uff09\uff0c]`;
const SCHEMES = Object.keys(URL_SCHEMES).sort((a, b) => b.length - a.length).join('|');
const LETTER_EXT = String.raw`\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u052f`; // Latin-1 letters, Latin Extended, Greek, Cyrillic
const LABEL = String.raw`[A-Za-z0-9_${LETTER_EXT}-]{1,63}`;
const TLD = String.raw`[A-Za-z${LETTER_EXT}][A-Za-z0-9${LETTER_EXT}-]{1,62}`;
const HOSTNAME = String.raw`(?:${LABEL}\.)+${TLD}`;
const LOCAL = String.raw`[A-Za-z0-9._%+-]`;

const PIECES = {
  url: String.raw`(?<![A-Za-z0-9+.-])(?:${SCHEMES}):\/\/${URL_CHAR}+`,
  // A leading `-` or `+` is a list bullet or an option flag in text, not part of the address.
  email: String.raw`(?<![A-Za-z0-9._%+])[A-Za-z0-9_%]${LOCAL}{0,63}@${HOSTNAME}(?![A-Za-z0-9_${LETTER_EXT}-]|\.[A-Za-z0-9])`,
  ipv6: String.raw`(?<![A-Za-z0-9_:.%])(?=[0-9a-f]{0,4}:[0-9a-f]{0,4}:)[0-9a-f:]{2,39}(?:(?<=:)\d{1,3}(?:\.\d{1,3}){3})?(?:%[A-Za-z0-9_.-]{1,16})?(?:\/\d{1,3}(?![A-Za-z0-9_\/]|\.\d))?(?![A-Za-z0-9_:]|\.\d)`,
  ipv4: String.raw`(?<![A-Za-z0-9_.])(?:\d{1,3}\.){3}\d{1,3}(?:\/\d{1,3}(?![A-Za-z0-9_\/]|\.\d))?(?![A-Za-z0-9_]|\.\d)`,
  hash: String.raw`(?<![A-Za-z0-9_])[0-9a-f]{32,128}(?![A-Za-z0-9_])`,
  cve: String.raw`(?<![A-Za-z0-9_-])CVE-\d{4}-\d{4,19}(?![A-Za-z0-9_])`,
  attack: String.raw`(?<![A-Za-z0-9_.-])T(?:A\d{4}|\d{4}(?:\.\d{3})?)(?![A-Za-z0-9_]|\.\d)`,
  domain: String.raw`(?<![A-Za-z0-9_.@\/\\${LETTER_EXT}-])${HOSTNAME}(?![A-Za-z0-9_@${LETTER_EXT}-]|\.[A-Za-z0-9])(?:\/${URL_CHAR}*)?`,
} as const;
type PieceName = keyof typeof PIECES;
const PIECE_NAMES = Object.keys(PIECES) as PieceName[];
// The shared guard skips positions inside words with one test instead of one per alternative
// (most positions in prose are inside words); the gate then rejects a plain word in one short
// scan: every candidate has a `.`, `@` or `:` within its first 64 characters, or is hex, a CVE
// or an ATT&CK id.
const GATE = String.raw`(?=[0-9a-f]{32}|CVE-|T[A\d]|:|[A-Za-z0-9_%+${LETTER_EXT}-]{1,64}[.@:])`;
const CANDIDATES_SOURCE = `(?<![A-Za-z0-9_])${GATE}(?:${PIECE_NAMES.map((k) => `(${PIECES[k]})`).join('|')})`;
// Compiled once and cloned per call, so no /g state is shared between calls.
const CANDIDATES = new RegExp(CANDIDATES_SOURCE, 'gi');

const TRAILING_PUNCT = /[.,;:!?'"*\u2019\u201d>]$/;
const HAS_DIGIT = /\d/;
const HAS_HEX_LETTER = /[a-f]/i;
const ATTACK_CASE = /^T(?:A|\d)/;

/** Strips sentence punctuation and unbalanced closing brackets from the end of a URL candidate. */
function trimUrlTail(s: string): string {
  let out = s;
  for (;;) {
    if (TRAILING_PUNCT.test(out)) {
      out = out.slice(0, -1);
      continue;
    }
    const last = out[out.length - 1];
    const open = last === ')' ? '(' : last === ']' ? '[' : last === '}' ? '{' : null;
    if (open !== null && count(out, last as string) > count(out, open)) {
      out = out.slice(0, -1);
      continue;
    }
    return out;
  }
}
function count(s: string, ch: string): number {
  let n = 0;
  for (let i = s.indexOf(ch); i !== -1; i = s.indexOf(ch, i + 1)) n++;
  return n;
}

/** Where the host sits inside a URL candidate (offsets relative to the candidate). */
function hostSpan(url: string, hasScheme: boolean): [number, number] {
  const begin = hasScheme ? url.indexOf('://') + 3 : 0;
  let end = url.length;
  for (let i = begin; i < url.length; i++) {
    const c = url[i];
    if (c === '/' || c === '?' || c === '#' || c === '\\') {
      end = i;
      break;
    }
  }
  const at = url.lastIndexOf('@', end - 1);
  const hostStart = at >= begin ? at + 1 : begin;
  let hostEnd = end;
  if (url[hostStart] === '[') {
    const close = url.indexOf(']', hostStart);
    if (close !== -1 && close < end) return [hostStart + 1, close];
  } else {
    const colon = url.lastIndexOf(':', end - 1);
    if (colon >= hostStart) hostEnd = colon;
  }
  if (url[hostEnd - 1] === '.') hostEnd--;
  return [hostStart, hostEnd];
}

/** What a candidate turned out to be; positions are relative to the candidate. */
interface Finding {
  type: StoredType;
  value: string;
  length: number;
  /** The URL's host or the email's domain. */
  part?: { type: StoredType; value: string; start: number; end: number };
  /** Shaped like a file, field or product name: kept only if the text had it defanged. */
  onlyIfDefanged?: boolean;
}

function urlFinding(candidate: string, hasScheme: boolean): Finding | null {
  const trimmed = trimUrlTail(candidate);
  const parsed = parseUrl(trimmed, { assumeScheme: !hasScheme });
  if (!parsed.ok) return null;
  const [hs, he] = hostSpan(trimmed, hasScheme);
  return { type: 'url', value: parsed.value, length: trimmed.length, part: { type: parsed.hostType, value: parsed.host, start: hs, end: he } };
}

/** File names, field names and product names that happen to be valid domains (see rules.ts). */
function isProbablyNotADomain(domain: string): boolean {
  const dot = domain.lastIndexOf('.');
  const suffix = domain.slice(dot + 1);
  if (FIELD_NAME_SUFFIXES.has(suffix)) return true;
  if (FILE_EXTENSION_SUFFIXES.has(suffix) && domain.indexOf('.') === dot) return true;
  return PRODUCT_NAMES.has(domain);
}

function cidrOrAddress(m: string, type: 'ipv4' | 'ipv6'): Finding | null {
  const slash = m.indexOf('/');
  if (slash !== -1) {
    const c = normalizeCidr(m);
    if (c.ok) return { type: 'cidr', value: c.value, length: m.length };
  }
  let cand = slash === -1 ? m : m.slice(0, slash);
  if (type === 'ipv4') {
    const r = normalizeIpv4(cand);
    return r.ok ? { type, value: r.value, length: cand.length } : null;
  }
  let r = normalizeIpv6(cand);
  if (!r.ok && cand.endsWith(':') && !cand.endsWith('::')) {
    cand = cand.slice(0, -1);
    r = normalizeIpv6(cand);
  }
  return r.ok ? { type, value: r.value, length: cand.length } : null;
}

/** Validates one candidate. Pure in the candidate text, so results can be memoized per call. */
function classify(piece: PieceName, m: string): Finding | null {
  switch (piece) {
    case 'url':
      return urlFinding(m, true);
    case 'email': {
      const r = normalizeEmail(m);
      if (!r.ok) return null;
      const at = r.value.lastIndexOf('@');
      return { type: 'email', value: r.value, length: m.length, part: { type: 'domain', value: r.value.slice(at + 1), start: m.lastIndexOf('@') + 1, end: m.length } };
    }
    case 'ipv6':
      // `a::b`, `dead::beef` are scope operators in code far more often than addresses.
      return HAS_DIGIT.test(m) ? cidrOrAddress(m, 'ipv6') : null;
    case 'ipv4':
      return cidrOrAddress(m, 'ipv4');
    case 'hash': {
      const type = HASH_TYPE_BY_LENGTH.get(m.length);
      // A real digest has both digits and letters; a 32-digit number or a 40-letter word is not one.
      return type && HAS_DIGIT.test(m) && HAS_HEX_LETTER.test(m) ? { type, value: m.toLowerCase(), length: m.length } : null;
    }
    case 'cve': {
      const r = normalizeCve(m);
      return r.ok ? { type: 'cve', value: r.value, length: m.length } : null;
    }
    case 'attack':
      // Only upper case in prose: `t1059` is far more often something else.
      return ATTACK_CASE.test(m) ? { type: 'mitre-attack', value: m, length: m.length } : null;
    case 'domain': {
      const slash = m.indexOf('/');
      if (slash !== -1 && trimUrlTail(m).length > slash + 1) {
        const url = urlFinding(m, false);
        if (url) return url;
      }
      const host = slash === -1 ? m : m.slice(0, slash);
      const r = normalizeDomain(host);
      if (!r.ok) return null;
      const finding: Finding = { type: 'domain', value: r.value, length: host.length };
      if (isProbablyNotADomain(r.value)) finding.onlyIfDefanged = true;
      return finding;
    }
  }
}

interface Sink {
  text: string;
  original: string;
  edits: readonly RefangEdit[];
  out: ExtractedIndicator[];
  wanted: ReadonlySet<StoredType> | null;
  parts: boolean;
}

function emit(sink: Sink, type: StoredType, value: string, start: number, end: number, partOf?: ExtractedIndicator['partOf']): void {
  if (sink.wanted !== null && !sink.wanted.has(type)) return;
  const item: ExtractedIndicator = {
    type,
    value,
    start: originalOffset(sink.edits, start, false),
    end: originalOffset(sink.edits, end, true),
  };
  if (partOf) item.partOf = partOf;
  sink.out.push(item);
}

function isDefanged(sink: Sink, start: number, end: number): boolean {
  if (sink.edits.length === 0) return false;
  const os = originalOffset(sink.edits, start, false);
  const oe = originalOffset(sink.edits, end, true);
  return sink.original.slice(os, oe) !== sink.text.slice(start, end);
}

function record(sink: Sink, f: Finding, start: number): void {
  if (f.onlyIfDefanged && !isDefanged(sink, start, start + f.length)) return;
  emit(sink, f.type, f.value, start, start + f.length);
  if (f.part && sink.parts) emit(sink, f.part.type, f.part.value, start + f.part.start, start + f.part.end, { type: f.type, value: f.value });
}

// Texts repeat their indicators (logs above all); validating each distinct candidate once per
// call saves most of the work. Bounded so that a huge text of distinct candidates stays linear in memory.
const MEMO_MAX = 20_000;

/** Finds, refangs and normalizes every indicator in `text`, in order of appearance. */
export function extract(text: string, options: ExtractOptions = {}): ExtractedIndicator[] {
  if (typeof text !== 'string' || text === '') return [];
  const refanged = options.refang === false ? { text, edits: [] } : refangWithMap(text);
  const sink: Sink = {
    text: refanged.text,
    original: text,
    edits: refanged.edits,
    out: [],
    wanted: options.types ? new Set<StoredType>(options.types) : null,
    parts: options.includeParts !== false,
  };
  const memo = new Map<string, Finding | null>();
  const re = new RegExp(CANDIDATES);
  for (let m = re.exec(sink.text); m !== null; m = re.exec(sink.text)) {
    let g = 1;
    while (m[g] === undefined) g++;
    const piece = PIECE_NAMES[g - 1] as PieceName;
    const key = `${g}${m[0]}`;
    let finding = memo.get(key);
    if (finding === undefined) {
      finding = classify(piece, m[0]);
      if (memo.size < MEMO_MAX) memo.set(key, finding);
    }
    if (finding !== null) record(sink, finding, m.index);
  }
  return sink.out;
}
