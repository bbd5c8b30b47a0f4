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
  'asn',
  'ipv6',
  'ipv4',
  'domain',
];

/**
 * Top-level domains that are also common file extensions. A bare `name.ext` with one of these
 * (two labels) is a file or a domain depending on the text around it (see context.ts and
 * docs/indicators.md): a path, a command line or a file listing make it a file; defanged, in a
 * URL or an email, or in prose it is a domain. (A lone value passed to `parseIndicator` is
 * always a domain: `invoice.zip` is a valid lookup.)
 */
export const FILE_EXTENSION_SUFFIXES: ReadonlySet<string> = new Set([
  'zip', 'mov', 'one', 'cab', 'py', 'sh', 'md', 'rs', 'pl', 'so', 'ai', 'pm', 'cc', 'mk', 'ps', 'sc', 'mo', 'ml', 'st', 'app',
]);

/** Base names that, before a file extension, name a file in nearly every text (`setup.py`, `README.md`). */
export const COMMON_FILE_BASENAMES: ReadonlySet<string> = new Set([
  'readme', 'setup', 'install', 'installer', 'main', 'index', 'init', 'config', 'settings', 'build', 'test', 'tests',
  'run', 'start', 'stop', 'license', 'changelog', 'contributing', 'security', 'makefile', 'requirements', 'manage',
  'app', 'server', 'client', 'utils', 'util', 'helpers', 'deploy', 'bootstrap', 'entrypoint', 'lib', 'mod', 'conftest',
  'wsgi', 'asgi', 'todo', 'notes', 'exploit', 'poc', 'script', 'launcher', 'cleanup', 'backup', 'cron', 'daemon',
]);

/**
 * Words that, the nearest before a file-or-domain name on its line (or right after it), say which
 * it is. Lower case; English first, then the languages of the reports Verdict is fed most
 * (Polish, German, French, Spanish).
 */
export const FILE_CONTEXT_WORDS: ReadonlySet<string> = new Set([
  'file', 'files', 'filename', 'filenames', 'script', 'scripts', 'attachment', 'attachments', 'attached', 'archive',
  'archives', 'named', 'names', 'called', 'saved', 'dropped', 'drops', 'wrote', 'writes', 'written', 'executes',
  'executed', 'execute', 'runs', 'ran', 'launches', 'launched', 'opened', 'opens', 'edit', 'edited', 'module', 'modules',
  'document', 'documents', 'extracted', 'unpacked', 'compiled', 'renamed', 'plik', 'pliki', 'pliku', 'plików',
  'skrypt', 'skrypty', 'skryptu', 'załącznik', 'załącznika', 'archiwum', 'datei', 'dateien', 'fichier', 'fichiers',
  'archivo', 'archivos',
]);
export const DOMAIN_CONTEXT_WORDS: ReadonlySet<string> = new Set([
  'domain', 'domains', 'host', 'hosts', 'hostname', 'hosted', 'site', 'sites', 'website', 'websites', 'server', 'servers',
  'c2', 'c&c', 'cnc', 'url', 'urls', 'dns', 'resolves', 'resolved', 'resolving', 'visit', 'visited', 'visiting', 'browse',
  'contacts', 'contacted', 'connects', 'connected', 'beacons', 'beaconed', 'reaches', 'reached', 'registered', 'redirects',
  'redirected', 'lookalike', 'typosquat', 'phishing', 'mail', 'domena', 'domeny', 'domenie', 'domen', 'domenę',
  'serwis', 'serwisy', 'serwisu', 'serwisie', 'strona', 'strony', 'stronie', 'stronę', 'witryna', 'witryny', 'adres',
  'adresy', 'adresem', 'serwer', 'serwera', 'domäne', 'domänen', 'webseite', 'domaine', 'domaines', 'dominio',
  'dominios',
]);

/** Commands that take a file: a name after them is a file (`bash install.sh`, `python3 setup.py`). */
export const FILE_TAKING_COMMANDS: ReadonlySet<string> = new Set([
  'bash', 'sh', 'zsh', 'ksh', 'dash', 'source', '.', 'python', 'python2', 'python3', 'py', 'pip', 'perl', 'ruby', 'node',
  'deno', 'bun', 'php', 'lua', 'rustc', 'cargo', 'go', 'gcc', 'cc', 'make', 'chmod', 'chown', 'cat', 'less', 'more',
  'head', 'tail', 'vi', 'vim', 'nano', 'emacs', 'code', 'rm', 'cp', 'mv', 'touch', 'ls', 'file', 'stat', 'strings', 'unzip',
  'zip', 'tar', '7z', 'gunzip', 'sha1sum', 'sha256sum', 'sha512sum', 'md5sum', 'exec', 'open', 'xdg-open', 'start',
  'powershell', 'pwsh', 'cmd', 'wscript', 'cscript', 'rundll32', 'regsvr32', 'mshta', 'certutil', 'git', 'diff', 'patch',
]);
/** Commands that take a host: a name after them is a domain (`ping evil.cc`, `curl update-check.pl/x`). */
export const NETWORK_COMMANDS: ReadonlySet<string> = new Set([
  'curl', 'wget', 'ping', 'ping6', 'dig', 'nslookup', 'host', 'whois', 'ssh', 'scp', 'sftp', 'ftp', 'telnet', 'nc', 'ncat',
  'netcat', 'socat', 'traceroute', 'tracert', 'mtr', 'nmap', 'openssl', 'resolve-dnsname', 'invoke-webrequest', 'iwr',
  'invoke-restmethod', 'irm', 'test-netconnection', 'tnc', 'http', 'https', 'fetch', 'aria2c', 'lynx', 'browse',
]);
/** Options after which a name is an output file (`curl -o out.sh`, `wget -O x.py`, `> log.md`). */
export const OUTPUT_FLAGS: ReadonlySet<string> = new Set(['-o', '-O', '--output', '--output-document', '-outfile', '>', '>>', '1>', '2>']);

/**
 * Suffixes that end dotted field names in logs and alert JSON (`dns.question.name`, `rule.id`,
 * `user.email`). Such a name is a field when it is followed by `:` or `=`, or when every label
 * before the suffix is a field word (FIELD_NAME_VOCABULARY); otherwise it is a domain
 * (`cdn.evil.name`, `login.bank-secure.co.id`).
 */
export const FIELD_NAME_SUFFIXES: ReadonlySet<string> = new Set(['name', 'id', 'email', 'host']);
/** Words that make up field names (Elastic Common Schema, Sysmon, Splunk CIM, alert JSON). */
export const FIELD_NAME_VOCABULARY: ReadonlySet<string> = new Set([
  'event', 'process', 'parent', 'file', 'dns', 'question', 'answer', 'answers', 'host', 'user', 'source', 'destination',
  'src', 'dst', 'dest', 'network', 'url', 'rule', 'agent', 'observer', 'winlog', 'log', 'threat', 'registry', 'http',
  'request', 'response', 'tls', 'client', 'server', 'cloud', 'container', 'data', 'alert', 'alerts', 'sysmon', 'service',
  'group', 'related', 'organization', 'hash', 'email', 'message', 'sender', 'recipient', 'from', 'to', 'reply', 'account',
  'device', 'machine', 'computer', 'os', 'image', 'target', 'subject', 'object', 'signature', 'attributes', 'sha256',
  'md5', 'session', 'tenant', 'app', 'application', 'policy', 'entity', 'node', 'pod', 'namespace', 'cluster', 'instance',
  'vpc', 'zone', 'record', 'query', 'detection', 'incident', 'case', 'indicator', 'match', 'parsed', 'original', 'full',
]);

/** Words after which a four-part number is a version, not an address (`version 2.4.1.7`). */
export const VERSION_WORDS: ReadonlySet<string> = new Set([
  'version', 'versions', 'ver', 'vers', 'v', 'build', 'release', 'rel', 'rev', 'revision', 'firmware', 'fw', 'wersja',
  'wersji', 'wersję', 'versión', 'versão', 'versione', 'fileversion', 'productversion',
]);

/** Technology names that are registered domains but in prose almost always mean the product. */
export const PRODUCT_NAMES: ReadonlySet<string> = new Set(['asp.net', 'vb.net', 'ado.net']);

/**
 * Section headings under which links are references (role `reference`), lower case; matched
 * alone on a line (Markdown, bold, numbered, HTML) or as `References: …`.
 */
export const REFERENCE_HEADINGS: ReadonlySet<string> = new Set([
  'references', 'reference', 'external references', 'sources', 'source links', 'further reading', 'additional resources',
  'resources', 'links', 'related links', 'useful links', 'see also', 'bibliography', 'citations', 'read more',
  'źródła', 'źródło', 'bibliografia', 'odnośniki', 'linki', 'przypisy', 'quellen', 'referenzen', 'weiterführende links',
  'literatur', 'références', 'liens', 'referencias', 'fuentes', 'enlaces', '参考', '参考文献', '参考資料', '参照', 'ссылки',
  'источники',
]);

/**
 * Words of a link text that asks the reader to act (`Click here`, `Verify your account`): such a
 * link is what a phishing mail is about, an indicator, even though its text is not an address.
 */
export const CALL_TO_ACTION_WORDS: ReadonlySet<string> = new Set([
  'click', 'tap', 'here', 'verify', 'login', 'log in', 'log-in', 'sign in', 'sign-in', 'signin', 'confirm', 'download',
  'unlock', 'reset', 'reactivate', 'validate', 'pay', 'payment', 'invoice', 'claim', 'unsubscribe', 'authenticate',
  'password', 'renew', 'install', 'retrieve', 'recover', 'accept', 'approve', 'view document', 'open document',
  'kliknij', 'tutaj', 'zaloguj', 'zweryfikuj', 'potwierdź', 'pobierz', 'zapłać', 'dopłać', 'odbierz', 'hier', 'klicken',
  'anmelden', 'bestätigen', 'herunterladen', 'cliquez', 'ici', 'télécharger',
]);

/**
 * AS numbers that are valid but name no network of their own on the Internet (IANA's special
 * registry). They are accepted as indicators — a feed or a log may well state one — and a lookup
 * says what the number is (`related.special_asn`). Ranges are inclusive and sorted.
 */
export const SPECIAL_ASNS: readonly { from: number; to: number; use: string }[] = [
  { from: 23456, to: 23456, use: 'AS_TRANS (RFC 6793): stands for a 32-bit AS number in the path of a BGP speaker that knows only 16-bit ones' },
  { from: 64496, to: 64511, use: 'documentation and examples (RFC 5398)' },
  { from: 64512, to: 65534, use: 'private use (RFC 6996): not routed on the Internet' },
  { from: 65535, to: 65535, use: 'reserved (RFC 7300)' },
  { from: 65536, to: 65551, use: 'documentation and examples (RFC 5398)' },
  { from: 65552, to: 131071, use: 'reserved by IANA' },
  { from: 4200000000, to: 4294967294, use: 'private use (RFC 6996): not routed on the Internet' },
  { from: 4294967295, to: 4294967295, use: 'reserved (RFC 7300)' },
];
