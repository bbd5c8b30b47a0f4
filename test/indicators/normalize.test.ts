// Table-driven: for every type, valid inputs with their canonical form, and invalid inputs with
// a word the reason must contain (so a failure explains itself).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { normalize, specialAsn, STORED_TYPES, type StoredType } from '../../src/indicators/index.ts';

const VALID: Record<StoredType, [string, string][]> = {
  ipv4: [
    ['1.2.3.4', '1.2.3.4'],
    ['  8.8.8.8\n', '8.8.8.8'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['10.0.0.1', '10.0.0.1'],
  ],
  ipv6: [
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::1%eth0', 'fe80::1'], // zone id dropped
    ['[2001:db8::1]', '2001:db8::1'], // brackets as in URLs
    ['::ffff:1.2.3.4', '::ffff:1.2.3.4'], // IPv4-mapped keeps the dotted tail (RFC 5952 §5)
    ['0:0:0:0:0:FFFF:0102:0304', '::ffff:1.2.3.4'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'], // a single zero group is not compressed
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
  ],
  domain: [
    ['Example.COM', 'example.com'],
    ['example.com.', 'example.com'], // trailing dot
    ['www.evil.co.uk', 'www.evil.co.uk'],
    ['invoice.zip', 'invoice.zip'], // zip is a public suffix
    ['bücher.de', 'xn--bcher-kva.de'], // IDN → A-label
    ['BÜCHER.DE', 'xn--bcher-kva.de'],
    ['xn--bcher-kva.de', 'xn--bcher-kva.de'],
    ['食狮.中国', 'xn--85x722f.xn--fiqs8s'],
    ['_dmarc.example.com', '_dmarc.example.com'],
    ['a-b--c.example.org', 'a-b--c.example.org'],
    ['evil.github.io', 'evil.github.io'],
    ['ＥＸＡＭＰＬＥ.com', 'example.com'], // full-width letters fold to ASCII
  ],
  url: [
    ['HTTP://Example.COM', 'http://example.com/'],
    ['https://evil.com:443/a', 'https://evil.com/a'], // default port dropped
    ['http://evil.com:80', 'http://evil.com/'],
    ['http://evil.com:8080/x?y=1#z', 'http://evil.com:8080/x?y=1#z'],
    ['https://user:pass@Evil.com/login', 'https://user:pass@evil.com/login'], // userinfo kept
    ['http://paypal.com@evil.com/', 'http://paypal.com@evil.com/'],
    ['http://[2001:DB8::1]:8080/x', 'http://[2001:db8::1]:8080/x'],
    ['http://1.2.3.4/bins/x86', 'http://1.2.3.4/bins/x86'],
    ['http://bücher.de/a', 'http://xn--bcher-kva.de/a'],
    ['http://evil.com/a"b<c>', 'http://evil.com/a%22b%3Cc%3E'], // unsafe characters percent-encoded
    ['http://evil.com/a/../b/./c', 'http://evil.com/b/c'],
    ['ftp://files.example.org/pub/', 'ftp://files.example.org/pub/'],
    ['tcp://evil.com:4444', 'tcp://evil.com:4444'],
    ['ldap://45.83.193.150:1389/Exploit', 'ldap://45.83.193.150:1389/Exploit'],
    ['http://evil.com./x', 'http://evil.com/x'],
  ],
  md5: [
    ['D41D8CD98F00B204E9800998ECF8427E', 'd41d8cd98f00b204e9800998ecf8427e'],
    [' d41d8cd98f00b204e9800998ecf8427e ', 'd41d8cd98f00b204e9800998ecf8427e'],
  ],
  sha1: [['DA39A3EE5E6B4B0D3255BFEF95601890AFD80709', 'da39a3ee5e6b4b0d3255bfef95601890afd80709']],
  sha256: [
    ['E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ],
  sha512: [['CF83E1357EEFB8BDF1542850D66D8007D620E4050B5715DC83F4A921D36CE9CE47D0D13C5D85F2B0FF8318D2877EEC2F63B931BD47417A81A538327AF927DA3E', 'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e']],
  cve: [
    ['cve-2021-44228', 'CVE-2021-44228'],
    ['CVE-1999-0001', 'CVE-1999-0001'],
    ['CVE-2024-1234567', 'CVE-2024-1234567'],
  ],
  'mitre-attack': [
    ['t1059', 'T1059'],
    ['T1059.001', 'T1059.001'],
    ['ta0001', 'TA0001'],
  ],
  email: [
    ['Bob@EXAMPLE.com', 'Bob@example.com'], // local part is case-sensitive
    ['mailto:alice@Example.org', 'alice@example.org'],
    ['mailto:alice%2Bx@example.org?subject=hi', 'alice+x@example.org'],
    ['first.last+tag@sub.example.co.uk', 'first.last+tag@sub.example.co.uk'],
    ['user@bücher.de', 'user@xn--bcher-kva.de'],
  ],
  asn: [
    ['AS13335', 'AS13335'],
    ['as13335', 'AS13335'],
    ['ASN 13335', 'AS13335'],
    ['ASN13335', 'AS13335'],
    ['asn13335', 'AS13335'],
    ['AS 13335', 'AS13335'],
    ['13335', 'AS13335'], // a bare number: the caller gave the type
    [' AS6939\n', 'AS6939'],
    ['AS013335', 'AS13335'], // leading zeros dropped
    ['AS1', 'AS1'],
    ['AS4294967295', 'AS4294967295'], // the largest 32-bit number (reserved, RFC 7300, but a number)
    ['AS23456', 'AS23456'], // AS_TRANS
    ['AS64512', 'AS64512'], // private use
    ['AS1.10', 'AS65546'], // asdot (RFC 5396): 1 × 65536 + 10
    ['0.1', 'AS1'],
    ['65535.65535', 'AS4294967295'],
  ],
  cidr: [
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['10.1.2.3/8', '10.0.0.0/8'], // host bits cleared
    ['2001:DB8::/32', '2001:db8::/32'],
    ['2001:db8::1/64', '2001:db8::/64'],
    ['1.2.3.4/32', '1.2.3.4/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
  ],
};

const INVALID: Record<StoredType, [string, RegExp][]> = {
  ipv4: [
    ['999.1.1.1', /octet 999 out of range/],
    ['1.2.3.256', /out of range/],
    ['010.1.1.1', /leading zero/],
    ['01.2.3.4', /leading zero/],
    ['0x7f.0.0.1', /hexadecimal/],
    ['2130706433', /four/],
    ['1.2.3', /four/],
    ['1.2.3.4.5', /four/],
    ['1.2.3.4:80', /four/],
    ['', /empty/],
  ],
  ipv6: [
    ['1::2::3', /more than one/],
    ['12345::1', /4 hex digits/],
    ['1:2:3:4:5:6:7', /7 groups/],
    ['1:2:3:4:5:6:7:8:9', /9 groups/],
    ['g::1', /unexpected character/],
    ['1.2.3.4', /no colon/],
    ['::ffff:01.2.3.4', /leading zero/],
    [':1::2', /stray colon/],
    ['1:2:', /stray colon/],
  ],
  domain: [
    ['com', /no dot/],
    ['file.exe', /Public Suffix List/],
    ['example.notatld', /Public Suffix List/],
    ['1.2.3.4', /numeric/],
    ['a..b.com', /empty label/],
    ['.example.com', /empty label/],
    ['-evil.com', /not allowed/],
    ['evil-.com', /not allowed/],
    ['ev il.com', /not allowed/],
    [`${'a'.repeat(64)}.com`, /63/],
    [`${'abcdefghi.'.repeat(26)}com`, /253/],
    ['evil.com/a', /not allowed/],
  ],
  url: [
    ['evil.com/a', /no scheme/], // normalize needs a scheme; parseIndicator adds one
    ['hxxp://evil.com', /unsupported scheme/], // normalize never refangs
    ['javascript://alert(1)', /unsupported scheme/],
    ['http://localhost/', /no dot/],
    ['http://0x7f.1/', /numeric|hexadecimal/],
    ['http://010.1.1.1/', /leading zero/],
    ['http://evil.com:99999/', /port/],
    ['http://evil.com/a b', /whitespace/],
    ['http:///path', /no host/],
    ['http://[::1/', /unclosed/],
  ],
  md5: [
    ['d41d8cd98f00b204e9800998ecf8427', /31 hex characters/],
    ['z41d8cd98f00b204e9800998ecf8427e', /not hexadecimal/],
  ],
  sha1: [['d41d8cd98f00b204e9800998ecf8427e', /32 hex characters, sha1 has 40/]],
  sha256: [['da39a3ee5e6b4b0d3255bfef95601890afd80709', /40 hex/]],
  sha512: [['e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', /64 hex/]],
  cve: [
    ['CVE-21-44228', /form/],
    ['CVE-2021-123', /form/],
    ['CVE-2021-044228', /form/],
    ['CVE-1998-0001', /before/],
  ],
  'mitre-attack': [
    ['T123', /ATT&CK/],
    ['T1059.1', /ATT&CK/],
    ['TA001', /ATT&CK/],
    ['S0154', /ATT&CK/],
  ],
  email: [
    ['no-at-sign.example.com', /no @/],
    ['@example.com', /empty local/],
    ['a..b@example.com', /local part/],
    ['.a@example.com', /local part/],
    ['user@localhost', /domain/],
    ['user@[1.2.3.4]', /literal/],
    [`${'a'.repeat(65)}@example.com`, /64/],
  ],
  asn: [
    ['AS0', /AS0 is reserved/],
    ['0', /AS0 is reserved/],
    ['ASN 0', /AS0 is reserved/],
    ['AS4294967296', /out of range: AS numbers are 1 to 4294967295/],
    ['99999999999', /out of range/],
    ['AS123456789012345678901234567890', /out of range/],
    ['AS1.65536', /asdot halves/],
    ['AS-13335', /not an AS number/],
    ['AS', /not an AS number/],
    ['ASN', /not an AS number/],
    ['AS13335x', /not an AS number/],
    ['AS  13335', /not an AS number/], // one blank at most
    ['A13335', /not an AS number/],
    ['AS−1', /not an AS number/],
    ['AS1.2.3', /not an AS number/],
    ['AS1e5', /not an AS number/],
    ['AS0x10', /not an AS number/],
    ['AS１３３３５', /not an AS number/], // full-width digits
  ],
  cidr: [
    ['10.0.0.0', /prefix/],
    ['10.0.0.0/33', /out of range/],
    ['10.0.0.0/08', /not a decimal/],
    ['2001:db8::/129', /out of range/],
    ['999.0.0.0/8', /out of range/],
  ],
};

test('every stored type has valid and invalid cases', () => {
  for (const t of STORED_TYPES) {
    assert.ok((VALID[t]?.length ?? 0) > 0, `valid cases for ${t}`);
    assert.ok((INVALID[t]?.length ?? 0) > 0, `invalid cases for ${t}`);
  }
});

for (const type of STORED_TYPES) {
  describe(`normalize ${type}`, () => {
    for (const [input, expected] of VALID[type]) {
      test(`valid: ${JSON.stringify(input)} → ${expected}`, () => {
        assert.deepEqual(normalize(type, input), { ok: true, value: expected });
        assert.deepEqual(normalize(type, expected), { ok: true, value: expected }, 'canonical form is a fixed point');
      });
    }
    for (const [input, reason] of INVALID[type]) {
      test(`invalid: ${JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input)}`, () => {
        const r = normalize(type, input);
        assert.equal(r.ok, false, `expected ${type} to reject ${input}, got ${JSON.stringify(r)}`);
        if (!r.ok) assert.match(r.reason, reason);
      });
    }
  });
}

test('normalize rejects values longer than 2,048 characters with a reason', () => {
  const r = normalize('url', `http://evil.com/${'a'.repeat(2100)}`);
  assert.deepEqual(r, { ok: false, reason: 'longer than 2048 characters' });
});

test('normalize rejects an unknown type and a non-string without throwing', () => {
  assert.equal(normalize('bogus' as StoredType, 'x').ok, false);
  assert.equal(normalize('domain', 42 as unknown as string).ok, false);
});

describe('special AS numbers: valid, and said to be special', () => {
  const CASES: [string, string | null, RegExp | null][] = [
    ['AS13335', null, null],
    ['AS23455', null, null],
    ['AS23456', 'AS23456', /AS_TRANS/],
    ['AS64495', null, null],
    ['AS64496', 'AS64496-AS64511', /documentation/],
    ['AS64511', 'AS64496-AS64511', /documentation/],
    ['AS64512', 'AS64512-AS65534', /private use/],
    ['AS65534', 'AS64512-AS65534', /private use/],
    ['AS65535', 'AS65535', /reserved/],
    ['AS65536', 'AS65536-AS65551', /documentation/],
    ['AS131072', null, null],
    ['AS4199999999', null, null],
    ['AS4200000000', 'AS4200000000-AS4294967294', /private use/],
    ['AS4294967295', 'AS4294967295', /reserved/],
    ['as64512', null, null], // only canonical values are looked at
  ];
  for (const [value, range, use] of CASES) {
    test(`${value} → ${range ?? 'an ordinary AS'}`, () => {
      assert.equal(normalize('asn', value).ok, true, 'every one is a valid AS number');
      const s = specialAsn(value);
      if (range === null) return assert.equal(s, null);
      assert.equal(s?.range, range);
      assert.match(s?.use ?? '', use!);
    });
  }
});
