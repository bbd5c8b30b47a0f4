/**
 * Indicator rules kept as data: what the validators, the detector and the extractor consult.
 * Changing behaviour here should not require touching the parsing code.
 */
import type { IndicatorType, StoredType } from './types.ts';

/** Hash types by hex length. */
export const HASH_LENGTHS = { md5: 32, sha1: 40, sha256: 64, sha512: 128 } as const;
export type HashType = keyof typeof HASH_LENGTHS;
export const HASH_TYPE_BY_LENGTH: ReadonlyMap<number, HashType> = new Map(
  (Object.entries(HASH_LENGTHS) as [HashType, number][]).map(([t, n]) => [n, t]),
);

/**
 * URL schemes Verdict accepts, with their default port (dropped when canonicalizing).
 * `special` marks the WHATWG special schemes, whose paths the URL parser canonicalizes.
 */
export const URL_SCHEMES: Readonly<Record<string, { defaultPort: number | null; special: boolean }>> = {
  http: { defaultPort: 80, special: true },
  https: { defaultPort: 443, special: true },
  ftp: { defaultPort: 21, special: true },
  ws: { defaultPort: 80, special: true },
  wss: { defaultPort: 443, special: true },
  ftps: { defaultPort: 990, special: false },
  sftp: { defaultPort: 22, special: false },
  ssh: { defaultPort: 22, special: false },
  tcp: { defaultPort: null, special: false },
  udp: { defaultPort: null, special: false },
  smb: { defaultPort: 445, special: false },
  irc: { defaultPort: 6667, special: false },
  // JNDI injection strings (`${jndi:ldap://host:1389/x}`) carry their C2 as ldap/rmi URLs.
  ldap: { defaultPort: 389, special: false },
  ldaps: { defaultPort: 636, special: false },
  rmi: { defaultPort: 1099, special: false },
};

/** The scheme assumed for a URL written without one (`evil.com/a`). */
export const DEFAULT_URL_SCHEME = 'http';

/**
 * Order in which a lone value is tried when no type is given. Shape checks decide which of
 * these apply; the first that validates wins. See docs/indicators.md.
 */
export const DETECTION_ORDER: readonly IndicatorType[] = [
  'url',
  'email',
  'md5',
  'sha1',
  'sha256',
  'sha512',
  'cve',
  'mitre-attack',
  'ipv6',
  'ipv4',
  'domain',
];

/**
 * Public suffixes that are also common file extensions. In free text a bare `name.ext` with one
 * of these is far more often a file than a domain, so the extractor keeps a two-label name with
 * one only when it was defanged or is the host of a URL or an email address. (A lone value passed
 * to `parseIndicator` is still a domain: `invoice.zip` is a valid lookup.)
 */
export const FILE_EXTENSION_SUFFIXES: ReadonlySet<string> = new Set([
  'zip', 'mov', 'one', 'cab', 'py', 'sh', 'md', 'rs', 'pl', 'so', 'ai', 'pm', 'cc', 'mk', 'ps', 'sc',
]);

/**
 * Suffixes that end dotted field names in logs and alert JSON (`dns.question.name`, `rule.id`,
 * `user.email`): the extractor keeps such a name, whatever its length, only when it was defanged
 * or is the host of a URL or an email address.
 */
export const FIELD_NAME_SUFFIXES: ReadonlySet<string> = new Set(['name', 'id', 'email', 'host']);

/** Technology names that are registered domains but in prose almost always mean the product. */
export const PRODUCT_NAMES: ReadonlySet<string> = new Set(['asp.net', 'vb.net', 'ado.net']);
