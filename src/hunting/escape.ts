/**
 * One string-literal encoder per query language. Each returns the complete literal, quotes
 * included, so that callers can never forget the quotes or apply the wrong escaping. Every
 * encoder is total: any JavaScript string (control characters, lone surrogates, megabytes)
 * yields a literal that the language reads back as exactly that string.
 */

// Characters that need an escape in the KQL literal, found in one pass. Built once.
const KQL_SPECIAL = /["\\\u0000-\u001f\u007f-\u009f\u2028\u2029]|\p{Cs}/u;
const SPL_SPECIAL = /["\\]/;
const ESQL_SPECIAL = /["\\\n\r\t]/;

function hex4(code: number): string {
  return code.toString(16).padStart(4, '0');
}

/**
 * Kusto double-quoted literal. Kusto reads `\\`, `\"`, `\n`, `\r`, `\t` and `\uXXXX`; a raw
 * line break would end the literal, so every control or separator character is written as
 * `\uXXXX`. Lone surrogates are written the same way (a paired surrogate stays as it is).
 */
export function kqlString(value: string): string {
  if (!KQL_SPECIAL.test(value)) return `"${value}"`;
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029) out += `\\u${hex4(c)}`;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += value[i]! + value[i + 1]!;
        i++;
      } else out += `\\u${hex4(c)}`;
    } else if (c >= 0xdc00 && c <= 0xdfff) out += `\\u${hex4(c)}`;
    else out += value[i]!;
  }
  return out + '"';
}

/**
 * SPL double-quoted value (search terms, `where`/`eval` strings). SPL knows only `\\` and `\"`
 * inside quotes; pipes, brackets and backticks are inert there (macros are not expanded inside
 * quoted values). `*` stays a wildcard: SPL offers no escape for it in search strings, so a
 * value containing `*` matches more broadly but cannot change the query's structure.
 */
export function splString(value: string): string {
  if (!SPL_SPECIAL.test(value)) return `"${value}"`;
  let out = '"';
  for (const ch of value) {
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else out += ch;
  }
  return out + '"';
}

/**
 * ES|QL double-quoted literal. The grammar accepts `\\`, `\"`, `\n`, `\r`, `\t` as escapes and
 * forbids raw line breaks; every other character may stand as it is.
 */
export function esqlString(value: string): string {
  if (!ESQL_SPECIAL.test(value)) return `"${value}"`;
  let out = '"';
  for (const ch of value) {
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else out += ch;
  }
  return out + '"';
}

// Outside YAML 1.2's printable set, or a line break: needs a double-quoted scalar with escapes.
// With the `u` flag a surrogate pair is one code point, so \p{Cs} finds only lone halves.
const YAML_NEEDS_DOUBLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]|\p{Cs}/u;
const SIGMA_WILDCARD = /[*?\\]/g;

/**
 * Sigma value, as a YAML scalar. First the Sigma layer: `*` and `?` are wildcards and `\` is the
 * escape, so all three get a backslash (`\\` is a literal backslash in every position). Then the
 * YAML layer: single quotes (the Sigma convention, where only `'` is doubled) when the text is
 * printable on one line, else a double-quoted scalar with `\xXX`/`\uXXXX` escapes.
 * With `wildcards` the caller adds its own unescaped `*` around the escaped value.
 */
export function sigmaString(value: string, wildcards?: { prefix?: string; suffix?: string }): string {
  const escaped = (wildcards?.prefix ?? '') + value.replace(SIGMA_WILDCARD, '\\$&') + (wildcards?.suffix ?? '');
  return yamlString(escaped);
}

/** A YAML scalar holding `text` exactly (no Sigma escaping): for titles and descriptions. */
export function yamlString(text: string): string {
  if (!YAML_NEEDS_DOUBLE.test(text)) return `'${text.replaceAll("'", "''")}'`;
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += text[i]! + text[i + 1]!;
        i++;
      } else out += `\\u${hex4(c)}`;
    } else if (c >= 0xdc00 && c <= 0xdfff) out += `\\u${hex4(c)}`;
    else if (c === 0x2028 || c === 0x2029 || c === 0xfeff || c === 0xfffe || c === 0xffff) out += `\\u${hex4(c)}`;
    else out += text[i]!;
  }
  return out + '"';
}
