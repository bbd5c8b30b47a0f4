/**
 * The parser contract: one pure function per format. Bytes (a stream, a buffer or a string) in,
 * SightingRecords out as an async iterable. Malformed rows are counted on the context's tally and
 * skipped; a document that cannot be read at all (bad JSON, HTML) throws FeedParseError, which
 * makes the run fail and leaves the store as it was.
 */
import type { SightingRecord } from '../../model.ts';
import { printable } from '../../printable.ts';

export type ByteSource = AsyncIterable<Uint8Array> | Uint8Array | string;

/**
 * Counts malformed rows and keeps the first few for the operator, with their control characters
 * escaped (a sample is feed text; it is stored, and shown on terminals). A parser that can tell what a
 * refused row is instead (a CIDR range in an IP list, a CSV line in a URL list) says so in
 * `looksLike`, so that a file of the wrong format is refused with a message naming what it
 * looks like (see describeMismatch in ../mismatch.ts).
 */
export class RejectTally {
  rejected = 0;
  readonly samples: string[] = [];
  /** Refused rows by what they look like: a stored type (`cidr`, `url`, …) or `csv`, `json`, `text`. */
  readonly looksLike = new Map<string, number>();
  /**
   * Entries of kinds Verdict does not hold (an OTX `FilePath`, `Mutex`, `YARA` …), by the source's
   * own name for the kind: counted, never refused, so they neither fail a run nor show as errors.
   */
  readonly skipped = new Map<string, number>();
  constructor(readonly maxSamples = 5) {}

  skip(kind: string): void {
    this.skipped.set(kind, (this.skipped.get(kind) ?? 0) + 1);
  }

  reject(row: string, reason: string, looksLike?: string): void {
    this.rejected += 1;
    if (looksLike !== undefined) this.looksLike.set(looksLike, (this.looksLike.get(looksLike) ?? 0) + 1);
    if (this.samples.length < this.maxSamples) {
      const shown = row.length > 160 ? `${row.slice(0, 160)}…` : row;
      this.samples.push(printable(`${reason}: ${shown}`));
    }
  }
}

export interface ParseContext {
  tally: RejectTally;
  /** The catalog entry's `options` (default indicator type, threat type, column mapping, …). */
  options: Readonly<Record<string, unknown>>;
}

export type FeedParser = (input: ByteSource, ctx: ParseContext) => AsyncIterable<SightingRecord>;

/** The whole document is unreadable (not a row): the run fails and nothing is ingested. */
export class FeedParseError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FeedParseError';
  }
}

export function newContext(options: Readonly<Record<string, unknown>> = {}): ParseContext {
  return { tally: new RejectTally(), options };
}
