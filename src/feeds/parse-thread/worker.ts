/**
 * The parse thread: opens a feed file (unpacking gzip/bzip2/zip within the feed's cap, refusing HTML) and runs the format's
 * parser, exactly as runFeed does on its own thread, and sends the records in batches. It sends
 * at most the credit it was given, so a slow store holds back parsing instead of filling memory.
 * One job at a time; the thread is reused for the next.
 */
import { parentPort } from 'node:worker_threads';
import type { SightingRecord } from '../../model.ts';
import { PARSERS } from '../parsers/index.ts';
import { FeedParseError, newContext } from '../parsers/types.ts';
import { decompressedCapOf, openPayload } from '../payload.ts';
import { RecordPacker, type FromParseThread, type ParseJob, type ToParseThread } from './protocol.ts';

const port = parentPort;
if (port === null) throw new Error('parse-thread/worker.ts runs as a worker thread');

let credit = 0;
let wake: (() => void) | null = null;

function send(m: FromParseThread): void {
  // the codes' buffer is handed over, not copied
  (port as NonNullable<typeof port>).postMessage(m, m.kind === 'records' ? [m.codes.buffer as ArrayBuffer] : []);
}

async function creditForOneBatch(): Promise<void> {
  while (credit <= 0) await new Promise<void>((resolve) => (wake = resolve));
  credit--;
}

async function parse(job: ParseJob): Promise<void> {
  const ctx = newContext(job.options);
  const packer = new RecordPacker();
  let bytesRead = 0;
  try {
    const payload = await openPayload(job.path, {
      expected: job.format,
      maxDecompressedBytes: decompressedCapOf(job.options),
      ...(job.zipEntry !== null ? { zipEntry: new RegExp(job.zipEntry) } : {}),
      ...(job.progress ? { onRead: (n: number) => (bytesRead = n) } : {}),
    });
    let batch: SightingRecord[] = [];
    for await (const r of PARSERS[job.format](payload.stream, ctx)) {
      batch.push(r);
      if (batch.length >= job.batchSize) {
        await creditForOneBatch();
        send({ kind: 'records', ...packer.pack(batch), bytesRead });
        batch = [];
      }
    }
    if (batch.length > 0) {
      await creditForOneBatch();
      send({ kind: 'records', ...packer.pack(batch), bytesRead });
    }
    send({ kind: 'done', bytesRead, rejected: ctx.tally.rejected, samples: ctx.tally.samples, looksLike: [...ctx.tally.looksLike], skipped: [...ctx.tally.skipped] });
  } catch (err) {
    send({
      kind: 'error',
      message: err instanceof Error ? err.message : String(err),
      parseError: err instanceof FeedParseError,
      rejected: ctx.tally.rejected,
      samples: ctx.tally.samples,
      looksLike: [...ctx.tally.looksLike],
      skipped: [...ctx.tally.skipped],
    });
  }
}

port.on('message', (m: ToParseThread) => {
  if (m.kind === 'credit') {
    credit += m.batches;
    const w = wake;
    wake = null;
    w?.();
  } else {
    credit = m.credit;
    void parse(m.job);
  }
});
send({ kind: 'ready' });
