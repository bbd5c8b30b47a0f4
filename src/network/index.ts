/**
 * Network context for an IP, offline: its AS (number and name), the table range holding it and its
 * country, from the tables built out of the @ip-location-db packages (build.ts). The file is read
 * on the first IP asked about (or by `warm`), once: a command that looks up a CVE never reads it.
 * Resolving an address is two binary searches over typed arrays.
 */
import { readFileSync } from 'node:fs';
import { ipv4Number, ipv4RangeText, ipv4Text, ipv6RangeText, ipv6Words } from './address.ts';
import { decodeTables, type NetworkTables } from './format.ts';
import { findIpv4, findIpv6 } from './ranges.ts';
import { specialIpv4, specialIpv6 } from './special.ts';

export { decodeTables, encodeTables, NetworkTableError, type NetworkTables, type TableHeader } from './format.ts';
export { SPECIAL_BLOCKS } from './special.ts';

/** `related.network` of a lookup (docs/api.md). */
export interface NetworkAnswer {
  /** `AS13335`; null when the IP-to-AS table holds no range with the address. */
  asn: string | null;
  as_name: string | null;
  /** The table range holding the address (CIDR when it is one block, else `first-last`), or the special-purpose block. */
  range: string | null;
  /** ISO 3166-1 alpha-2, from the IP-to-country table. */
  country: string | null;
  /** The tables' date (`YYYY-MM-DD`), null when no table is installed. */
  as_of: string | null;
  /** A special-purpose block (private, loopback, documentation, …): no public network. */
  special?: string;
  /** An IPv4-mapped IPv6 address is answered for this IPv4 address. */
  ipv4?: string;
  /** Why fields are null, in words. */
  note?: string;
  /** Where the data comes from and its licenses (CC BY 4.0 asks for it). */
  attribution: string;
}

export interface NetworkContext {
  /** The network of a canonical IPv4 or IPv6 address; null for anything else. */
  of(ip: string): NetworkAnswer | null;
  /** Reads the table now (a server does, right after it starts). */
  warm(): void;
}

/** Where the build writes the table, under the data folder. */
export const TABLE_FILE = 'data/network/ip-network.bin';

/** Said when no table is installed (or it cannot be read): the lookup still answers. */
const NO_TABLE_ATTRIBUTION = 'IP-to-AS and IP-to-country tables from the @ip-location-db packages (CC BY 4.0 RouteViews, NRO and DB-IP data; CC0).';

export function attributionOf(t: NetworkTables): string {
  const { asn, country } = t.header;
  return (
    `IP to AS: RouteViews, NRO and DB-IP data (CC BY 4.0; IP Geolocation by DB-IP, https://db-ip.com) from ${asn.package} ${asn.version}; ` +
    `IP to country: ${country.package} ${country.version} (CC0; its NRO data CC BY 4.0).`
  );
}

/** The older of the two packages' dates: what the answer is at least as new as. */
function asOfOf(t: NetworkTables): string | null {
  const dates = [t.header.asn.asOf, t.header.country.asOf].filter((d): d is string => typeof d === 'string').sort();
  return dates[0] ?? null;
}

const MAPPED_PREFIX = [0, 0, 0xffff] as const;

/** Answers from loaded tables (pure; the tests build small tables of their own). */
export function resolverOf(t: NetworkTables): (ip: string) => NetworkAnswer | null {
  const asOf = asOfOf(t);
  const attribution = attributionOf(t);
  const names = Buffer.from(t.nameBytes.buffer, t.nameBytes.byteOffset, t.nameBytes.byteLength);
  const countries = t.header.countries;
  const words = new Uint32Array(4);

  const nameOf = (entry: number): string => {
    const id = t.asNameIds[entry]!;
    return names.toString('utf8', t.nameOffsets[id]!, t.nameOffsets[id + 1]!);
  };

  function answer(asIndex: number, asTable: typeof t.as4, ccIndex: number, ccTable: typeof t.cc4, rangeText: (table: typeof t.as4, i: number) => string): NetworkAnswer {
    const entry = asIndex < 0 ? -1 : asTable.values[asIndex]!;
    const a: NetworkAnswer = {
      asn: entry < 0 ? null : `AS${t.asNumbers[entry]!}`,
      as_name: entry < 0 ? null : nameOf(entry),
      range: asIndex >= 0 ? rangeText(asTable, asIndex) : ccIndex >= 0 ? rangeText(ccTable, ccIndex) : null,
      country: ccIndex < 0 ? null : (countries[ccTable.values[ccIndex]!] ?? null),
      as_of: asOf,
      attribution,
    };
    if (asIndex < 0 && ccIndex < 0) a.note = 'neither the IP-to-AS nor the IP-to-country table holds this address (unassigned or unannounced space)';
    return a;
  }
  const v4Range = (table: typeof t.as4, i: number): string => ipv4RangeText(table.starts[i]!, table.ends[i]!);
  const v6Range = (table: typeof t.as4, i: number): string => ipv6RangeText(table.starts, table.ends, i * 4);

  function ofIpv4(n: number, ip: string): NetworkAnswer {
    const special = specialIpv4(n);
    if (special !== null) {
      return {
        asn: null,
        as_name: null,
        range: ipv4RangeText(special.start, special.end),
        country: null,
        as_of: asOf,
        special: special.kind,
        note: `${ip} is ${special.what}: it is on no public network, so it has no AS or country`,
        attribution,
      };
    }
    return answer(findIpv4(t.as4, n), t.as4, findIpv4(t.cc4, n), t.cc4, v4Range);
  }

  return (ip: string): NetworkAnswer | null => {
    if (!ip.includes(':')) {
      const n = ipv4Number(ip);
      return n < 0 ? null : ofIpv4(n, ip);
    }
    if (!ipv6Words(ip, words)) return null;
    if (words[0] === MAPPED_PREFIX[0] && words[1] === MAPPED_PREFIX[1] && words[2] === MAPPED_PREFIX[2]) {
      const v4 = ipv4Text(words[3]!);
      const a = ofIpv4(words[3]!, v4);
      a.ipv4 = v4;
      a.note = a.note === undefined ? `an IPv4-mapped address: the network of ${v4}` : `an IPv4-mapped address; ${a.note}`;
      return a;
    }
    const special = specialIpv6(words);
    if (special !== null) {
      return {
        asn: null,
        as_name: null,
        range: ipv6RangeText(special.start, special.end),
        country: null,
        as_of: asOf,
        special: special.kind,
        note: `${ip} is ${special.what}: it is on no public network, so it has no AS or country`,
        attribution,
      };
    }
    return answer(findIpv6(t.as6, words), t.as6, findIpv6(t.cc6, words), t.cc6, v6Range);
  };
}

/** What a lookup says when the table is not there: every field null, and why. */
function unavailable(reason: string): (ip: string) => NetworkAnswer | null {
  return (ip) =>
    ip.includes(':') || ipv4Number(ip) >= 0
      ? { asn: null, as_name: null, range: null, country: null, as_of: null, note: `no network table: ${reason}`, attribution: NO_TABLE_ATTRIBUTION }
      : null;
}

/**
 * The network context of the table file `file`, read on first use. A missing or unreadable file
 * does not fail lookups: their `related.network` says the table is missing, and why.
 */
export function createNetworkContext(opts: { file: string }): NetworkContext {
  let resolve: ((ip: string) => NetworkAnswer | null) | null = null;
  const load = (): ((ip: string) => NetworkAnswer | null) => {
    if (resolve !== null) return resolve;
    // the answer names the file as installed, never this machine's path to it
    let buf: Buffer;
    try {
      buf = readFileSync(opts.file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return (resolve = unavailable(code === 'ENOENT' ? `${TABLE_FILE} is not built (npm run build makes it from the @ip-location-db packages)` : `${TABLE_FILE} cannot be read (${code ?? 'error'})`));
    }
    try {
      resolve = resolverOf(decodeTables(buf));
    } catch (err) {
      resolve = unavailable(`${TABLE_FILE}: ${(err as Error).message} (npm run build remakes it)`);
    }
    return resolve;
  };
  return {
    of: (ip) => load()(ip),
    warm: () => void load(),
  };
}
