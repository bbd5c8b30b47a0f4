/**
 * IP range tables for cidr warning lists: ranges sorted by start and merged, so that a lookup is
 * one binary search however long the list (the public-resolver list has 62k entries).
 */
import { ipv4Number } from '../network/address.ts';
import ipaddr from '../vendor/ipaddr.ts';

/**
 * Dotted-quad IPv4 (one to three digits an octet) to an unsigned 32-bit integer; null when not a
 * plain IPv4 address. The network tables' reader, which allocates nothing: every lookup of an
 * address asks it.
 */
export function ipv4ToInt(ip: string): number | null {
  const n = ipv4Number(ip);
  return n < 0 ? null : n;
}

/** `a.b.c.d` or `a.b.c.d/n` to an inclusive [start, end]; null when malformed. */
export function parseIpv4Range(entry: string): [number, number] | null {
  const slash = entry.indexOf('/');
  const base = ipv4ToInt(slash < 0 ? entry : entry.slice(0, slash));
  if (base === null) return null;
  let bits = 32;
  if (slash >= 0) {
    const n = entry.length;
    if (slash + 1 === n || n - slash - 1 > 2) return null;
    bits = 0;
    for (let j = slash + 1; j < n; j++) {
      const c = entry.charCodeAt(j);
      if (c < 48 || c > 57) return null;
      bits = bits * 10 + (c - 48);
    }
    if (bits > 32) return null;
  }
  const size = 2 ** (32 - bits);
  const start = base - (base % size);
  return [start, start + size - 1];
}

/** IPv6 (any case, any compression) to a 128-bit integer; null when not IPv6. */
export function ipv6ToBigInt(ip: string): bigint | null {
  if (!ip.includes(':') || !ipaddr.IPv6.isValid(ip)) return null;
  let n = 0n;
  for (const part of ipaddr.IPv6.parse(ip).parts) n = (n << 16n) | BigInt(part);
  return n;
}

export function parseIpv6Range(entry: string): [bigint, bigint] | null {
  const slash = entry.indexOf('/');
  const addr = ipv6ToBigInt(slash < 0 ? entry : entry.slice(0, slash));
  if (addr === null) return null;
  const bits = slash < 0 ? 128 : Number(entry.slice(slash + 1));
  if (!Number.isInteger(bits) || bits < 0 || bits > 128) return null;
  const size = 1n << BigInt(128 - bits);
  const start = addr - (addr % size);
  return [start, start + size - 1n];
}

/** One list's ranges sorted and merged, so that no two overlap (RangeSets searches them). */
export class RangeTable<N extends number | bigint> {
  private readonly starts: N[];
  private readonly ends: N[];

  constructor(ranges: [N, N][]) {
    const sorted = [...ranges].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    this.starts = [];
    this.ends = [];
    for (const [s, e] of sorted) {
      const last = this.ends.length - 1;
      // Merge overlapping ranges so that at most one range can hold an address.
      const lastEnd = this.ends[last];
      if (lastEnd !== undefined && s <= lastEnd) {
        if (e > lastEnd) this.ends[last] = e;
      } else {
        this.starts.push(s);
        this.ends.push(e);
      }
    }
  }

  get size(): number {
    return this.starts.length;
  }

  /** The merged ranges' starts and (inclusive) ends, ascending. */
  bounds(): { starts: readonly N[]; ends: readonly N[] } {
    return { starts: this.starts, ends: this.ends };
  }
}

/**
 * Several lists' range tables as one: the address line cut where any range starts or ends, each
 * piece naming the lists that hold it. Which lists hold an address is then one binary search,
 * however many lists there are, instead of one search a list.
 */
export class RangeSets<N extends number | bigint, T> {
  /**
   * Where each piece starts, ascending; a piece ends where the next starts. IPv4 starts are kept
   * in a Float64Array: in an array, numbers past 2^31 are boxed, and a search then follows a
   * pointer at each of its steps (a cache miss each, most of an IPv4 lookup's time here).
   */
  private readonly starts: ArrayLike<N>;
  /** The lists holding each piece, in the order the lists were given (shared between pieces). */
  private readonly sets: (readonly T[])[] = [];

  /** `after(n)` is n + 1 in N's arithmetic. */
  constructor(lists: readonly { item: T; table: RangeTable<N> }[], after: (n: N) => N) {
    // A merge of the lists' edges: each list's own are in order (its ranges are merged and
    // apart), so the next edge of all is the least of the lists' next ones.
    const k = lists.length;
    const tables = lists.map((l) => l.table.bounds());
    /** The index of each list's next edge: 2i opens its range i, 2i + 1 closes it (one past its end). */
    const head = new Array<number>(k).fill(0);
    const at = (j: number): N | undefined => {
      const { starts, ends } = tables[j]!;
      const h = head[j]!;
      if (h >= 2 * starts.length) return undefined;
      return h % 2 === 0 ? starts[h / 2] : after(ends[(h - 1) / 2]!);
    };
    const next = lists.map((_, j) => at(j));
    const open = new Array<boolean>(k).fill(false);
    // each set of lists, named by the indices of its lists, is one frozen array shared by its pieces
    const shared = new Map<string, readonly T[]>();
    const starts: N[] = [];
    for (;;) {
      let least: N | undefined;
      for (const n of next) if (n !== undefined && (least === undefined || n < least)) least = n;
      if (least === undefined) break;
      for (let j = 0; j < k; j++) {
        while (next[j] === least) {
          open[j] = head[j]! % 2 === 0;
          head[j]!++;
          next[j] = at(j);
        }
      }
      let key = '';
      for (let j = 0; j < k; j++) if (open[j]) key += `${j},`;
      let set = shared.get(key);
      if (set === undefined) shared.set(key, (set = Object.freeze(lists.filter((_, j) => open[j]).map((l) => l.item))));
      // a piece held by the same lists as the one before it only extends it
      if (this.sets[this.sets.length - 1] === set) continue;
      starts.push(least);
      this.sets.push(set);
    }
    this.starts = typeof starts[0] === 'number' ? (Float64Array.from(starts as number[]) as unknown as ArrayLike<N>) : starts;
  }

  /** The lists holding `ip`, in the order given (an empty list when none does). */
  find(ip: N): readonly T[] {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid]! <= ip) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi >= 0 ? this.sets[hi]! : NONE;
  }
}

const NONE: readonly never[] = Object.freeze([]);
