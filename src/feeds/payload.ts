/**
 * Opens a downloaded or local feed file as a byte stream for a parser: gzip, bzip2 and zip are
 * recognised by their magic bytes and unpacked as streams, and an HTML page served where a
 * feed was expected (a login wall, an error page, a captive portal) fails the run clearly.
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

/** Throws FeedParseError when the stream's first bytes are an HTML document. */
export async function* refuseHtml(source: AsyncIterable<Uint8Array>, expected: string): AsyncIterable<Uint8Array> {
  let head = '';
  let checked = false;
  for await (const chunk of source) {
    if (!checked) {
      head += Buffer.from(chunk.subarray(0, 512)).toString('latin1');
      if (head.trimStart().length >= 16 || head.length >= 512) {
        checked = true;
        if (HTML_START.test(head)) throw new FeedParseError(`the body is an HTML page, not ${expected} (an error or login page?)`);
      }
    }
    yield chunk;
  }
  if (!checked && HTML_START.test(head)) throw new FeedParseError(`the body is an HTML page, not ${expected}`);
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
  return { stream: refuseHtml(stream, opts.expected), compression, size };
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
