import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { networkKey, parseCidrRange, parseIp } from '../../src/store/cidr.ts';
import { RangeIndex } from '../../src/store/sqlite/ranges.ts';

describe('CIDR range keys', () => {
  const cases: { cidr: string; family: 4 | 6; prefix: number; start: string; end: string }[] = [
    { cidr: '192.0.2.0/24', family: 4, prefix: 24, start: 'c0000200', end: 'c00002ff' },
    { cidr: '192.0.2.77/24', family: 4, prefix: 24, start: 'c0000200', end: 'c00002ff' },
    { cidr: '10.0.0.0/8', family: 4, prefix: 8, start: '0a000000', end: '0affffff' },
    { cidr: '198.51.100.7/32', family: 4, prefix: 32, start: 'c6336407', end: 'c6336407' },
    { cidr: '0.0.0.0/0', family: 4, prefix: 0, start: '00000000', end: 'ffffffff' },
    { cidr: '2001:db8::/32', family: 6, prefix: 32, start: '20010db8000000000000000000000000', end: '20010db8ffffffffffffffffffffffff' },
    { cidr: '2001:db8::1/128', family: 6, prefix: 128, start: '20010db8000000000000000000000001', end: '20010db8000000000000000000000001' },
    { cidr: '::/0', family: 6, prefix: 0, start: '0'.repeat(32), end: 'f'.repeat(32) },
    { cidr: '2001:db8:abcd:12::/62', family: 6, prefix: 62, start: '20010db8abcd00100000000000000000', end: '20010db8abcd0013ffffffffffffffff' },
  ];
  for (const c of cases) {
    it(`${c.cidr} spans ${c.start}…${c.end}`, () => {
      assert.deepEqual(parseCidrRange(c.cidr), { family: c.family, prefix: c.prefix, start: c.start, end: c.end });
    });
  }
  for (const bad of ['192.0.2.0', '192.0.2.0/33', '2001:db8::/129', 'evil.example/24', '', '300.0.0.0/8']) {
    it(`${JSON.stringify(bad)} is not a range`, () => {
      assert.equal(parseCidrRange(bad), null);
    });
  }
});

describe('addresses', () => {
  it('computes the same network key for an address as for the range holding it, at every prefix', () => {
    for (const [ip, family, bits] of [['203.0.113.201', 4, 32], ['2001:db8:abcd:12:ffff::9', 6, 128]] as const) {
      const parsed = parseIp(ip);
      assert.ok(parsed);
      assert.equal(parsed.family, family);
      for (let p = 0; p <= bits; p++) {
        assert.equal(networkKey(parsed, p), parseCidrRange(`${ip}/${p}`)?.start, `${ip}/${p}`);
      }
    }
  });

  it('refuses what is not an address', () => {
    for (const bad of ['256.1.1.1', 'evil.example', '', '1.2.3.4/24', '2001:db8::g']) assert.equal(parseIp(bad), null, bad);
  });
});

describe('the in-memory range index', () => {
  it('answers containment most specific first, per family', () => {
    const keys = ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.3/32', '2001:db8::/32'].map((c) => parseCidrRange(c)!);
    const index = new RangeIndex(1, keys);
    const at = (ip: string) => index.containing(parseIp(ip)!).map((k) => k.prefix);
    assert.deepEqual(at('10.1.2.3'), [32, 16, 8]);
    assert.deepEqual(at('10.1.9.9'), [16, 8]);
    assert.deepEqual(at('11.0.0.0'), []);
    assert.deepEqual(at('2001:db8::1'), [32]);
    assert.deepEqual(at('2001:db9::1'), []);
  });
});
