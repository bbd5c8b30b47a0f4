/**
 * extractFromDocument: `extract()` over every part of a document, each indicator mapped back to
 * its part (and page) with offsets in that part's text, and its source: the part's, or a span's
 * where the indicator lies in a link target written into an HTML text. Attachment digests
 * follow as `md5`/`sha1`/`sha256` indicators with `source: 'attachment'`.
 *
 * Consecutive pages of a PDF are read as one text (joined by a blank line), so a references
 * section that runs onto the next page is still one; a long text is read in slices of 128K
 * characters cut at a line break, and the indicators come in batches, one per slice or run of
 * pages, so that those of a 50 MB file need not be held all at once.
 */
import { extract, ExtractMemo, type ExtractOptions, type ExtractedIndicator, type StoredType } from '../indicators/index.ts';
import { DistinctIndicators, type DistinctIndicator } from './distinct.ts';
import type { Document, DocumentIndicator, DocumentPart, IndicatorSource, PartSource } from './types.ts';

/**
 * Parts read for some types only: the names in `Received:` headers are mostly the receiving
 * side's own relays and the sender's claims about itself; the addresses are what was connected from.
 */
const PART_TYPES: Partial<Record<PartSource, ReadonlySet<StoredType>>> = { received: new Set<StoredType>(['ipv4', 'ipv6']) };
/** Parts read only where their spans are: a PDF's link part repeats the page's text as its labels. */
const SPANS_ONLY: ReadonlySet<PartSource> = new Set<PartSource>(['pdf-link']);

/**
 * About how many characters one call of `extract()` reads. Small enough that what one call
 * allocates dies young (a 50 MB text is read in well under 300 MB), large enough for a references
 * section or a listing to stay in one piece.
 */
export const SLICE = 128 * 1024;
const PAGE_JOIN = '\n\n';
const DASH_AT_END = /[-\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]\r?$/;

/** A stretch of one part inside a unit's text. */
interface Segment {
  part: number;
  /** Where the stretch starts in the unit's text, and in the part's text. */
  at: number;
  from: number;
  length: number;
}

/** One text `extract()` reads: a slice of a part, or several whole pages. */
export interface Unit {
  text: string;
  segments: Segment[];
}

/** Where a slice of `text` starting at `from` ends: after a line break past SLICE characters (not after a dash: `CVE-2024-⏎3400`). */
function sliceEnd(text: string, from: number): number {
  if (text.length - from <= SLICE) return text.length;
  for (let nl = text.indexOf('\n', from + SLICE); nl !== -1; nl = text.indexOf('\n', nl + 1)) {
    if (!DASH_AT_END.test(text.slice(Math.max(from, nl - 2), nl))) return nl + 1;
  }
  return text.length;
}

/** The units of a document, in order: consecutive pages together (up to about SLICE characters), long parts sliced. */
export function* documentUnits(parts: readonly DocumentPart[]): Generator<Unit> {
  let pages: Segment[] = [];
  let pageChars = 0;
  // a PDF's link parts sit between its pages: read after the run of pages they belong to
  let links: number[] = [];
  const flushPages = function* (): Generator<Unit> {
    if (pages.length > 0) yield { text: pages.map((s) => (parts[s.part] as DocumentPart).text).join(PAGE_JOIN), segments: pages };
    for (const i of links) yield* partUnits(parts, i);
    pages = [];
    links = [];
    pageChars = 0;
  };
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as DocumentPart;
    if (part.source === 'page' && part.text.length <= SLICE) {
      // a page of the same document as the pages before it (not of an attachment's)
      const previous = pages.length > 0 ? parts[(pages[pages.length - 1] as Segment).part] : undefined;
      if (previous !== undefined && (pageChars + part.text.length > SLICE || (previous.within ?? []).join('\u0000') !== (part.within ?? []).join('\u0000'))) yield* flushPages();
      const at = pages.length === 0 ? 0 : pageChars + PAGE_JOIN.length;
      pages.push({ part: i, at, from: 0, length: part.text.length });
      pageChars = at + part.text.length;
      continue;
    }
    if (part.source === 'pdf-link' && pages.length > 0) {
      links.push(i);
      continue;
    }
    yield* flushPages();
    yield* partUnits(parts, i);
  }
  yield* flushPages();
}

/** One part in slices. */
function* partUnits(parts: readonly DocumentPart[], i: number): Generator<Unit> {
  const text = (parts[i] as DocumentPart).text;
  for (let from = 0; from < text.length; ) {
    const end = sliceEnd(text, from);
    yield { text: from === 0 && end === text.length ? text : text.slice(from, end), segments: [{ part: i, at: 0, from, length: end - from }] };
    from = end;
  }
}

/** The segment holding offset `pos` of a unit's text (the last one starting at or before it). */
function segmentAt(segments: readonly Segment[], pos: number): Segment {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((segments[mid] as Segment).at <= pos) lo = mid;
    else hi = mid - 1;
  }
  return segments[lo] as Segment;
}

/** The source of `[start, end)` in a part: a span's when a span holds it, else the part's (null when the part is read in its spans only). */
function sourceAt(part: DocumentPart, start: number, end: number): IndicatorSource | null {
  const spans = part.spans;
  const fallback = SPANS_ONLY.has(part.source) ? null : part.source;
  if (spans === undefined || spans.length === 0) return fallback;
  let lo = 0;
  let hi = spans.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = spans[mid]!;
    if (start < s.start) hi = mid - 1;
    else if (start >= s.end) lo = mid + 1;
    else return end <= s.end ? s.source : fallback;
  }
  return fallback;
}

/**
 * Each indicator of one unit that its part keeps, with its offsets in that part: `visit` gets the
 * extracted indicator, its part's index, its offsets in the part and its source.
 */
function forEachInUnit(parts: readonly DocumentPart[], unit: Unit, options: ExtractOptions, visit: (x: ExtractedIndicator, part: number, start: number, end: number, source: IndicatorSource) => void): void {
  const found: ExtractedIndicator[] = extract(unit.text, options);
  const single = unit.segments.length === 1 ? unit.segments[0] : undefined;
  for (let k = 0; k < found.length; k++) {
    const x = found[k] as ExtractedIndicator;
    const seg = single ?? segmentAt(unit.segments, x.start);
    const part = parts[seg.part] as DocumentPart;
    if (PART_TYPES[part.source]?.has(x.type) === false) continue;
    const start = x.start - seg.at + seg.from;
    const end = Math.min(x.end - seg.at, seg.length) + seg.from;
    const source = sourceAt(part, start, end);
    if (source === null) continue;
    visit(x, seg.part, start, end, source);
  }
}

/** The indicators of one unit, mapped to their parts. */
export function unitIndicators(parts: readonly DocumentPart[], unit: Unit, options: ExtractOptions = {}): DocumentIndicator[] {
  const out: DocumentIndicator[] = [];
  forEachInUnit(parts, unit, options, (x, index, start, end, source) => {
    const part = parts[index] as DocumentPart;
    const item: DocumentIndicator = { type: x.type, value: x.value, role: x.role, source };
    if (part.page !== undefined) item.page = part.page;
    if (part.within !== undefined) item.within = part.within;
    item.part = index;
    item.start = start;
    item.end = end;
    if (x.partOf) item.partOf = x.partOf;
    out.push(item);
  });
  return out;
}

/** The digests of a document's attachments as file-hash indicators. */
export function attachmentIndicators(document: Document, options: ExtractOptions = {}): DocumentIndicator[] {
  const wanted = options.types ? new Set(options.types) : null;
  const out: DocumentIndicator[] = [];
  for (const a of document.attachments) {
    for (const type of ['md5', 'sha1', 'sha256'] as const) {
      if (wanted !== null && !wanted.has(type)) continue;
      const item: DocumentIndicator = { type, value: a[type], role: 'indicator', source: 'attachment', attachment: a.name };
      if (a.within !== undefined) item.within = a.within;
      out.push(item);
    }
  }
  return out;
}

/** The indicators of a document in batches (one per unit, then the attachments'), in document order. */
export function* documentIndicators(document: Document, options: ExtractOptions = {}): Generator<DocumentIndicator[]> {
  const shared: ExtractOptions = { ...options, memo: options.memo ?? new ExtractMemo() };
  for (const unit of documentUnits(document.parts)) yield unitIndicators(document.parts, unit, shared);
  const digests = attachmentIndicators(document, options);
  if (digests.length > 0) yield digests;
}

/** Each indicator of a document once (see DistinctIndicators), its attachments' digests last. */
export function documentDistinct(document: Document, options: ExtractOptions = {}): DistinctIndicator[] {
  const shared: ExtractOptions = { ...options, memo: options.memo ?? new ExtractMemo() };
  const distinct = new DistinctIndicators();
  const add = (x: ExtractedIndicator): void => distinct.addOne(x);
  for (const unit of documentUnits(document.parts)) forEachInUnit(document.parts, unit, shared, add);
  return distinct.add(attachmentIndicators(document, options)).list();
}

/** Every indicator of a document, with where it came from. */
export function extractFromDocument(document: Document, options: ExtractOptions = {}): DocumentIndicator[] {
  const out: DocumentIndicator[] = [];
  for (const batch of documentIndicators(document, options)) for (const x of batch) out.push(x);
  return out;
}
