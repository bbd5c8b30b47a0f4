/**
 * Query templates prepared once: the query text with a marker where the escaped value goes,
 * split at the markers. Rendering is one `join`, so generating a query costs the escaping and
 * one string build, not a walk over the rules.
 */

/** Stands for the escaped value inside a literal while a template is being written. */
export const SLOT = '\u0000';

export type Template = readonly string[];

export function prepare(text: string): Template {
  return text.split(SLOT);
}

export function render(template: Template, escapedBody: string): string {
  return template.length === 1 ? template[0]! : template.join(escapedBody);
}

/** Escaped text between the quotes of a literal produced by a `"…"` encoder. */
export function literalBody(literal: string): string {
  return literal.slice(1, -1);
}
