/**
 * `verdict extract`: find, refang and normalize every indicator in text from stdin, or in a document.
 *   --format json   (default) all of stdin is one text → {"indicators":[...]}
 *   --format ndjson each line {"id": ..., "text": "..."} → {"id": ..., "indicators": [...]}, streamed in order
 *   FILE            a PDF, HTML page, email message (.eml) or text file, its format sniffed from its
 *                   content (`--as` to say it) → {"document": {...}, "indicators": [...]}, each
 *                   indicator with where it came from; `-` reads the document from stdin
 *   --unique        each indicator once, in order of first occurrence, with its count
 * A malformed ndjson line gets {"id": ..., "error": "..."} in its place and the exit code is 1;
 * a document that cannot be read (encrypted, corrupt, not a format Verdict reads) is an error
 * on stderr and exit code 1.
 */
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Document, DocumentFormat } from '../documents/index.ts';
import { errorText } from '../file-errors.ts';
import { extract, type ExtractOptions, type StoredType } from '../indicators/index.ts';
import type { ExtractFormat } from './options.ts';

export interface ExtractCommandOptions {
  format: ExtractFormat;
  refang: boolean;
  parts: boolean;
  types?: StoredType[];
  /** Read the document as this format, whatever its content looks like. */
  as?: DocumentFormat;
  /** Print each part's text in the document summary (offsets refer to it). */
  text?: boolean;
  /** Each indicator once, with how often it occurs, instead of every occurrence with its offsets. */
  unique?: boolean;
}

function write(out: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    out.write(text, (err) => (err ? reject(err) : resolve()));
  });
}

async function readBytes(input: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

async function readAll(input: Readable): Promise<string> {
  return (await readBytes(input)).toString('utf8');
}

function extractOptionsOf(opts: ExtractCommandOptions): ExtractOptions {
  const extractOptions: ExtractOptions = { refang: opts.refang, includeParts: opts.parts };
  if (opts.types) extractOptions.types = opts.types;
  return extractOptions;
}

/** What the output says of the document before its indicators: everything but the parts' texts (unless asked). */
function documentSummary(name: string, document: Document, withText: boolean): unknown {
  return {
    name,
    format: document.format,
    bytes: document.bytes,
    metadata: document.metadata,
    parts: document.parts.map((p) => ({ source: p.source, ...(p.page !== undefined && { page: p.page }), ...(p.within !== undefined && { within: p.within }), chars: p.text.length, ...(withText && { text: p.text }) })),
    attachments: document.attachments,
    warnings: document.warnings,
  };
}

/**
 * `verdict extract FILE`: reads the document and prints its summary, then its indicators as they
 * are found (one batch per slice or run of pages), so a large document's indicators are never all
 * held at once. Returns the exit code; an unreadable document is reported on `errors`.
 */
export async function runExtractDocument(file: string, opts: ExtractCommandOptions, input: Readable, output: Writable, errors: Writable): Promise<number> {
  if (opts.format !== 'json') {
    await write(errors, 'verdict extract: --format ndjson reads records from stdin; a FILE is read as one document (json)\n');
    return 2;
  }
  // the readers load while the file is read
  const loading = import('../documents/index.ts');
  let bytes: Buffer | null;
  try {
    bytes = file === '-' ? await readBytes(input) : await readFile(file);
  } catch (err) {
    await write(errors, `verdict extract: cannot read ${file}: ${errorText(err, file)}\n`);
    return 1;
  }
  const { readDocument, documentIndicators, documentDistinct, batchJson } = await loading;
  // transfer: the bytes are not needed after this (pdf.js takes a PDF's over instead of copying them)
  const read = await readDocument(bytes, { name: file, transfer: true, ...(opts.as !== undefined && { format: opts.as }) });
  bytes = null;
  if (!read.ok) {
    await write(errors, `verdict extract: ${file}: ${read.error.message} (${read.error.code})\n`);
    return 1;
  }
  const document = read.document;
  const options = extractOptionsOf(opts);
  const head = JSON.stringify({ document: documentSummary(file, document, opts.text === true) });
  if (opts.unique === true) {
    await write(output, `${head.slice(0, -1)},"indicators":${JSON.stringify(documentDistinct(document, options))}}\n`);
    return 0;
  }
  await write(output, `${head.slice(0, -1)},"indicators":[`);
  let first = true;
  for (const batch of documentIndicators(document, options)) {
    if (batch.length === 0) continue;
    await write(output, first ? batchJson(batch) : `,${batchJson(batch)}`);
    first = false;
  }
  await write(output, ']}\n');
  return 0;
}

/** Runs the command over streams; returns the exit code. */
export async function runExtract(opts: ExtractCommandOptions, input: Readable, output: Writable): Promise<number> {
  const extractOptions = extractOptionsOf(opts);
  if (opts.format === 'json') {
    const text = await readAll(input);
    const found = extract(text, extractOptions);
    await write(output, `${JSON.stringify({ indicators: opts.unique === true ? new (await import('../documents/distinct.ts')).DistinctIndicators().add(found).list() : found })}\n`);
    return 0;
  }
  let exitCode = 0;
  let lineNo = 0;
  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (err) {
      exitCode = 1;
      await write(output, `${JSON.stringify({ id: null, error: `line ${lineNo}: not JSON (${(err as Error).message})` })}\n`);
      continue;
    }
    const obj = typeof record === 'object' && record !== null && !Array.isArray(record) ? (record as Record<string, unknown>) : null;
    const id = obj && 'id' in obj ? obj.id : null;
    if (!obj || typeof obj.text !== 'string') {
      exitCode = 1;
      await write(output, `${JSON.stringify({ id, error: `line ${lineNo}: expected an object with a string "text"` })}\n`);
      continue;
    }
    await write(output, `${JSON.stringify({ id, indicators: extract(obj.text, extractOptions) })}\n`);
  }
  return exitCode;
}

/** `verdict extract [FILE]` on this process's stdin and stdout. */
export async function extractCommand(file: string | undefined, opts: ExtractCommandOptions): Promise<void> {
  const document = file !== undefined || opts.as !== undefined;
  const code = document ? await runExtractDocument(file ?? '-', opts, process.stdin, process.stdout, process.stderr) : await runExtract(opts, process.stdin, process.stdout);
  if (code !== 0) process.exitCode = code;
}
