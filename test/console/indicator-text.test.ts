import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defang, levelRank, toCsv, toDefangedText } from '../../console/src/indicator-text.ts';
import { refang } from '../../src/indicators/refang.ts';

test('defang: dots, scheme and @ of network values; hashes, CVEs and techniques unchanged', () => {
  const cases: [string, string, string][] = [
    ['ipv4', '185.220.101.5', '185[.]220[.]101[.]5'],
    ['domain', 'evil.example.com', 'evil[.]example[.]com'],
    ['url', 'https://evil.example/a.php', 'hxxps://evil[.]example/a[.]php'],
    ['url', 'HTTP://x.top/', 'hxxp://x[.]top/'],
    ['email', 'bad@phish.top', 'bad[@]phish[.]top'],
    ['md5', '44d88612fea8a8f36de82e1278abb02f', '44d88612fea8a8f36de82e1278abb02f'],
    ['cve', 'CVE-2024-3400', 'CVE-2024-3400'],
    ['mitre-attack', 'T1059.001', 'T1059.001'],
  ];
  for (const [type, value, want] of cases) {
    assert.equal(defang(type, value), want, `${type} ${value}`);
    assert.equal(refang(want), type === 'url' ? value.replace(/^HTTP/, 'http') : value, `Verdict refangs ${want}`);
  }
});

test('CSV: a header, quoted fields, spreadsheet formulas made inert, no verdict left empty', () => {
  const csv = toCsv([
    { type: 'url', value: 'http://x.top/a,b"c', role: 'indicator', count: 2, verdict: { level: 'high', score: 72, confidence: 'medium', found: true, sources: 1, techniques: ['T1071', 'T1105'] } },
    { type: 'domain', value: '=HYPERLINK("http://x")', role: 'reference', count: 1 },
  ]);
  assert.equal(
    csv,
    'type,value,role,count,level,score,confidence,found,sources,techniques\r\n' +
      'url,"http://x.top/a,b""c",indicator,2,high,72,medium,true,1,T1071 T1105\r\n' +
      `domain,"'=HYPERLINK(""http://x"")",reference,1,,,,,,\r\n`,
  );
});

test('defanged text is one value a line; levels rank worst first, unknown levels last', () => {
  assert.equal(toDefangedText([{ type: 'ipv4', value: '1.2.3.4', role: 'indicator', count: 1 }, { type: 'sha1', value: 'a'.repeat(40), role: 'indicator', count: 1 }]), `1[.]2[.]3[.]4\n${'a'.repeat(40)}`);
  assert.ok(levelRank('critical') < levelRank('high') && levelRank('high') < levelRank('low') && levelRank('low') < levelRank(undefined));
  assert.equal(levelRank('bogus'), levelRank(undefined));
});
