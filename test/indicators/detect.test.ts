// parseIndicator: trim + refang, then validate as the given type or detect the type
// deterministically (order documented in docs/indicators.md), explaining failures per type.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detect, INDICATOR_TYPES, parseIndicator, type IndicatorType } from '../../src/indicators/index.ts';

const DETECTED: [string, IndicatorType, string][] = [
  ['1.2.3.4', 'ipv4', '1.2.3.4'],
  ['  1.2.3[.]4 ', 'ipv4', '1.2.3.4'],
  ['2001:db8::1', 'ipv6', '2001:db8::1'],
  ['[2001:db8::1]', 'ipv6', '2001:db8::1'],
  ['::ffff:192.0.2.1', 'ipv6', '::ffff:192.0.2.1'],
  ['evil.com', 'domain', 'evil.com'],
  ['evil[.]com', 'domain', 'evil.com'],
  ['invoice.zip', 'domain', 'invoice.zip'], // zip is a public suffix
  ['evil dot com', 'domain', 'evil.com'], // whole-value word chain
  ['http://evil.com', 'url', 'http://evil.com/'],
  ['hxxps://evil[.]com/a', 'url', 'https://evil.com/a'],
  ['evil.com/a', 'url', 'http://evil.com/a'], // no scheme but a path: a URL
  ['1.2.3.4/bins/x86', 'url', 'http://1.2.3.4/bins/x86'],
  ['44d88612fea8a8f36de82e1278abb02f', 'md5', '44d88612fea8a8f36de82e1278abb02f'],
  ['DA39A3EE5E6B4B0D3255BFEF95601890AFD80709', 'sha1', 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
  ['e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ['cve-2021-44228', 'cve', 'CVE-2021-44228'],
  ['t1059.001', 'mitre-attack', 'T1059.001'],
  ['TA0001', 'mitre-attack', 'TA0001'],
  ['Bob@Example.COM', 'email', 'Bob@example.com'],
  ['bob[@]example[.]com', 'email', 'bob@example.com'],
  ['bob(at)example(dot)com', 'email', 'bob@example.com'],
  ['mailto:bob@example.com', 'email', 'bob@example.com'],
  ['http://user@evil.com/', 'url', 'http://user@evil.com/'], // a scheme wins over the @
  ['bücher.de', 'domain', 'xn--bcher-kva.de'],
  // a 32-hex value that is also a plausible (all-hex) name is a hash, never a domain
  ['deadbeefdeadbeefdeadbeefdeadbeef', 'md5', 'deadbeefdeadbeefdeadbeefdeadbeef'],
  // the lookup accepts the defangs extraction does
  ['myuser [at] example dot com', 'email', 'myuser@example.com'],
  ['claims @ example[.]com', 'email', 'claims@example.com'],
  ['h__ps__evil.com/a', 'url', 'https://evil.com/a'], // not a host named h__ps__evil.com
  ['http__evil.com/a', 'url', 'http://evil.com/a'],
  ['https:__evil.com/a', 'url', 'https://evil.com/a'],
  ['http:\\\\evil.com/a', 'url', 'http://evil.com/a'],
  ['ftx://files.evil.com/x', 'url', 'ftp://files.evil.com/x'],
  ['hXXps:// 45.133.1[.]100/login.php', 'url', 'https://45.133.1.100/login.php'],
  ['evil[.com', 'domain', 'evil.com'],
  ['evil(.]com', 'domain', 'evil.com'],
  ['evil-dot-com', 'domain', 'evil.com'],
  ['CVE–2021–44228', 'cve', 'CVE-2021-44228'], // en dashes, as copied from a PDF
  ['CVE‑2021‑44228', 'cve', 'CVE-2021-44228'], // non-breaking hyphens
  ['CVE 2021 44228', 'cve', 'CVE-2021-44228'],
  ['T1059‑001', 'mitre-attack', 'T1059.001'],
  ['AS13335', 'asn', 'AS13335'],
  ['as13335', 'asn', 'AS13335'],
  ['ASN 13335', 'asn', 'AS13335'],
  ['ASN13335', 'asn', 'AS13335'],
  [' AS 6939 ', 'asn', 'AS6939'],
  ['AS1.10', 'asn', 'AS65546'], // asdot, not a domain
];

for (const [input, type, value] of DETECTED) {
  test(`detects ${JSON.stringify(input)} as ${type}`, () => {
    assert.deepEqual(parseIndicator(input), { ok: true, type, value });
    assert.equal(detect(input), type);
  });
}

test('a valid value is never refanged into an invalid one (defang markers inside a local part)', () => {
  assert.deepEqual(parseIndicator('{.}.a@example.com'), { ok: true, type: 'email', value: '{.}.a@example.com' });
  assert.deepEqual(parseIndicator('a{at}b@example.com'), { ok: true, type: 'email', value: 'a{at}b@example.com' });
});

test('an explicit type validates as that type only', () => {
  assert.deepEqual(parseIndicator('1.2.3.4', 'ipv4'), { ok: true, type: 'ipv4', value: '1.2.3.4' });
  assert.deepEqual(parseIndicator('evil.com/a', 'url'), { ok: true, type: 'url', value: 'http://evil.com/a' });
  const r = parseIndicator('1.2.3.4', 'domain');
  assert.equal(r.ok, false);
  if (!r.ok) assert.deepEqual(r.tried.map((t) => t.type), ['domain']);
});

test('a failure lists every type tried and why (999.1.1.1)', () => {
  const r = parseIndicator('999.1.1.1');
  assert.equal(r.ok, false);
  if (r.ok) return;
  const ipv4 = r.tried.find((t) => t.type === 'ipv4');
  assert.ok(ipv4, 'ipv4 was tried');
  assert.match(ipv4.reason, /999.*out of range/);
  assert.ok(r.tried.some((t) => t.type === 'domain'), 'domain was tried too');
});

test('octal and hex IPv4 forms are rejected, not guessed', () => {
  for (const v of ['010.1.1.1', '0x7f.0.0.1', '0177.0.0.1']) {
    const r = parseIndicator(v);
    assert.equal(r.ok, false, v);
  }
});

test('a CIDR network is not a lookup type and says so', () => {
  const r = parseIndicator('10.0.0.0/8');
  assert.equal(r.ok, false);
  if (!r.ok) assert.deepEqual(r.tried.map((t) => t.type), ['cidr']);
});

test('garbage gets a reason for every lookup type, never an exception', () => {
  for (const v of ['hello', '', '   ', '@@@', '::::', '[.][.]', 'http://', 'a'.repeat(3000)]) {
    const r = parseIndicator(v);
    assert.equal(r.ok, false, v);
    if (!r.ok) assert.ok(r.tried.length > 0 && r.tried.every((t) => t.reason.length > 0), v);
  }
  const all = parseIndicator('hello');
  if (!all.ok) assert.deepEqual(new Set(all.tried.map((t) => t.type)), new Set(INDICATOR_TYPES));
});

test('a non-string input is a failure, not a crash', () => {
  assert.equal(parseIndicator(undefined as unknown as string).ok, false);
});

test('a bare number is never detected as an AS number; type asn takes it, and the failure says how', () => {
  assert.equal(detect('13335'), null);
  const r = parseIndicator('13335');
  assert.equal(r.ok, false);
  if (!r.ok) {
    const asn = r.tried.find((t) => t.type === 'asn');
    assert.ok(asn, 'asn is named among the types tried');
    assert.match(asn.reason, /write AS13335 or give the type asn/);
  }
  assert.deepEqual(parseIndicator('13335', 'asn'), { ok: true, type: 'asn', value: 'AS13335' });
  assert.deepEqual(parseIndicator('ASN 13335', 'asn'), { ok: true, type: 'asn', value: 'AS13335' });
  // 0 and numbers past 32 bits are no AS: no hint offered, and type asn says why.
  const zero = parseIndicator('0');
  assert.ok(!zero.ok && !zero.tried.some((t) => t.type === 'asn'));
  const big = parseIndicator('4294967296', 'asn');
  assert.ok(!big.ok && /out of range: AS numbers are 1 to 4294967295/.test(big.tried[0]!.reason));
  assert.deepEqual(parseIndicator('AS0').ok, false);
  // Words that start with `as` are not AS numbers.
  for (const word of ['as', 'ASAP', 'assets.example.com', 'AS-13335']) assert.notEqual(detect(word), 'asn', word);
});
