/**
 * The one list of indicator types. Every other type list, enum and schema is derived from it.
 * `lookup: true` types can be asked for at /api/v1/lookup; `cidr` exists only in feed data.
 */
export const INDICATOR_TYPE_INFO = {
  ipv4: { lookup: true },
  ipv6: { lookup: true },
  domain: { lookup: true },
  url: { lookup: true },
  md5: { lookup: true },
  sha1: { lookup: true },
  sha256: { lookup: true },
  sha512: { lookup: true },
  cve: { lookup: true },
  'mitre-attack': { lookup: true },
  email: { lookup: true },
  asn: { lookup: true },
  cidr: { lookup: false },
} as const;

export type StoredType = keyof typeof INDICATOR_TYPE_INFO;
export const STORED_TYPES = Object.keys(INDICATOR_TYPE_INFO) as StoredType[];

type LookupKeys<T> = { [K in keyof T]: T[K] extends { lookup: true } ? K : never }[keyof T];
/** Types a client may look up (everything but `cidr`). */
export type IndicatorType = LookupKeys<typeof INDICATOR_TYPE_INFO>;
export const INDICATOR_TYPES = STORED_TYPES.filter((t) => INDICATOR_TYPE_INFO[t].lookup) as IndicatorType[];

/** Aliases accepted for the `type` query parameter. */
export const TYPE_ALIASES: Readonly<Record<string, IndicatorType>> = { mitre_attack: 'mitre-attack' };

export function isIndicatorType(s: string): s is IndicatorType {
  return (INDICATOR_TYPES as string[]).includes(s);
}
export function isStoredType(s: string): s is StoredType {
  return Object.hasOwn(INDICATOR_TYPE_INFO, s);
}

/** A canonical indicator: `value` is already normalized for `type`. */
export interface Indicator<T extends StoredType = StoredType> {
  type: T;
  value: string;
}
