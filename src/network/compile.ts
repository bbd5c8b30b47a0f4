/**
 * Source rows → the compact tables: overlaps resolved, AS entries and names deduplicated,
 * countries indexed. Pure; the build (build.ts) feeds it the @ip-location-db packages' rows.
 */
import type { NetworkTables, TableSource } from './format.ts';
import { TABLE_FORMAT } from './format.ts';
import { flattenRanges, toRangeTable, type SourceRange } from './ranges.ts';

export interface AsRow {
  start: bigint;
  end: bigint;
  asn: number;
  name: string;
}

export interface CountryRow {
  start: bigint;
  end: bigint;
  country: string;
}

export interface CompileInput {
  asn: TableSource;
  country: TableSource;
  as4: readonly AsRow[];
  as6: readonly AsRow[];
  cc4: readonly CountryRow[];
  cc6: readonly CountryRow[];
}

/** `2.3.2026061719` → `2026-06-17`: the packages are versioned by the date their data was made. */
export function dateOfVersion(version: string): string | null {
  const m = /^\d+\.\d+\.(\d{4})(\d{2})(\d{2})\d{2}$/.exec(version);
  if (m === null) return null;
  const date = `${m[1]}-${m[2]}-${m[3]}`;
  return Number.isNaN(Date.parse(`${date}T00:00:00Z`)) ? null : date;
}

/** Indexes of distinct keys, in first-seen order. */
class Interned<K> {
  readonly list: K[] = [];
  readonly #ids = new Map<K, number>();
  id(key: K): number {
    let i = this.#ids.get(key);
    if (i === undefined) {
      i = this.list.length;
      this.#ids.set(key, i);
      this.list.push(key);
    }
    return i;
  }
}

export function compileTables(input: CompileInput): NetworkTables {
  const names = new Interned<string>();
  const entries = new Interned<string>();
  const entryOf = (r: AsRow): number => entries.id(`${r.asn}\u0000${names.id(r.name)}`);
  const countries = new Interned<string>();

  const asRanges = (rows: readonly AsRow[]): SourceRange[] => flattenRanges(rows.map((r) => ({ start: r.start, end: r.end, value: entryOf(r) })));
  const ccRanges = (rows: readonly CountryRow[]): SourceRange[] => flattenRanges(rows.map((r) => ({ start: r.start, end: r.end, value: countries.id(r.country) })));
  const as4 = asRanges(input.as4);
  const as6 = asRanges(input.as6);
  const cc4 = ccRanges(input.cc4);
  const cc6 = ccRanges(input.cc6);

  const asNumbers = new Uint32Array(entries.list.length);
  const asNameIds = new Uint32Array(entries.list.length);
  entries.list.forEach((key, i) => {
    const [asn, name] = key.split('\u0000');
    asNumbers[i] = Number(asn);
    asNameIds[i] = Number(name);
  });
  const encoded = names.list.map((n) => Buffer.from(n, 'utf8'));
  const nameOffsets = new Uint32Array(encoded.length + 1);
  encoded.forEach((b, i) => (nameOffsets[i + 1] = nameOffsets[i]! + b.length));
  const nameBytes = new Uint8Array(nameOffsets[encoded.length]!);
  encoded.forEach((b, i) => nameBytes.set(b, nameOffsets[i]!));

  return {
    header: {
      format: TABLE_FORMAT,
      asn: input.asn,
      country: input.country,
      countries: countries.list,
      counts: {
        as4_rows: input.as4.length,
        as6_rows: input.as6.length,
        cc4_rows: input.cc4.length,
        cc6_rows: input.cc6.length,
        as4_ranges: as4.length,
        as6_ranges: as6.length,
        cc4_ranges: cc4.length,
        cc6_ranges: cc6.length,
        as_entries: entries.list.length,
        as_names: names.list.length,
      },
      sections: [],
    },
    as4: toRangeTable(as4, 1, 32),
    as6: toRangeTable(as6, 4, 32),
    cc4: toRangeTable(cc4, 1, 16),
    cc6: toRangeTable(cc6, 4, 16),
    asNumbers,
    asNameIds,
    nameOffsets,
    nameBytes,
  };
}
