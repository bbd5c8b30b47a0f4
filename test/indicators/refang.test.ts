import { test } from 'node:test';
import assert from 'node:assert/strict';
import { refang } from '../../src/indicators/index.ts';

const CASES: [string, string][] = [
  ['hxxp://evil.com', 'http://evil.com'],
  ['hXXps://evil.com', 'https://evil.com'],
  ['HXXPS://evil.com', 'https://evil.com'],
  ['fxp://files.evil.com', 'ftp://files.evil.com'],
  ['h**p://evil.com', 'http://evil.com'],
  ['evil[.]com', 'evil.com'],
  ['evil(.)com', 'evil.com'],
  ['evil{.}com', 'evil.com'],
  ['evil[dot]com', 'evil.com'],
  ['evil[DOT]com', 'evil.com'],
  ['evil(dot)com', 'evil.com'],
  ['evil [.] com', 'evil.com'],
  ['evil dot com', 'evil.com'],
  ['http[:]//evil.com', 'http://evil.com'],
  ['hxxp[:]//evil[.]com', 'http://evil.com'],
  ['http[://]evil.com', 'http://evil.com'],
  ['hxxps[://]evil.com', 'https://evil.com'],
  ['user[@]evil.com', 'user@evil.com'],
  ['user(at)evil.com', 'user@evil.com'],
  ['user[at]evil.com', 'user@evil.com'],
  ['user at evil dot com', 'user@evil.com'],
  ['evil\\.com', 'evil.com'],
  ['evil\\\\.com', 'evil.com'],
  ['evil．com', 'evil.com'], // full-width full stop
  ['evil。com', 'evil.com'], // ideographic full stop
  ['evil｡com', 'evil.com'], // half-width ideographic full stop
  ['1[.]2[.]3[.]4', '1.2.3.4'],
  ['2001:db8[:]:1', '2001:db8::1'],
  ['http:\\/\\/evil.com\\/a', 'http://evil.com/a'], // JSON-escaped slashes
  // brackets of any kind, repeated, mixed, half-open or turned round (iocextract, ioc-fanger)
  ['evil<.>com', 'evil.com'],
  ['evil[[.]]com', 'evil.com'],
  ['evil(.]com', 'evil.com'],
  ['evil  [  .  ]   com', 'evil.com'],
  ['evil[[[ [ . )]) com', 'evil.com'],
  ['evil[.com', 'evil.com'],
  ['evil.]com', 'evil.com'],
  ['www].[evil].[com', 'www.evil.com'],
  ['www[.[evil[.[com', 'www.evil.com'],
  ['www].]evil].]com', 'www.evil.com'],
  ['10.10.10.]]]10', '10.10.10.10'],
  ['10(((.]]]]10([[.)10.)10', '10.10.10.10'],
  ['evil\\(.\\)com', 'evil.com'], // backslash-escaped brackets
  ['evil[,]com', 'evil.com'],
  ['evil[punkt]com', 'evil.com'],
  ['evil(punto)com', 'evil.com'],
  ['evil-dot-com', 'evil.com'],
  ['evil[dotcom', 'evil.com'],
  ['evildot]com', 'evil.com'],
  ['test \\. evil \\. com', 'test.evil.com'],
  ['foo[-]bar.com', 'foo-bar.com'],
  ['[www].evil.com', 'www.evil.com'],
  ['evil.com[/]x', 'evil.com/x'],
  ['evil.com(/)x', 'evil.com/x'],
  ['http://evil.com[/x', 'http://evil.com/x'],
  // at signs
  ['bob(@)evil.com', 'bob@evil.com'],
  ['bob [at] evil.com', 'bob@evil.com'],
  ['bob{at}evil.com', 'bob@evil.com'],
  ['bob[AT]evil.com', 'bob@evil.com'],
  ['bob (et) evil.com', 'bob@evil.com'],
  ['bob (arroba) evil (punto) com', 'bob@evil.com'],
  ['bob @ evil.com', 'bob@evil.com'],
  ['bob @evil[.]com', 'bob@evil.com'],
  ['bob@ evil[.]com', 'bob@evil.com'],
  ['bob＠evil.com', 'bob@evil.com'], // full-width at
  ['bob [at] evil dot com', 'bob@evil.com'],
  ['bob@evil DOT com', 'bob@evil.com'],
  // schemes and separators
  ['hXXp://evil.com', 'http://evil.com'],
  ['h__p://evil.com', 'http://evil.com'],
  ['h00ps://evil.com', 'https://evil.com'],
  ['hxtp://evil.com', 'http://evil.com'],
  ['fxxp://evil.com', 'ftp://evil.com'],
  ['ftx://evil.com', 'ftp://evil.com'],
  ['xxxx://evil.com', 'http://evil.com'],
  ['xxxxs://evil.com', 'https://evil.com'],
  ['XxXxX://evil.com', 'https://evil.com'],
  ['[https]://evil.com', 'https://evil.com'],
  ['(http)://evil.com', 'http://evil.com'],
  ['http(:)//evil.com', 'http://evil.com'],
  ['http{:}//evil.com', 'http://evil.com'],
  ['hxxp(://)evil.com', 'http://evil.com'],
  ['http:\\\\evil.com', 'http://evil.com'],
  ['http__evil.com', 'http://evil.com'],
  ['https:__evil.com', 'https://evil.com'],
  ['h__ps__evil.com', 'https://evil.com'],
  ['http ://evil.com', 'http://evil.com'],
  ['http:///evil.com', 'http://evil.com'],
  ['https//evil.com', 'https://evil.com'],
  ['hXXps:// 1.2.3[.]4/x', 'https://1.2.3.4/x'],
  ['http:// evil .com /x', 'http://evil.com/x'],
  ['http：//evil.com', 'http://evil.com'], // full-width colon
  ['http://evil,com/', 'http://evil.com/'],
  ['http://192,168,0,1/', 'http://192.168.0.1/'],
  // lone CVE and ATT&CK ids as PDFs write them
  ['CVE–2021–44228', 'CVE-2021-44228'],
  ['CVE‑2021‑44228', 'CVE-2021-44228'],
  ['CVE 2021 44228', 'CVE-2021-44228'],
  ['T1059‑001', 'T1059.001'],
];

for (const [input, expected] of CASES) {
  test(`refang ${JSON.stringify(input)}`, () => assert.equal(refang(input), expected));
}

test('prose is left alone: nothing becomes an indicator by accident', () => {
  const prose = [
    'We run a dot com business and meet at noon.',
    'Look at the dot on the map.',
    'The shell (bash) printed [done] and {ok}.',
    'He said: hxxp is how people write links.',
    '価格は100円です。次へ進む。',
    'Path C:\\Windows\\System32 and regex a\\.',
    'Look at the dot on the map.',
    'He wrote (see below). Then (a). (b) and [1], [2].',
    'thanks @abuse_ch and @cryptolaemus for the samples',
    'C:\\Users\\bob and http_proxy=__init__',
    'a CSV row: http://a.example.com,2023-01-12,url',
    'GET /wp-login.php HTTP/1.1',
    'see http://a.example.com /etc/passwd',
    'polka-dot-dress',
  ];
  for (const p of prose) assert.equal(refang(p), p);
});

test('refang is idempotent on already clean text', () => {
  for (const v of ['http://evil.com/a?b=c', 'user@example.com', '1.2.3.4']) assert.equal(refang(refang(v)), v);
});
