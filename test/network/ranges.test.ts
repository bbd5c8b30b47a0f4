/**
 * The range tables against the plainest reading of the source rows: for every address, a linear
 * scan over the rows for the narrowest one holding it (the later of equally narrow ones). Random
 * tables, overlapping on purpose, in small and full address spaces; and the address parsers
 * against ipaddr.js.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { bigintOf, ipv4Number, ipv4RangeText, ipv4Text, ipv6RangeText, ipv6Text, ipv6Words, wordsOf } from '../../src/network/address.ts';
import { compileTables, dateOfVersion, type AsRow, type CountryRow } from '../../src/network/compile.ts';
import { decodeTables, encodeTables } from '../../src/network/format.ts';
import { resolverOf } from '../../src/network/index.ts';
import { findIpv4, findIpv6, flattenRanges, toRangeTable, type SourceRange } from '../../src/network/ranges.ts';

/** The reference: the narrowest row holding `ip`, the later one on a tie; -1 when none does. */
function linearScan(rows: readonly SourceRange[], ip: bigint): number {
  let best = -1;
  let size = -1n;
  rows.forEach((r, i) => {
    if (r.start <= ip && ip <= r.end && (best < 0 || r.end - r.start <= size)) {
      best = i;
      size = r.end - r.start;
    }
  });
  return best < 0 ? -1 : rows[best]!.value;
}

/** Rows within [0, max], start ≤ end, values from a few. */
const rowsIn = (max: bigint, maxRows = 40) =>
  fc.array(
    fc.tuple(fc.bigInt({ min: 0n, max }), fc.bigInt({ min: 0n, max }), fc.integer({ min: 0, max: 5 })).map(([a, b, value]) => ({ start: a < b ? a : b, end: a < b ? b : a, value })),
    { maxLength: maxRows },
  );

/** Addresses worth asking about: every bound, its neighbours, and random ones. */
function probes(rows: readonly SourceRange[], max: bigint, extra: readonly bigint[]): bigint[] {
  const out = new Set<bigint>(extra);
  for (const r of rows) for (const x of [r.start - 1n, r.start, r.start + 1n, r.end - 1n, r.end, r.end + 1n]) if (x >= 0n && x <= max) out.add(x);
  out.add(0n);
  out.add(max);
  return [...out];
}

const V4_MAX = 0xffffffffn;
const V6_MAX = (1n << 128n) - 1n;

function checkV4(rows: SourceRange[], extra: bigint[]): void {
  const table = toRangeTable(flattenRanges(rows), 1, 32);
  for (const ip of probes(rows, V4_MAX, extra)) {
    const i = findIpv4(table, Number(ip));
    assert.equal(i < 0 ? -1 : table.values[i], linearScan(rows, ip), `address ${ip}`);
  }
}

function checkV6(rows: SourceRange[], extra: bigint[]): void {
  const table = toRangeTable(flattenRanges(rows), 4, 32);
  for (const ip of probes(rows, V6_MAX, extra)) {
    const i = findIpv6(table, Uint32Array.from(wordsOf(ip)));
    assert.equal(i < 0 ? -1 : table.values[i], linearScan(rows, ip), `address ${ip}`);
  }
}

test('IPv4: binary search over the flattened table equals a linear scan of the rows (dense small space: many overlaps)', () => {
  fc.assert(fc.property(rowsIn(300n), fc.array(fc.bigInt({ min: 0n, max: 300n }), { maxLength: 20 }), checkV4), { numRuns: 400 });
});

test('IPv4: the same over the whole 32-bit space', () => {
  fc.assert(fc.property(rowsIn(V4_MAX), fc.array(fc.bigInt({ min: 0n, max: V4_MAX }), { maxLength: 20 }), checkV4), { numRuns: 300 });
});

test('IPv6: the same over 128 bits, rows clustered so that they overlap, across word boundaries', () => {
  const near = (base: bigint) => fc.bigInt({ min: 0n, max: 1n << 70n }).map((d) => (base + d > V6_MAX ? V6_MAX : base + d));
  const rows = fc.bigInt({ min: 0n, max: V6_MAX }).chain((base) =>
    fc.array(fc.tuple(near(base), near(base), fc.integer({ min: 0, max: 5 })).map(([a, b, value]) => ({ start: a < b ? a : b, end: a < b ? b : a, value })), { maxLength: 30 }),
  );
  fc.assert(fc.property(rows, fc.array(fc.bigInt({ min: 0n, max: V6_MAX }), { maxLength: 10 }), checkV6), { numRuns: 300 });
});

test('flattened ranges ascend without overlapping, and neighbours that touch hold different values', () => {
  fc.assert(
    fc.property(rowsIn(200n), (rows) => {
      const flat = flattenRanges(rows);
      for (let i = 1; i < flat.length; i++) {
        const [a, b] = [flat[i - 1]!, flat[i]!];
        assert.ok(a.end < b.start, `${a.start}-${a.end} then ${b.start}-${b.end}`);
        if (a.end + 1n === b.start) assert.notEqual(a.value, b.value, 'touching ranges of one value are merged');
      }
    }),
    { numRuns: 300 },
  );
});

test('an empty table finds nothing; a row that ends before it starts is refused', () => {
  assert.equal(findIpv4(toRangeTable([], 1, 32), 0), -1);
  assert.equal(findIpv6(toRangeTable([], 4, 32), new Uint32Array(4)), -1);
  assert.throws(() => flattenRanges([{ start: 5n, end: 4n, value: 0 }]), /ends before it starts/);
});

test('the tables written to a file and read back answer as a linear scan of the AS and country rows', () => {
  const names = fc.constantFrom('Cloudflare, Inc.', 'LLC "SPUTNIK"', 'Ålands Telekommunikation Ab', 'AS65002', '');
  const asRow = fc.tuple(fc.bigInt({ min: 0n, max: 2000n }), fc.bigInt({ min: 0n, max: 2000n }), fc.integer({ min: 1, max: 4 }), names).map(([a, b, asn, name]): AsRow => ({ start: a < b ? a : b, end: a < b ? b : a, asn, name }));
  const ccRow = fc.tuple(fc.bigInt({ min: 0n, max: 2000n }), fc.bigInt({ min: 0n, max: 2000n }), fc.constantFrom('US', 'DE', 'JP')).map(([a, b, country]): CountryRow => ({ start: a < b ? a : b, end: a < b ? b : a, country }));
  const source = { package: 'x', version: '2.3.2026061719', asOf: '2026-06-17', license: 'test' };
  fc.assert(
    fc.property(fc.array(asRow, { maxLength: 25 }), fc.array(ccRow, { maxLength: 25 }), (as4, cc4) => {
      // the rows' addresses 0–2000 are placed at 1.0.0.0 onwards (0.0.0.0/8 is special-purpose)
      const base = 0x01000000n;
      const shift = <R extends { start: bigint; end: bigint }>(r: R): R => ({ ...r, start: r.start + base, end: r.end + base });
      const tables = decodeTables(encodeTables(compileTables({ asn: source, country: source, as4: as4.map(shift), as6: [], cc4: cc4.map(shift), cc6: [] })));
      const resolve = resolverOf(tables);
      const asKeys = as4.map((r) => `AS${r.asn} ${r.name}`);
      for (const ip of probes([...as4, ...cc4].map((r) => ({ start: r.start, end: r.end, value: 0 })), 2001n, [])) {
        const a = resolve(ipv4Text(Number(base + ip)));
        assert.ok(a !== null);
        const asAt = linearScan(as4.map((r, i) => ({ start: r.start, end: r.end, value: i })), ip);
        const ccAt = linearScan(cc4.map((r, i) => ({ start: r.start, end: r.end, value: i })), ip);
        // equal AS entries may merge, so compare what they say, not which row said it
        assert.equal(a.asn === null ? null : `${a.asn} ${a.as_name}`, asAt < 0 ? null : asKeys[asAt], `AS of ${ip}`);
        assert.equal(a.country, ccAt < 0 ? null : cc4[ccAt]!.country, `country of ${ip}`);
        assert.equal(a.as_of, '2026-06-17');
      }
    }),
    { numRuns: 200 },
  );
});

test('address parsers and the IPv6 writer agree with ipaddr.js', () => {
  fc.assert(
    fc.property(fc.ipV4(), (ip) => {
      const want = ipaddr.IPv4.isValidFourPartDecimal(ip) ? ipaddr.IPv4.parse(ip).toByteArray().reduce((n, b) => n * 256 + b, 0) : -1;
      assert.equal(ipv4Number(ip), want, ip);
    }),
    { numRuns: 2000 },
  );
  const words = new Uint32Array(4);
  fc.assert(
    fc.property(fc.ipV6(), (ip) => {
      assert.ok(ipv6Words(ip, words), ip);
      // through the WHATWG URL parser first: ipaddr.js reads `::1.2.3.4` as IPv4-mapped (::ffff:…)
      const parts = ipaddr.IPv6.parse(new URL(`http://[${ip}]/`).hostname.slice(1, -1)).parts;
      assert.equal(bigintOf(words), parts.reduce((n, p) => (n << 16n) | BigInt(p), 0n), ip);
    }),
    { numRuns: 2000 },
  );
  // RFC 5952 text, as ipaddr.js writes it; groups drawn mostly zero so that runs of zeros compete
  const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
  fc.assert(
    fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (parts) => {
      const w = Uint32Array.from([0, 1, 2, 3].map((k) => ((parts[2 * k]! << 16) | parts[2 * k + 1]!) >>> 0));
      assert.equal(ipv6Text(w), new ipaddr.IPv6(parts).toRFC5952String());
    }),
    { numRuns: 3000 },
  );
  for (const bad of ['', ':', ':::', '1:2', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', '::1:', ':1::', '1.2.3.4', '::ffff:1.2.3.256', '::ffff:1.2.3']) {
    assert.equal(ipv6Words(bad, words), false, JSON.stringify(bad));
  }
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '1.2.3.4 ', 'a.b.c.d', '1234.1.1.1']) assert.equal(ipv4Number(bad), -1, JSON.stringify(bad));
});

test('a range is written as a CIDR block when it is one, else as first-last', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }), (n, bits) => {
      const size = 2 ** (32 - bits);
      const start = n - (n % size);
      const text = ipv4RangeText(start, start + size - 1);
      assert.equal(text, `${ipaddr.fromByteArray([start >>> 24, (start >>> 16) & 255, (start >>> 8) & 255, start & 255]).toString()}/${bits}`);
      if (size > 2) assert.match(ipv4RangeText(start + 1, start + size - 1), /^[\d.]+-[\d.]+$/);
    }),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: V6_MAX }), fc.integer({ min: 0, max: 128 }), (n, bits) => {
      const size = 1n << BigInt(128 - bits);
      const start = n - (n % size);
      const s = Uint32Array.from(wordsOf(start));
      const e = Uint32Array.from(wordsOf(start + size - 1n));
      const text = ipv6RangeText(s, e);
      const [addr, prefix] = text.split('/');
      assert.equal(Number(prefix), bits, text);
      assert.equal(ipaddr.IPv6.parse(addr!).parts.reduce((x, p) => (x << 16n) | BigInt(p), 0n), start, text);
      if (size > 2n) assert.ok(ipv6RangeText(Uint32Array.from(wordsOf(start + 1n)), e).includes('-'));
    }),
    { numRuns: 1000 },
  );
});

test('the table date is read from the package version (2.3.YYYYMMDDHH)', () => {
  assert.equal(dateOfVersion('2.3.2026061719'), '2026-06-17');
  assert.equal(dateOfVersion('2.3.2025041118'), '2025-04-11');
  assert.equal(dateOfVersion('1.0.0'), null);
  assert.equal(dateOfVersion('2.3.2026139919'), null, 'month 13 is no date');
});
