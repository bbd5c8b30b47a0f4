/**
 * Opens a downloaded or local feed file as a byte stream for a parser: gzip, bzip2 and zip are
 * recognised by their magic bytes and unpacked as streams, and an HTML page served where a
 * feed was expected (a login wall, an error page, a captive portal) or a binary file picked by
 * mistake (another compression, an archive, a PDF, UTF-16 text) fails the run clearly.
 *
 * What comes out of a compressed file is counted as it streams, and the run fails past the
 * feed's cap on unpacked bytes (`options.maxDecompressedBytes`): a few hundred kilobytes of gzip
 * or bzip2 can unpack to gigabytes, and a zip member's declared size says nothing about what
 * its data unpacks to.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { bunzip2 } from './bzip2.ts';
import { formatBytes } from './parsers/text.ts';
import { FeedParseError } from './parsers/types.ts';

const GZIP = [0x1f, 0x8b];
const ZIP = [0x50, 0x4b, 0x03, 0x04];
/** "BZh" and the block size, an ASCII digit 1 to 9. */
const BZIP2 = [0x42, 0x5a, 0x68];

/** Unpacked bytes a compressed feed file may hold, unless its `options.maxDecompressedBytes` says otherwise. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 2 * 1024 ** 3;

/** The feed's cap on unpacked bytes: `options.maxDecompressedBytes` when it is a positive number, else the default. */
export function decompressedCapOf(options: Readonly<Record<string, unknown>> | undefined): number {
  const v = options?.['maxDecompressedBytes'];
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : DEFAULT_MAX_DECOMPRESSED_BYTES;
}
const HTML_START = /^\s*<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])/i;

type Unzipper = typeof import('unzipper');
let unzipperModule: Promise<Unzipper> | null = null;

/**
 * unzipper, loaded once on demand: it and its dependencies take some 5 MB in every thread that
 * loads them, and most feeds are not zips.
 */
function loadUnzipper(): Promise<Unzipper> {
  unzipperModule ??= import('unzipper').then((m) => m.default);
  return unzipperModule;
}

export type Compression = 'gzip' | 'bzip2' | 'zip' | 'none';

async function sniff(path: string): Promise<Compression> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(4);
    const { bytesRead } = await fh.read(buf, 0, 4, 0);
    const starts = (magic: number[]): boolean => bytesRead >= magic.length && magic.every((b, i) => buf[i] === b);
    if (starts(GZIP)) return 'gzip';
    if (starts(ZIP)) return 'zip';
    if (starts(BZIP2) && (buf[3] as number) >= 0x31 && (buf[3] as number) <= 0x39) return 'bzip2';
    return 'none';
  } finally {
    await fh.close();
  }
}

/** How much of the start of a (unpacked) file is looked at to tell what it is. */
const HEAD_BYTES = 4096;

interface Magic {
  at: number;
  bytes: readonly number[];
  what: string;
  fix: string;
}

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
const UNPACK_FIRST = 'unpack it first (Verdict unpacks gzip, bzip2 and zip itself)';

/** Binary files people hand to a feed import by mistake, by their magic numbers (none of them a compression Verdict reads). */
const MAGICS: readonly Magic[] = [
  { at: 0, bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: 'xz-compressed data', fix: UNPACK_FIRST },
  { at: 0, bytes: [0x28, 0xb5, 0x2f, 0xfd], what: 'zstd-compressed data', fix: UNPACK_FIRST },
  { at: 0, bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], what: 'a 7-Zip archive', fix: UNPACK_FIRST },
  { at: 0, bytes: [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07], what: 'a RAR archive', fix: UNPACK_FIRST },
  { at: 0, bytes: [0x04, 0x22, 0x4d, 0x18], what: 'lz4-compressed data', fix: UNPACK_FIRST },
  { at: 0, bytes: ascii('LZIP'), what: 'lzip-compressed data', fix: UNPACK_FIRST },
  { at: 0, bytes: [0x1f, 0x9d], what: 'compress (.Z) data', fix: UNPACK_FIRST },
  { at: 257, bytes: ascii('ustar'), what: 'a tar archive', fix: 'unpack it and import the file inside' },
  { at: 0, bytes: ascii('%PDF-'), what: 'a PDF document', fix: '`verdict extract FILE` reads the indicators in a document' },
  { at: 0, bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], what: 'a Microsoft Office document', fix: 'export it as CSV' },
  { at: 0, bytes: ascii('SQLite format 3\u0000'), what: 'an SQLite database', fix: 'export the table as CSV' },
  { at: 0, bytes: [0x7f, 0x45, 0x4c, 0x46], what: 'an ELF executable', fix: 'is it the right file?' },
  { at: 0, bytes: [0x89, 0x50, 0x4e, 0x47], what: 'a PNG image', fix: 'is it the right file?' },
  { at: 0, bytes: [0xff, 0xd8, 0xff], what: 'a JPEG image', fix: 'is it the right file?' },
  { at: 0, bytes: [0xff, 0xfe], what: 'UTF-16 text', fix: 'save it as UTF-8' },
  { at: 0, bytes: [0xfe, 0xff], what: 'UTF-16 text', fix: 'save it as UTF-8' },
];

/** C0 controls no text file holds: NUL to backspace, shift out to SUB, and FS to US (tab, line breaks, form feed and ESC are text). */
const isBinaryControl = (b: number): boolean => b <= 0x08 || (b >= 0x0e && b <= 0x1a) || (b >= 0x1c && b <= 0x1f);

/**
 * What binary file `head` (a file's first bytes, unpacked) starts, with the fix; null for text.
 * Text is what feeds are, lines or JSON: a stray NUL in a row is the row's problem (the stores
 * refuse or strip it), but a start of which 5% or more are control bytes is no text at all.
 */
export function binaryKind(head: Uint8Array): { what: string; fix: string } | null {
  for (const m of MAGICS) {
    if (head.length >= m.at + m.bytes.length && m.bytes.every((b, i) => head[m.at + i] === b)) return { what: m.what, fix: m.fix };
  }
  let controls = 0;
  const nuls = [0, 0];
  for (let i = 0; i < head.length; i++) {
    const b = head[i] as number;
    if (isBinaryControl(b)) controls++;
    if (b === 0) nuls[i & 1]! += 1;
  }
  if (head.length === 0 || controls * 20 < head.length) return null;
  // ASCII written as UTF-16 without a byte order mark: every other byte a NUL
  const half = head.length / 2;
  const [even = 0, odd = 0] = nuls;
  if (half >= 4 && Math.max(even, odd) >= 0.8 * half && Math.min(even, odd) <= 0.05 * half) return { what: 'UTF-16 text', fix: 'save it as UTF-8' };
  return { what: 'NUL and control bytes', fix: 'is it the right file?' };
}

/** The refusal of a file that is no feed at all: an HTML page, or binary. Null when `head` may be one. */
export function notFeedProblem(head: Uint8Array, expected: string): string | null {
  const text = Buffer.from(head.subarray(0, 512)).toString('latin1');
  if (HTML_START.test(text)) return `the body is an HTML page, not ${expected} (an error or login page?)`;
  const binary = binaryKind(head);
  if (binary !== null) return `this is a binary file (${binary.what}), not ${expected}: ${binary.fix}`;
  return null;
}

/**
 * Throws FeedParseError when the stream's first bytes are an HTML document or a binary file:
 * what was served or picked is not a feed, and saying so beats refusing every row of it (and
 * quoting binary rows back).
 */
export async function* refuseNonFeed(source: AsyncIterable<Uint8Array>, expected: string): AsyncIterable<Uint8Array> {
  const held: Uint8Array[] = [];
  let size = 0;
  let checked = false;
  const check = (): void => {
    checked = true;
    const problem = notFeedProblem(Buffer.concat(held, Math.min(size, HEAD_BYTES)), expected);
    if (problem !== null) throw new FeedParseError(problem);
  };
  for await (const chunk of source) {
    if (checked) {
      yield chunk;
      continue;
    }
    held.push(chunk);
    size += chunk.length;
    if (size >= HEAD_BYTES) {
      check();
      yield* held.splice(0);
    }
  }
  if (!checked) {
    check();
    yield* held.splice(0);
  }
}

export interface OpenedPayload {
  stream: AsyncIterable<Uint8Array>;
  compression: Compression;
  /** Size on disk (compressed), for progress. */
  size: number;
}

export interface PayloadOptions {
  /** The format expected, for the message when the file is an HTML page instead. */
  expected: string;
  /** The member of a zip archive to read (default: the first file). */
  zipEntry?: RegExp;
  /** Raw bytes read from disk so far (progress bars). */
  onRead?: (bytes: number) => void;
  /** Unpacked bytes a compressed file may hold (default DEFAULT_MAX_DECOMPRESSED_BYTES). */
  maxDecompressedBytes?: number;
}

/** The file's content, unpacked, with the cap on unpacked bytes enforced as it streams. */
export async function openPayload(path: string, opts: PayloadOptions): Promise<OpenedPayload> {
  const compression = await sniff(path);
  const { size } = await stat(path);
  // 64 KiB reads: larger buffers (and the strings decoded from them) outlive the young generation
  // and pile up between full collections, tens of megabytes on a large file
  const file = createReadStream(path, { highWaterMark: 64 * 1024 });
  let raw: Readable = file;
  if (opts.onRead) {
    let n = 0;
    const report = opts.onRead;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        report((n += chunk.length));
        cb(null, chunk);
      },
    });
    file.on('error', (err) => counter.destroy(err));
    raw = file.pipe(counter);
  }
  let body: AsyncIterable<Uint8Array> = raw;
  const streams: Readable[] = [file, raw];
  if (compression === 'gzip') body = pipedFrom(raw, createGunzip(), streams);
  else if (compression === 'bzip2') body = bunzip2(raw);
  else if (compression === 'zip') {
    const unzipper = await loadUnzipper();
    // ParseOne is an old-style duplex (not async iterable): pipe it into a PassThrough
    const entry = pipedFrom(raw, unzipper.ParseOne(opts.zipEntry), streams);
    body = pipedFrom(entry, new PassThrough(), streams);
  }
  const cap = compression === 'none' ? null : (opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES);
  const stream = unpacked(body, compression, cap, streams);
  return { stream: refuseNonFeed(stream, opts.expected), compression, size };
}

/** `from.pipe(to)`, with a failure of `from` failing `to` too (pipe() does not forward errors). */
function pipedFrom<T extends NodeJS.WritableStream & Readable>(from: Readable, to: T, streams: Readable[]): T {
  from.on('error', (err: Error) => to.destroy(err));
  streams.push(to);
  return from.pipe(to);
}

/** The cap was reached: a FeedParseError that names it and the option that sets it. */
export function unpackedCapError(compression: Compression, cap: number): FeedParseError {
  return new FeedParseError(
    `the ${compression} body unpacks to more than ${formatBytes(cap)}, the feed's cap on unpacked bytes (options.maxDecompressedBytes): a decompression bomb, or a feed that needs a higher cap`,
  );
}

/**
 * The unpacked bytes, counted against `cap` (null: a plain file, already bounded by the transfer
 * cap or chosen by whoever imports it); errors of unpacking say so. Every stream of the chain is
 * closed when reading stops, whether it finished, failed or was abandoned.
 */
async function* unpacked(body: AsyncIterable<Uint8Array>, compression: Compression, cap: number | null, streams: Readable[]): AsyncIterable<Uint8Array> {
  let total = 0;
  const iterator = body[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await iterator.next();
      } catch (err) {
        const what = compression === 'none' ? 'reading the feed file' : `unpacking the ${compression} body`;
        throw new FeedParseError(`${what} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      if (next.done === true) return;
      const chunk = next.value;
      total += chunk.length;
      if (cap !== null && total > cap) throw unpackedCapError(compression, cap);
      yield chunk;
    }
  } finally {
    await iterator.return?.().catch(() => {});
    for (const s of streams) s.destroy();
  }
}
