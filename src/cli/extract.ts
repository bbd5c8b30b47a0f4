/**
 * `verdict extract`: find, refang and normalize every indicator in text from stdin.
 *   --format json   (default) all of stdin is one text → {"indicators":[...]}
 *   --format ndjson each line {"id": ..., "text": "..."} → {"id": ..., "indicators": [...]}, streamed in order
 * A malformed ndjson line gets {"id": ..., "error": "..."} in its place and the exit code is 1.
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { extract, type ExtractOptions, type StoredType } from '../indicators/index.ts';
import type { ExtractFormat } from './options.ts';

export interface ExtractCommandOptions {
  format: ExtractFormat;
  refang: boolean;
  parts: boolean;
  types?: StoredType[];
}

function write(out: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    out.write(text, (err) => (err ? reject(err) : resolve()));
  });
}

async function readAll(input: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Runs the command over streams; returns the exit code. */
export async function runExtract(opts: ExtractCommandOptions, input: Readable, output: Writable): Promise<number> {
  const extractOptions: ExtractOptions = { refang: opts.refang, includeParts: opts.parts };
  if (opts.types) extractOptions.types = opts.types;
  if (opts.format === 'json') {
    const text = await readAll(input);
    await write(output, `${JSON.stringify({ indicators: extract(text, extractOptions) })}\n`);
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

/** `verdict extract` on this process's stdin and stdout. */
export async function extractCommand(opts: ExtractCommandOptions): Promise<void> {
  const code = await runExtract(opts, process.stdin, process.stdout);
  if (code !== 0) process.exitCode = code;
}
