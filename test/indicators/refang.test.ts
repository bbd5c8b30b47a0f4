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
  ];
  for (const p of prose) assert.equal(refang(p), p);
});

test('refang is idempotent on already clean text', () => {
  for (const v of ['http://evil.com/a?b=c', 'user@example.com', '1.2.3.4']) assert.equal(refang(refang(v)), v);
});
