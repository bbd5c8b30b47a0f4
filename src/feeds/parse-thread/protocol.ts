/**
 * What the calling thread and a parse thread say to each other, and how records travel.
 *
 * Records cross as one flat array per batch: structured cloning an array of strings and numbers
 * costs the receiving thread about a third of what cloning as many small objects does, and the
 * receiving thread is the one that also writes to the store.
 */
import type { SightingRecord } from '../../model.ts';
import type { FeedFormat } from '../types.ts';

/** One file to parse: what `runFeed` would otherwise do on its own thread. */
export interface ParseJob {
  format: FeedFormat;
  path: string;
  options: Readonly<Record<string, unknown>>;
  /** `options.zipEntry` of the catalog entry (a pattern's source), or null. */
  zipEntry: string | null;
  /** Report bytes read from disk with each batch (a progress bar is showing). */
  progress: boolean;
  /** Records per message. */
  batchSize: number;
}

/** Calling thread → parse thread. */
export type ToParseThread =
  /** Parse a file; `credit` batches may be sent before waiting for more. */
  | { kind: 'parse'; job: ParseJob; credit: number }
  | { kind: 'credit'; batches: number };

/** What the rejects of a run add up to (see RejectTally). */
export interface TallyState {
  rejected: number;
  samples: string[];
  /** Refused rows by what they look like (RejectTally.looksLike). */
  looksLike: [string, number][];
  /** Entries of kinds Verdict does not hold, by kind (RejectTally.skipped). */
  skipped: [string, number][];
}

/** Parse thread → calling thread. */
export type FromParseThread =
  | { kind: 'ready' }
  | ({ kind: 'records'; bytesRead: number } & PackedRecords)
  | ({ kind: 'done'; bytesRead: number } & TallyState)
  /** `parseError`: a FeedParseError (the document is unreadable), as opposed to a fault. */
  | ({ kind: 'error'; message: string; parseError: boolean } & TallyState);

/**
 * One batch of records. Per record, `codes` holds a word of presence bits, then a number for the
 * type and for each present field that repeats across rows (times, threat type, family, tags,
 * confidence, reference): its entry in a dictionary that grows with the run, `dictionary` being
 * the entries added since the previous batch. `values` holds what is unique to a record (the
 * value) and anything the dictionary does not take. The codes travel as one typed array, which
 * is transferred rather than cloned, so cloning does little more than copy the values: cloning
 * an array of small values costs both threads most of what parsing them did.
 * A field present with the value `undefined` stays present: a batch unpacks to records
 * deep-equal to those packed.
 */
export interface PackedRecords {
  codes: Int32Array;
  values: unknown[];
  dictionary: unknown[];
}

/**
 * Presence bits of the optional fields, in this order: firstSeen, lastSeen, threatType,
 * malwareFamily, tags, confidence, referenceUrl, attackIds, attributes, dateSource.
 */
const present = (i: number): number => 1 << i;
const OPTIONAL_FIELDS = 10;
/** The field (or, at position TYPE, the type) went into `values` as it is. */
const asValue = (i: number): number => 1 << (OPTIONAL_FIELDS + 1 + i);
const TYPE = OPTIONAL_FIELDS;
/** `attributes` is an empty plain object (most records'): nothing travels. */
const NO_ATTRIBUTES = 1 << (2 * OPTIONAL_FIELDS + 2);
const DICTIONARY_MAX = 8192;
/** Words per record at most: bits, type, one per optional field. */
const MAX_WORDS = 2 + OPTIONAL_FIELDS;

/** Packs the records of one run, batch after batch (the parse thread's side). */
export class RecordPacker {
  private readonly codes = new Map<unknown, number>();
  /** Tag lists by their JSON, apart from the primitives so that no string can stand for a list. */
  private readonly tagCodes = new Map<string, number>();
  private size = 0;
  private added: unknown[] = [];
  /** Tag lists are coded by content; the last one by identity too (parsers reuse one list for many rows). */
  private lastTags: readonly unknown[] | null = null;
  private lastTagsCopy: unknown[] = [];
  private lastTagsCode = -1;

  pack(records: readonly SightingRecord[]): PackedRecords {
    const codes = new Int32Array(records.length * MAX_WORDS);
    const values: unknown[] = [];
    let k = 0;
    // field by field with constant keys: a key taken from a table makes every lookup generic
    for (const r of records) {
      const at = k++;
      let bits = this.code(codes, k++, values, r.type, TYPE);
      values.push(r.value);
      if ('firstSeen' in r) bits |= present(0) | this.code(codes, k++, values, r.firstSeen, 0);
      if ('lastSeen' in r) bits |= present(1) | this.code(codes, k++, values, r.lastSeen, 1);
      if ('threatType' in r) bits |= present(2) | this.code(codes, k++, values, r.threatType, 2);
      if ('malwareFamily' in r) bits |= present(3) | this.code(codes, k++, values, r.malwareFamily, 3);
      if ('tags' in r) bits |= present(4) | this.tagsCode(codes, k++, values, r.tags, 4);
      if ('confidence' in r) bits |= present(5) | this.code(codes, k++, values, r.confidence, 5);
      if ('referenceUrl' in r) bits |= present(6) | this.code(codes, k++, values, r.referenceUrl, 6);
      if ('attackIds' in r) {
        bits |= present(7) | asValue(7);
        values.push(r.attackIds);
        k++;
      }
      if ('attributes' in r) {
        bits |= present(8);
        if (isEmptyPlainObject(r.attributes)) bits |= NO_ATTRIBUTES;
        else {
          bits |= asValue(8);
          values.push(r.attributes);
          k++;
        }
      }
      if ('dateSource' in r) bits |= present(9) | this.code(codes, k++, values, r.dateSource, 9);
      codes[at] = bits;
    }
    const dictionary = this.added;
    this.added = [];
    return { codes: codes.slice(0, k), values, dictionary };
  }

  /** Writes the dictionary code of a primitive `v` at `k`; else puts `v` in `values` and returns its as-value bit. */
  private code(codes: Int32Array, k: number, values: unknown[], v: unknown, i: number): number {
    if ((typeof v === 'object' && v !== null) || typeof v === 'function' || typeof v === 'symbol') {
      values.push(v);
      return asValue(i);
    }
    const c = this.entry(this.codes, v, v);
    if (c === undefined) {
      values.push(v);
      return asValue(i);
    }
    codes[k] = c;
    return 0;
  }

  /** The code of `value` under `key` in `map`, entered now if new; undefined once the dictionary is full. */
  private entry<K>(map: Map<K, number>, key: K, value: unknown): number | undefined {
    let c = map.get(key);
    if (c === undefined) {
      if (this.size >= DICTIONARY_MAX) return undefined;
      c = this.enter(value);
      map.set(key, c);
    }
    return c;
  }

  private tagsCode(codes: Int32Array, k: number, values: unknown[], v: unknown, i: number): number {
    if (v === this.lastTags && sameItems(v as readonly unknown[], this.lastTagsCopy)) {
      codes[k] = this.lastTagsCode;
      return 0;
    }
    if (!isStringList(v)) {
      values.push(v);
      return asValue(i);
    }
    // a list of strings is named exactly by its JSON
    const c = this.entry(this.tagCodes, JSON.stringify(v), v);
    if (c === undefined) {
      values.push(v);
      return asValue(i);
    }
    this.lastTags = v;
    this.lastTagsCopy = v.slice();
    this.lastTagsCode = c;
    codes[k] = c;
    return 0;
  }

  private enter(v: unknown): number {
    this.added.push(v);
    return this.size++;
  }
}

/** Unpacks what one RecordPacker packed, batch after batch (the calling thread's side). */
export class RecordUnpacker {
  private readonly dictionary: unknown[] = [];

  private values: unknown[] = [];
  /** Next unread position in `values`. */
  private j = 0;

  unpack(packed: PackedRecords): SightingRecord[] {
    const dict = this.dictionary;
    for (const v of packed.dictionary) dict.push(v);
    const codes = packed.codes;
    this.values = packed.values;
    this.j = 0;
    const out: SightingRecord[] = [];
    let k = 0;
    // field by field rather than by a key table: records of one feed then share one object shape;
    // each present field takes one word, whether its code or a placeholder for a value
    while (k < codes.length) {
      const bits = codes[k++] as number;
      const type = this.take(bits, TYPE, codes[k++] as number);
      const r = { type, value: this.values[this.j++] } as SightingRecord;
      if (bits & present(0)) r.firstSeen = this.take(bits, 0, codes[k++] as number) as SightingRecord['firstSeen'];
      if (bits & present(1)) r.lastSeen = this.take(bits, 1, codes[k++] as number) as SightingRecord['lastSeen'];
      if (bits & present(2)) r.threatType = this.take(bits, 2, codes[k++] as number) as SightingRecord['threatType'];
      if (bits & present(3)) r.malwareFamily = this.take(bits, 3, codes[k++] as number) as SightingRecord['malwareFamily'];
      if (bits & present(4)) r.tags = this.take(bits, 4, codes[k++] as number) as SightingRecord['tags'];
      if (bits & present(5)) r.confidence = this.take(bits, 5, codes[k++] as number) as SightingRecord['confidence'];
      if (bits & present(6)) r.referenceUrl = this.take(bits, 6, codes[k++] as number) as SightingRecord['referenceUrl'];
      if (bits & present(7)) r.attackIds = this.take(bits, 7, codes[k++] as number) as SightingRecord['attackIds'];
      if (bits & present(8)) r.attributes = bits & NO_ATTRIBUTES ? {} : (this.take(bits, 8, codes[k++] as number) as SightingRecord['attributes']);
      if (bits & present(9)) r.dateSource = this.take(bits, 9, codes[k++] as number) as SightingRecord['dateSource'];
      out.push(r);
    }
    this.values = [];
    return out;
  }

  private take(bits: number, i: number, code: number): unknown {
    return bits & asValue(i) ? this.values[this.j++] : this.dictionary[code];
  }
}

function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function isStringList(v: unknown): v is string[] {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') return false;
  return true;
}

function isEmptyPlainObject(o: unknown): boolean {
  if (typeof o !== 'object' || o === null || Object.getPrototypeOf(o) !== Object.prototype) return false;
  for (const _key in o) return false;
  return true;
}
