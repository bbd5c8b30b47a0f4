/**
 * Refanging: undoing the ways people "defang" indicators so they cannot be clicked.
 * The rules are data; they are compiled once into one alternation and applied in one pass, which
 * also records where each edit happened so that extraction can report offsets in the original text.
 *
 * Every rule needs a marker no prose uses by accident (brackets, `hxxp` before a colon, a
 * backslash or full-width dot between letters, spaces around an `@` inside a defanged address).
 * The bare words ` dot ` and ` at ` are refanged only inside one address written with both
 * (`bob at evil dot com`, `bob [at] evil dot com`) or when the whole input is such a chain
 * (`evil dot com`), never alone in free text, where "a dot com company" must stay prose.
 *
 * Each rule's pattern starts with its marker character so that the regex engine can skip plain
 * text quickly; context conditions (what surrounds a marker) are checked in each rule's `edit`.
 * The reference lists are iocextract's and ioc-fanger's; docs/indicators.md has the table.
 */

import { isKnownTld } from './domain.ts';

/** One replacement: `[start, end)` of the input becomes `text`. */
interface RawEdit {
  start: number;
  end: number;
  text: string;
  /** A change of spelling, not of defanging (a JSON-escaped slash). */
  cosmetic?: boolean;
}

interface RefangRule {
  /** Why the rule exists (which defanging it undoes). */
  name: string;
  /**
   * Regex source without capturing groups. It starts by consuming its marker character (a
   * look-behind, if any, comes after it), so that the engine skips to those characters.
   */
  source: string;
  /**
   * The edit for a match at `[start, end)`, or null to leave the text alone. The edit may reach
   * back before the match (over a scheme word, or spaces around a bracket).
   */
  edit: (text: string, start: number, end: number, match: string) => RawEdit | null;
}

// ---- named pieces -------------------------------------------------------------------------
// A bracket may be backslash-escaped (`example\(.\)com`, regex style).
const OPEN = String.raw`\\?[\[({<]`;
const CLOSE = String.raw`\\?[\])}>]`;
const SP = '[ \\t]';
/** What a dot is written as between brackets (ioc-fanger's `punkt`/`punto` included). */
const DOT_WORD = String.raw`(?:\.|,|dot|punkt|punto|\uFF0E|\u3002|\uFF61)`;
/** What an at sign is written as between brackets. */
const AT_WORD = String.raw`(?:@|at|et|arroba|\uFF20)`;
/**
 * Scheme words: defanged (`hxxp`, `hXXps`, `h**p`, `h__p`, `h00p`, `hxtp`, `fxp`, `fxxp`, `ftx`,
 * `xxxx`, `xxxxs`, `xxxxx`, `[https]`) or plain (`http`, `ftp`, `tcp`, …, with an odd separator).
 */
const DEFANGED_SCHEME_WORD = String.raw`(?:h(?:xx|\*\*|__|xt|tx|00)ps?|fx{1,2}ps?|ftxs?|x{4}[xs]?|[\[(](?:h(?:tt|xx)ps?|ftp)[\])])`;
const PLAIN_SCHEME_WORD = String.raw`(?:https?|ftps?|sftp|tcp|udp)`;
const SCHEME_WORD_AT_END = new RegExp(`(?:${DEFANGED_SCHEME_WORD}|${PLAIN_SCHEME_WORD})$`, 'i');
const PLAIN_SCHEME = new RegExp(`^${PLAIN_SCHEME_WORD}$`, 'i');
/** Spaces after the separator, before the host (`hXXps:// 192.168.1[.]1/`). */
const TRAILING_SPACES = String.raw`(?:${SP}{1,3}(?=[A-Za-z0-9\[]))?`;
const WORD_CHAR = /[A-Za-z0-9_]/;
const LABEL_CHAR = /[A-Za-z0-9_-]/;
const LOCAL_CHAR = /[A-Za-z0-9_%+.-]/;
const ALNUM = /[A-Za-z0-9]/;
const BRACKET_CHAR = /[[\](){}<>]/;

const at = (text: string, i: number): string => (i >= 0 && i < text.length ? (text[i] as string) : '');
const isBlank = (c: string): boolean => c === ' ' || c === '\t';
/** Where a run of up to three spaces or tabs before `pos` starts. */
function spacesBefore(text: string, pos: number, floor = 0): number {
  let i = pos;
  for (let n = 0; n < 3 && i > floor && isBlank(at(text, i - 1)); n++) i--;
  return i;
}
/** Where a run of up to three spaces or tabs from `pos` ends. */
function spacesAfter(text: string, pos: number): number {
  let i = pos;
  for (let n = 0; n < 3 && isBlank(at(text, i)); n++) i++;
  return i;
}

/** An edit replacing exactly the match. */
const replaceWith = (replacement: string, when?: (text: string, start: number, end: number) => boolean) =>
  (text: string, start: number, end: number): RawEdit | null => (when && !when(text, start, end) ? null : { start, end, text: replacement });
/** An edit replacing the match and up to three spaces on either side (`evil [.] com`). */
const replaceWithSpaces = (replacement: string, when?: (text: string, start: number, end: number) => boolean) =>
  (text: string, start: number, end: number): RawEdit | null => {
    const s = spacesBefore(text, start);
    const e = spacesAfter(text, end);
    return when && !when(text, s, e) ? null : { start: s, end: e, text: replacement };
  };
/** The characters just outside `[start, end)` match `re` (after the spaces an edit swallowed). */
const between = (re: RegExp, reAfter: RegExp = re) => (text: string, start: number, end: number): boolean =>
  re.test(at(text, start - 1)) && reAfter.test(at(text, end));

/** `hxxps[:]//`, `h__ps__`, `http:\\`, `[https]://`, `xxxx://` → `https://` …; plain `http://` is left alone. */
function schemeEdit(text: string, start: number, end: number, match: string): RawEdit | null {
  const wordEnd = spacesBefore(text, start);
  const word = SCHEME_WORD_AT_END.exec(text.slice(Math.max(0, wordEnd - 8), wordEnd))?.[0];
  if (word === undefined) return null;
  const wordStart = wordEnd - word.length;
  if (WORD_CHAR.test(at(text, wordStart - 1))) return null;
  const plain = PLAIN_SCHEME.test(word);
  if (plain && match === '://' && wordEnd === start) return null; // nothing defanged
  const body = word.toLowerCase().replace(/^[[(]/, '');
  let scheme: string;
  if (body.startsWith('x')) scheme = /^x{4}(?![xs])/.test(body) ? 'http' : 'https';
  else if (body.startsWith('h')) scheme = body[4] === 's' ? 'https' : 'http'; // h??p, then an optional s
  else if (/^f(?:xx?p|tx)/.test(body)) scheme = body[/^f(?:xxp|xp|tx)/.exec(body)?.[0].length ?? 3] === 's' ? 'ftps' : 'ftp';
  else scheme = body;
  return { start: wordStart, end, text: `${scheme}://` };
}

/** A dot written after a bracket run turned the wrong way round: `example.]com`, `exampledot]com`. */
function closingHalfEdit(text: string, start: number, end: number): RawEdit | null {
  const dotWord = text.slice(Math.max(0, start - 3), start).toLowerCase() === 'dot';
  const s = dotWord ? start - 3 : start - 1;
  if (!ALNUM.test(at(text, s - 1)) || !ALNUM.test(at(text, end))) return null;
  return { start: s, end, text: text[start - 1] === '/' ? '/' : '.' };
}

/** `\.` between non-spaces (regex style), or ` \. ` between words (`test \. example \. com`). */
function backslashDotEdit(text: string, start: number, end: number): RawEdit | null {
  const b = at(text, start - 1);
  const a = at(text, end);
  if (b !== '' && b !== '\\' && !/\s/.test(b) && a !== '' && !/[\s\\.]/.test(a)) return { start, end, text: '.' };
  if (isBlank(b) && isBlank(a) && ALNUM.test(at(text, start - 2)) && ALNUM.test(at(text, end + 1))) return { start: start - 1, end: end + 1, text: '.' };
  return null;
}

/**
 * An address with spaces around its `@` (`bob @ evil.com`, `bob @evil[.]com`): spaces on both
 * sides are enough; on one side only, the address must be defanged elsewhere before its end.
 */
function spacedAtEdit(text: string, start: number, end: number): RawEdit | null {
  const s = spacesBefore(text, start);
  const spaceBefore = s < start;
  const spaceAfter = end > start + 1;
  if ((!spaceBefore && !spaceAfter) || !LOCAL_CHAR.test(at(text, s - 1)) || !ALNUM.test(at(text, end))) return null;
  if (spaceBefore && spaceAfter) return { start: s, end, text: '@' };
  for (let i = end; i < text.length && i < end + 100; i++) {
    const c = text[i] as string;
    if (/\s/.test(c)) return null;
    if (BRACKET_CHAR.test(c) || c === '\\') return { start: s, end, text: '@' };
  }
  return null;
}

export const REFANG_RULES: readonly RefangRule[] = [
  {
    name: 'defanged scheme or separator: hxxp://, hXXps[:]//, h**p://, h__ps__, http:\\\\, https:__, http ://, fxp://, ftx://, xxxx://, [https]://',
    // Tried from the separator's first character, the scheme word looked up behind it, so the
    // engine skips to those characters and plain `http://` never matches.
    source: `(?:${[
      // `hxxp://`, `hxxp:\\\\`, `hxxp:__`, `http ://`
      String.raw`:(?<=(?:${DEFANGED_SCHEME_WORD}${SP}{0,3}|${PLAIN_SCHEME_WORD}${SP}{1,3}):)(?:\/\/\/?|\\\\(?:\\\\)?|\uFF0F\uFF0F|__)`,
      // `http:\\\\`, `http:///`, `http:// host`, `http:__`
      String.raw`:(?<=${PLAIN_SCHEME_WORD}:)(?:\\\\(?:\\\\)?|\/\/\/|\/\/(?=${SP})|__|\uFF0F\uFF0F)`,
      // `hxxp[:]//`, `hxxp[://]`
      String.raw`[\[({](?<=${DEFANGED_SCHEME_WORD}${SP}{0,3}[\[({])(?::[\])}]\/\/|:\/\/[\])}])`,
      // `http__`, `h__ps__`
      String.raw`_(?<=(?:${DEFANGED_SCHEME_WORD}|${PLAIN_SCHEME_WORD})_)_`,
      // a full-width colon: `http：//`
      String.raw`\uFF1A(?<=(?:${DEFANGED_SCHEME_WORD}|${PLAIN_SCHEME_WORD})${SP}{0,3}\uFF1A)(?:\/\/|\uFF0F\uFF0F)`,
    ].join('|')})${TRAILING_SPACES}`,
    edit: schemeEdit,
  },
  { name: 'bracketed scheme separator [://]', source: String.raw`\[:\/\/\]|\(:\/\/\)|\{:\/\/\}`, edit: replaceWith('://') },
  { name: 'bracketed colon [:] (:) {:}', source: String.raw`${OPEN}${SP}?:${SP}?${CLOSE}`, edit: replaceWith(':') },
  { name: 'bracketed slash [/] (/) {/}', source: String.raw`\[\/\]|\(\/\)|\{\/\}`, edit: replaceWith('/') },
  { name: 'JSON-escaped slash \\/ (URLs inside JSON strings)', source: String.raw`\\\/`, edit: (_text, start, end) => ({ start, end, text: '/', cosmetic: true }) },
  {
    name: 'bracketed dot in any brackets, repeated or mixed: [.] (.) {.} <.> [dot] (punkt) [[ . ]) [,] \\(.\\)',
    source: String.raw`(?:${OPEN}${SP}?){1,8}${SP}{0,2}${DOT_WORD}${SP}{0,3}(?:${CLOSE}${SP}?){1,8}`,
    edit: replaceWithSpaces('.'),
  },
  {
    name: 'dot between brackets turned the wrong way: ].[ [.[ ].] }.{',
    source: String.raw`[\])}\[({](?:\.|dot)[\])}\[({]`,
    edit: replaceWith('.', between(LABEL_CHAR)),
  },
  {
    name: 'half-bracketed dot or slash: example[.com 10[.10 a.com[/x example[dotcom',
    source: String.raw`[\[({]{1,4}(?:[./]|dot)`,
    edit: (text, start, end, m) => (between(ALNUM)(text, start, end) ? { start, end, text: m.endsWith('/') ? '/' : '.' } : null),
  },
  {
    name: 'dot or slash before a closing bracket run: example.]com 10.10.10.]]]10 exampledot]com',
    source: String.raw`[\])}](?<=(?:[./]|dot)[\])}])[\])}]{0,3}`,
    edit: closingHalfEdit,
  },
  {
    name: 'bracketed at in any brackets: [@] (@) {@} [at] (AT) [et] (arroba)',
    source: String.raw`(?:${OPEN}${SP}?){1,4}${SP}{0,2}${AT_WORD}${SP}{0,3}(?:${CLOSE}${SP}?){1,4}`,
    edit: replaceWithSpaces('@', between(LOCAL_CHAR, ALNUM)),
  },
  {
    name: 'spaces around @ in an address: bob @ evil.com, bob @evil[.]com',
    source: String.raw`@(?<=[ \t]@)${SP}{0,3}|@${SP}{1,3}`,
    edit: spacedAtEdit,
  },
  { name: 'bracketed hyphen [-]', source: String.raw`\[-\]`, edit: replaceWith('-', between(LABEL_CHAR)) },
  {
    name: 'bracketed www: [www].example.com',
    source: String.raw`\[www\]|\(www\)`,
    edit: replaceWith('www', (text, _start, end) => /[.[(]/.test(at(text, end))),
  },
  { name: 'backslash-escaped dot (regex style), also with spaces around it: test \\. example', source: String.raw`\\+\.`, edit: backslashDotEdit },
  {
    name: 'full-width and ideographic dots between letters',
    source: String.raw`[\uFF0E\u3002\uFF61](?=[A-Za-z0-9_-])`,
    edit: replaceWith('.', (text, start) => LABEL_CHAR.test(at(text, start - 1))),
  },
  { name: 'full-width at sign between letters', source: String.raw`\uFF20`, edit: replaceWith('@', between(LABEL_CHAR)) },
];

const HOST_CHAR = /[A-Za-z0-9-]/;
const DOT_WORD_HYPHENATED = /-dot-/gi;

/**
 * Edits found from each `//` rather than by the marker rules, because their markers (a comma, a
 * space, a slash) are everywhere in text:
 *   - `https//host` (the colon dropped) → `https://host`;
 *   - commas for dots in a URL host (`http://example,com/`, `http://192,168,0,1`), only while the
 *     host has no real dot, so a URL followed by a comma-separated field keeps its end;
 *   - spaces inside a URL host before a dot or a slash (`http://example .com /test`, Cisco ESA style).
 */
function urlHostEdits(text: string): RawEdit[] {
  const out: RawEdit[] = [];
  for (let p = text.indexOf('//'); p !== -1; p = text.indexOf('//', p + 2)) {
    let from = p + 2;
    if (text[p - 1] !== ':') {
      const word = /(?:^|[^A-Za-z0-9_:])(https?)$/i.exec(text.slice(Math.max(0, p - 6), p));
      if (!word || !ALNUM.test(at(text, from))) continue;
      out.push({ start: p - (word[1] as string).length, end: from, text: `${(word[1] as string).toLowerCase()}://` });
    }
    from = spacesAfter(text, from);
    let i = from;
    let commas = 0;
    let dots = 0;
    let spaced = 0;
    while (i < text.length && i - from < 253) {
      const c = text[i] as string;
      if (c === ',') commas++;
      else if (c === '.') dots++;
      else if (isBlank(c)) {
        // `example .com` continues the host; then (only in a host written so) ` /path` the URL.
        const next = at(text, i + 1);
        if (!ALNUM.test(at(text, i + 2)) || (next !== '.' && (next !== '/' || spaced === 0))) break;
        out.push({ start: i, end: i + 1, text: '' });
        spaced++;
        if (next === '/') break;
      } else if (!HOST_CHAR.test(c)) break;
      i++;
    }
    if (commas === 0 || dots > 0 || text.startsWith('://', i)) continue;
    for (let k = from; k < i; k++) if (text[k] === ',' && ALNUM.test(at(text, k + 1)) && ALNUM.test(at(text, k - 1))) out.push({ start: k, end: k + 1, text: '.' });
  }
  out.sort((a, b) => a.start - b.start);
  return out;
}

const LABEL_AFTER = /^[A-Za-z0-9-]{2,63}/;

/** `evil-dot-com` → `evil.com` (ioc-fanger's hyphenated word), when a top-level domain follows: `polka-dot-dress` is prose. */
function hyphenatedDotEdits(text: string): RawEdit[] {
  const out: RawEdit[] = [];
  const re = new RegExp(DOT_WORD_HYPHENATED);
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const label = LABEL_AFTER.exec(text.slice(m.index + 5, m.index + 69))?.[0];
    if (!ALNUM.test(at(text, m.index - 1)) || label === undefined || !isKnownTld(label.toLowerCase())) continue;
    out.push({ start: m.index, end: m.index + 5, text: '.' });
  }
  return out;
}

const RULES_SOURCE = REFANG_RULES.map((r) => `(${r.source})`).join('|');
// Compiled once and cloned per call, so no /g state is shared between calls.
const RULES_RE = new RegExp(RULES_SOURCE, 'gi');
// Cheap pre-check: every rule needs one of these characters or sequences.
const ANY_MARKER = /[[\](){}<>\\\uFF0E\u3002\uFF61\uFF20\uFF1A@]|__|-dot-|\/\//i;
const HAS_SPACE = /\s/;

const WORD_CHAIN = /^[^\s]+(?:\s+(?:dot|at)\s+[^\s]+)+$/i;
const WORD_DOT = /\s+dot\s+/gi;
const WORD_AT = /\s+at\s+/gi;

// ---- addresses spelled with words: `bob at evil dot com`, `bob [at] evil dot com` ----------
/** Where a ` dot ` word may stand for a dot: only inside such an address (see wordChainEdits). */
const HAS_DOT_WORD = /dot(?<=[ \t]dot)[ \t]/i;
const LOCAL_PART = '[A-Za-z0-9_%+-][A-Za-z0-9._%+-]{0,63}';
const LABEL_PART = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const AT_SEP = String.raw`(?:${SP}+at${SP}+|${SP}{0,3}${OPEN}${SP}?(?:@|at)${SP}?${CLOSE}${SP}{0,3}|${SP}{0,3}@${SP}{0,3})`;
const DOT_SEP = String.raw`(?:${SP}+dot${SP}+|\.|${SP}{0,3}${OPEN}${SP}?(?:\.|dot)${SP}?${CLOSE}${SP}{0,3})`;
// One address: local part, an at (word, bracketed or real), then labels joined by dots (word, bracketed or real).
const WORD_ADDRESS = new RegExp(`(?<![A-Za-z0-9._%+-])${LOCAL_PART}${AT_SEP}${LABEL_PART}(?:${DOT_SEP}${LABEL_PART}){1,8}(?![A-Za-z0-9-])`, 'giy');
const WORD_SEPARATOR = new RegExp(`${SP}+(?:at|dot)${SP}+`, 'gi');

/** A ` dot ` word; the match starts at the `d`, which lets the engine skip to those letters. */
const DOT_WORD_MARK = /dot(?<=[ \t]dot)[ \t]/gi;
/** An at sign in any spelling: ` at `, `[at]`, `@`. */
const AT_MARK = /[ \t]at[ \t]|[[({<][ \t]?at[ \t]?[\])}>]|@/gi;

/**
 * Edits for the plain words of addresses written with a word ` dot ` and an at sign (any spelling):
 * `bob at evil dot com` → `bob@evil.com`. From each ` dot ` (rare in text), the last at sign in the
 * 200 characters before it on its line marks where the address may start: at the word before it.
 */
function wordChainEdits(text: string): RawEdit[] {
  const out: RawEdit[] = [];
  const dots = new RegExp(DOT_WORD_MARK);
  const address = new RegExp(WORD_ADDRESS);
  const separator = new RegExp(WORD_SEPARATOR);
  for (let d = dots.exec(text); d !== null; d = dots.exec(text)) {
    const space = d.index - 1;
    let from = space;
    while (from > 0 && space - from < 200 && text[from - 1] !== '\n') from--;
    const ats = new RegExp(AT_MARK);
    const window = text.slice(from, space);
    let lastAt = -1;
    for (let a = ats.exec(window); a !== null; a = ats.exec(window)) lastAt = from + a.index;
    if (lastAt === -1) continue;
    // The local part: the word just before the at sign (after up to three spaces).
    let start = lastAt;
    for (let n = 0; n < 3 && start > 0 && isBlank(at(text, start - 1)); n++) start--;
    while (start > 0 && lastAt - start < 64 && LOCAL_CHAR.test(at(text, start - 1))) start--;
    address.lastIndex = start;
    const a = address.exec(text);
    if (a === null || a.index + a[0].length <= space) continue;
    // The name must end in a top-level domain: "look at the dot on the map" is prose.
    const tld = /[A-Za-z0-9-]+$/.exec(a[0])?.[0].toLowerCase() ?? '';
    if (!isKnownTld(tld)) continue;
    separator.lastIndex = 0;
    for (let w = separator.exec(a[0]); w !== null; w = separator.exec(a[0])) {
      out.push({ start: a.index + w.index, end: a.index + w.index + w[0].length, text: /dot/i.test(w[0]) ? '.' : '@' });
    }
    dots.lastIndex = a.index + a[0].length;
  }
  return out;
}

/** One edit made by refanging: `[refStart, refEnd)` in the output replaced `[origStart, origEnd)` of the input. */
export interface RefangEdit {
  refStart: number;
  refEnd: number;
  origStart: number;
  origEnd: number;
  /** True when the edit only undid an escape (a JSON `\\/`), which is not defanging. */
  cosmetic: boolean;
}

export interface RefangedText {
  text: string;
  /** Edits in order; empty when nothing was defanged. */
  edits: RefangEdit[];
}

/** Edits from the marker rules, in order and not overlapping. */
function ruleEdits(text: string): RawEdit[] {
  const out: RawEdit[] = [];
  const re = new RegExp(RULES_RE);
  let last = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    let g = 1;
    while (m[g] === undefined) g++;
    const rule = REFANG_RULES[g - 1] as RefangRule;
    const e = rule.edit(text, m.index, m.index + m[0].length, m[0]);
    if (e === null || e.start < last) {
      // Let another rule try from the next character (`[at]` refused here may hold `[.]` later).
      re.lastIndex = m.index + 1;
      continue;
    }
    if (e.end > re.lastIndex) re.lastIndex = e.end;
    out.push(e);
    last = e.end;
  }
  return out;
}

/** Merges two ordered edit lists; where two overlap, the one that starts first wins. */
function merge(a: RawEdit[], b: RawEdit[]): RawEdit[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const out: RawEdit[] = [];
  let i = 0;
  let j = 0;
  let last = 0;
  while (i < a.length || j < b.length) {
    const e = j >= b.length || (i < a.length && (a[i] as RawEdit).start <= (b[j] as RawEdit).start) ? (a[i++] as RawEdit) : (b[j++] as RawEdit);
    if (e.start < last) continue;
    out.push(e);
    last = e.end;
  }
  return out;
}

/** Refangs free text (no whole-input word rules) and records the edits for offset mapping. */
export function refangWithMap(text: string): RefangedText {
  const marked = ANY_MARKER.test(text);
  const worded = HAS_DOT_WORD.test(text);
  if (!marked && !worded) return { text, edits: [] };
  let raw = marked ? ruleEdits(text) : [];
  if (marked) raw = merge(merge(raw, urlHostEdits(text)), hyphenatedDotEdits(text));
  if (worded) raw = merge(raw, wordChainEdits(text));
  if (raw.length === 0) return { text, edits: [] };
  const edits: RefangEdit[] = [];
  let outLength = 0;
  let last = 0;
  for (const e of raw) {
    outLength += e.start - last;
    edits.push({ refStart: outLength, refEnd: outLength + e.text.length, origStart: e.start, origEnd: e.end, cosmetic: e.cosmetic === true });
    outLength += e.text.length;
    last = e.end;
  }
  return { text: joinPieces(text, raw), edits };
}

function joinPieces(text: string, raw: readonly RawEdit[]): string {
  // Pieces are joined once at the end: a string built with += is a rope that every later regex
  // scan would have to walk.
  const pieces: string[] = [];
  let last = 0;
  for (const e of raw) {
    if (e.start > last) pieces.push(text.slice(last, e.start));
    pieces.push(e.text);
    last = e.end;
  }
  pieces.push(text.slice(last));
  return pieces.join('');
}

// A lone CVE or ATT&CK id as a PDF or a word processor writes it: `CVE–2021–44228`, `CVE 2021 44228`, `T1059‑001`.
const ID_DASH = '[-\\u2010-\\u2015\\u2212\\uFE58\\uFE63\\uFF0D]';
const ID_SEPARATOR = `(?:[ \\u00a0\\u202f]?${ID_DASH}[ \\u00a0\\u202f]?|[ \\u00a0\\u202f])`;
const SPELLED_CVE = new RegExp(`^CVE${ID_SEPARATOR}(\\d{4})${ID_SEPARATOR}(\\d{4,19})$`, 'i');
const SPELLED_SUB_TECHNIQUE = new RegExp(`^(T\\d{4})(?:[\\u2024\\uFF0E]|${ID_DASH})(\\d{3})$`, 'i');

/**
 * Undoes common defanging. Text with nothing defanged is returned unchanged. A whole input that is
 * one address spelled with words (`bob at evil dot com`) or one CVE or ATT&CK id written with other
 * dashes or spaces (`CVE–2021–44228`) is also put back in its usual form.
 */
export function refang(text: string): string {
  let out = refangWithMap(text).text;
  if (HAS_SPACE.test(out)) {
    const trimmed = out.trim();
    if (WORD_CHAIN.test(trimmed)) out = trimmed.replace(WORD_DOT, '.').replace(WORD_AT, '@');
  }
  const id = out.trim();
  const first = id.charCodeAt(0) | 32; // lower case
  if (first === 99) {
    const cve = SPELLED_CVE.exec(id);
    if (cve) return `CVE-${cve[1]}-${cve[2]}`;
  } else if (first === 116) {
    const sub = SPELLED_SUB_TECHNIQUE.exec(id);
    if (sub) return `${sub[1]}.${sub[2]}`;
  }
  return out;
}

/** Whether an edit other than a cosmetic one lies within `[origStart, origEnd)` of the original text. */
export function defangedWithin(edits: readonly RefangEdit[], origStart: number, origEnd: number): boolean {
  let lo = 0;
  let hi = edits.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((edits[mid] as RefangEdit).origEnd <= origStart) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < edits.length; i++) {
    const e = edits[i] as RefangEdit;
    if (e.origStart >= origEnd) return false;
    if (!e.cosmetic) return true;
  }
  return false;
}

/** Maps an offset in refanged text back to the original text. */
export function originalOffset(edits: readonly RefangEdit[], pos: number, isEnd: boolean): number {
  if (edits.length === 0) return pos;
  // binary search: the last edit with refStart <= pos (for an end offset, refStart < pos)
  let lo = 0;
  let hi = edits.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const e = edits[mid] as RefangEdit;
    if (isEnd ? e.refStart < pos : e.refStart <= pos) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (found === -1) return pos;
  const e = edits[found] as RefangEdit;
  if (pos < e.refEnd || (isEnd && pos === e.refEnd)) return isEnd ? e.origEnd : e.origStart;
  return e.origEnd + (pos - e.refEnd);
}
