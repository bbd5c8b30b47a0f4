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
 * One thread is kept for reuse: a warm thread keeps its compiled parser code. It is let go after
 * a minute without work, never keeps the process alive while idle, and is replaced if a run is
 * abandoned midway. When the thread is busy with another run, the caller's inline parser runs
 * instead. A thread that cannot start is an error: the run fails saying why.
 */
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

/**
 * The thread's code, beside this file: compiled JavaScript when Verdict runs from dist/, the
 * TypeScript source when the sources run under tsx (tests, benches). Either way the thread is
 * started with this process's own node options (the default), so the loader that runs the
 * sources here runs them there too.
 */
export const PARSE_THREAD_ENTRY = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);

/** Why a parse thread did not start. */
export class ParseThreadError extends Error {
  constructor(cause: unknown, entry: URL) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    // Node 20's tsx loads TypeScript on the main thread only; the test and bench scripts preload
    // scripts/register-tsx.mjs, which loads it on worker threads too
    const hint = entry.pathname.endsWith('.ts') && (cause as { code?: unknown } | null)?.code === 'ERR_UNKNOWN_FILE_EXTENSION'
      ? ' (running the TypeScript sources? start node with --import ./scripts/register-tsx.mjs, which runs them on worker threads too)'
      : '';
    super(`the parse thread could not start: ${reason}${hint}`, { cause });
    this.name = 'ParseThreadError';
  }
}

class ParseThread {
  private readonly worker: Worker;
  private readonly inbox: FromParseThread[] = [];
  private waiter: { resolve: (m: FromParseThread) => void; reject: (err: Error) => void } | null = null;
  private failure: Error | null = null;
  private markReady: (ok: boolean) => void = () => {};
  /** Resolves true once the thread has loaded its code, false if it stopped before. */
  readonly ready = new Promise<boolean>((resolve) => (this.markReady = resolve));

  constructor(readonly entry: URL) {
    // A small young generation: a parser's garbage dies young, and V8's default (semi-spaces of
    // 16 MB) would add tens of megabytes to the process for little speed.
    this.worker = new Worker(entry, { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
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

/** The spare thread, or a new one; null while the thread works for another run. */
function takeThread(entry: URL): ParseThread | null {
  if (busy) return null;
  if (spareTimer !== null) clearTimeout(spareTimer);
  spareTimer = null;
  let t = spare;
  spare = null;
  if (t !== null && (!t.alive || t.entry.href !== entry.href)) {
    t.stop();
    t = null;
  }
  try {
    t ??= new ParseThread(entry);
  } catch (err) {
    throw new ParseThreadError(err, entry);
  }
  busy = true;
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
  for (const [kind, n] of from.skipped) tally.skipped.set(kind, (tally.skipped.get(kind) ?? 0) + n);
}

export interface ThreadOptions {
  /** Bytes read from disk so far, after each batch. */
  onProgress?: (bytesRead: number) => void;
  logger?: Logger;
  /** The thread's code (tests start one that cannot load). Default PARSE_THREAD_ENTRY. */
  entry?: URL;
}

/**
 * The records of `job`, parsed on the parse thread; `inline` parses on this thread instead when
 * the parse thread is busy with another run. Rejects are added to `tally` before the records end.
 * Iterating the result reads the file once; it offers its records a batch at a time too. If the
 * thread cannot start, iterating rejects with a ParseThreadError.
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
  { onProgress, logger, entry = PARSE_THREAD_ENTRY }: ThreadOptions,
): AsyncIterable<readonly SightingRecord[]> {
  const thread = takeThread(entry);
  if (thread === null) {
    logger?.debug({ path: job.path }, 'the parse thread is busy with another run; parsing on this thread');
    yield* inlineBatches(inline);
    return;
  }
  thread.hold(true);
  if (!(await thread.ready)) {
    giveBack(thread, false);
    throw new ParseThreadError(thread.stoppedBecause, entry);
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
