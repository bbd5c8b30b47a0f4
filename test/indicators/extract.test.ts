import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { extract, type ExtractedIndicator, type StoredType } from '../../src/indicators/index.ts';

const pairs = (xs: ExtractedIndicator[]): string[] => xs.map((x) => `${x.type} ${x.value}`);
const top = (text: string): string[] => pairs(extract(text, { includeParts: false }));

describe('extract: what is found', () => {
  const FOUND: [string, string[]][] = [
    ['C2 at 185.220.101.5 today', ['ipv4 185.220.101.5']],
    ['ip=10.0.0.1:8080', ['ipv4 10.0.0.1']],
    ['src 2001:DB8::1 dst', ['ipv6 2001:db8::1']],
    ['mapped ::ffff:192.0.2.1 here', ['ipv6 ::ffff:192.0.2.1']],
    ['blocked 5.188.206.0/24 and 2a06:4880::/32.', ['cidr 5.188.206.0/24', 'cidr 2a06:4880::/32']],
    ['visit evil.com now', ['domain evil.com']],
    ['visit evil[.]com now', ['domain evil.com']],
    ['see hxxps://evil[.]com/a?b=1 now', ['url https://evil.com/a?b=1']],
    ['(https://evil.com/a).', ['url https://evil.com/a']], // closing bracket and full stop are not part of the URL
    ['https://en.wikipedia.org/wiki/Foo_(bar), ok', ['url https://en.wikipedia.org/wiki/Foo_(bar)']], // balanced brackets are
    ['<a href="http://evil.com/x">', ['url http://evil.com/x']],
    ['mail bob@Evil.COM please', ['email bob@evil.com']],
    ['mail bob[@]evil[.]com please', ['email bob@evil.com']],
    ['hash 44D88612FEA8A8F36DE82E1278ABB02F.', ['md5 44d88612fea8a8f36de82e1278abb02f']],
    ['CVE-2021-44228 and cve-2022-22965', ['cve CVE-2021-44228', 'cve CVE-2022-22965']],
    ['uses T1059.001 under TA0002', ['mitre-attack T1059.001', 'mitre-attack TA0002']],
    ['github.com/org/repo is the source', ['url http://github.com/org/repo']],
    ['${jndi:ldap://45.83.193.150:1389/a}', ['url ldap://45.83.193.150:1389/a']],
    ['invoice[.]zip was the domain', ['domain invoice.zip']], // defanged: meant as a domain
    ['www.evil.host', ['domain www.evil.host']], // ends like a field name, but its labels are no field words
    ['www.evil[.]host', ['domain www.evil.host']],
    ['münchen-login.de', ['domain xn--mnchen-login-dlb.de']],
  ];
  for (const [text, expected] of FOUND) test(JSON.stringify(text), () => assert.deepEqual(top(text), expected));
});

describe('extract: precision traps', () => {
  const NOTHING = [
    'open file.exe and report.pdf',
    'upgrade to version 1.2.3 or 2.17.1.4.5',
    'e.g. this, i.e. that, etc.',
    'attachment invoice.zip and setup.py and readme.md',
    '"dns.question.name": "x", "rule.id": 5, "user.email": null',
    'built with ASP.NET and Node.js',
    'MAC 00:1a:2b:3c:4d:5e at 12:30:45',
    'std::vector<int> and a::b',
    // hashes inside longer hex runs are not hashes
    'key 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08aa11bb22',
    'x_44d88612fea8a8f36de82e1278abb02f',
    '44d88612fea8a8f36de82e1278abb02fg',
    // 32 digits is a number, 32 letters a word
    'id 12345678901234567890123456789012 and abcdefabcdefabcdefabcdefabcdefab',
    'ints 999.1.1.1 and 01.2.3.4 are not addresses',
    'ver v1.2.3.4 and 1.2.3.4.5',
    'CVE-2021-12 is short',
    'localhost and wiki.corp.local and http://intranet/',
    'a dot com company; meet at noon',
    't1059 lower case',
  ];
  for (const text of NOTHING) test(JSON.stringify(text), () => assert.deepEqual(top(text), []));
});

describe('extract: offsets, parts and options', () => {
  test('offsets point at the text as written, defanged or not', () => {
    const text = 'x hxxps://login[.]evil[.]com/a y 1.2.3[.]4 z';
    const got = extract(text);
    assert.deepEqual(
      got.map((g) => [g.type, text.slice(g.start, g.end)]),
      [
        ['url', 'hxxps://login[.]evil[.]com/a'],
        ['domain', 'login[.]evil[.]com'],
        ['ipv4', '1.2.3[.]4'],
      ],
    );
  });

  test('offsets cover swallowed spaces, JSON escapes and full-width dots', () => {
    for (const [text, written] of [
      ['a evil [.] com b', 'evil [.] com'],
      ['{"u":"http:\\/\\/evil.com\\/x"}', 'http:\\/\\/evil.com\\/x'],
      ['访问 update-check．top 了', 'update-check．top'],
      ['x 1.2.3[.]4', '1.2.3[.]4'],
    ] as const) {
      const first = extract(text, { includeParts: false })[0];
      assert.ok(first, text);
      assert.equal(text.slice(first.start, first.end), written);
    }
  });

  test('the host of a URL and the domain of an email are reported as parts', () => {
    const got = extract('go http://1.2.3.4:8080/x or http://[2001:db8::1]/ or mail a@b.example.org');
    assert.deepEqual(
      got.map((g) => [g.type, g.value, g.partOf?.type ?? null]),
      [
        ['url', 'http://1.2.3.4:8080/x', null],
        ['ipv4', '1.2.3.4', 'url'],
        ['url', 'http://[2001:db8::1]/', null],
        ['ipv6', '2001:db8::1', 'url'],
        ['email', 'a@b.example.org', null],
        ['domain', 'b.example.org', 'email'],
      ],
    );
    const part = got[1] as ExtractedIndicator;
    assert.deepEqual(part.partOf, { type: 'url', value: 'http://1.2.3.4:8080/x' });
  });

  test('includeParts: false drops the parts', () => {
    assert.deepEqual(pairs(extract('http://evil.com/a', { includeParts: false })), ['url http://evil.com/a']);
  });

  test('refang: false matches the text as written', () => {
    assert.deepEqual(pairs(extract('evil[.]com and bad.org', { refang: false })), ['domain bad.org']);
  });

  test('types keeps only the listed types (parts included when their type is listed)', () => {
    const text = 'http://evil.com/a 1.2.3.4 CVE-2021-44228';
    assert.deepEqual(pairs(extract(text, { types: ['domain', 'cve'] as StoredType[] })), ['domain evil.com', 'cve CVE-2021-44228']);
    assert.deepEqual(pairs(extract(text, { types: ['ipv4'] })), ['ipv4 1.2.3.4']);
  });

  test('results come in order of appearance and every occurrence is reported', () => {
    const got = extract('1.1.1.1 then evil.com then 1.1.1.1');
    assert.deepEqual(got.map((g) => g.start), [0, 13, 27]);
  });

  test('empty and non-string input give an empty list', () => {
    assert.deepEqual(extract(''), []);
    assert.deepEqual(extract(undefined as unknown as string), []);
  });

  test('JSON alert text', () => {
    const alert = JSON.stringify({ src: '91.92.243.85', url: 'https://bad.example.net/x.ps1', sha1: '3395856CE81F2B7382DEE72602F798B642F14140', name: 'powershell.exe' });
    assert.deepEqual(top(alert), ['ipv4 91.92.243.85', 'url https://bad.example.net/x.ps1', 'sha1 3395856ce81f2b7382dee72602f798b642f14140']);
  });
});
