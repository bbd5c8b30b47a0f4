/**
 * Query templates prepared once: the query text with a marker where the escaped value goes,
 * split at the markers. Rendering is one `join`, so generating a query costs the escaping and
 * one string build, not a walk over the rules. Each template also keeps its pieces as JSON
 * string content, so that a query's JSON text (what an answer carries) is one more `join`, not
 * a scan of some 3 KB of query text per answer for characters to escape.
 */

/** Stands for the escaped value inside a literal while a template is being written. */
export const SLOT = '\u0000';

export interface Template {
  readonly text: readonly string[];
  /** `text`'s pieces as JSON string content (between the quotes). */
  readonly json: readonly string[];
}

export function prepare(text: string): Template {
  const pieces = text.split(SLOT);
  return { text: pieces, json: pieces.map(jsonContent) };
}

export function render(template: Template, escapedBody: string): string {
  return template.text.length === 1 ? template.text[0]! : template.text.join(escapedBody);
}

/** `JSON.stringify(render(template, escapedBody))`, from the prepared pieces. */
export function renderJson(template: Template, escapedBody: string): string {
  return `"${template.json.length === 1 ? template.json[0]! : template.json.join(jsonContent(escapedBody))}"`;
}

/**
 * A string as JSON string content, without the quotes. JSON escapes each character on its own,
 * so the content of a concatenation is the concatenation of the contents, as long as no
 * surrogate pair is cut in two (pieces here are cut at the marker, and values are whole).
 */
function jsonContent(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

/** Escaped text between the quotes of a literal produced by a `"…"` encoder. */
export function literalBody(literal: string): string {
  return literal.slice(1, -1);
}
