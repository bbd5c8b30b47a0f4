/**
 * When a file is mostly not what its feed takes, the run fails as a whole — and says what the file
 * looks like instead, so that an operator who picked the wrong feed id (a CIDR list imported as a
 * URL feed) sees it at once: "2 of 1,387 rows are URLs; 1,385 look like CIDR ranges: this looks
 * like a CIDR list — is the feed id right?".
 */
import { FeedParseError, type RejectTally } from './parsers/types.ts';
import { openPayload } from './payload.ts';

/** What a kind of row is called, one and many, and the kind of file made of it. */
const KINDS: Readonly<Record<string, { one: string; many: string; file: string }>> = {
  cidr: { one: 'CIDR range', many: 'CIDR ranges', file: 'a CIDR list' },
  ipv4: { one: 'IPv4 address', many: 'IPv4 addresses', file: 'an IP address list' },
  ipv6: { one: 'IPv6 address', many: 'IPv6 addresses', file: 'an IP address list' },
  url: { one: 'URL', many: 'URLs', file: 'a URL list' },
  domain: { one: 'domain', many: 'domains', file: 'a domain list' },
  email: { one: 'email address', many: 'email addresses', file: 'an email address list' },
  md5: { one: 'MD5 hash', many: 'MD5 hashes', file: 'a hash list' },
  sha1: { one: 'SHA-1 hash', many: 'SHA-1 hashes', file: 'a hash list' },
  sha256: { one: 'SHA-256 hash', many: 'SHA-256 hashes', file: 'a hash list' },
  sha512: { one: 'SHA-512 hash', many: 'SHA-512 hashes', file: 'a hash list' },
  cve: { one: 'CVE id', many: 'CVE ids', file: 'a CVE list' },
  'mitre-attack': { one: 'ATT&CK id', many: 'ATT&CK ids', file: 'a list of ATT&CK ids' },
  asn: { one: 'AS number', many: 'AS numbers', file: 'an AS number list (Spamhaus ASN-DROP is spamhaus-asndrop)' },
  csv: { one: 'CSV row', many: 'CSV rows', file: 'a CSV file' },
  json: { one: 'JSON line', many: 'JSON lines', file: 'JSON' },
  text: { one: 'line of text', many: 'lines of text', file: 'text that is not a feed of indicators' },
};

const count = (n: number): string => n.toLocaleString('en-US');

function kindWords(kind: string, n: number): string {
  const k = KINDS[kind];
  if (k === undefined) return `${count(n)} ${kind}`;
  return `${count(n)} ${n === 1 ? k.one : k.many}`;
}

/** The types a feed takes, in words: `URLs`, `IPv4 addresses or IPv6 addresses`. */
function takenWords(types: readonly string[] | undefined): string {
  if (types === undefined || types.length === 0) return 'indicators the feed takes';
  return types.map((t) => KINDS[t]?.many ?? t).join(' or ');
}

/**
 * The refusal of a run whose rows were mostly refused. `accepted` is the number of rows kept;
 * `types` what the feed takes. Names what the refused rows look like when the parser could tell.
 */
export function describeMismatch(accepted: number, tally: RejectTally, types: readonly string[] | undefined): string {
  const total = accepted + tally.rejected;
  const first = tally.samples[0] ?? '';
  const kinds = [...tally.looksLike].sort((a, b) => b[1] - a[1]);
  const [top] = kinds;
  const head = `${count(accepted)} of ${count(total)} rows are ${takenWords(types)}`;
  if (top === undefined) return `${head}; ${count(tally.rejected)} were malformed (is this the right format?); first: ${first}`;
  const seen = kinds.slice(0, 3).map(([k, n]) => kindWords(k, n)).join(', ');
  const looks = KINDS[top[0]]?.file ?? `a list of ${top[0]}`;
  return `${head}; the refused ones include ${seen}: this looks like ${looks} — is the feed id right? First refused: ${first}`;
}

/** The refusal of a run whose rows were mostly refused (describeMismatch says how). */
export class WrongFormatError extends FeedParseError {
  constructor(message: string) {
    super(message);
    this.name = 'WrongFormatError';
  }
}

/** Formats read a line at a time (lists, CSV, JSON lines of a fixed shape): JSON documents are not theirs. */
const LINE_FORMATS: ReadonlySet<string> = new Set([
  'plain-list',
  'spamhaus-drop',
  'spamhaus-drop-ndjson',
  'spamhaus-asndrop',
  'urlhaus-csv',
  'feodotracker-csv',
  'malwarebazaar-csv',
  'csv-mapping',
]);

export type JsonShape = 'array' | 'object' | 'lines';

/** Bytes read, at most, to see how a refused file starts. */
const SHAPE_BYTES = 64 * 1024;

/**
 * Whether a file (unpacked as a run reads it) is JSON, and of which shape: an array, one document
 * (an object over several lines), or JSON lines (a first line that is an object on its own).
 * Null for anything else. Read only after a run was refused, to say why.
 */
export async function jsonShapeOf(path: string, opts: { maxDecompressedBytes?: number; zipEntry?: RegExp } = {}): Promise<JsonShape | null> {
  let head = '';
  try {
    const payload = await openPayload(path, { expected: 'JSON', ...opts });
    for await (const chunk of payload.stream) {
      head += Buffer.from(chunk).toString('utf8');
      if (head.length >= SHAPE_BYTES || /\S[\s\S]*\n/.test(head)) break;
    }
  } catch {
    return null;
  }
  const text = head.replace(/^\ufeff/, '').trimStart();
  if (text.startsWith('[')) return 'array';
  if (!text.startsWith('{')) return null;
  const firstLine = text.split('\n', 1)[0] ?? '';
  try {
    const v: unknown = JSON.parse(firstLine);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? 'lines' : 'object';
  } catch {
    return 'object';
  }
}

/**
 * What to do with JSON given to a line format — null when the format reads JSON itself or the
 * file is not JSON. The JSON mapping (`jsonl-mapping`) reads JSON lines, a JSON array, and with
 * `recordsPath` the array inside a document.
 */
export function jsonAdvice(shape: JsonShape | null, format: string): string | null {
  if (shape === null || !LINE_FORMATS.has(format)) return null;
  if (shape === 'array') return `this is a JSON array, not ${format} — set \`recordsPath\` or use the JSON mapping (format jsonl-mapping reads a JSON array whole, and with options.recordsPath the array inside a document)`;
  if (shape === 'object') return `this is a JSON document, not ${format} — use the JSON mapping (format jsonl-mapping) and set \`recordsPath\` to the array that holds the records`;
  return `this is JSON lines, not ${format} — use the JSON mapping (format jsonl-mapping) with options.fields naming the keys`;
}

/** Whether a refusal is one a JSON file given to a line format would get. */
export const mayBeJsonMisfit = (err: unknown, format: string): boolean => err instanceof WrongFormatError && LINE_FORMATS.has(format);
