/**
 * Range tables: sorted, non-overlapping inclusive ranges in typed arrays, each with a value index,
 * searched by binary search. IPv4 ranges take one 32-bit word per bound, IPv6 ranges four (most
 * significant first), so a table of 400,000 ranges is a few megabytes and no objects.
 *
 * `flattenRanges` turns a source's rows, which may overlap (the @ip-location-db tables nest a few
 * thousand narrower ranges inside wider ones), into such a table: where ranges overlap, the
 * narrowest one holding an address wins (later rows win ties), and adjacent ranges with the same
 * value are merged.
 */

export interface RangeTable {
  /** 1 for IPv4, 4 for IPv6: words per bound. */
  readonly width: 1 | 4;
  /** Range starts, `width` words each, ascending. */
  readonly starts: Uint32Array;
  /** Range ends (inclusive), in step with `starts`. */
  readonly ends: Uint32Array;
  /** Value index of each range. */
  readonly values: Uint32Array | Uint16Array;
  /**
   * `first[b]`: how many ranges start below the address block `b` (the address's top 16 bits), for
   * b = 0 … 65536. A search starts inside its block's ranges (a few, usually) instead of the whole
   * table: fewer steps, and fewer of them miss the processor's cache.
   */
  readonly first: Uint32Array;
}

/** The ranges and their block index (see `first`), built in one pass. */
export function indexedTable(width: 1 | 4, starts: Uint32Array, ends: Uint32Array, values: Uint32Array | Uint16Array): RangeTable {
  const first = new Uint32Array(65537);
  const n = values.length;
  let i = 0;
  for (let b = 0; b <= 65536; b++) {
    while (i < n && starts[i * width]! >>> 16 < b) i++;
    first[b] = i;
  }
  return { width, starts, ends, values, first };
}

/** Index of the IPv4 range holding `ip`, or -1. */
export function findIpv4(t: RangeTable, ip: number): number {
  const starts = t.starts;
  const block = ip >>> 16;
  // every range before lo starts below ip's block, every range from hi on above it
  let lo = t.first[block]!;
  let hi = t.first[block + 1]!;
  // first range starting after ip
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid]! <= ip) lo = mid + 1;
    else hi = mid;
  }
  const i = lo - 1;
  return i >= 0 && ip <= t.ends[i]! ? i : -1;
}

/** -1, 0 or 1 as the four words at `a[at..]` compare with `w`. */
function compareAt(a: Uint32Array, at: number, w: Uint32Array): number {
  for (let k = 0; k < 4; k++) {
    const x = a[at + k]!;
    const y = w[k]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Index of the IPv6 range holding the address `w` (four words), or -1. */
export function findIpv6(t: RangeTable, w: Uint32Array): number {
  const starts = t.starts;
  const block = w[0]! >>> 16;
  let lo = t.first[block]!;
  let hi = t.first[block + 1]!;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareAt(starts, mid * 4, w) <= 0) lo = mid + 1;
    else hi = mid;
  }
  const i = lo - 1;
  return i >= 0 && compareAt(t.ends, i * 4, w) >= 0 ? i : -1;
}

/** One row of a source table: an inclusive range and the index of its value. */
export interface SourceRange {
  start: bigint;
  end: bigint;
  value: number;
}

interface Open extends SourceRange {
  size: bigint;
  order: number;
}

/**
 * Non-overlapping ranges, ascending, from rows in any order: each address takes the value of the
 * narrowest row holding it (of equally narrow rows, the later one), and neighbours with the same
 * value are merged. Rows with end < start are an error.
 */
export function flattenRanges(rows: readonly SourceRange[]): SourceRange[] {
  const ordered = rows.map((r, order): Open => {
    if (r.end < r.start) throw new RangeError(`range ends before it starts: ${r.start}-${r.end}`);
    return { ...r, size: r.end - r.start, order };
  });
  // outer ranges before the ranges they hold
  ordered.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.end > b.end ? -1 : a.end < b.end ? 1 : a.order - b.order));
  const out: SourceRange[] = [];
  const emit = (start: bigint, end: bigint, value: number): void => {
    const last = out[out.length - 1];
    if (last !== undefined && last.value === value && last.end + 1n === start) last.end = end;
    else out.push({ start, end, value });
  };
  // the ranges holding `cursor` (rarely more than one or two)
  let open: Open[] = [];
  let cursor = 0n;
  /** Emits what the open ranges cover from `cursor` up to `limit` (inclusive). */
  const emitUntil = (limit: bigint): void => {
    while (cursor <= limit) {
      open = open.filter((r) => r.end >= cursor);
      if (open.length === 0) return;
      let best = open[0]!;
      for (const r of open) if (r.size < best.size || (r.size === best.size && r.order > best.order)) best = r;
      // the winner holds until it ends: another row ending first leaves it the narrowest
      const end = best.end < limit ? best.end : limit;
      emit(cursor, end, best.value);
      cursor = end + 1n;
    }
  };
  for (const r of ordered) {
    emitUntil(r.start - 1n);
    cursor = r.start;
    open.push(r);
  }
  emitUntil((1n << 128n) - 1n);
  return out;
}

/** Typed arrays of flattened ranges (`width` 1 for IPv4, 4 for IPv6). */
export function toRangeTable(ranges: readonly SourceRange[], width: 1 | 4, valueBits: 16 | 32): RangeTable {
  const starts = new Uint32Array(ranges.length * width);
  const ends = new Uint32Array(ranges.length * width);
  const values = valueBits === 16 ? new Uint16Array(ranges.length) : new Uint32Array(ranges.length);
  ranges.forEach((r, i) => {
    if (valueBits === 16 && r.value > 0xffff) throw new RangeError(`value index ${r.value} does not fit 16 bits`);
    values[i] = r.value;
    if (width === 1) {
      if (r.end > 0xffffffffn) throw new RangeError(`not an IPv4 range: ${r.start}-${r.end}`);
      starts[i] = Number(r.start);
      ends[i] = Number(r.end);
    } else {
      for (let k = 0; k < 4; k++) {
        const shift = BigInt(96 - 32 * k);
        starts[i * 4 + k] = Number((r.start >> shift) & 0xffffffffn);
        ends[i * 4 + k] = Number((r.end >> shift) & 0xffffffffn);
      }
    }
  });
  return indexedTable(width, starts, ends, values);
}
