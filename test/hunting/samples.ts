/** Shared test inputs: one canonical value per type, and values built to break out of literals. */
import type { IndicatorType } from '../../src/indicators/types.ts';
import type { HuntingInput } from '../../src/model.ts';
import { searchedValue } from '../../src/hunting/value.ts';

/** The text a query searches for `value` of `type` (an AS number without its `AS`). */
export const searched = (type: IndicatorType, value: string): string => searchedValue(type, value);

export const SAMPLE_VALUES: Readonly<Record<IndicatorType, string>> = {
  ipv4: '192.0.2.1',
  ipv6: '2001:db8::1',
  domain: 'evil.example',
  url: 'https://evil.example/path/payload.exe?id=1',
  md5: '44d88612fea8a8f36de82e1278abb02f',
  sha1: '3395856ce81f2b7382dee72602f798b642f14140',
  sha256: '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f',
  sha512: 'cc805d5fab1fd71a4ab352a9c533e65fb2d5b885518f4e565e68847223b8e6b85cb48f3afad842726d99239c9e36505c64b0dc9a061d9e507d833277ada336ab',
  email: 'phish@evil.example',
  cve: 'CVE-2021-44228',
  'mitre-attack': 'T1059.001',
  asn: 'AS13335',
};

export const TYPES = Object.keys(SAMPLE_VALUES) as IndicatorType[];

export function sampleInput(type: IndicatorType, value = SAMPLE_VALUES[type]): HuntingInput {
  return {
    type,
    value,
    level: 'high',
    techniques: ['T1071', 'T1041', 'TA0011'],
    context: { threatTypes: ['botnet_cc'], malwareFamilies: ['emotet'], references: ['https://example.org/report'] },
  };
}

/** Values aimed at each language's literal rules: quotes, escapes, pipes, newlines, wildcards. */
export const HOSTILE_VALUES: readonly string[] = [
  'a"b',
  "a'b",
  'a\\',
  'a\\"b',
  '\\\\"',
  'x" | delete',
  'x" or 1==1 or "',
  "x' or '1'='1",
  'a|b',
  'a\nb',
  ' \n', // whitespace-only lines: a YAML block scalar would lose the space
  '\n \n"', // and a folded double-quoted one would gain a backslash
  'a\r\nb',
  'a\tb',
  'line\u2028sep',
  '\u0000\u0001\u001f\u007f\u0085',
  '*',
  'a*b?c',
  '%_%',
  '`macro`',
  '[| makeresults]',
  '$(whoami)',
  '```',
  '"""',
  '@"verbatim"',
  'h"hidden"',
  'ünïcødé-домен-例え.テスト',
  '😀 emoji \ud83d\ude00',
  'lone \ud800 surrogate \udfff',
  '#comment',
  '// comment',
  '- yaml: list',
  ': colon',
  '{json: 1}',
  'x'.repeat(5000),
  '"'.repeat(300) + '\\'.repeat(300),
];

/** Characters that matter to at least one query language, for property tests. */
export const SPECIAL_UNITS: readonly string[] = [
  '"', "'", '\\', '|', '\n', '\r', '\t', '*', '?', '%', '_', '`', '[', ']', '(', ')', '{', '}', '@', '#', ':', '-', ' ',
  'a', 'h', 'é', '😀', '\u0000', '\u007f', '\u2028', '\ud800',
];
