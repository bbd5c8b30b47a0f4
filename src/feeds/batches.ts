/**
 * A parser's records offered a batch at a time as well (RecordBatches): the store then awaits
 * once per batch instead of once per record on its side of the run (the parser still yields
 * record by record; only the hops after it go).
 */
import type { SightingRecord } from '../model.ts';
import type { RecordBatches } from '../store/types.ts';

export const BATCH_RECORDS = 512;

async function* inArrays(records: AsyncIterable<SightingRecord> | Iterable<SightingRecord>, size: number): AsyncIterable<readonly SightingRecord[]> {
  let part: SightingRecord[] = [];
  for await (const r of records) {
    part.push(r);
    if (part.length >= size) {
      yield part;
      part = [];
    }
  }
  if (part.length > 0) yield part;
}

/** Iterating the result iterates `records` once, whichever way it is taken. */
export function inBatches(records: AsyncIterable<SightingRecord> | Iterable<SightingRecord>, size = BATCH_RECORDS): RecordBatches {
  return fromBatches(() => inArrays(records, size));
}

/** Records of a producer of arrays, taken either way. */
export function fromBatches(batches: () => AsyncIterable<readonly SightingRecord[]>): RecordBatches {
  return {
    batches,
    async *[Symbol.asyncIterator]() {
      for await (const part of batches()) yield* part;
    },
  };
}
