/**
 * Extraction of every indicator from free text. One regular expression, built once from named
 * pieces, proposes candidates left to right; each candidate is then validated by the same
 * normalizers as a lone value, so the extractor never reports what `normalize` would reject.
 *
 * Linear time: every alternative starts with a look-behind that refuses to start inside a run of
 * the characters it consumes, so a long run (1 MB of dots, hex or `a@a@`) is entered at most once,
 * and every repetition inside a candidate is bounded or deterministic.
 */
import { followsVersionWord, looksLikeFieldName, readFileOrDomain, type NameReading } from './context.ts';
import { normalizeDomain } from './domain.ts';
import { normalizeCidr, normalizeIpv4, normalizeIpv6 } from './ip.ts';
import { defangedWithin, originalOffset, refangWithMap, type RefangEdit } from './refang.ts';
import { inSections, isReferenceSite, isTitledLink, referenceSections, shippedReferenceSites, type IndicatorRole, type ReferenceSites } from './role.ts';
import { FIELD_NAME_SUFFIXES, FILE_EXTENSION_SUFFIXES, HASH_TYPE_BY_LENGTH, PRODUCT_NAMES, URL_SCHEMES } from './rules.ts';
import { normalizeAsn, normalizeCve, normalizeEmail } from './simple.ts';
import type { StoredType } from './types.ts';
import { parseUrl } from './url.ts';

export interface ExtractedIndicator {
  type: StoredType;
  /** Canonical value. */
  value: string;
  /**
   * `reference` for a link the text cites (a references section, a titled link, a reference
   * site such as attack.mitre.org or a VirusTotal report); `indicator` otherwise. See role.ts.
   */
  role: IndicatorRole;
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
  /** Hosts whose links are references (default: the shipped data/reference-sites.json). */
  referenceSites?: ReferenceSites;
  /**
   * What was learnt of each candidate, kept from one call to the next: for the pieces of one
   * document (a long text read in slices repeats its indicators from one to the next). Default: one per call.
   */
  memo?: ExtractMemo;
}

// ---- named pieces -------------------------------------------------------------------------
/**
 * Characters a URL may contain in running text: stops at spaces, quotes, angle brackets and
 * commas (legal in URLs but far more often a CSV or list separator next to one).
 */
// A `]` followed by `(` ends a URL: it closes the text of a Markdown link (`[https://a/x](https://a/x)`).
const URL_CHAR = String.raw`(?:[^\s<>"'\x60{}|\\^,\]\x00-\x1f\x7f\u00a0\u2000-\u206f\u3000-\u303f\uff08\uff09\uff0c]|\](?!\())`;
/**
 * A word matched in any case, written out (`[hH][tT]…`): the candidates' pattern is case-sensitive,
 * which V8 runs about a third faster than the same pattern with the `i` flag over a long text.
 */
const anyCase = (word: string): string => word.replace(/[A-Za-z]/g, (c) => `[${c.toLowerCase()}${c.toUpperCase()}]`);
const SCHEMES = Object.keys(URL_SCHEMES).sort((a, b) => b.length - a.length).map(anyCase).join('|');
const HEX = '[0-9a-fA-F]';
const LETTER_EXT = String.raw`\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u052f`; // Latin-1 letters, Latin Extended, Greek, Cyrillic
const LABEL = String.raw`[A-Za-z0-9_${LETTER_EXT}-]{1,63}`;
const TLD = String.raw`[A-Za-z${LETTER_EXT}][A-Za-z0-9${LETTER_EXT}-]{1,62}`;
const HOSTNAME = String.raw`(?:${LABEL}\.)+${TLD}`;
const LOCAL = String.raw`[A-Za-z0-9._%+-]`;
/** Hyphens as PDFs and word processors write them: en and em dashes, non-breaking hyphen, minus, full-width. */
const DASH = String.raw`[-\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]`;
/** Spaces as PDFs write them: no-break and narrow no-break spaces. */
const SPACE = String.raw`[ \u00a0\u202f]`;
/** Between the parts of a CVE id: a dash of any kind (a line may break after it), or a space (`CVE 2021 44228`). */
const CVE_SEP = String.raw`(?:${SPACE}?${DASH}(?:\r?\n|${SPACE})?|${SPACE})`;
/** Between an ATT&CK technique and its sub-technique: a dot, one-dot leader, full-width dot, or a dash. */
const SUB_SEP = String.raw`(?:[.\u2024\uFF0E]|${DASH})`;
/**
 * An AS number: `AS13335` (digits glued), `ASN 13335`, `ASN: 13335`, `asn=13335`, `ASN13335`, or `AS 13335`.
 * "as" is an English word, so classify() keeps only an upper-case `AS`, two digits or more after
 * `AS`, and never a number that continues (`AS 1.5`, `AS 13,335`); see ASN_RULES. `AS 2019` after
 * a word in capitals (`SUCH AS 2019`) is left to its context (followsCapitalWord).
 */
const ASN_PREFIX = String.raw`[aA][sS](?:[nN][:#=]?${SPACE}?|${SPACE})?`;

const PIECES = {
  url: String.raw`(?<![A-Za-z0-9+.-])(?:${SCHEMES}):\/\/${URL_CHAR}+`,
  // A leading `-` or `+` is a list bullet or an option flag in text, not part of the address.
  email: String.raw`(?<![A-Za-z0-9._%+])[A-Za-z0-9_%]${LOCAL}{0,63}@${HOSTNAME}(?![A-Za-z0-9_${LETTER_EXT}-]|\.[A-Za-z0-9])`,
  ipv6: String.raw`(?<![A-Za-z0-9_:%]|[A-Za-z0-9_]\.)(?=${HEX}{0,4}:${HEX}{0,4}:)[0-9a-fA-F:]{2,39}(?:(?<=:)\d{1,3}(?:\.\d{1,3}){3})?(?:%[A-Za-z0-9_.-]{1,16})?(?:\/\d{1,3}(?![A-Za-z0-9_\/]|\.\d))?(?![A-Za-z0-9_:]|\.\d)`,
  // An address followed by `/prefix` is a network; by a path (with or without a port), a URL.
  ipv4: String.raw`(?<![A-Za-z0-9_]|[A-Za-z0-9_]\.)(?:\d{1,3}\.){3}\d{1,3}(?:\/\d{1,3}(?![A-Za-z0-9_\/]|\.\d)|(?::\d{1,5})?\/${URL_CHAR}*)?(?![A-Za-z0-9_]|\.\d)`,
  hash: String.raw`(?<![A-Za-z0-9_])${HEX}{32,128}(?![A-Za-z0-9_])`,
  cve: String.raw`(?<![A-Za-z0-9_-])[cC][vV][eE]${CVE_SEP}\d{4}${CVE_SEP}\d{4,19}(?![A-Za-z0-9_])`,
  attack: String.raw`(?<![A-Za-z0-9_.-])[tT](?:[aA]\d{4}|\d{4}(?:${SUB_SEP}\d{3})?)(?![A-Za-z0-9_]|\.\d)`,
  // Not the start of a name (`as64496.example.net`, `AS64496-gw`), nor of a longer number.
  asn: String.raw`(?<![A-Za-z0-9_.-])${ASN_PREFIX}\d{1,10}(?![A-Za-z0-9_-]|\.[A-Za-z0-9]|,\d)`,
  // A wildcard (`*.tun.evil.net`) stands for the name after it.
  domain: String.raw`(?<![A-Za-z0-9_.@\/\\${LETTER_EXT}-])(?:\*\.)?${HOSTNAME}(?![A-Za-z0-9_@${LETTER_EXT}-]|\.[A-Za-z0-9])(?:\/${URL_CHAR}*)?`,
} as const;
type PieceName = keyof typeof PIECES;
const PIECE_NAMES = Object.keys(PIECES) as PieceName[];
// The shared guard skips positions inside words with one test instead of one per alternative
// (most positions in prose are inside words); the gate then rejects a plain word in one short
// scan: every candidate has a `.`, `@` or `:` within its first 64 characters, or is hex, a CVE
// or an ATT&CK id.
const GATE = String.raw`(?=${HEX}{32}|[cC][vV][eE]${CVE_SEP}\d|[tT][aA\d]|${ASN_PREFIX}\d|:|\*\.|[A-Za-z0-9_%+${LETTER_EXT}-]{1,64}[.@:])`;
const CANDIDATES_SOURCE = `(?<![A-Za-z0-9_])${GATE}(?:${PIECE_NAMES.map((k) => `(${PIECES[k]})`).join('|')})`;
// Compiled once and cloned per call, so no /g state is shared between calls.
const CANDIDATES = new RegExp(CANDIDATES_SOURCE, 'g');

const TRAILING_PUNCT = /[.,;:!?'"*\u2019\u201d>]$/;
/**
 * What makes `AS…` an AS number in text. `ASN` in any case; `AS` upper case only, with two digits
 * or more (`AS1`–`AS4` are the EDI standards, `AS3` ActionScript); not the product names below.
 */
const ASN_RULES = {
  form: /^(?:(ASN)[:#=]?[ \u00a0\u202f]?|(AS)([ \u00a0\u202f])?)(\d+)$/i,
  upperAs: /^AS/,
  notAsn: new Set(['AS400', 'ASN1']), // IBM AS/400, ASN.1 written without its dot
} as const;
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
  /** Where the indicator starts in the candidate (after a wildcard `*.`; default 0). */
  offset?: number;
  length: number;
  /** The URL's host or the email's domain. */
  part?: { type: StoredType; value: string; start: number; end: number };
  /**
   * A name whose shape alone does not tell whether it is a domain: a file name (`setup.py`), a
   * field name (`rule.id`) or a product (`ASP.NET`). Defanged it is a domain; otherwise the text
   * around it decides (context.ts), and a product never is one. `spaced-as`: an `AS 123` whose
   * context decides whether it is an AS number.
   */
  ambiguous?: 'file' | 'field' | 'product' | 'spaced-as';
  /** Whether its host is a reference site (decided on first need; the finding is shared by its repeats). */
  onReferenceSite?: boolean;
}

function urlFinding(candidate: string, hasScheme: boolean): Finding | null {
  const trimmed = trimUrlTail(candidate);
  const parsed = parseUrl(trimmed, { assumeScheme: !hasScheme });
  if (!parsed.ok) return null;
  const [hs, he] = hostSpan(trimmed, hasScheme);
  return { type: 'url', value: parsed.value, length: trimmed.length, part: { type: parsed.hostType, value: parsed.host, start: hs, end: he } };
}

/** Names whose shape also fits a file, a field or a product name (see rules.ts and context.ts). */
function ambiguityOf(domain: string): Finding['ambiguous'] {
  const dot = domain.lastIndexOf('.');
  const suffix = domain.slice(dot + 1);
  if (PRODUCT_NAMES.has(domain)) return 'product';
  if (FILE_EXTENSION_SUFFIXES.has(suffix) && domain.indexOf('.') === dot) return 'file';
  if (FIELD_NAME_SUFFIXES.has(suffix)) return 'field';
  return undefined;
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

const NOT_ALNUM = /[^A-Za-z0-9]+/g;
const CIDR_TAIL = /^\/\d{1,3}$/;
const SUB_TECHNIQUE_SEP = /[^A-Za-z0-9]/;

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
    case 'ipv4': {
      // `1.2.3.4/path` and `1.2.3.4:8080/path` are URLs like a lone value; `1.2.3.4/24` is a network.
      const slash = m.indexOf('/');
      if (slash !== -1 && !CIDR_TAIL.test(m.slice(slash))) {
        const url = urlFinding(m, false);
        if (url) return url;
        const colon = m.indexOf(':');
        return cidrOrAddress(m.slice(0, colon !== -1 && colon < slash ? colon : slash), 'ipv4');
      }
      return cidrOrAddress(m, 'ipv4');
    }
    case 'hash': {
      const type = HASH_TYPE_BY_LENGTH.get(m.length);
      // A real digest has both digits and letters; a 32-digit number or a 40-letter word is not one.
      return type && HAS_DIGIT.test(m) && HAS_HEX_LETTER.test(m) ? { type, value: m.toLowerCase(), length: m.length } : null;
    }
    case 'cve': {
      // `CVE–2021–44228`, `CVE‑2021‑44228`, `CVE 2021 44228`: any dash or space between the parts.
      const r = normalizeCve(m.replace(NOT_ALNUM, '-'));
      return r.ok ? { type: 'cve', value: r.value, length: m.length } : null;
    }
    case 'attack':
      // Only upper case in prose: `t1059` is far more often something else.
      return ATTACK_CASE.test(m) ? { type: 'mitre-attack', value: m.replace(SUB_TECHNIQUE_SEP, '.'), length: m.length } : null;
    case 'asn': {
      const f = ASN_RULES.form.exec(m);
      if (f === null) return null;
      const [, asnWord, asWord, space, digits] = f as unknown as [string, string | undefined, string | undefined, string | undefined, string];
      if (asWord !== undefined && (!ASN_RULES.upperAs.test(m) || digits.length < 2)) return null;
      if (ASN_RULES.notAsn.has(`${(asnWord ?? asWord)!.toUpperCase()}${digits}`)) return null;
      const r = normalizeAsn(digits);
      if (!r.ok) return null;
      const finding: Finding = { type: 'asn', value: r.value, length: m.length };
      // `AS 2019` in capitals (`SUCH AS 2019`) is a word and a year: its context decides
      if (space !== undefined) finding.ambiguous = 'spaced-as';
      return finding;
    }
    case 'domain': {
      const offset = m.startsWith('*.') ? 2 : 0;
      const name = offset === 0 ? m : m.slice(offset);
      const slash = name.indexOf('/');
      // `evil.com/` and `evil.com/a` are URLs, like a lone value; `evil.com/.` is a name at a sentence's end.
      if (slash !== -1 && trimUrlTail(name).length > slash) {
        const url = urlFinding(name, false);
        if (url) {
          if (offset !== 0) url.offset = offset;
          return url;
        }
      }
      const host = slash === -1 ? name : name.slice(0, slash);
      const r = normalizeDomain(host);
      if (!r.ok) return null;
      const finding: Finding = { type: 'domain', value: r.value, length: host.length };
      if (offset !== 0) finding.offset = offset;
      const ambiguous = ambiguityOf(r.value);
      if (ambiguous) finding.ambiguous = ambiguous;
      return finding;
    }
  }
}

interface Sink {
  /** The chunk being scanned, refanged. */
  text: string;
  /** Its edits, in offsets relative to the chunk's start in the original text. */
  edits: readonly RefangEdit[];
  /** Where the chunk starts in the original text. */
  base: number;
  original: string;
  out: ExtractedIndicator[];
  wanted: ReadonlySet<StoredType> | null;
  parts: boolean;
  sites: ReferenceSites | null;
  /** References sections of the original text, found on first need. */
  sections: number[] | null;
  /** How each file-or-domain name was last read from its context in this text. */
  readings: Map<string, 'file' | 'domain'>;
  /** Readings by name and context, for texts that repeat their lines (logs). */
  contexts: Map<string, NameReading>;
}

/** Whether the text had `[start, end)` (refanged offsets) defanged; a JSON-escaped `\\/` is not defanging. */
function isDefanged(sink: Sink, start: number, end: number): boolean {
  if (sink.edits.length === 0) return false;
  return defangedWithin(sink.edits, originalOffset(sink.edits, start, false), originalOffset(sink.edits, end, true));
}

function urlPath(url: string): string {
  const slash = url.indexOf('/', url.indexOf('://') + 3);
  return slash === -1 ? '/' : url.slice(slash);
}

function roleOf(sink: Sink, f: Finding, os: number, oe: number): IndicatorRole {
  if (f.type !== 'url' && f.type !== 'domain' && f.type !== 'email') return 'indicator';
  if (f.onReferenceSite === undefined) {
    const host = f.type === 'domain' ? f.value : f.part?.type === 'domain' ? f.part.value : null;
    sink.sites ??= shippedReferenceSites();
    f.onReferenceSite = host !== null && isReferenceSite(sink.sites, host, f.type === 'url' ? urlPath(f.value) : null);
  }
  let reference = f.onReferenceSite || (f.type === 'url' && isTitledLink(sink.original, os, oe));
  if (!reference) {
    sink.sections ??= referenceSections(sink.original);
    reference = sink.sections.length > 0 && inSections(sink.sections, os);
  }
  // Nobody defangs what they cite: a defanged link is what the text warns about.
  return reference && !defangedWithin(sink.edits, os - sink.base, oe - sink.base) ? 'reference' : 'indicator';
}

function emit(sink: Sink, type: StoredType, value: string, role: IndicatorRole, start: number, end: number, partOf?: ExtractedIndicator['partOf']): void {
  if (sink.wanted !== null && !sink.wanted.has(type)) return;
  const item: ExtractedIndicator = { type, value, role, start, end };
  if (partOf) item.partOf = partOf;
  sink.out.push(item);
}

/** Whether an ambiguous finding is, where it stands, not what its shape says: a name not a domain, `AS 2019` not an AS. */
function isNotADomain(sink: Sink, f: Finding, start: number, end: number): boolean {
  if (isDefanged(sink, start, end)) return false;
  switch (f.ambiguous) {
    case 'product':
      return true;
    case 'file': {
      // Where the text says nothing, a name reads as it did before in the same text (a file in a
      // listing is still a file in the tool's output below it), else as a domain.
      let reading = readFileOrDomain(sink.text, start, end, f.value, sink.contexts);
      if (reading === 'unknown') reading = sink.readings.get(f.value) ?? 'domain';
      else sink.readings.set(f.value, reading);
      return reading === 'file';
    }
    case 'field':
      return looksLikeFieldName(sink.text, start, end, f.value);
    case 'spaced-as':
      return followsCapitalWord(sink.text, start);
    default:
      return false;
  }
}

const CAPITAL_WORD_BEFORE = /(?:^|[^A-Za-z0-9_])[A-Z]{2,}[ \u00a0\u202f]+$/;

/** Whether the word before `start` is written in capitals (`SUCH AS 2019`: a headline, not an AS). */
function followsCapitalWord(text: string, start: number): boolean {
  return CAPITAL_WORD_BEFORE.test(text.slice(Math.max(0, start - 40), start));
}

function record(sink: Sink, f: Finding, at: number): void {
  const start = at + (f.offset ?? 0);
  const end = start + f.length;
  if (f.ambiguous && isNotADomain(sink, f, start, end)) return;
  if (f.type === 'ipv4' && followsVersionWord(sink.text, start)) return;
  const wantsPart = f.part !== undefined && sink.parts && (sink.wanted === null || sink.wanted.has(f.part.type));
  if (sink.wanted !== null && !sink.wanted.has(f.type) && !wantsPart) return;
  const os = sink.base + originalOffset(sink.edits, start, false);
  const oe = sink.base + originalOffset(sink.edits, end, true);
  const role = roleOf(sink, f, os, oe);
  emit(sink, f.type, f.value, role, os, oe);
  if (f.part && wantsPart) {
    const ps = sink.base + originalOffset(sink.edits, start + f.part.start, false);
    const pe = sink.base + originalOffset(sink.edits, start + f.part.end, true);
    emit(sink, f.part.type, f.part.value, role, ps, pe, { type: f.type, value: f.value });
  }
}

// Texts repeat their indicators (logs above all); validating each distinct candidate once saves
// most of the work. Bounded: when full it starts again, so that a huge text of distinct candidates
// stays linear in memory and a log whose values change keeps its recent ones.
const MEMO_MAX = 20_000;

/** Candidates already validated (see ExtractOptions.memo). Holds no text beyond the candidates themselves. */
export class ExtractMemo {
  /** @internal One map per piece of the candidates' pattern (a candidate's text alone would not say which piece it matched). */
  readonly findings: Map<string, Finding | null>[] = PIECE_NAMES.map(() => new Map());
  /** @internal */
  size = 0;
  /** @internal How names read in their context (a function of the name and the text around it). */
  readonly contexts = new Map<string, NameReading>();
}

/**
 * Long texts are refanged and scanned in chunks of about this many characters, cut after a line
 * break: every candidate, defang and context rule stays within a line, and a refanged copy of a
 * chunk is allocated and copied far faster than one of a whole multi-megabyte text.
 */
const CHUNK = 32 * 1024;
const DASH_CHAR = /[-\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]/;

/** Where the chunk starting at `from` ends: after the first line break past CHUNK characters. */
function chunkEnd(text: string, from: number): number {
  if (text.length - from <= CHUNK) return text.length;
  for (let nl = text.indexOf('\n', from + CHUNK); nl !== -1; nl = text.indexOf('\n', nl + 1)) {
    // `CVE-2024-` at a line's end continues on the next line (a PDF's hyphenation).
    const last = text[nl - 1] === '\r' ? text[nl - 2] : text[nl - 1];
    if (last === undefined || !DASH_CHAR.test(last)) return nl + 1;
  }
  return text.length;
}

/** Finds, refangs and normalizes every indicator in `text`, in order of appearance. */
export function extract(text: string, options: ExtractOptions = {}): ExtractedIndicator[] {
  if (typeof text !== 'string' || text === '') return [];
  const memo = options.memo ?? new ExtractMemo();
  const sink: Sink = {
    text: '',
    edits: [],
    base: 0,
    original: text,
    out: [],
    wanted: options.types ? new Set<StoredType>(options.types) : null,
    parts: options.includeParts !== false,
    sites: options.referenceSites ?? null,
    sections: null,
    readings: new Map(),
    contexts: memo.contexts,
  };
  const re = new RegExp(CANDIDATES);
  for (let base = 0; base < text.length; ) {
    const end = chunkEnd(text, base);
    const chunk = base === 0 && end === text.length ? text : text.slice(base, end);
    const refanged = options.refang === false ? { text: chunk, edits: [] } : refangWithMap(chunk);
    sink.text = refanged.text;
    sink.edits = refanged.edits;
    sink.base = base;
    re.lastIndex = 0;
    for (let m = re.exec(sink.text); m !== null; m = re.exec(sink.text)) {
      let g = 1;
      while (m[g] === undefined) g++;
      const findings = memo.findings[g - 1] as Map<string, Finding | null>;
      const candidate = m[0];
      let finding = findings.get(candidate);
      if (finding === undefined) {
        finding = classify(PIECE_NAMES[g - 1] as PieceName, candidate);
        if (memo.size >= MEMO_MAX) {
          for (const f of memo.findings) f.clear();
          memo.size = 0;
        }
        findings.set(candidate, finding);
        memo.size++;
      }
      if (finding === null) continue;
      record(sink, finding, m.index);
    }
    base = end;
  }
  return sink.out;
}
