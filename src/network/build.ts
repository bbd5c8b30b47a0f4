/**
 * Build step: data/network/ip-network.bin from the pinned @ip-location-db packages (development
 * dependencies: their CSV files, ~115 MB unpacked, are read here and never at run time). Runs from
 * `npm run build` (scripts/build-network.mjs) and does nothing when the file already holds the
 * installed versions. Refreshing the data is bumping the two packages' versions.
 */
import { closeSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { compileTables, dateOfVersion, type AsRow, type CountryRow } from './compile.ts';
import { encodeTables, readHeader, TABLE_FORMAT, type TableHeader, type TableSource } from './format.ts';

export const ASN_PACKAGE = '@ip-location-db/asn';
export const COUNTRY_PACKAGE = '@ip-location-db/geo-whois-asn-country';

/** The packages' files this build reads (numeric forms: no address parsing). */
export const SOURCE_FILES = {
  as4: [ASN_PACKAGE, 'asn-ipv4-num.csv'],
  as6: [ASN_PACKAGE, 'asn-ipv6-num.csv'],
  cc4: [COUNTRY_PACKAGE, 'geo-whois-asn-country-ipv4-num.csv'],
  cc6: [COUNTRY_PACKAGE, 'geo-whois-asn-country-ipv6-num.csv'],
} as const;

const LICENSES: Record<string, string> = {
  [ASN_PACKAGE]: 'CC BY 4.0 (RouteViews, the RIRs through NRO, DB-IP IP to ASN Lite)',
  // package.json says CC0; its README credits the RIRs' data to NRO under CC BY 4.0, so it is attributed too
  [COUNTRY_PACKAGE]: 'CC0 1.0 (the package); the RIRs\' data through NRO, CC BY 4.0',
};

export class NetworkBuildError extends Error {
  constructor(message: string) {
    super(`network table build: ${message}`);
    this.name = 'NetworkBuildError';
  }
}

export interface BuildOptions {
  /** The file to write. */
  out: string;
  /** Rebuild even when the file holds the installed versions. */
  force?: boolean;
  /** The folder of an installed package, or null when it is not installed (default: node's resolution from here). */
  packageDir?: (name: string) => string | null;
}

export type BuildOutcome =
  | { status: 'built'; header: TableHeader; bytes: number; ms: number }
  | { status: 'current'; header: TableHeader }
  | { status: 'missing'; packages: string[] };

const require = createRequire(import.meta.url);

function installedDir(name: string): string | null {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    return null;
  }
}

function sourceOf(name: string, dir: string): TableSource {
  const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: unknown }).version;
  if (typeof version !== 'string') throw new NetworkBuildError(`${name} has no version in its package.json`);
  return { package: name, version, asOf: dateOfVersion(version), license: LICENSES[name] ?? 'see the package' };
}

/** The header of an existing table file, or null when there is none or it cannot be read. */
function existingHeader(path: string): TableHeader | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const head = Buffer.alloc(256 * 1024);
    const n = readSync(fd, head, 0, head.length, 0);
    return readHeader(head.subarray(0, n));
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

const DECIMAL = /^\d{1,39}$/;
const COUNTRY = /^[A-Z]{2}$/;

function rowsOf(file: string): string[][] {
  try {
    return parse(readFileSync(file), { relax_column_count: true, skip_empty_lines: true }) as string[][];
  } catch (cause) {
    throw new NetworkBuildError(`cannot read ${file}: ${(cause as Error).message}`);
  }
}

function bound(v: string | undefined, file: string, line: number, max: bigint): bigint {
  if (v === undefined || !DECIMAL.test(v)) throw new NetworkBuildError(`${file} line ${line}: ${JSON.stringify(v)} is not an address number`);
  const n = BigInt(v);
  if (n > max) throw new NetworkBuildError(`${file} line ${line}: ${v} is out of range`);
  return n;
}

/** `start,end,asn,name` rows. */
export function readAsRows(file: string, family: 4 | 6): AsRow[] {
  const max = family === 4 ? 0xffffffffn : (1n << 128n) - 1n;
  return rowsOf(file).map((r, i) => {
    const line = i + 1;
    if (r.length !== 4) throw new NetworkBuildError(`${file} line ${line}: ${r.length} fields, expected start,end,asn,name`);
    const asn = r[2] as string;
    if (!/^\d{1,10}$/.test(asn) || Number(asn) > 0xffffffff) throw new NetworkBuildError(`${file} line ${line}: ${JSON.stringify(asn)} is not an AS number`);
    return { start: bound(r[0], file, line, max), end: bound(r[1], file, line, max), asn: Number(asn), name: (r[3] as string).trim() };
  });
}

/** `start,end,country` rows. */
export function readCountryRows(file: string, family: 4 | 6): CountryRow[] {
  const max = family === 4 ? 0xffffffffn : (1n << 128n) - 1n;
  return rowsOf(file).map((r, i) => {
    const line = i + 1;
    if (r.length !== 3) throw new NetworkBuildError(`${file} line ${line}: ${r.length} fields, expected start,end,country`);
    const country = r[2] as string;
    if (!COUNTRY.test(country)) throw new NetworkBuildError(`${file} line ${line}: ${JSON.stringify(country)} is not a two-letter country code`);
    return { start: bound(r[0], file, line, max), end: bound(r[1], file, line, max), country };
  });
}

export function buildNetworkTable(opts: BuildOptions): BuildOutcome {
  const dirOf = opts.packageDir ?? installedDir;
  const asnDir = dirOf(ASN_PACKAGE);
  const countryDir = dirOf(COUNTRY_PACKAGE);
  const missing = [asnDir === null ? ASN_PACKAGE : null, countryDir === null ? COUNTRY_PACKAGE : null].filter((x): x is string => x !== null);
  if (asnDir === null || countryDir === null) return { status: 'missing', packages: missing };
  const asn = sourceOf(ASN_PACKAGE, asnDir);
  const country = sourceOf(COUNTRY_PACKAGE, countryDir);

  const have = opts.force ? null : existingHeader(opts.out);
  if (have !== null && have.format === TABLE_FORMAT && have.asn?.version === asn.version && have.country?.version === country.version) {
    return { status: 'current', header: have };
  }

  const t0 = performance.now();
  const file = (key: keyof typeof SOURCE_FILES): string => join(SOURCE_FILES[key][0] === ASN_PACKAGE ? asnDir : countryDir, SOURCE_FILES[key][1]);
  const tables = compileTables({
    asn,
    country,
    as4: readAsRows(file('as4'), 4),
    as6: readAsRows(file('as6'), 6),
    cc4: readCountryRows(file('cc4'), 4),
    cc6: readCountryRows(file('cc6'), 6),
  });
  const bytes = encodeTables(tables);
  // written beside the target and renamed into place: a reader never sees half a file
  mkdirSync(dirname(opts.out), { recursive: true });
  const tmp = `${opts.out}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, opts.out);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  return { status: 'built', header: readHeader(bytes), bytes: bytes.length, ms: performance.now() - t0 };
}
