/**
 * The range index of the SQLite store. A range is kept as (family, prefix length, network start)
 * (see ../cidr.ts), so that "which ranges contain this IP" is one point lookup per prefix length
 * present in the data (at most 33 for IPv4, 129 for IPv6, ~20 in practice) instead of a scan
 * over every range whose start is below the address.
 */
import { networkKey, type Family, type ParsedIp } from '../cidr.ts';

/**
 * The range keys held in memory, per family and prefix length, so that the usual answer —
 * no range contains this address — costs a few set probes and no query. Rebuilt when the
 * store's ranges version moves (a run added ranges, or a purge removed some).
 */
export class RangeIndex {
  private readonly byFamily = new Map<Family, { prefixes: number[]; starts: Map<number, Set<string>> }>();

  constructor(
    readonly version: number,
    keys: Iterable<{ family: number; prefix: number; start: string }>,
  ) {
    for (const k of keys) {
      const family = k.family as Family;
      let f = this.byFamily.get(family);
      if (f === undefined) this.byFamily.set(family, (f = { prefixes: [], starts: new Map() }));
      let starts = f.starts.get(k.prefix);
      if (starts === undefined) {
        f.starts.set(k.prefix, (starts = new Set()));
        f.prefixes.push(k.prefix);
      }
      starts.add(k.start);
    }
    for (const f of this.byFamily.values()) f.prefixes.sort((a, b) => b - a); // most specific first
  }

  /** The (prefix, network start) pairs of stored ranges that contain `ip`. */
  containing(ip: ParsedIp): { prefix: number; start: string }[] {
    const f = this.byFamily.get(ip.family);
    if (f === undefined) return [];
    const out: { prefix: number; start: string }[] = [];
    for (const prefix of f.prefixes) {
      const start = networkKey(ip, prefix);
      if (f.starts.get(prefix)?.has(start) === true) out.push({ prefix, start });
    }
    return out;
  }
}
