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
 * of these is far more often a file than a domain, so the extractor keeps it only when it was
 * defanged, has a subdomain, or is the host of a URL or an email address. (A lone value passed
 * to `parseIndicator` is still a domain: `invoice.zip` is a valid lookup.)
 * The list also holds suffixes that collide with dotted field names in logs and alert JSON
 * (`process.name`, `rule.id`, `user.email`).
 */
export const AMBIGUOUS_SUFFIXES: ReadonlySet<string> = new Set([
  // file extensions that are also top-level domains
  'zip', 'mov', 'one', 'cab', 'py', 'sh', 'md', 'rs', 'pl', 'so', 'ai', 'pm', 'cc', 'mk', 'ps', 'sc', 'ws',
  // last words of common dotted field names
  'name', 'id', 'email', 'host',
]);
