/**
 * A lookup's JSON text, byte for byte what `JSON.stringify(result)` writes, but with its hunting
 * queries taken from the JSON text their builder made (QUERIES_JSON) instead of escaped again:
 * they are over half of an answer's bytes (some 3.3 of 5.9 KB for an address). Each other field
 * is JSON.stringify's own. Used by every route and command that writes a lookup result.
 */
import type { BulkItem } from './bulk.ts';
import { QUERIES_JSON, type HuntingQueries } from './model.ts';

/** Field names as JSON keys, quoted once. */
const keys = new Map<string, string>();

function quotedKey(key: string): string {
  let quoted = keys.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key);
    // a result's fields are a fixed few; anything else is quoted each time rather than kept
    if (keys.size < 64) keys.set(key, quoted);
  }
  return quoted;
}

/** The JSON of the frozen objects answers share (the ATT&CK mapper's techniques: flat, so frozen means unchanging), written once each. */
const sharedJson = new WeakMap<object, string>();

function listJson(list: readonly unknown[]): string {
  let out = '';
  for (const item of list) {
    let json: string | undefined;
    if (item !== null && typeof item === 'object' && Object.isFrozen(item)) {
      json = sharedJson.get(item);
      if (json === undefined) sharedJson.set(item, (json = JSON.stringify(item)));
    } else json = JSON.stringify(item) ?? 'null';
    out += out === '' ? json : `,${json}`;
  }
  return `[${out}]`;
}

export function lookupJson(result: object): string {
  let out = '';
  for (const key of Object.keys(result)) {
    const value: unknown = (result as Record<string, unknown>)[key];
    const json =
      key === 'hunting_queries' && value !== null && typeof value === 'object'
        ? ((value as HuntingQueries)[QUERIES_JSON] ?? JSON.stringify(value))
        : key === 'mitre_techniques' && Array.isArray(value)
          ? listJson(value)
          : JSON.stringify(value);
    // JSON.stringify leaves out a field it cannot write (undefined, a function)
    if (json === undefined) continue;
    out += `${out === '' ? '{' : ','}${quotedKey(key)}:${json}`;
  }
  return out === '' ? '{}' : `${out}}`;
}

/** How one bulk item is written: a result as the single lookup writes it, an error in the envelope's shape. */
export function itemJson(item: BulkItem): string {
  return 'result' in item ? lookupJson(item.result) : JSON.stringify({ error: item.error });
}
