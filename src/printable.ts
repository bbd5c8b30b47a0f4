/**
 * Text from feeds, stores and errors, made safe to show a person: on a terminal, in a table, in
 * a stored sample. One function, used by every human output of the command line and by the
 * samples a run keeps of the rows it refused.
 */

/**
 * Characters that are not shown as themselves: C0 and C1 controls and DEL (a terminal acts on
 * ESC and CSI sequences, BEL, backspace, carriage return), line and paragraph separators, the
 * bidirectional marks, embeddings, overrides and isolates that reorder the text after them, the
 * zero-width space and byte order mark, and lone surrogates.
 */
const NOT_PRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]|\p{Cs}/u;
const NOT_PRINTABLE_ALL = new RegExp(NOT_PRINTABLE.source, 'gu');
const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeOne(c: string): string {
  const named = NAMED[c];
  if (named !== undefined) return named;
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `text` with every non-printable character written as an escape (`\n`, `\t`, `\x1b`,
 * `\u202e`, …), so that it reads as one line of plain text. Backslashes are left as they are
 * (a Windows path stays readable): the escapes are for a person, not to be parsed back.
 */
export function printable(text: string): string {
  return NOT_PRINTABLE.test(text) ? text.replace(NOT_PRINTABLE_ALL, escapeOne) : text;
}
