import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileWarninglists, checkList, loadWarninglists, WarninglistError } from '../../src/warninglists/index.ts';
import fc from 'fast-check';
import { RangeSets, RangeTable, ipv4ToInt, parseIpv4Range, parseIpv6Range } from '../../src/warninglists/ip.ts';
import type { WarninglistSource } from '../../src/warninglists/index.ts';

const shipped = loadWarninglists(new URL('../../data/warninglists/', import.meta.url).pathname);
const ids = (type: string, value: string) => shipped.match(type, value).map((m) => m.id);

test('shipped lists: well-known values land on the right lists', async (t) => {
  const cases: [type: string, value: string, expected: string[], absent?: string[]][] = [
    ['ipv4', '8.8.8.8', ['public-dns-v4']],
    ['ipv4', '10.1.2.3', ['rfc1918', 'rfc5735']],
    ['ipv4', '100.64.0.1', ['rfc6598']],
    ['ipv4', '224.0.0.251', ['multicast']],
    ['ipv4', '185.220.101.1', [], ['public-dns-v4', 'rfc1918']],
    ['ipv6', '2001:db8::1', ['rfc3849']],
    ['ipv6', 'fe80::1', ['ipv6-linklocal']],
    ['ipv6', '::ffff:8.8.8.8', ['public-dns-v4']],
    ['ipv6', '::ffff:10.0.0.1', ['rfc1918']],
    ['domain', 'google.com', ['tranco10k', 'google']],
    ['domain', 'localhost', ['rfc6761']],
    ['domain', 'printer.test', ['rfc6761']],
    ['domain', 'foo.duckdns.org', ['dynamic-dns']],
    ['domain', 'co.uk', ['second-level-tlds']],
    ['domain', 'com', ['tlds']],
    ['url', 'https://bit.ly/x', ['url-shortener']],
    ['url', 'http://8.8.8.8/dns', ['public-dns-v4']],
    ['email', 'someone@mailinator.com', ['disposable-email']],
    ['email', 'someone@notmailinator.com.example-corp.invalid', [], ['disposable-email']],
    ['sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', ['empty-hashes']],
    ['md5', 'D41D8CD98F00B204E9800998ECF8427E', ['empty-hashes']],
    ['cve', 'CVE-2024-3400', []],
  ];
  for (const [type, value, expected, absent = []] of cases) {
    await t.test(`${type} ${value}`, () => {
      const got = ids(type, value);
      for (const id of expected) assert.ok(got.includes(id), `${value} should be on ${id}; got ${got.join(', ')}`);
      for (const id of absent) assert.ok(!got.includes(id), `${value} should not be on ${id}`);
      if (expected.length === 0 && absent.length === 0) assert.deepEqual(got, []);
    });
  }
});

test('upper-case list entries (rfc3849, tlds) match lower-case values', () => {
  assert.ok(ids('ipv6', '2001:0db8:0000::ff').includes('rfc3849'));
  assert.ok(ids('domain', 'xn--p1ai').includes('tlds'));
});

test('every list loads without skipped entries and reports its size', () => {
  const report = (shipped as unknown as { report: { skipped: Record<string, number> } }).report;
  assert.deepEqual(report.skipped, {});
  const dns = shipped.lists.find((l) => l.id === 'public-dns-v4');
  assert.ok(dns !== undefined && dns.entries > 60000);
});

function source(id: string, type: WarninglistSource['file']['type'], list: string[], attrs?: string[], matching: WarninglistSource['matching'] = {}): WarninglistSource {
  return { id, file: { name: id, version: 1, description: '', type, list, ...(attrs ? { matching_attributes: attrs } : {}) }, matching };
}

test('string lists match exactly; a leading dot means names below it; hostname lists match subdomains', () => {
  const w = compileWarninglists([
    source('exact', 'string', ['a.example', '.b.example'], ['domain']),
    source('host', 'hostname', ['c.example'], ['domain']),
  ]);
  const on = (v: string) => w.match('domain', v).map((m) => m.id);
  assert.deepEqual(on('a.example'), ['exact']);
  assert.deepEqual(on('x.a.example'), []);
  assert.deepEqual(on('b.example'), []);
  assert.deepEqual(on('x.b.example'), ['exact']);
  assert.deepEqual(on('c.example'), ['host']);
  assert.deepEqual(on('deep.x.c.example'), ['host']);
  assert.deepEqual(on('notc.example'), []);
});

test('substring and regex lists are supported and compiled once', () => {
  const w = compileWarninglists([
    source('sub', 'substring', ['evil'], ['url']),
    source('re', 'regex', ['^https://[a-z]+\\.example/login$'], ['url']),
  ]);
  assert.deepEqual(w.match('url', 'https://notevil.example/').map((m) => m.id), ['sub']);
  assert.deepEqual(w.match('url', 'https://acme.example/login').map((m) => m.id), ['re']);
  assert.deepEqual(w.match('url', 'https://acme.example/logout').map((m) => m.id), []);
});

test('matching_attributes restrict a list to its kinds of value', () => {
  const w = compileWarninglists([source('hashes', 'string', ['abc'], ['md5']), source('any', 'string', ['abc'])]);
  assert.deepEqual(w.match('md5', 'ABC').map((m) => m.id), ['hashes', 'any']);
  assert.deepEqual(w.match('domain', 'abc').map((m) => m.id), ['any']);
});

test('malformed entries are skipped and counted, never thrown', () => {
  const w = compileWarninglists([source('bad', 'cidr', ['1.2.3.0/24', '300.1.1.1', '1.2.3.4/40', 'zz::/8', '', '::1'])]);
  assert.equal(w.report.skipped['bad'], 4);
  assert.deepEqual(w.match('ipv4', '1.2.3.9').map((m) => m.id), ['bad']);
  assert.deepEqual(w.match('ipv6', '::1').map((m) => m.id), ['bad']);
  assert.deepEqual(w.match('ipv4', 'not an ip'), []);
});

test('a bad list file is a clear error naming the file', () => {
  assert.throws(() => checkList({ name: 'x', type: 'cidr', list: [1] }, 'x/list.json'), (e: unknown) => e instanceof WarninglistError && /x\/list\.json.*"list"/.test(e.message));
  assert.throws(() => checkList({ name: 'x', type: 'glob', list: [] }, 'y'), /"type" must be one of/);
  assert.throws(() => loadWarninglists('/nonexistent-dir'), WarninglistError);
});

test('range tables: overlapping ranges merge and the binary search finds the edges', () => {
  const r = (s: string) => parseIpv4Range(s) as [number, number];
  const table = new RangeTable([r('10.0.0.0/8'), r('10.1.0.0/16'), r('192.168.1.7'), r('11.0.0.0/8')]);
  assert.equal(table.size, 3);
  const sets = new RangeSets([{ item: 'list', table }], (ip) => ip + 1);
  const has = (ip: number) => sets.find(ip).length > 0;
  const n = (s: string) => r(s)[0];
  for (const ip of ['10.0.0.0', '10.255.255.255', '11.0.0.1', '192.168.1.7']) assert.ok(has(n(ip)), ip);
  for (const ip of ['9.255.255.255', '12.0.0.0', '192.168.1.6', '192.168.1.8', '0.0.0.0']) assert.ok(!has(n(ip)), ip);
  const v6 = parseIpv6Range('2001:DB8::/32') as [bigint, bigint];
  assert.equal(v6[1] - v6[0] + 1n, 1n << 96n);
});

test('range sets: the lists holding an address are those with a range holding it, in the order given', () => {
  // small numbers, so that ranges of different lists overlap, touch and nest often
  const range = fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 8 })).map(([s, n]): [number, number] => [s, s + n]);
  fc.assert(
    fc.property(fc.array(fc.array(range, { maxLength: 6 }), { maxLength: 6 }), (lists) => {
      const sets = new RangeSets(lists.map((ranges, i) => ({ item: `list${i}`, table: new RangeTable(ranges) })), (n) => n + 1);
      for (let ip = -1; ip <= 71; ip++) {
        const holding = lists.flatMap((ranges, i) => (ranges.some(([s, e]) => s <= ip && ip <= e) ? [`list${i}`] : []));
        assert.deepEqual(sets.find(ip), holding, `address ${ip}`);
      }
    }),
    { numRuns: 300 },
  );
  // IPv6 arithmetic, and the ends of the address space
  const v6 = new RangeSets([{ item: 'a', table: new RangeTable([parseIpv6Range('::/0')!]) }, { item: 'b', table: new RangeTable([parseIpv6Range('ffff::/16')!]) }], (n) => n + 1n);
  assert.deepEqual(v6.find(0n), ['a']);
  assert.deepEqual(v6.find((1n << 128n) - 1n), ['a', 'b']);
  const v4 = new RangeSets([{ item: 'all', table: new RangeTable([parseIpv4Range('0.0.0.0/0')!]) }], (n) => n + 1);
  assert.deepEqual([v4.find(0), v4.find(2 ** 32 - 1)], [['all'], ['all']]);
});

test('ipv4ToInt reads plain dotted quads only', () => {
  assert.equal(ipv4ToInt('10.1.2.3'), 0x0a010203);
  assert.equal(ipv4ToInt('255.255.255.255'), 2 ** 32 - 1);
  assert.equal(ipv4ToInt('010.001.002.003'), 0x0a010203);
  for (const bad of ['10.1.2.3/8', '10.1.2', '10.1.2.3.4', '256.1.1.1', '1.2.3.4 ', '', '1..2.3', '1.2.3.4/', '1234.1.1.1', '::1']) assert.equal(ipv4ToInt(bad), null, bad);
});

test('data/warninglists/index.json describes the shipped lists exactly (scripts/warninglists-index.mjs writes it)', async () => {
  const dir = new URL('../../data/warninglists/', import.meta.url).pathname;
  const { buildIndex } = (await import(new URL('../../scripts/warninglists-index.mjs', import.meta.url).href)) as { buildIndex(dir: string): unknown };
  const shippedIndex = JSON.parse(readFileSync(`${dir}index.json`, 'utf8')) as unknown;
  assert.deepEqual(shippedIndex, buildIndex(dir), 'run scripts/warninglists-index.mjs after changing a list');
});

test('a list is read when its kind is first needed: an unreadable name list fails the first name lookup, naming the file, not an IP lookup', () => {
  const src = new URL('../../data/warninglists/', import.meta.url).pathname;
  const dir = mkdtempSync(join(tmpdir(), 'verdict-wl-'));
  try {
    cpSync(src, dir, { recursive: true });
    writeFileSync(join(dir, 'tranco10k', 'list.json'), '{ not json');
    const lists = loadWarninglists(dir);
    assert.ok(lists.match('ipv4', '8.8.8.8').some((m) => m.id === 'public-dns-v4'));
    assert.throws(() => lists.match('domain', 'example.com'), (e: unknown) => e instanceof WarninglistError && /tranco10k[/\\]list\.json/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
