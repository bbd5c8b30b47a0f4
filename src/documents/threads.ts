/**
 * Extraction of a large document on worker threads: its units (a slice of a text, a run of pages)
 * go to a few threads and their indicators come back as JSON, written out in document order.
 * Two things are gained. Speed: extraction is CPU-bound and units are independent, so each core
 * reads its own. Memory: each thread has a small, bounded heap that its garbage is collected
 * from as it goes, where one thread holding a 50 MB text would let its heap grow by hundreds of
 * megabytes before collecting; and at most a few units are in flight at once.
 * A thread that fails or cannot start costs nothing but speed: its units are read inline.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ExtractOptions } from '../indicators/index.ts';
import { attachmentIndicators, documentUnits, unitIndicators, type PartInfo, type Unit } from './extract.ts';
import { batchJson } from './json.ts';
import type { Document, DocumentPart } from './types.ts';

/** Below this many characters of text a document is read on the calling thread: starting threads would cost more than they save. */
export const THREADED_MIN_CHARS = 2 * 1024 * 1024;
const MAX_THREADS = 4;
/** Units sent ahead per thread: keeps each busy while bounding what is held in memory. */
const AHEAD = 2;
const OLD_GENERATION_MB = 32;
const YOUNG_GENERATION_MB = 4;

export interface ExtractJob {
  id: number;
  unit: Unit;
  /** The parts the unit's segments refer to, without their texts (spans cut to the unit). */
  parts: Record<number, PartInfo>;
  options: ExtractOptions;
}
export type ExtractAnswer = { id: number; json: string } | { id: number; error: string };

/** The thread's code, beside this file: compiled JavaScript from dist/, or the TypeScript source under tsx (tests, benches). */
const ENTRY = new URL(import.meta.url.endsWith('.ts') ? './extract-thread.ts' : './extract-thread.js', import.meta.url);

/** How many threads to use on this machine. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(MAX_THREADS, availableParallelism()));
}

interface Pending {
  resolve: (json: string) => void;
  /** Read it inline when the thread fails. */
  fallback: () => string;
}

class ExtractThread {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  alive = true;

  constructor() {
    this.worker = new Worker(ENTRY, { resourceLimits: { maxOldGenerationSizeMb: OLD_GENERATION_MB, maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
    this.worker.on('message', (answer: ExtractAnswer) => {
      const p = this.pending.get(answer.id);
      if (p === undefined) return;
      this.pending.delete(answer.id);
      p.resolve('json' in answer ? answer.json : p.fallback());
    });
    const fail = (): void => {
      this.alive = false;
      for (const p of this.pending.values()) p.resolve(p.fallback());
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', fail);
  }
}

/** A few extraction threads, started ahead of the document (their start overlaps reading it). */
export class ExtractPool {
  private readonly threads: ExtractThread[];
  private nextId = 0;

  constructor(size = defaultThreads()) {
    this.threads = Array.from({ length: size }, () => new ExtractThread());
  }

  get size(): number {
    return this.threads.length;
  }

  /** The unit's indicators as JSON (the inside of an array); never rejects. */
  run(parts: readonly DocumentPart[], unit: Unit, options: ExtractOptions): Promise<string> {
    const inline = (): string => batchJson(unitIndicators(parts, unit, options));
    const alive = this.threads.filter((t) => t.alive);
    if (alive.length === 0) return Promise.resolve(inline());
    const thread = alive.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    const infos: Record<number, PartInfo> = {};
    for (const seg of unit.segments) infos[seg.part] = partInfo(parts[seg.part] as DocumentPart, seg.from, seg.from + seg.length);
    return new Promise((resolve) => {
      thread.pending.set(id, { resolve, fallback: inline });
      const job: ExtractJob = { id, unit, parts: infos, options };
      thread.worker.postMessage(job);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}

/** What a thread needs of a part to map indicators to it: no text, and only the spans within [from, to). */
function partInfo(part: DocumentPart, from: number, to: number): PartInfo {
  const info: PartInfo = { source: part.source };
  if (part.page !== undefined) info.page = part.page;
  if (part.within !== undefined) info.within = part.within;
  if (part.spans !== undefined) info.spans = part.spans.filter((s) => s.end > from && s.start < to);
  return info;
}

function textLength(document: Document): number {
  return document.parts.reduce((n, p) => n + p.text.length, 0);
}

/**
 * A document's indicators as JSON, in document order: each string the inside of a JSON array
 * (indicators joined by commas), one per unit and one for the attachments' digests. Read on
 * `pool`'s threads when one is given and the document is large, else on this thread.
 */
export async function* documentJson(document: Document, options: ExtractOptions = {}, pool?: ExtractPool): AsyncGenerator<string> {
  const units = documentUnits(document.parts);
  if (pool === undefined || textLength(document) < THREADED_MIN_CHARS) {
    for (const unit of units) yield batchJson(unitIndicators(document.parts, unit, options));
  } else {
    const ahead: Promise<string>[] = [];
    let next = units.next();
    while (!next.done || ahead.length > 0) {
      while (!next.done && ahead.length < pool.size * AHEAD) {
        ahead.push(pool.run(document.parts, next.value, options));
        next = units.next();
      }
      yield await (ahead.shift() as Promise<string>);
    }
  }
  const digests = attachmentIndicators(document, options);
  if (digests.length > 0) yield batchJson(digests);
}
