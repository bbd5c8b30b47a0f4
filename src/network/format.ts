/**
 * The network table's file (data/network/ip-network.bin): what the build derives from the
 * @ip-location-db packages, in a form that loads without parsing. Little-endian:
 *
 *   "VNET"  u32 format  u32 header length  header (JSON, UTF-8)  padding to 8
 *   then each section of `header.sections`, in order, each padded to 8 bytes
 *
 * Sections are typed arrays (u32, u16 or u8) that the loader views in place: loading the table is
 * one file read and a few views, however many ranges it holds.
 */
import { indexedTable, type RangeTable } from './ranges.ts';

export const TABLE_FORMAT = 1;
const MAGIC = 0x54454e56; // "VNET" read as a little-endian u32

/** Where one table came from. */
export interface TableSource {
  /** npm package name. */
  package: string;
  version: string;
  /** The data's date, from the package version (`2.3.YYYYMMDDHH`): `YYYY-MM-DD`, or null when it does not say. */
  asOf: string | null;
  license: string;
}

export interface TableHeader {
  format: number;
  asn: TableSource;
  country: TableSource;
  /** Country codes; the country tables' values index this list. */
  countries: string[];
  /** Rows read from each source file and ranges kept after resolving overlaps, for the record. */
  counts: Record<string, number>;
  sections: { name: SectionName; kind: 'u32' | 'u16' | 'u8'; length: number }[];
}

/** The whole table in memory: four range tables and the AS entries their values point at. */
export interface NetworkTables {
  header: TableHeader;
  /** IPv4 and IPv6 ranges to AS entries. */
  as4: RangeTable;
  as6: RangeTable;
  /** IPv4 and IPv6 ranges to countries (`header.countries`). */
  cc4: RangeTable;
  cc6: RangeTable;
  /** Per AS entry: its number and the index of its name. */
  asNumbers: Uint32Array;
  asNameIds: Uint32Array;
  /** Names, deduplicated: name i is the UTF-8 bytes nameBytes[nameOffsets[i] .. nameOffsets[i+1]). */
  nameOffsets: Uint32Array;
  nameBytes: Uint8Array;
}

const SECTIONS = [
  ['as4.starts', 'u32'],
  ['as4.ends', 'u32'],
  ['as4.values', 'u32'],
  ['as6.starts', 'u32'],
  ['as6.ends', 'u32'],
  ['as6.values', 'u32'],
  ['cc4.starts', 'u32'],
  ['cc4.ends', 'u32'],
  ['cc6.starts', 'u32'],
  ['cc6.ends', 'u32'],
  ['as.numbers', 'u32'],
  ['as.names', 'u32'],
  ['names.offsets', 'u32'],
  ['cc4.values', 'u16'],
  ['cc6.values', 'u16'],
  ['names.bytes', 'u8'],
] as const;
type SectionName = (typeof SECTIONS)[number][0];

export class NetworkTableError extends Error {
  constructor(message: string) {
    super(`network table: ${message}`);
    this.name = 'NetworkTableError';
  }
}

function arraysOf(t: NetworkTables): Record<SectionName, Uint32Array | Uint16Array | Uint8Array> {
  return {
    'as4.starts': t.as4.starts,
    'as4.ends': t.as4.ends,
    'as4.values': t.as4.values,
    'as6.starts': t.as6.starts,
    'as6.ends': t.as6.ends,
    'as6.values': t.as6.values,
    'cc4.starts': t.cc4.starts,
    'cc4.ends': t.cc4.ends,
    'cc6.starts': t.cc6.starts,
    'cc6.ends': t.cc6.ends,
    'as.numbers': t.asNumbers,
    'as.names': t.asNameIds,
    'names.offsets': t.nameOffsets,
    'cc4.values': t.cc4.values,
    'cc6.values': t.cc6.values,
    'names.bytes': t.nameBytes,
  };
}

const pad8 = (n: number): number => (n + 7) & ~7;

export function encodeTables(t: NetworkTables): Buffer {
  if (!isLittleEndian()) throw new NetworkTableError('the table format is little-endian; this machine is not');
  const arrays = arraysOf(t);
  const header: TableHeader = {
    ...t.header,
    format: TABLE_FORMAT,
    sections: SECTIONS.map(([name, kind]) => ({ name, kind, length: arrays[name].length })),
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  let size = pad8(12 + json.length);
  for (const [name] of SECTIONS) size += pad8(arrays[name].byteLength);
  const out = Buffer.alloc(size);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(TABLE_FORMAT, 4);
  out.writeUInt32LE(json.length, 8);
  json.copy(out, 12);
  let at = pad8(12 + json.length);
  for (const [name] of SECTIONS) {
    const a = arrays[name];
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += pad8(a.byteLength);
  }
  return out;
}

/** The header alone (the build reads it to tell whether the file is current). */
export function readHeader(buf: Uint8Array): TableHeader {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 12 || b.readUInt32LE(0) !== MAGIC) throw new NetworkTableError('not a network table file');
  const format = b.readUInt32LE(4);
  if (format !== TABLE_FORMAT) throw new NetworkTableError(`format ${format}, this version reads format ${TABLE_FORMAT}: rebuild it (npm run build)`);
  const length = b.readUInt32LE(8);
  if (12 + length > b.length) throw new NetworkTableError('the file is cut short');
  try {
    return JSON.parse(b.toString('utf8', 12, 12 + length)) as TableHeader;
  } catch (cause) {
    throw new NetworkTableError(`unreadable header: ${(cause as Error).message}`);
  }
}

/** Views the file's sections in place (the buffer is copied once if it is not 8-byte aligned). */
export function decodeTables(input: Uint8Array): NetworkTables {
  if (!isLittleEndian()) throw new NetworkTableError('the table format is little-endian; this machine is not');
  const header = readHeader(input);
  const buf = input.byteOffset % 8 === 0 ? input : new Uint8Array(input);
  const byName = new Map(header.sections.map((s) => [s.name, s]));
  let at = pad8(12 + Buffer.from(buf.buffer, buf.byteOffset, 12).readUInt32LE(8));
  const views = {} as Record<SectionName, Uint32Array | Uint16Array | Uint8Array>;
  for (const [name, kind] of SECTIONS) {
    const s = byName.get(name);
    if (s === undefined || s.kind !== kind || !Number.isInteger(s.length) || s.length < 0) throw new NetworkTableError(`section ${name} is missing or malformed`);
    const bytes = s.length * (kind === 'u32' ? 4 : kind === 'u16' ? 2 : 1);
    if (at + bytes > buf.byteLength) throw new NetworkTableError('the file is cut short');
    const offset = buf.byteOffset + at;
    views[name] = kind === 'u32' ? new Uint32Array(buf.buffer, offset, s.length) : kind === 'u16' ? new Uint16Array(buf.buffer, offset, s.length) : new Uint8Array(buf.buffer, offset, s.length);
    at += pad8(bytes);
  }
  const u32 = (name: SectionName): Uint32Array => views[name] as Uint32Array;
  const u16 = (name: SectionName): Uint16Array => views[name] as Uint16Array;
  const table = (width: 1 | 4, starts: Uint32Array, ends: Uint32Array, values: Uint32Array | Uint16Array): RangeTable => {
    if (starts.length !== values.length * width || ends.length !== starts.length) throw new NetworkTableError('range bounds and values differ in length');
    return indexedTable(width, starts, ends, values);
  };
  const t: NetworkTables = {
    header,
    as4: table(1, u32('as4.starts'), u32('as4.ends'), u32('as4.values')),
    as6: table(4, u32('as6.starts'), u32('as6.ends'), u32('as6.values')),
    cc4: table(1, u32('cc4.starts'), u32('cc4.ends'), u16('cc4.values')),
    cc6: table(4, u32('cc6.starts'), u32('cc6.ends'), u16('cc6.values')),
    asNumbers: u32('as.numbers'),
    asNameIds: u32('as.names'),
    nameOffsets: u32('names.offsets'),
    nameBytes: views['names.bytes'] as Uint8Array,
  };
  checkShapes(t);
  return t;
}

/** The largest value, or -1 (a plain loop: these arrays hold up to half a million values). */
function maxOf(a: Uint32Array | Uint16Array): number {
  let m = -1;
  for (let i = 0; i < a.length; i++) if (a[i]! > m) m = a[i]!;
  return m;
}

/** Indexes point inside their tables, so that a lookup can never read past an array. */
function checkShapes(t: NetworkTables): void {
  const entries = t.asNumbers.length;
  if (t.asNameIds.length !== entries) throw new NetworkTableError('AS numbers and names differ in length');
  const names = t.nameOffsets.length - 1;
  if (names < 0 || t.nameOffsets[names] !== t.nameBytes.length) throw new NetworkTableError('the name table does not match its bytes');
  if (maxOf(t.asNameIds) >= names) throw new NetworkTableError('an AS entry names a name that is not there');
  if (Math.max(maxOf(t.as4.values), maxOf(t.as6.values)) >= entries) throw new NetworkTableError('a range names an AS entry that is not there');
  const countries = t.header.countries.length;
  if (Math.max(maxOf(t.cc4.values), maxOf(t.cc6.values)) >= countries) throw new NetworkTableError('a range names a country that is not there');
}

function isLittleEndian(): boolean {
  return new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
}
