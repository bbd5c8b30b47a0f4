/**
 * Type names as clients and people write them (`?type=`, an override's path, `--type`): the
 * indicator types and their aliases, case-insensitive, surrounding blanks ignored. One reading
 * for the HTTP API and the CLI, and one description of a name that is none of them.
 */
import { INDICATOR_TYPES, TYPE_ALIASES, isIndicatorType, type IndicatorType } from './types.ts';

/** Every name a type may be given by: the types, then their aliases. */
export const TYPE_NAMES: readonly string[] = [...INDICATOR_TYPES, ...Object.keys(TYPE_ALIASES)];

/** A name that is none of `allowed`, with the sentence that says so. */
export interface UnknownName {
  ok: false;
  given: string;
  allowed: readonly string[];
  message: string;
}

/** Names are echoed back at most this long. */
const ECHO_LENGTH = 40;

export function unknownName(what: string, given: string, allowed: readonly string[]): UnknownName {
  return { ok: false, given, allowed, message: `Unknown ${what} "${given.slice(0, ECHO_LENGTH)}". Allowed: ${allowed.join(', ')}.` };
}

/** A type's name or alias, e.g. `IPv4` or `mitre_attack`. */
export function parseTypeName(raw: string): { ok: true; type: IndicatorType } | UnknownName {
  const name = raw.trim().toLowerCase();
  // own keys only: `constructor` is no alias
  const type = Object.hasOwn(TYPE_ALIASES, name) ? TYPE_ALIASES[name] : isIndicatorType(name) ? name : undefined;
  return type === undefined ? unknownName('type', raw, TYPE_NAMES) : { ok: true, type };
}

const NO_HINT = Object.freeze({ ok: true, type: undefined } as const);

/** An optional type hint: absent or blank means "detect the type". */
export function parseTypeHint(raw: string | undefined): { readonly ok: true; readonly type: IndicatorType | undefined } | UnknownName {
  // most lookups give no type: no object per request
  if (raw === undefined || raw.trim() === '') return NO_HINT;
  return parseTypeName(raw);
}
