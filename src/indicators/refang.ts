/**
 * Refanging: undoing the ways people "defang" indicators so they cannot be clicked.
 * The rules are data; they are compiled once into one alternation and applied in one pass, which
 * also records where each edit happened so that extraction can report offsets in the original text.
 *
 * Every rule needs a marker no prose uses by accident (brackets, `hxxp` before a colon, a
 * backslash or full-width dot between letters). The bare-word forms ` dot ` and ` at ` are only
 * refanged when the whole input is one such chain (`evil dot com`), never inside free text,
 * where "a dot com company" must stay prose.
 */

interface RefangRule {
  /** Why the rule exists (which defanging it undoes). */
  name: string;
  /** Regex source without capturing groups. */
  source: string;
  replace: (match: string) => string;
}

const dot = (): string => '.';
const colon = (): string => ':';
const at = (): string => '@';

export const REFANG_RULES: readonly RefangRule[] = [
  {
    name: 'defanged scheme: hxxp, hXXps, h**p, fxp',
    source: String.raw`\b(?:h(?:xx|\*\*|__|xt|tx)p|fxp|fxxp)s?(?=\[?:|\(:|\{:)`,
    replace: (m) => `${m[0]?.toLowerCase() === 'f' ? 'ftp' : 'http'}${/s$/i.test(m) ? 's' : ''}`,
  },
  { name: 'bracketed scheme separator [://]', source: String.raw`\[:\/\/\]|\(:\/\/\)|\{:\/\/\}`, replace: () => '://' },
  { name: 'bracketed colon [:]', source: String.raw`\[:\]|\(:\)|\{:\}`, replace: colon },
  { name: 'bracketed slash [/]', source: String.raw`\[\/\]`, replace: () => '/' },
  { name: 'bracketed dot [.] (.) {.} [dot] (dot) {dot}', source: String.raw` ?(?:\[ ?(?:\.|dot) ?\]|\( ?(?:\.|dot) ?\)|\{ ?(?:\.|dot) ?\}) ?`, replace: dot },
  { name: 'bracketed at [@] (@) [at] (at) {at}', source: String.raw` ?(?:\[ ?(?:@|at) ?\]|\( ?(?:@|at) ?\)|\{ ?(?:@|at) ?\}) ?`, replace: at },
  { name: 'backslash-escaped dot (regex style)', source: String.raw`(?<=[^\s\\])\\+\.(?=[^\s\\.])`, replace: dot },
  { name: 'full-width and ideographic dots between letters', source: String.raw`(?<=[A-Za-z0-9_-])[\uFF0E\u3002\uFF61](?=[A-Za-z0-9_-])`, replace: dot },
];

const RULES_SOURCE = REFANG_RULES.map((r) => `(${r.source})`).join('|');
// Compiled once; callers clone it (String.prototype.replace with a /g regex resets lastIndex).
const RULES_RE = new RegExp(RULES_SOURCE, 'gi');
// Cheap pre-check: every rule needs one of these characters or letter pairs.
const ANY_MARKER = /[[({\\\uFF0E\u3002\uFF61]|h(?:xx|\*\*|__|xt|tx)p|fxx?p/i;
const ANY_RULE = new RegExp(RULES_SOURCE, 'i'); // not /g: no lastIndex state
const hasDefanging = (s: string): boolean => ANY_MARKER.test(s) && ANY_RULE.test(s);
const HAS_SPACE = /\s/;

const WORD_CHAIN = /^[^\s]+(?:\s+(?:dot|at)\s+[^\s]+)+$/i;
const WORD_DOT = /\s+dot\s+/gi;
const WORD_AT = /\s+at\s+/gi;

function ruleFor(groups: (string | undefined)[]): RefangRule {
  for (let i = 0; i < groups.length; i++) if (groups[i] !== undefined) return REFANG_RULES[i] as RefangRule;
  throw new Error('refang: no rule matched'); // unreachable: one group always matches
}

/** Undoes common defanging. Text with nothing defanged is returned unchanged. */
export function refang(text: string): string {
  let out = hasDefanging(text)
    ? text.replace(RULES_RE, (m: string, ...rest: unknown[]) => ruleFor(rest.slice(0, REFANG_RULES.length) as (string | undefined)[]).replace(m))
    : text;
  const trimmed = out.trim();
  if (HAS_SPACE.test(trimmed) && WORD_CHAIN.test(trimmed)) out = trimmed.replace(WORD_DOT, '.').replace(WORD_AT, '@');
  return out;
}

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
  if (!hasDefanging(text)) return { text, edits: [] };
  const edits: RefangEdit[] = [];
  const re = new RegExp(RULES_RE.source, 'gi');
  let out = '';
  let last = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const rule = ruleFor(m.slice(1));
    const replacement = rule.replace(m[0]);
    out += text.slice(last, m.index);
    const refStart = out.length;
    out += replacement;
    edits.push({ refStart, refEnd: out.length, origStart: m.index, origEnd: m.index + m[0].length });
    last = m.index + m[0].length;
  }
  out += text.slice(last);
  return { text: out, edits };
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
