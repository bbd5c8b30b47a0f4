/**
 * Refanging: undoing the ways people "defang" indicators so they cannot be clicked.
 * The rules are data; they are compiled once into one alternation and applied in one pass, which
 * also records where each edit happened so that extraction can report offsets in the original text.
 *
 * Every rule needs a marker no prose uses by accident (brackets, `hxxp` before a colon, a
 * backslash or full-width dot between letters). The bare-word forms ` dot ` and ` at ` are only
 * refanged when the whole input is one such chain (`evil dot com`), never inside free text,
 * where "a dot com company" must stay prose.
 *
 * Each rule's pattern starts with its marker character so that the regex engine can skip plain
 * text quickly; context conditions (what comes before a marker) are checked in `applies`.
 */

interface RefangRule {
  /** Why the rule exists (which defanging it undoes). */
  name: string;
  /** Regex source without capturing groups, starting with the marker. */
  source: string;
  /** The replacement text. */
  replace: (match: string) => string;
  /** Context check on the character before the match (default: always applies). */
  applies?: (before: string) => boolean;
  /** Also swallow one space on either side (`evil [.] com`). */
  eatSpaces?: boolean;
}

const dot = (): string => '.';
const WORD_CHAR = /[A-Za-z0-9_]/;
const LABEL_CHAR = /[A-Za-z0-9_-]/;

export const REFANG_RULES: readonly RefangRule[] = [
  {
    name: 'defanged scheme: hxxp, hXXps, h**p, fxp',
    source: String.raw`(?:h(?:xx|\*\*|__|xt|tx)p|fxx?p)s?(?=\[?:|\(:|\{:)`,
    replace: (m) => `${m[0]?.toLowerCase() === 'f' ? 'ftp' : 'http'}${/s$/i.test(m) ? 's' : ''}`,
    applies: (before) => !WORD_CHAR.test(before),
  },
  { name: 'bracketed scheme separator [://]', source: String.raw`\[:\/\/\]|\(:\/\/\)|\{:\/\/\}`, replace: () => '://' },
  { name: 'bracketed colon [:]', source: String.raw`\[:\]|\(:\)|\{:\}`, replace: () => ':' },
  { name: 'bracketed slash [/]', source: String.raw`\[\/\]`, replace: () => '/' },
  { name: 'JSON-escaped slash \\/ (URLs inside JSON strings)', source: String.raw`\\\/`, replace: () => '/' },
  {
    name: 'bracketed dot [.] (.) {.} [dot] (dot) {dot}',
    source: String.raw`\[ ?(?:\.|dot) ?\]|\( ?(?:\.|dot) ?\)|\{ ?(?:\.|dot) ?\}`,
    replace: dot,
    eatSpaces: true,
  },
  {
    name: 'bracketed at [@] (@) [at] (at) {at}',
    source: String.raw`\[ ?(?:@|at) ?\]|\( ?(?:@|at) ?\)|\{ ?(?:@|at) ?\}`,
    replace: () => '@',
    eatSpaces: true,
  },
  {
    name: 'backslash-escaped dot (regex style)',
    source: String.raw`\\+\.(?=[^\s\\.])`,
    replace: dot,
    applies: (before) => before !== '' && before !== '\\' && !/\s/.test(before),
  },
  {
    name: 'full-width and ideographic dots between letters',
    source: String.raw`[\uFF0E\u3002\uFF61](?=[A-Za-z0-9_-])`,
    replace: dot,
    applies: (before) => LABEL_CHAR.test(before),
  },
];

const RULES_SOURCE = REFANG_RULES.map((r) => `(${r.source})`).join('|');
// Compiled once and cloned per call, so no /g state is shared between calls.
const RULES_RE = new RegExp(RULES_SOURCE, 'gi');
// Cheap pre-check: every rule needs one of these characters or letter pairs.
const ANY_MARKER = /[[({\\\uFF0E\u3002\uFF61]|h(?:xx|\*\*|__|xt|tx)p|fxx?p/i;
const HAS_SPACE = /\s/;

const WORD_CHAIN = /^[^\s]+(?:\s+(?:dot|at)\s+[^\s]+)+$/i;
const WORD_DOT = /\s+dot\s+/gi;
const WORD_AT = /\s+at\s+/gi;

/** One edit made by refanging: `[refStart, refEnd)` in the output replaced `[origStart, origEnd)` of the input. */
export interface RefangEdit {
  refStart: number;
  refEnd: number;
  origStart: number;
  origEnd: number;
}

export interface RefangedText {
  text: string;
  /** Edits in order; empty when nothing was defanged. */
  edits: RefangEdit[];
}

/** Refangs free text (no whole-input word rules) and records the edits for offset mapping. */
export function refangWithMap(text: string): RefangedText {
  if (!ANY_MARKER.test(text)) return { text, edits: [] };
  const edits: RefangEdit[] = [];
  const re = new RegExp(RULES_RE);
  // Pieces are joined once at the end: a string built with += is a rope that every later
  // regex scan would have to walk.
  const pieces: string[] = [];
  let outLength = 0;
  let last = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    let g = 1;
    while (m[g] === undefined) g++;
    const rule = REFANG_RULES[g - 1] as RefangRule;
    let start = m.index;
    let end = start + m[0].length;
    if (rule.applies && !rule.applies(start > 0 ? (text[start - 1] as string) : '')) continue;
    if (rule.eatSpaces) {
      if (start > last && text[start - 1] === ' ') start--;
      if (text[end] === ' ') end++;
      re.lastIndex = end;
    }
    const replacement = rule.replace(m[0]);
    if (start > last) {
      pieces.push(text.slice(last, start));
      outLength += start - last;
    }
    pieces.push(replacement);
    edits.push({ refStart: outLength, refEnd: outLength + replacement.length, origStart: start, origEnd: end });
    outLength += replacement.length;
    last = end;
  }
  if (edits.length === 0) return { text, edits };
  pieces.push(text.slice(last));
  return { text: pieces.join(''), edits };
}

/** Undoes common defanging. Text with nothing defanged is returned unchanged. */
export function refang(text: string): string {
  let out = refangWithMap(text).text;
  if (HAS_SPACE.test(out)) {
    const trimmed = out.trim();
    if (WORD_CHAIN.test(trimmed)) out = trimmed.replace(WORD_DOT, '.').replace(WORD_AT, '@');
  }
  return out;
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
