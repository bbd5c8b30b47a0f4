// Roles: a link the text cites (a references section, a titled link, a reference site) is a
// `reference`; everything else is an `indicator`. Nothing is dropped.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compileReferenceSites, extract, shippedReferenceSites, type ExtractOptions } from '../../src/indicators/index.ts';

const roles = (text: string, options: ExtractOptions = {}): string[] => extract(text, { includeParts: false, ...options }).map((x) => `${x.role} ${x.value}`);

describe('role: references sections', () => {
  const SECTIONS: [string, string, string[]][] = [
    [
      'a Markdown heading, up to the next heading',
      'C2 at https://evil.example.net/a\n\n## References\n\n1. https://www.volexity.com/blog/x\n2. Report: https://research.example.org/post\n\n## Appendix\n\nhttps://drop.example.net/b',
      ['indicator https://evil.example.net/a', 'reference https://www.volexity.com/blog/x', 'reference https://research.example.org/post', 'indicator https://drop.example.net/b'],
    ],
    ['a "References:" line with a list under it', 'x https://a.example.net/\nReferences:\n- https://b.example.org/1\n- https://c.example.org/2\n', ['indicator https://a.example.net/', 'reference https://b.example.org/1', 'reference https://c.example.org/2']],
    ['an inline "Sources:" line', 'Sources: https://b.example.org/1, https://c.example.org/2\nC2: https://d.example.net/x', ['reference https://b.example.org/1', 'reference https://c.example.org/2', 'indicator https://d.example.net/x']],
    ['a bold heading', '**Sources**\nhttps://b.example.org/1', ['reference https://b.example.org/1']],
    ['an HTML heading', '<h2>References</h2>\n<p>https://b.example.org/1</p>', ['reference https://b.example.org/1']],
    ['a numbered heading', '7. Further reading\nhttps://b.example.org/1', ['reference https://b.example.org/1']],
    ['a Polish heading, ending at a label line', 'Źródła:\n- https://b.example.org/1\nSerwery:\nhttps://d.example.net/x', ['reference https://b.example.org/1', 'indicator https://d.example.net/x']],
    ['a Sigma rule\'s references key', 'references:\n    - https://b.example.org/1\nlogsource:\n    category: dns\n    url: https://d.example.net/x', ['reference https://b.example.org/1', 'indicator https://d.example.net/x']],
    ['bare domains in a sources section', 'Sources:\nurlscan.io and research.example.org', ['reference urlscan.io', 'reference research.example.org']],
    ['prose that starts with a heading word is not a heading', 'Sources of the data include https://d.example.net/x', ['indicator https://d.example.net/x']],
  ];
  for (const [name, text, expected] of SECTIONS) test(name, () => assert.deepEqual(roles(text), expected));

  test('a defanged link in a references section is still an indicator', () => {
    assert.deepEqual(roles('References:\n- hxxps://evil[.]example[.]net/x\n- https://b.example.org/1'), ['indicator https://evil.example.net/x', 'reference https://b.example.org/1']);
  });

  test('addresses, hashes and ids in a references section stay indicators', () => {
    assert.deepEqual(roles('References:\n- CVE-2024-3400 and 45.133.1.100'), ['indicator CVE-2024-3400', 'indicator 45.133.1.100']);
  });
});

describe('role: titled links', () => {
  const LINKS: [string, string, string[]][] = [
    ['a Markdown link with a title', 'see [our March write-up](https://research.example.org/2024/03/x) for more', ['reference https://research.example.org/2024/03/x']],
    ['a footnote number', 'as reported[1](https://research.example.org/x)', ['reference https://research.example.org/x']],
    ['a Markdown link with its address as text', '[https://a.example.net/x.png](https://a.example.net/x.png)', ['indicator https://a.example.net/x.png', 'indicator https://a.example.net/x.png']],
    ['a Markdown image', '![logo](https://a.example.net/logo.png)', ['indicator https://a.example.net/logo.png']],
    ['a Markdown link definition', 'text [1]\n\n[1]: https://research.example.org/x', ['reference https://research.example.org/x']],
    ['an HTML link with a title', '<a href="https://research.example.org/x">Analysis of the loader</a>', ['reference https://research.example.org/x']],
    ['an HTML link asking the reader to act', '<a href="https://pay.example.net/checkout">Pay the customs fee now</a>', ['indicator https://pay.example.net/checkout']],
    ['an HTML link whose text is another address', '<a href="https://evil.example.net/login">https://www.paypal.com/signin</a>', ['indicator https://evil.example.net/login', 'indicator https://www.paypal.com/signin']],
    ['a Polish call to action', '[Kliknij tutaj](https://pay.example.net/x)', ['indicator https://pay.example.net/x']],
  ];
  for (const [name, text, expected] of LINKS) test(name, () => assert.deepEqual(roles(text), expected));
});

describe('role: reference sites', () => {
  const SITES: [string, string, string[]][] = [
    ['ATT&CK, NVD, CVE.org, CISA', 'https://attack.mitre.org/techniques/T1572/ https://nvd.nist.gov/vuln/detail/CVE-2024-3400 https://www.cve.org/CVERecord?id=CVE-2024-3400 https://www.cisa.gov/kev', [
      'reference https://attack.mitre.org/techniques/T1572/', 'reference https://nvd.nist.gov/vuln/detail/CVE-2024-3400', 'reference https://www.cve.org/CVERecord?id=CVE-2024-3400', 'reference https://www.cisa.gov/kev',
    ]],
    ['a VirusTotal report page, but not the rest of the site', 'https://www.virustotal.com/gui/file/abc and https://www.virustotal.com/api/x', ['reference https://www.virustotal.com/gui/file/abc', 'indicator https://www.virustotal.com/api/x']],
    ['abuse.ch report pages', 'https://urlhaus.abuse.ch/url/123/ and bazaar.abuse.ch', ['reference https://urlhaus.abuse.ch/url/123/', 'reference bazaar.abuse.ch']],
    ['a GitHub repository, but not a file it serves for download', 'https://github.com/org/detections and https://github.com/org/tool/releases/download/v1/loader.exe', ['reference https://github.com/org/detections', 'indicator https://github.com/org/tool/releases/download/v1/loader.exe']],
    ['a subdomain of a site listed with its subdomains, not a name that merely ends like it', 'cve.mitre.org and notmitre.org', ['reference cve.mitre.org', 'indicator notmitre.org']],
    ['a payload host that is not on the list', 'https://raw.githubusercontent.com/x/y/main/a.ps1', ['indicator https://raw.githubusercontent.com/x/y/main/a.ps1']],
    ['a defanged link to a listed site', 'hxxps://github[.]com/evil-actor/kit', ['indicator https://github.com/evil-actor/kit']],
  ];
  for (const [name, text, expected] of SITES) test(name, () => assert.deepEqual(roles(text), expected));

  test('a URL\'s host and an email\'s domain share its role', () => {
    const got = extract('see https://attack.mitre.org/x and report@cisa.gov').map((x) => `${x.role} ${x.type} ${x.value}`);
    assert.deepEqual(got, ['reference url https://attack.mitre.org/x', 'reference domain attack.mitre.org', 'reference email report@cisa.gov', 'reference domain cisa.gov']);
  });

  test('callers may pass their own list', () => {
    const referenceSites = compileReferenceSites({ sites: [{ host: 'intel.corp.example.org', subdomains: true }] });
    assert.deepEqual(roles('https://intel.corp.example.org/r/1 https://attack.mitre.org/x', { referenceSites }), ['reference https://intel.corp.example.org/r/1', 'indicator https://attack.mitre.org/x']);
  });

  test('other types are always indicators', () => {
    assert.deepEqual(roles('https://attack.mitre.org/techniques/T1572/ T1572 CVE-2024-3400'), ['reference https://attack.mitre.org/techniques/T1572/', 'indicator T1572', 'indicator CVE-2024-3400']);
  });
});

describe('role: the shipped list (data/reference-sites.json)', () => {
  const data = JSON.parse(readFileSync(new URL('../../data/reference-sites.json', import.meta.url), 'utf8')) as { sites: { host: string; what?: string }[] };

  test('it compiles, and the loaded list is the file', () => {
    compileReferenceSites(data);
    assert.equal(shippedReferenceSites().byHost.size, new Set(data.sites.map((s) => s.host)).size);
  });

  test('every site says what it is, and no host is listed twice', () => {
    for (const s of data.sites) assert.ok(typeof s.what === 'string' && s.what !== '', s.host);
    assert.equal(new Set(data.sites.map((s) => s.host)).size, data.sites.length);
  });

  test('it names the reference sites analysts cite most (ATT&CK, NVD, CVE.org, CISA, vendor advisories, report pages, GitHub)', () => {
    for (const host of ['mitre.org', 'nist.gov', 'cve.org', 'cisa.gov', 'www.virustotal.com', 'abuse.ch', 'github.com']) assert.ok(shippedReferenceSites().byHost.has(host), host);
  });

  test('a malformed list is refused with what is wrong', () => {
    assert.throws(() => compileReferenceSites({}), /"sites" list/);
    assert.throws(() => compileReferenceSites({ sites: [{ host: 'Bad Host' }] }), /sites\[0\]: "host"/);
    assert.throws(() => compileReferenceSites({ sites: [{ host: 'a.org', paths: '/x' }] }), /sites\[0\]\.paths/);
  });
});
