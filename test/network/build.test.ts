/**
 * The build step on hand-made miniatures of the two packages (test/fixtures/network/): the table
 * it writes answers as the rows say (nested ranges included), it is rebuilt only when a package
 * version changes, and bad input is refused with the file and line. And a lookup never fails for
 * want of a table: a missing or damaged file gives an answer that says so.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ASN_PACKAGE, buildNetworkTable, COUNTRY_PACKAGE, NetworkBuildError } from '../../src/network/build.ts';
import { createNetworkContext } from '../../src/network/index.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/network/', import.meta.url));

describe('building the network table', () => {
  let dir: string;
  let packages: Record<string, string>;
  let out: string;
  const packageDir = (name: string): string | null => packages[name] ?? null;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'verdict-network-'));
    packages = { [ASN_PACKAGE]: join(dir, 'asn'), [COUNTRY_PACKAGE]: join(dir, 'country') };
    cpSync(join(FIXTURES, 'asn-handmade'), packages[ASN_PACKAGE]!, { recursive: true });
    cpSync(join(FIXTURES, 'geo-whois-asn-country-handmade'), packages[COUNTRY_PACKAGE]!, { recursive: true });
    out = join(dir, 'data', 'network', 'ip-network.bin');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the table answers as the rows say; a narrower range inside a wider one wins where it lies', () => {
    const r = buildNetworkTable({ out, packageDir });
    assert.equal(r.status, 'built');
    const net = createNetworkContext({ file: out });
    const answer = (ip: string) => {
      const a = net.of(ip)!;
      return [a.asn, a.as_name, a.range, a.country];
    };
    assert.deepEqual(answer('1.0.0.1'), ['AS64500', 'Example Net, Inc.', '1.0.0.0/24', 'AU']);
    assert.deepEqual(answer('1.0.1.5'), ['AS64501', 'LLC "EXAMPLE"', '1.0.1.0/24', 'AU'], 'the wider range before the nested one');
    assert.deepEqual(answer('1.0.2.0'), ['AS64502', 'Nested Example', '1.0.2.0/24', 'JP'], 'the nested AS range and the nested country address');
    assert.deepEqual(answer('1.0.2.1'), ['AS64502', 'Nested Example', '1.0.2.0/24', 'AU']);
    assert.deepEqual(answer('1.0.3.255'), ['AS64501', 'LLC "EXAMPLE"', '1.0.3.0/24', 'AU'], 'the wider range resumes after it');
    assert.deepEqual(answer('1.0.4.0'), [null, null, null, null]);
    assert.match(net.of('1.0.4.0')!.note ?? '', /neither/);
    assert.deepEqual(answer('2001:4860:4860::8888'), ['AS64510', 'Example Six', '2001:4860::/32', 'US']);
    assert.deepEqual(answer('2606:4700::1111'), ['AS64511', 'Another Six', '2606:4700::/32', null]);
    // a documentation block stays special whatever a table says about it
    assert.deepEqual(answer('198.51.100.7'), [null, null, '198.51.100.0/24', null]);
    assert.equal(net.of('1.0.0.1')!.as_of, '2026-01-01', 'the older of the two package dates');
    assert.match(net.of('1.0.0.1')!.attribution, /@ip-location-db\/asn 2\.3\.2026010203/);
  });

  test('a second build with the same versions leaves the file alone; a new version rebuilds it', () => {
    const before = statSync(out).mtimeMs;
    assert.equal(buildNetworkTable({ out, packageDir }).status, 'current');
    assert.equal(statSync(out).mtimeMs, before);
    const pkg = join(packages[COUNTRY_PACKAGE]!, 'package.json');
    writeFileSync(pkg, readFileSync(pkg, 'utf8').replace('2.3.2026010100', '2.3.2026020300'));
    const r = buildNetworkTable({ out, packageDir });
    assert.equal(r.status, 'built');
    assert.equal(r.status === 'built' && r.header.country.asOf, '2026-02-03');
    assert.equal(createNetworkContext({ file: out }).of('1.0.0.1')!.as_of, '2026-01-02', 'now the AS table is the older');
    assert.equal(buildNetworkTable({ out, packageDir, force: true }).status, 'built', '--force rebuilds');
  });

  test('a malformed row is refused with its file and line, and the table in place is kept', () => {
    const file = join(packages[ASN_PACKAGE]!, 'asn-ipv4-num.csv');
    const good = readFileSync(file, 'utf8');
    const kept = readFileSync(out);
    try {
      const cases: [string, RegExp][] = [
        [good + '16777216,1.0.0.255,64500,dotted\n', /asn-ipv4-num\.csv line 5: "1\.0\.0\.255" is not an address number/],
        [good + '16777216,16777471,AS64500,x\n', /line 5: "AS64500" is not an AS number/],
        [good + '16777216,16777471\n', /line 5: 2 fields, expected start,end,asn,name/],
        [good + '16777216,4294967296,1,too far\n', /line 5: 4294967296 is out of range/],
        [good + '16777471,16777216,1,backwards\n', /ends before it starts/],
      ];
      for (const [text, message] of cases) {
        writeFileSync(file, text);
        assert.throws(() => buildNetworkTable({ out, packageDir, force: true }), (err: Error) => (err instanceof NetworkBuildError || err instanceof RangeError) && message.test(err.message));
        assert.deepEqual(readFileSync(out), kept, 'the old table stays');
      }
      const countries = join(packages[COUNTRY_PACKAGE]!, 'geo-whois-asn-country-ipv4-num.csv');
      const goodCountries = readFileSync(countries, 'utf8');
      writeFileSync(countries, goodCountries + '16777216,16777471,usa\n');
      assert.throws(() => buildNetworkTable({ out, packageDir, force: true }), /line 3: "usa" is not a two-letter country code/);
      writeFileSync(countries, goodCountries);
    } finally {
      writeFileSync(file, good);
    }
  });

  test('without the packages the build says which are missing and writes nothing', () => {
    const elsewhere = join(dir, 'none', 'ip-network.bin');
    const r = buildNetworkTable({ out: elsewhere, packageDir: (name) => (name === ASN_PACKAGE ? packages[ASN_PACKAGE]! : null) });
    assert.deepEqual(r, { status: 'missing', packages: [COUNTRY_PACKAGE] });
    assert.throws(() => statSync(elsewhere), /ENOENT/);
  });

  test('a missing or damaged table file: the answer says so, with every field null, and names no path of this machine', () => {
    const missing = createNetworkContext({ file: join(dir, 'absent.bin') }).of('8.8.8.8')!;
    assert.deepEqual([missing.asn, missing.as_name, missing.range, missing.country, missing.as_of], [null, null, null, null, null]);
    assert.match(missing.note ?? '', /data\/network\/ip-network\.bin is not built \(npm run build/);
    assert.ok(!missing.note!.includes(dir), missing.note);
    const damaged = join(dir, 'damaged.bin');
    writeFileSync(damaged, readFileSync(out).subarray(0, readFileSync(out).length - 16));
    assert.match(createNetworkContext({ file: damaged }).of('2001:4860::1')!.note ?? '', /cut short/);
    writeFileSync(damaged, 'not a table');
    assert.match(createNetworkContext({ file: damaged }).of('1.1.1.1')!.note ?? '', /not a network table file/);
    assert.equal(createNetworkContext({ file: damaged }).of('example.com'), null);
  });
});
