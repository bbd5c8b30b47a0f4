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
// The shared guard and first-character check let the engine skip positions inside words with one
// test instead of one per alternative (most positions in prose are inside words).
const CANDIDATES_SOURCE = `(?<![A-Za-z0-9_])(?=[A-Za-z0-9_%:${LETTER_EXT}])(?:${PIECE_NAMES.map((k) => `(${PIECES[k]})`).join('|')})`;
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

interface Sink {
  text: string;
  original: string;
  edits: readonly RefangEdit[];
  out: ExtractedIndicator[];
  keep: (t: StoredType) => boolean;
  parts: boolean;
}

function emit(sink: Sink, type: StoredType, value: string, start: number, end: number, partOf?: ExtractedIndicator['partOf']): void {
  if (!sink.keep(type)) return;
  const item: ExtractedIndicator = {
    type,
    value,
    start: originalOffset(sink.edits, start, false),
    end: originalOffset(sink.edits, end, true),
  };
  if (partOf) item.partOf = partOf;
  sink.out.push(item);
}

function emitUrl(sink: Sink, candidate: string, start: number, hasScheme: boolean): boolean {
  const trimmed = trimUrlTail(candidate);
  const parsed = parseUrl(trimmed, { assumeScheme: !hasScheme });
  if (!parsed.ok) return false;
  emit(sink, 'url', parsed.value, start, start + trimmed.length);
  if (sink.parts && sink.keep(parsed.hostType)) {
    const [hs, he] = hostSpan(trimmed, hasScheme);
    emit(sink, parsed.hostType, parsed.host, start + hs, start + he, { type: 'url', value: parsed.value });
  }
  return true;
}

/** File names, field names and product names that happen to be valid domains (see rules.ts). */
function isProbablyNotADomain(domain: string): boolean {
  const dot = domain.lastIndexOf('.');
  const suffix = domain.slice(dot + 1);
  if (FIELD_NAME_SUFFIXES.has(suffix)) return true;
  if (FILE_EXTENSION_SUFFIXES.has(suffix) && domain.indexOf('.') === dot) return true;
  return PRODUCT_NAMES.has(domain);
}

function isDefanged(sink: Sink, start: number, end: number): boolean {
  if (sink.edits.length === 0) return false;
  const os = originalOffset(sink.edits, start, false);
  const oe = originalOffset(sink.edits, end, true);
  return sink.original.slice(os, oe) !== sink.text.slice(start, end);
}

function handle(sink: Sink, piece: PieceName, m: string, start: number): void {
  switch (piece) {
    case 'url':
      emitUrl(sink, m, start, true);
      return;
    case 'email': {
      const r = normalizeEmail(m);
      if (!r.ok) return;
      emit(sink, 'email', r.value, start, start + m.length);
      if (sink.parts) {
        const at = m.lastIndexOf('@');
        const domain = r.value.slice(r.value.lastIndexOf('@') + 1);
        emit(sink, 'domain', domain, start + at + 1, start + m.length, { type: 'email', value: r.value });
      }
      return;
    }
    case 'ipv6': {
      // `a::b`, `dead::beef` are scope operators in code far more often than addresses.
      if (!HAS_DIGIT.test(m)) return;
      if (m.includes('/')) {
        const c = normalizeCidr(m);
        if (c.ok) {
          emit(sink, 'cidr', c.value, start, start + m.length);
          return;
        }
      }
      let cand = m.includes('/') ? m.slice(0, m.indexOf('/')) : m;
      let r = normalizeIpv6(cand);
      if (!r.ok && cand.endsWith(':') && !cand.endsWith('::')) {
        cand = cand.slice(0, -1);
        r = normalizeIpv6(cand);
      }
      if (r.ok) emit(sink, 'ipv6', r.value, start, start + cand.length);
      return;
    }
    case 'ipv4': {
      if (m.includes('/')) {
        const c = normalizeCidr(m);
        if (c.ok) {
          emit(sink, 'cidr', c.value, start, start + m.length);
          return;
        }
      }
      const addr = m.includes('/') ? m.slice(0, m.indexOf('/')) : m;
      const r = normalizeIpv4(addr);
      if (r.ok) emit(sink, 'ipv4', r.value, start, start + addr.length);
      return;
    }
    case 'hash': {
      const type = HASH_TYPE_BY_LENGTH.get(m.length);
      // A real digest has both digits and letters; a 32-digit number or a 40-letter word is not one.
      if (type && HAS_DIGIT.test(m) && HAS_HEX_LETTER.test(m)) emit(sink, type, m.toLowerCase(), start, start + m.length);
      return;
    }
    case 'cve': {
      const r = normalizeCve(m);
      if (r.ok) emit(sink, 'cve', r.value, start, start + m.length);
      return;
    }
    case 'attack':
      // Only upper case in prose: `t1059` is far more often something else.
      if (ATTACK_CASE.test(m)) emit(sink, 'mitre-attack', m, start, start + m.length);
      return;
    case 'domain': {
      const slash = m.indexOf('/');
      const host = slash === -1 ? m : m.slice(0, slash);
      if (slash !== -1 && trimUrlTail(m).length > slash + 1 && emitUrl(sink, m, start, false)) return;
      const r = normalizeDomain(host);
      if (!r.ok) return;
      if (isProbablyNotADomain(r.value) && !isDefanged(sink, start, start + host.length)) return;
      emit(sink, 'domain', r.value, start, start + host.length);
      return;
    }
  }
}

/** Finds, refangs and normalizes every indicator in `text`, in order of appearance. */
export function extract(text: string, options: ExtractOptions = {}): ExtractedIndicator[] {
  if (typeof text !== 'string' || text === '') return [];
  const refanged = options.refang === false ? { text, edits: [] } : refangWithMap(text);
  const wanted = options.types ? new Set<StoredType>(options.types) : null;
  const sink: Sink = {
    text: refanged.text,
    original: text,
    edits: refanged.edits,
    out: [],
    keep: wanted ? (t) => wanted.has(t) : () => true,
    parts: options.includeParts !== false,
  };
  const re = new RegExp(CANDIDATES);
  for (let m = re.exec(sink.text); m !== null; m = re.exec(sink.text)) {
    for (let g = 0; g < PIECE_NAMES.length; g++) {
      if (m[g + 1] !== undefined) {
        handle(sink, PIECE_NAMES[g] as PieceName, m[0], m.index);
        break;
      }
    }
  }
  return sink.out;
}
