/**
 * What the text around a candidate says it is, for the few candidates whose shape alone cannot
 * tell: a name that is both a domain and a file name (`update-check.pl`, `setup.py`), a dotted
 * field name (`dns.question.name`) and a version number shaped like an address (`version 2.4.1.7`).
 * Pure functions on the text and the candidate's offsets; they run only for such candidates, so
 * they may look at the line around them. The word lists are data in rules.ts.
 */
import {
  COMMON_FILE_BASENAMES,
  DOMAIN_CONTEXT_WORDS,
  FIELD_NAME_VOCABULARY,
  FILE_CONTEXT_WORDS,
  FILE_TAKING_COMMANDS,
  NETWORK_COMMANDS,
  OUTPUT_FLAGS,
  VERSION_WORDS,
} from './rules.ts';

/** How far back on its line a candidate's context is read, in characters. */
const LOOK_BACK = 80;
/** How much of the line before a name is read for a prompt or a file listing. */
const LINE_BACK = 160;
const LOOK_AHEAD = 40;

/** The start of the line around `pos`, looking back at most `max` characters (a long line is cut there). */
function lineStartOf(text: string, pos: number, max: number): number {
  const limit = Math.max(0, pos - max);
  for (let i = pos - 1; i >= limit; i--) if (text[i] === '\n') return i + 1;
  return limit;
}

// Letters of the languages the word lists use (Latin with diacritics), so that \b-like edges hold for them.
const W = 'A-Za-z0-9\\u00c0-\\u024f';
/** What separates words (the word lists hold letters, digits and `&`, as in `c&c`). */
const NOT_WORD = /[^\p{L}\p{N}&]+/u;
/** The first word after a candidate. */
const NEXT_WORD = new RegExp(`^["'\`)\\]]?[ \\t]*[(,:-]?[ \\t]*([${W}&]+)`, 'u');
const PROMPT = /^[ \t]*(?:\[?[\w.-]+@[\w.-]+(?:[ :][^\s$#\]]*)?\]?[$#]|[$#%]|>>>?|PS [^>\n]*>|[A-Za-z]:\\[^>\n]*>)[ \t]+/;
/**
 * A file listing before the name on its line: `ls -l` permissions, `tree` glyphs, a
 * `sha256sum`/`md5sum` hash, a `dir` date and time.
 */
const LISTING = /(?:^|\s)[-dlcbps][-r][-w][-xsS][-r][-w][-xsS][-r][-w][-xtT][.+@]?\s|[\u251c\u2514\u2502]|^[ \t]*(?:[0-9a-fA-F]{32,128}[ \t]+\*?$|\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}[ \t]+\d{1,2}:\d{2})/;
/** `grep -n` output (`name:12:`) or a Python traceback (`File "name", line 3`) after the name. */
const GREP_OR_TRACE = /^(?::\d+:|",\s*line\s+\d)/;
const FLAG_TOKEN = /^(?:-{1,2}[A-Za-z][\w-]*|\+[a-z]+)$/;

/** Tokens of `s` split on spaces, tabs and a few shell operators. */
function tokens(s: string): string[] {
  return s.split(/[ \t]+|&&|\|\||;/).filter((t) => t !== '');
}

/** The command of a shell line after its prompt and `sudo`/`nohup`/`env` wrappers, lower case. */
function commandOf(words: string[]): string {
  for (const w of words) {
    const word = w.toLowerCase();
    if (word === 'sudo' || word === 'nohup' || word === 'time' || word === 'env' || word.includes('=') || FLAG_TOKEN.test(word)) continue;
    return word.replace(/^.*[/\\]/, '').replace(/\.exe$/, '');
  }
  return '';
}

/** What the text around a file-or-domain name says it is; `unknown` when nothing does (prose). */
export type NameReading = 'file' | 'domain' | 'unknown';

/**
 * Whether a name that is both a valid domain and a file name (its top-level domain is a common
 * file extension: `.py`, `.sh`, `.pl`, `.zip`, …) is meant as a file where it stands. A path, a
 * command line or a file listing around it, a file word before it, a code span or a file-ish name
 * make it a file; a domain word before it or a network command make it a domain; plain prose
 * says nothing (the caller then reads it as the same name read before in the text, or a domain).
 * (A defanged name or one inside a URL or email never reaches this: it is a domain.)
 */
export function readFileOrDomain(text: string, start: number, end: number, name: string, memo?: Map<string, NameReading>): NameReading {
  // `SOURCES.md`, `README.md`, `LICENSE.txt`: a one-dot name with an upper-case base is how files are named, not hosts
  if (UPPER_CASE_FILE.test(text.slice(start, end))) return 'file';
  const before = text.slice(lineStartOf(text, start, LINE_BACK), start);
  const quoted = text[start - 1] === '`' || text[end] === '`';
  if (memo === undefined) return readContext(text, before, end, name, quoted);
  // The reading is a function of the name and the text around it, which logs repeat line after line.
  const key = `${name}\u0000${before}\u0000${text.slice(end, end + LOOK_AHEAD)}`;
  let reading = memo.get(key);
  if (reading === undefined) {
    reading = readContext(text, before, end, name, quoted);
    if (memo.size < CONTEXT_MEMO_MAX) memo.set(key, reading);
  }
  return reading;
}

const CONTEXT_MEMO_MAX = 4096;
const UPPER_CASE_FILE = /^[A-Z][A-Z0-9_-]+\.[A-Za-z0-9]+$/;

function readContext(text: string, before: string, end: number, name: string, quoted: boolean): NameReading {
  if (LISTING.test(before) || GREP_OR_TRACE.test(text.slice(end, end + 12))) return 'file';
  // A command line: what the command does with its arguments decides.
  const near = before.length > LOOK_BACK ? before.slice(before.length - LOOK_BACK) : before;
  const back = tokens(near);
  const previous = (back[back.length - 1] ?? '').toLowerCase();
  if (OUTPUT_FLAGS.has(previous) || previous.endsWith('>')) return 'file';
  for (let i = back.length - 1; i >= 0 && i >= back.length - 4; i--) {
    const t = (back[i] as string).toLowerCase();
    if (FLAG_TOKEN.test(t)) continue;
    const command = t.slice(Math.max(t.lastIndexOf('/'), t.lastIndexOf('\\')) + 1);
    if (NETWORK_COMMANDS.has(command)) return 'domain';
    if (FILE_TAKING_COMMANDS.has(command)) return 'file';
    break;
  }
  const prompt = PROMPT.exec(before);
  if (prompt) return NETWORK_COMMANDS.has(commandOf(tokens(before.slice(prompt[0].length)))) ? 'domain' : 'file';
  // Words around it: the nearest file or domain word before it on its line, then the word after it.
  const words = near.toLowerCase().split(NOT_WORD);
  for (let i = words.length - 1; i >= 0; i--) {
    const w = words[i] as string;
    if (FILE_CONTEXT_WORDS.has(w)) return 'file';
    if (DOMAIN_CONTEXT_WORDS.has(w)) return 'domain';
  }
  const next = NEXT_WORD.exec(text.slice(end, end + LOOK_AHEAD))?.[1]?.toLowerCase();
  if (next !== undefined && FILE_CONTEXT_WORDS.has(next)) return 'file';
  if (next !== undefined && DOMAIN_CONTEXT_WORDS.has(next)) return 'domain';
  // A code span (`setup.py`), an underscore (never in a host name) or a usual file base name.
  const base = name.slice(0, name.indexOf('.'));
  return quoted || base.includes('_') || COMMON_FILE_BASENAMES.has(base) ? 'file' : 'unknown';
}

const KEY_SYNTAX = /^["']?[ \t]*(?:[:=~|]|!=)(?!\/\/)/;
const FIELD_NEXT_WORDS = new Set(['field', 'fields', 'attribute', 'column', 'key', 'property', 'parameter']);

/**
 * Whether a dotted name ending in `name`, `id`, `email` or `host` (all top-level domains) is a
 * field name of a log or alert (`dns.question.name`, `rule.id`) rather than a domain
 * (`cdn.evil.name`, `login.bank-secure.co.id`): a key followed by `:` or `=`, a name made only of
 * field-name words, a template placeholder, or the word "field" after it.
 */
export function looksLikeFieldName(text: string, start: number, end: number, name: string): boolean {
  if (KEY_SYNTAX.test(text.slice(end, end + 4))) return true;
  const b = text[start - 1];
  if (b === '{' || b === '$' || b === '%') return true;
  const labels = name.split('.');
  if (labels.slice(0, -1).every((l) => FIELD_NAME_VOCABULARY.has(l))) return true;
  const next = NEXT_WORD.exec(text.slice(end, end + LOOK_AHEAD))?.[1]?.toLowerCase();
  return next !== undefined && FIELD_NEXT_WORDS.has(next);
}

/** Whether a four-part number follows a version word (`version 2.4.1.7`, `build: 10.0.0.1`): not an address. */
export function followsVersionWord(text: string, start: number): boolean {
  // Skip what may stand between the word and the number (`version: `, `(v`, `build #`), then read the word.
  let i = start - 1;
  while (i >= 0 && start - i <= 4 && isVersionSeparator(text.charCodeAt(i))) i--;
  const wordEnd = i + 1;
  while (i >= 0 && wordEnd - i <= 16 && isLetter(text.charCodeAt(i))) i--;
  const length = wordEnd - i - 1;
  if (length === 0 || !VERSION_WORD_STARTS.has(text.charCodeAt(i + 1) | 32)) return false;
  return VERSION_WORDS.has(text.slice(i + 1, wordEnd).toLowerCase());
}

/** Lower-case first letters of the version words (a cheap test before reading the word). */
const VERSION_WORD_STARTS: ReadonlySet<number> = new Set([...VERSION_WORDS].map((w) => w.charCodeAt(0)));

/** ` `, tab, `:`, `=`, `#`, `(`, `.` */
function isVersionSeparator(c: number): boolean {
  return c === 32 || c === 9 || c === 58 || c === 61 || c === 35 || c === 40 || c === 46;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 0xc0 && c <= 0x24f && c !== 0xd7 && c !== 0xf7);
}
