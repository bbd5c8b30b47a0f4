/**
 * Parsing a feed file on a worker thread while the calling thread writes to the store.
 *
 * A run is parse → ingest, both CPU-bound, and the store's transaction must stay on the thread
 * that owns the connection; parsing is pure (bytes in, records out), so it is what moves. The
 * records come back in batches (RecordBatches: an async iterable of records that the store may
 * also take an array at a time), the same records in the same order as from the parser itself,
 * and the run keeps every property it has inline: one transaction, a parse error fails it with
 * the same message, rejects are counted on the run's tally, and a store failure stops the
 * parsing. Records that repeat a tag list share one array (the store only reads them).
 *
 * One thread is kept for reuse: starting one (with the TypeScript loader) costs a few hundred
 * milliseconds, and a warm thread also keeps its compiled parser code. It is let go after a
 * minute without work, never keeps the process alive while idle, and is replaced if a run is
 * abandoned midway. When the thread is busy with another run, or cannot start, the caller's
 * inline parser runs instead.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { SightingRecord } from '../../model.ts';
import type { RecordBatches } from '../../store/types.ts';
import { fromBatches, inBatches } from '../batches.ts';
import { FeedParseError, type RejectTally } from '../parsers/types.ts';
import { RecordUnpacker, type FromParseThread, type ParseJob, type TallyState, type ToParseThread } from './protocol.ts';

export type { ParseJob } from './protocol.ts';

/** Batches the thread may send ahead of the ones received: bounds memory, keeps both threads busy. */
const CREDIT = 16;
const YOUNG_GENERATION_MB = 8;
/** An idle thread is stopped after this long. */
const IDLE_MS = 60_000;

// The thread runs TypeScript like the rest of Verdict: it registers tsx itself, so it works the
// same whether this process was started with `--import tsx`, the tsx CLI or tsx's API. It loads
// its modules through tsx's CommonJS hook: the ES module hook runs on a loader thread of its own,
// which made a parse thread take about 45 MB and 250 ms to start instead of about 25 MB and
// 150 ms. So the parsers' imports must not use top-level await or import.meta; if they ever do,
// the thread fails to start, the run parses inline and a warning says why.
const ENTRY = fileURLToPath(new URL('./worker.ts', import.meta.url));
const TSX_CJS_API = createRequire(import.meta.url).resolve('tsx/cjs/api');
const BOOT = `require(${JSON.stringify(TSX_CJS_API)}).register(); require(${JSON.stringify(ENTRY)});`;

class ParseThread {
  private readonly worker: Worker;
  private readonly inbox: FromParseThread[] = [];
  private waiter: { resolve: (m: FromParseThread) => void; reject: (err: Error) => void } | null = null;
  private failure: Error | null = null;
  private markReady: (ok: boolean) => void = () => {};
  /** Resolves true once the thread has loaded its code, false if it stopped before. */
  readonly ready = new Promise<boolean>((resolve) => (this.markReady = resolve));

  constructor() {
    // execArgv: [] so that the parent's loader flags are not applied as well (the boot registers tsx)
    // A small young generation: a parser's garbage dies young, and V8's default (semi-spaces of
    // 16 MB) would add tens of megabytes to the process for little speed.
    this.worker = new Worker(BOOT, { eval: true, execArgv: [], resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
    this.worker.on('message', (m: FromParseThread) => this.deliver(m));
    this.worker.on('error', (err: Error) => this.stopped(err));
    this.worker.on('exit', (code: number) => this.stopped(new Error(`the parse thread stopped (exit code ${code})`)));
  }

  get alive(): boolean {
    return this.failure === null;
  }

  /** Why the thread stopped, or null while it runs. */
  get stoppedBecause(): Error | null {
    return this.failure;
  }

  post(m: ToParseThread): void {
    this.worker.postMessage(m);
  }

  /** The next message; rejects if the thread stops first. */
  next(): Promise<FromParseThread> {
    const m = this.inbox.shift();
    if (m !== undefined) return Promise.resolve(m);
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** Keeps the process alive while the thread works for it; an idle thread does not. */
  hold(on: boolean): void {
    if (on) this.worker.ref();
    else this.worker.unref();
  }

  stop(): void {
    this.stopped(new Error('the parse thread was stopped'));
    void this.worker.terminate().catch(() => {});
  }

  private deliver(m: FromParseThread): void {
    if (m.kind === 'ready') {
      this.markReady(true);
      return;
    }
    const w = this.waiter;
    this.waiter = null;
    if (w !== null) w.resolve(m);
    else this.inbox.push(m);
  }

  private stopped(err: Error): void {
    if (this.failure !== null) return;
    this.failure = err;
    this.markReady(false);
    const w = this.waiter;
    this.waiter = null;
    w?.reject(err);
  }
}

let spare: ParseThread | null = null;
let spareTimer: NodeJS.Timeout | null = null;
let busy = false;

function takeThread(): ParseThread | null {
  if (busy) return null;
  busy = true;
  if (spareTimer !== null) clearTimeout(spareTimer);
  spareTimer = null;
  const t = spare !== null && spare.alive ? spare : new ParseThread();
  spare = null;
  return t;
}

function giveBack(t: ParseThread, reusable: boolean): void {
  busy = false;
  if (!reusable || !t.alive) {
    t.stop();
    return;
  }
  t.hold(false);
  spare = t;
  spareTimer = setTimeout(() => {
    if (spare === t) spare = null;
    t.stop();
  }, IDLE_MS);
  spareTimer.unref();
}

function addTally(tally: RejectTally, from: TallyState): void {
  tally.rejected += from.rejected;
  for (const s of from.samples) if (tally.samples.length < tally.maxSamples) tally.samples.push(s);
  for (const [kind, n] of from.looksLike) tally.looksLike.set(kind, (tally.looksLike.get(kind) ?? 0) + n);
}

export interface ThreadOptions {
  /** Bytes read from disk so far, after each batch. */
  onProgress?: (bytesRead: number) => void;
  logger?: Logger;
}

/**
 * The records of `job`, parsed on the parse thread; `inline` parses on this thread instead when
 * the parse thread is busy or cannot start. Rejects are added to `tally` before the records end.
 * Iterating the result reads the file once; it offers its records a batch at a time too.
 */
export function parseOnThread(job: ParseJob, tally: RejectTally, inline: () => Promise<AsyncIterable<SightingRecord>>, opts: ThreadOptions = {}): RecordBatches {
  return fromBatches(() => threadBatches(job, tally, inline, opts));
}

async function* inlineBatches(inline: () => Promise<AsyncIterable<SightingRecord>>): AsyncIterable<readonly SightingRecord[]> {
  yield* inBatches(await inline()).batches();
}

async function* threadBatches(
  job: ParseJob,
  tally: RejectTally,
  inline: () => Promise<AsyncIterable<SightingRecord>>,
  { onProgress, logger }: ThreadOptions,
): AsyncIterable<readonly SightingRecord[]> {
  const thread = takeThread();
  if (thread === null) {
    logger?.debug({ path: job.path }, 'the parse thread is busy with another run; parsing on this thread');
    yield* inlineBatches(inline);
    return;
  }
  thread.hold(true);
  if (!(await thread.ready)) {
    logger?.warn({ err: thread.stoppedBecause }, 'the parse thread could not start; parsing on this thread');
    giveBack(thread, false);
    yield* inlineBatches(inline);
    return;
  }
  logger?.debug({ path: job.path }, 'parsing on the parse thread');
  thread.post({ kind: 'parse', job, credit: CREDIT });
  const unpacker = new RecordUnpacker();
  let finished = false;
  try {
    for (;;) {
      const m = await thread.next();
      if (m.kind === 'records') {
        thread.post({ kind: 'credit', batches: 1 });
        if (onProgress) onProgress(m.bytesRead);
        yield unpacker.unpack(m);
      } else if (m.kind === 'done') {
        finished = true;
        addTally(tally, m);
        if (onProgress) onProgress(m.bytesRead);
        return;
      } else if (m.kind === 'error') {
        finished = true;
        addTally(tally, m);
        throw m.parseError ? new FeedParseError(m.message) : new Error(m.message);
      }
    }
  } finally {
    // a run abandoned midway (the store failed) leaves the thread mid-file: replace it
    giveBack(thread, finished);
  }
}
