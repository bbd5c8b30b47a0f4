/**
 * The table the build made (data/network/ip-network.bin, from the pinned @ip-location-db
 * packages) answers well-known addresses as the packages' own CSV files say: the expected AS,
 * name and country are read here from the address-text files (the build reads the numeric ones),
 * by a linear scan, narrowest range first. A few facts known by hand are checked besides.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ipaddr from 'ipaddr.js';
import { createNetworkContext, type NetworkAnswer } from '../../src/network/index.ts';

const TABLE = fileURLToPath(new URL('../../data/network/ip-network.bin', import.meta.url));
const require = createRequire(import.meta.url);
const packageDir = (name: string): string => dirname(require.resolve(`${name}/package.json`));
const ASN_DIR = packageDir('@ip-location-db/asn');
const COUNTRY_DIR = packageDir('@ip-location-db/geo-whois-asn-country');

const WELL_KNOWN = [
  '1.1.1.1',
  '1.0.0.1',
  '8.8.8.8',
  '8.8.4.4',
  '9.9.9.9',
  '149.112.112.112',
  '208.67.222.222',
  '4.2.2.2',
  '94.140.14.14',
  '77.88.8.8',
  '13.107.42.14',
  '31.13.71.36',
  '140.82.112.3',
  '151.101.1.69',
  '2606:4700:4700::1111',
  '2001:4860:4860::8888',
  '2620:fe::fe',
  '2a03:2880:f12f:83:face:b00c::25de',
  '2a00:1450:4001:800::200e',
  '2001:500:2f::f',
];

/** Known without the table: who runs these resolvers and sites. */
const BY_HAND: Record<string, string> = {
  '1.1.1.1': 'AS13335',
  '8.8.8.8': 'AS15169',
  '8.8.4.4': 'AS15169',
  '9.9.9.9': 'AS19281',
  '208.67.222.222': 'AS36692',
  '31.13.71.36': 'AS32934',
  '140.82.112.3': 'AS36459',
  '2606:4700:4700::1111': 'AS13335',
  '2001:4860:4860::8888': 'AS15169',
  '2620:fe::fe': 'AS19281',
};

const toNumber = (ip: string): bigint =>
  ip.includes(':') ? ipaddr.IPv6.parse(ip).parts.reduce((n, p) => (n << 16n) | BigInt(p), 0n) : ip.split('.').reduce((n, o) => n * 256n + BigInt(o), 0n);

/** `"LLC ""X"""` → `LLC "X"`. */
const unquote = (s: string): string => (s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1).replace(/""/g, '"') : s);

/**
 * For each wanted address, the last field(s) of the narrowest row holding it (the later row of
 * equally narrow ones), scanning every line of a package file.
 */
function scan(file: string, wanted: readonly string[]): Map<string, string[]> {
  const targets = wanted.map((ip) => ({ ip, n: toNumber(ip), size: -1n, fields: null as string[] | null }));
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    const m = /^([^,]+),([^,]+),(.*)$/.exec(line);
    assert.ok(m, `${file}: ${line}`);
    const start = toNumber(m[1]!);
    const end = toNumber(m[2]!);
    for (const t of targets) {
      if (start <= t.n && t.n <= end && (t.fields === null || end - start <= t.size)) {
        t.size = end - start;
        const rest = m[3]!;
        const comma = rest.indexOf(',');
        t.fields = comma < 0 ? [rest] : [rest.slice(0, comma), unquote(rest.slice(comma + 1))];
      }
    }
  }
  return new Map(targets.filter((t) => t.fields !== null).map((t) => [t.ip, t.fields!]));
}

/** First and last address of `a.b.c.d/n` or `first-last`. */
function bounds(range: string): [bigint, bigint] {
  if (range.includes('-')) return range.split('-').map(toNumber) as [bigint, bigint];
  const [addr, bits] = range.split('/') as [string, string];
  const size = 1n << BigInt((addr.includes(':') ? 128 : 32) - Number(bits));
  const first = toNumber(addr);
  assert.equal(first % size, 0n, `${range} starts on its block`);
  return [first, first + size - 1n];
}

describe('the bundled network table', () => {
  const network = createNetworkContext({ file: TABLE });
  let expectedAs: Map<string, string[]>;
  let expectedCountry: Map<string, string[]>;
  const v4 = WELL_KNOWN.filter((ip) => !ip.includes(':'));
  const v6 = WELL_KNOWN.filter((ip) => ip.includes(':'));
  before(() => {
    expectedAs = new Map([...scan(join(ASN_DIR, 'asn-ipv4.csv'), v4), ...scan(join(ASN_DIR, 'asn-ipv6.csv'), v6)]);
    expectedCountry = new Map([...scan(join(COUNTRY_DIR, 'geo-whois-asn-country-ipv4.csv'), v4), ...scan(join(COUNTRY_DIR, 'geo-whois-asn-country-ipv6.csv'), v6)]);
  });

  test('20 well-known addresses: AS, AS name and country as the package files say', () => {
    assert.equal(WELL_KNOWN.length, 20);
    for (const ip of WELL_KNOWN) {
      const a = network.of(ip);
      assert.ok(a !== null, ip);
      const as = expectedAs.get(ip);
      assert.ok(as !== undefined, `${ip} is in the package's AS table`);
      assert.equal(a.asn, `AS${as[0]}`, `${ip}: AS`);
      assert.equal(a.as_name, as[1], `${ip}: AS name`);
      assert.equal(a.country, expectedCountry.get(ip)?.[0] ?? null, `${ip}: country`);
      assert.ok(a.range !== null && /^[\d.:a-f]+(\/\d+|-[\d.:a-f]+)$/.test(a.range), `${ip}: range ${a.range}`);
      assert.equal(a.special, undefined);
      assert.equal(a.note, undefined);
    }
  });

  test('and as known by hand', () => {
    for (const [ip, asn] of Object.entries(BY_HAND)) assert.equal(network.of(ip)?.asn, asn, ip);
    const google = network.of('8.8.8.8')!;
    assert.equal(google.country, 'US');
    assert.match(google.as_name ?? '', /Google/);
    assert.equal(google.range, '8.8.8.0/24');
    assert.match(network.of('2606:4700:4700::1111')!.as_name ?? '', /Cloudflare/);
  });

  test("the range holds the address, and the date and attribution are the packages'", () => {
    const pkg = (dir: string) => (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    const asnVersion = pkg(ASN_DIR);
    const countryVersion = pkg(COUNTRY_DIR);
    for (const ip of WELL_KNOWN) {
      const a = network.of(ip)!;
      const [first, last] = bounds(a.range!);
      assert.ok(first <= toNumber(ip) && toNumber(ip) <= last, `${ip} in ${a.range}`);
      assert.equal(a.as_of, `${asnVersion.slice(4, 8)}-${asnVersion.slice(8, 10)}-${asnVersion.slice(10, 12)}`, 'the date in the package version');
      assert.ok(a.attribution.includes(asnVersion) && a.attribution.includes(countryVersion), a.attribution);
      assert.match(a.attribution, /CC BY 4\.0/);
      assert.match(a.attribution, /DB-IP/);
      assert.match(a.attribution, /RouteViews/);
    }
  });

  test('private and other special-purpose addresses: no network, and the answer says which block', () => {
    const cases: [string, string, string][] = [
      ['10.20.30.40', 'private', '10.0.0.0/8'],
      ['172.16.5.4', 'private', '172.16.0.0/12'],
      ['192.168.1.1', 'private', '192.168.0.0/16'],
      ['127.0.0.1', 'loopback', '127.0.0.0/8'],
      ['169.254.1.1', 'link_local', '169.254.0.0/16'],
      ['100.64.0.1', 'shared', '100.64.0.0/10'],
      ['192.0.2.1', 'documentation', '192.0.2.0/24'],
      ['224.0.0.251', 'multicast', '224.0.0.0/4'],
      ['255.255.255.255', 'reserved', '240.0.0.0/4'],
      ['::1', 'loopback', '::1/128'],
      ['::', 'unspecified', '::/128'],
      ['fd12:3456:789a::1', 'unique_local', 'fc00::/7'],
      ['fe80::1', 'link_local', 'fe80::/10'],
      ['2001:db8::1', 'documentation', '2001:db8::/32'],
      ['ff02::1', 'multicast', 'ff00::/8'],
    ];
    for (const [ip, special, range] of cases) {
      const a = network.of(ip)!;
      assert.deepEqual([a.asn, a.as_name, a.country, a.special, a.range], [null, null, null, special, range], ip);
      assert.match(a.note ?? '', /no public network/, ip);
      assert.ok(a.as_of !== null);
    }
  });

  test('an IPv4-mapped IPv6 address is answered for its IPv4 address, and says so', () => {
    const v4 = network.of('8.8.8.8')!;
    const mapped = network.of('::ffff:8.8.8.8')!;
    assert.deepEqual([mapped.asn, mapped.as_name, mapped.range, mapped.country, mapped.ipv4], [v4.asn, v4.as_name, v4.range, v4.country, '8.8.8.8']);
    assert.match(mapped.note ?? '', /IPv4-mapped/);
    const privateMapped = network.of('::ffff:10.0.0.1')!;
    assert.deepEqual([privateMapped.asn, privateMapped.special, privateMapped.ipv4], [null, 'private', '10.0.0.1']);
  });

  test('what is not an address has no network', () => {
    for (const v of ['example.com', 'CVE-2021-44228', '', '1.2.3', '1.2.3.4.5', ':::']) assert.equal(network.of(v), null, v);
  });
});
