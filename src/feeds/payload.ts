/**
 * Opens a downloaded or local feed file as a byte stream for a parser: gzip and zip are
 * recognised by their magic bytes and unpacked as streams, and an HTML page served where a
 * feed was expected (a login wall, an error page, a captive portal) fails the run clearly.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { FeedParseError } from './parsers/types.ts';

const GZIP = [0x1f, 0x8b];
const ZIP = [0x50, 0x4b, 0x03, 0x04];
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

export type Compression = 'gzip' | 'zip' | 'none';

async function sniff(path: string): Promise<Compression> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(4);
    const { bytesRead } = await fh.read(buf, 0, 4, 0);
    const starts = (magic: number[]): boolean => bytesRead >= magic.length && magic.every((b, i) => buf[i] === b);
    if (starts(GZIP)) return 'gzip';
    if (starts(ZIP)) return 'zip';
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

/**
 * The file's content, unpacked. `onRead` reports raw bytes read from disk (progress bars).
 * `zipEntry` picks the member of a zip archive (default: the first file).
 */
export async function openPayload(path: string, opts: { expected: string; zipEntry?: RegExp; onRead?: (bytes: number) => void } ): Promise<OpenedPayload> {
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
  let body: Readable = raw;
  if (compression === 'gzip') body = raw.pipe(createGunzip());
  else if (compression === 'zip') {
    const unzipper = await loadUnzipper();
    // ParseOne is an old-style duplex (not async iterable): pipe it into a PassThrough
    const entry = raw.pipe(unzipper.ParseOne(opts.zipEntry));
    const out = new PassThrough();
    entry.on('error', (err: Error) => out.destroy(err));
    body = entry.pipe(out);
  }
  if (body !== raw) {
    // pipe() does not forward errors: a failed read must fail the unpacked stream too
    raw.on('error', (err) => body.destroy(err));
  }
  const stream = wrapErrors(body, compression);
  return { stream: refuseHtml(stream, opts.expected), compression, size };
}

async function* wrapErrors(body: Readable, compression: Compression): AsyncIterable<Uint8Array> {
  try {
    for await (const chunk of body) yield chunk as Uint8Array;
  } catch (err) {
    const what = compression === 'none' ? 'reading the feed file' : `unpacking the ${compression} body`;
    throw new FeedParseError(`${what} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    body.destroy();
  }
}
