/**
 * A lookup's JSON text, byte for byte what `JSON.stringify(result)` writes, but with its hunting
 * queries taken from the JSON text their builder made (QUERIES_JSON) instead of escaped again:
 * they are over half of an answer's bytes (some 3.3 of 5.9 KB for an address). Each other field
 * is JSON.stringify's own. Used by every route and command that writes a lookup result.
 */
import type { BulkItem } from './bulk.ts';
import { QUERIES_JSON, type HuntingQueries } from './model.ts';

/** Keys written on their own (the prepared fields' and `__proto__`: a few), quoted once each. */
const quotedKeys = new Map<string, string>();
const quoted = (key: string): string => quotedKeys.get(key) ?? quotedKeys.set(key, JSON.stringify(key)).get(key)!;

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
  // Fields with no text of their own are gathered and written by one JSON.stringify call each
  // run of them: a call costs about as much to set up as a short field costs to write.
  let run: Record<string, unknown> | null = null;
  const flush = (): void => {
    if (run === null) return;
    const json = JSON.stringify(run);
    run = null;
    if (json !== '{}') out += `${out === '' ? '{' : ','}${json.slice(1, -1)}`;
  };
  for (const key of Object.keys(result)) {
    const value: unknown = (result as Record<string, unknown>)[key];
    let json: string | undefined;
    if (key === 'hunting_queries' && value !== null && typeof value === 'object') json = (value as HuntingQueries)[QUERIES_JSON] ?? JSON.stringify(value);
    else if (key === 'mitre_techniques' && Array.isArray(value)) json = listJson(value);
    // a key that would set a prototype on the run's object is written on its own
    else if (key !== '__proto__') {
      (run ??= {})[key] = value;
      continue;
    } else json = JSON.stringify(value);
    flush();
    // JSON.stringify leaves out a field it cannot write (undefined, a function)
    if (json === undefined) continue;
    out += `${out === '' ? '{' : ','}${quoted(key)}:${json}`;
  }
  flush();
  return out === '' ? '{}' : `${out}}`;
}

/** How one bulk item is written: a result as the single lookup writes it, an error in the envelope's shape. */
export function itemJson(item: BulkItem): string {
  return 'result' in item ? lookupJson(item.result) : JSON.stringify({ error: item.error });
}
