/**
 * The console's work pages in a real Chromium (Debian's `chromium`, driven by playwright-core)
 * against `verdict serve` on a seeded SQLite store: Analyze (a pasted text with hostile markup →
 * the indicator table, sorting, filtering, references apart, the summary, CSV and defanged
 * exports), Feeds (health, runs, counts, data age; an admin's errors and "Run now" against a
 * feed served over loopback HTTP; a reader sees neither). axe-core on each page. Screenshots go to a temp folder.
 * Skipped, loudly, where /usr/bin/chromium is missing (.ci/run installs it).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { SKIP_WITHOUT_CHROMIUM, assertAccessible, createKey, launchChromium, screenshotFolder } from './browser-kit.ts';
import { loadConfig } from '../../src/config.ts';
import { startServer, type RunningServer } from '../../src/main.ts';
import { openStore } from '../../src/store/index.ts';


const ADMIN_KEY = 'sk_live_' + 'ConsPage'.repeat(5);
const IP = '185.220.101.5';
const HOSTILE_TEXT = [
  'Campaign <img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script> used 185[.]220[.]101[.]5 for C2',
  'and hxxp://evil-cdn[.]top/p?a="><img/src=x/onerror=window.__pwned=3> to stage, dropping 44d88612fea8a8f36de82e1278abb02f.',
  'Phishing from bad@phish[.]top; T1059.001 and CVE-2024-3400.',
  'References: https://www.cisa.gov/news-events/cybersecurity-advisories/aa24-109a',
].join('\n');
/** Named by the seeded report only (the IP above is the Analyze page's, with one source). */
const REPORT_IP = '91.92.93.94';
const HOSTILE_TITLE = 'Hostile report <img src=x onerror="window.__pwned=5"> <script>window.__pwned=6</script>';

describe('console pages in Chromium', { skip: SKIP_WITHOUT_CHROMIUM }, () => {
  let dir: string;
  let shots: string;
  let server: RunningServer;
  let context: BrowserContext;
  let page: Page;
  let feedServer: Server;
  /** What the team feed's server answers next: a failure first, then a list. */
  let feedAnswer: { status: number; body: string } = { status: 500, body: 'upstream broke' };
  const keys: Record<string, string> = {};
  let reportId = '';

  before(async () => {
    feedServer = createServer((_req, res) => {
      res.writeHead(feedAnswer.status, { 'content-type': 'text/plain' });
      res.end(feedAnswer.body);
    });
    await new Promise<void>((resolve) => feedServer.listen(0, '127.0.0.1', resolve));
    dir = mkdtempSync(join(tmpdir(), 'verdict-console-pages-'));
    shots = screenshotFolder();
    const db = join(dir, 'verdict.db');
    const store = await openStore(db);
    const now = new Date().toISOString();
    await store.ingest({ feedId: 'circl-osint', mode: 'incremental', runAt: now }, [
      { type: 'ipv4', value: IP, firstSeen: '2026-01-10T00:00:00Z', lastSeen: now, threatType: 'botnet_cc', malwareFamily: 'Cobalt Strike', attackIds: ['T1071.001'], attributes: {} },
    ]);
    await store.close();
    const feedsFile = join(dir, 'feeds.json');
    const team = { id: 'team-iocs', name: 'Team IOCs', category: 'commercial', reliability: 'A', format: 'plain-list', license: 'internal', types: ['ipv4'], options: { threatType: 'botnet_cc' } };
    writeFileSync(feedsFile, JSON.stringify({ feeds: [{ ...team, url: `http://127.0.0.1:${(feedServer.address() as AddressInfo).port}/list.txt` }] }));
    server = await startServer(
      loadConfig({ VERDICT_DATABASE_URL: db, VERDICT_PORT: '0', VERDICT_SCHEDULER: 'off', VERDICT_LOG_LEVEL: 'silent', VERDICT_ADMIN_KEY: ADMIN_KEY, VERDICT_FEEDS_FILE: feedsFile }),
      { print: () => {} },
    );
    keys['reader'] = await createKey(server.address, ADMIN_KEY, { name: 'reader', tier: 'pro', scopes: ['read:lookup'] });
    const submit = async (body: Record<string, string>): Promise<string> => {
      const r = await fetch(`${server.address}/api/v1/reports`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(r.status, 201, await r.clone().text());
      return ((await r.json()) as { id: string }).id;
    };
    reportId = await submit({ title: HOSTILE_TITLE, url: 'https://reports.example.org/apt/1', published: '2026-02-01T00:00:00Z', text: `The actor beaconed to ${REPORT_IP} and used T1059.001; it exploited CVE-2024-3400.` });
    // enough reports for a second page (the list asks 25 at a time)
    for (let i = 1; i <= 26; i++) await submit({ title: `Filler report ${i}`, published: `2025-12-${String(i).padStart(2, '0')}T00:00:00Z`, text: `Beacon to 198.51.100.${i}` });
    ({ context, page } = await launchChromium(dir, { acceptDownloads: true }));
    await page.goto(`${server.address}/analyze`);
    await page.getByLabel('API key').fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
  });

  after(async () => {
    await context?.close();
    await server?.close();
    feedServer?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const axe = (name: string): Promise<void> => assertAccessible(page, name);

  /** The first column's values of the indicator table, in the order shown. */
  const shownValues = (): Promise<string[]> => page.getByTestId('indicator-table').locator('tbody tr td:nth-child(2)').allInnerTexts();

  test('Analyze: a pasted hostile text → the table with verdicts, the summary, references apart; nothing of it runs', async () => {
    const field = page.getByLabel('Text to analyze');
    await field.waitFor();
    assert.equal(new URL(page.url()).pathname, '/analyze', 'the deep link survived the sign-in');
    await field.fill(HOSTILE_TEXT);
    await page.getByRole('button', { name: 'Analyze' }).click();
    const analysis = page.getByTestId('analysis');
    await analysis.waitFor();
    const values = await shownValues();
    for (const v of [IP, 'evil-cdn.top', 'bad@phish.top', '44d88612fea8a8f36de82e1278abb02f', 'T1059.001', 'CVE-2024-3400']) assert.ok(values.includes(v), `${v} in ${values.join(' ')}`);
    assert.ok(!values.some((v) => v.includes('cisa.gov')), 'references are not in the indicator table');
    assert.match(await page.getByTestId('references').innerText(), /www\.cisa\.gov/);
    // the default order is worst first
    const levels = await page.getByTestId('indicator-table').locator('tbody tr td:nth-child(4)').allInnerTexts();
    const rank = (l: string) => ['critical', 'high', 'medium', 'low', 'info', 'none', 'unknown'].indexOf(l.toLowerCase());
    assert.ok(levels.every((l) => rank(l) >= 0), levels.join(' '));
    assert.deepEqual(levels, [...levels].sort((a, b) => rank(a) - rank(b)), 'worst first');
    const row = (v: string) => page.getByTestId('indicator-table').locator('tbody tr', { has: page.getByRole('link', { name: v, exact: true }) });
    assert.equal(await row(IP).locator('td:nth-child(8)').innerText(), '1', 'the found IP names its one source');
    assert.equal(await row('bad@phish.top').locator('td:nth-child(8)').innerText(), 'not found');
    const summary = await page.getByTestId('analysis-summary').innerText();
    assert.match(summary, /Worst level/);
    assert.match(summary, /Found [1-9]\d* of \d+ looked up/);
    assert.match(summary, /T1071\.001/, "the found IP's technique is summarized");
    assert.equal(await page.locator('main img').count(), 0, 'no element made of the text');
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined, 'no script ran');
    await page.screenshot({ path: join(shots, 'analyze.png') });
    await axe('analyze page with results');
  });

  test('Analyze: sorting by a column header, both ways; filtering by text and type', async () => {
    const header = page.getByRole('button', { name: 'Indicator' });
    await header.click();
    const asc = await shownValues();
    assert.deepEqual(asc, [...asc].sort(), 'ascending by value');
    assert.equal(await page.locator('th[aria-sort="ascending"]').innerText(), 'Indicator ▲');
    await header.click();
    const desc = await shownValues();
    assert.deepEqual(desc, [...asc].reverse(), 'descending by value');
    await page.getByLabel('Filter indicators').fill('bad@');
    assert.deepEqual(await shownValues(), ['bad@phish.top']);
    await page.getByLabel('Filter indicators').fill('');
    await page.getByLabel('Type', { exact: true }).selectOption('cve');
    assert.deepEqual(await shownValues(), ['CVE-2024-3400']);
    await page.getByLabel('Type', { exact: true }).selectOption('');
    assert.equal((await shownValues()).length, asc.length);
  });

  test('Analyze: the selection exported as CSV and as defanged text, which Verdict reads back to the same values', async () => {
    await page.getByLabel('Select all shown indicators').uncheck();
    for (const v of [IP, 'evil-cdn.top', 'bad@phish.top']) await page.getByLabel(`Select ${v}`, { exact: true }).check();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    const csv = readFileSync((await download.path()) ?? '', 'utf8').trim().split('\r\n');
    assert.equal(csv[0], 'type,value,role,count,level,score,confidence,found,sources,techniques');
    assert.deepEqual(csv.slice(1).map((l) => l.split(',')[1]).sort(), [IP, 'bad@phish.top', 'evil-cdn.top'].sort());
    assert.match(csv.find((l) => l.includes(IP)) ?? '', /,true,1,T1071\.001( |$)/);
    await page.getByRole('button', { name: 'Copy defanged' }).click();
    await page.getByText('Copied 3 defanged values.').waitFor();
    const copied = (await page.evaluate(() => navigator.clipboard.readText())).split('\n');
    assert.ok(copied.includes('185[.]220[.]101[.]5') && copied.includes('bad[@]phish[.]top') && copied.includes('evil-cdn[.]top'), copied.join(' '));
    const back = await page.evaluate(async (text) => {
      const session = (await (await fetch('/api/v1/session')).json()) as { csrf_token: string };
      const res = await fetch('/api/v1/extract', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrf_token }, body: JSON.stringify({ text }) });
      return ((await res.json()) as { distinct: { value: string }[] }).distinct.map((d) => d.value);
    }, copied.join('\n'));
    // (the extractor also names an email address's domain)
    assert.deepEqual(back.sort(), [IP, 'bad@phish.top', 'evil-cdn.top', 'phish.top'].sort(), 'the defanged text refangs to the selection');
  });

  test('Analyze: a chosen document (HTML) is uploaded instead of the text', async () => {
    const html = `<html><body><p>Beacon to <b>203[.]0[.]113[.]9</b> &amp; <a href="https://docs.example.org/x">docs</a></p></body></html>`;
    await page.getByLabel('Document (PDF, HTML, .eml or text)').setInputFiles({ name: 'report.html', mimeType: 'text/html', buffer: Buffer.from(html) });
    await page.getByRole('button', { name: 'Analyze' }).click();
    await page.getByTestId('analysis').getByText(/— html, \d+ bytes/).waitFor();
    assert.ok((await shownValues()).includes('203.0.113.9'));
    await page.getByRole('button', { name: 'Use the text' }).click();
  });

  test('Analyze: an empty field says what to do', async () => {
    await page.getByLabel('Text to analyze').fill('');
    await page.getByRole('button', { name: 'Analyze' }).click();
    assert.match(await page.getByRole('alert').innerText(), /Paste a text or choose a document/);
  });

  test('Reports: the list, newest first, More for the next page, the title filter; a hostile title stays text', async () => {
    await page.getByRole('link', { name: 'Reports' }).click();
    const table = page.getByTestId('report-table');
    await table.waitFor();
    const rows = table.locator('tbody tr');
    assert.equal(await rows.count(), 25, 'the first page');
    assert.equal(await rows.first().locator('td').first().innerText(), HOSTILE_TITLE, 'newest first, its title as text');
    await page.getByRole('button', { name: 'More' }).click();
    await table.locator('tbody tr:nth-child(27)').waitFor();
    assert.equal(await page.getByRole('button', { name: 'More' }).count(), 0, 'no More on the last page');
    await page.getByLabel('Title contains').fill('filler report 2');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="report-table"] tbody tr').length === 8);
    const titles = await table.locator('tbody tr td:first-child').allInnerTexts();
    assert.ok(titles.every((t) => t.startsWith('Filler report 2')), titles.join(' | '));
    await page.getByLabel('Title contains').fill('hostile');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="report-table"] tbody tr').length === 1);
    assert.equal(await page.locator('main img, main script').count(), 0, 'no element made of the title');
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    await page.screenshot({ path: join(shots, 'reports.png'), fullPage: true });
    await axe('reports list');
  });

  test('Reports: a report page with its title, link, dates, ATT&CK ids and indicators linking to their lookups; its deep link', async () => {
    await page.getByRole('link', { name: HOSTILE_TITLE }).click();
    const card = page.getByTestId('report');
    await card.waitFor();
    assert.equal(new URL(page.url()).pathname, `/reports/${encodeURIComponent(reportId)}`);
    assert.equal(await card.getByRole('heading', { level: 1 }).innerText(), HOSTILE_TITLE);
    const link = card.getByRole('link', { name: 'https://reports.example.org/apt/1' });
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
    assert.equal(await link.getAttribute('target'), '_blank');
    const text = await card.innerText();
    assert.match(text, /Published\s+2026-02-01 00:00:00 UTC/);
    assert.equal(await card.getByRole('link', { name: 'T1059.001' }).getAttribute('href'), 'https://attack.mitre.org/techniques/T1059/001/');
    const ipLink = card.getByRole('link', { name: REPORT_IP, exact: true });
    assert.equal(await ipLink.getAttribute('href'), `/lookup/ipv4/${REPORT_IP}`);
    assert.equal(await page.locator('main img, main script').count(), 0);
    await page.screenshot({ path: join(shots, 'report.png'), fullPage: true });
    await axe('report page');
    await ipLink.click();
    await page.getByTestId('result-card').waitFor();
    assert.equal(new URL(page.url()).pathname, `/lookup/ipv4/${REPORT_IP}`);
    // the deep link, loaded afresh
    await page.goto(`${server.address}/reports/${encodeURIComponent(reportId)}`);
    assert.equal(await page.getByTestId('report').getByRole('heading', { level: 1 }).innerText(), HOSTILE_TITLE);
    await page.goto(`${server.address}/reports/no-such-report`);
    assert.match(await page.getByRole('alert').innerText(), /report/i);
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  });

  test('Feeds (admin): health, last and next run, counts, data age; Run now shows a failure with its error, then a success', async () => {
    await page.getByRole('link', { name: 'Feeds' }).click();
    const table = page.getByTestId('feed-table');
    await table.waitFor();
    const circl = table.locator('tr[data-feed="circl-osint"]');
    const circlText = await circl.innerText();
    // seeded without a run, and disabled by default
    assert.match(circlText, /disabled\tnever\t/i);
    assert.match(circlText, /\b1 \/ 1\b/, 'listed / kept');
    assert.match(circlText, /\d+ (s|min) ago/, "the data's age");
    const teamRow = table.locator('tr[data-feed="team-iocs"]');
    assert.match(await teamRow.innerText(), /never run/i);
    await page.getByRole('button', { name: 'Run now Team IOCs' }).click();
    await page.getByTestId('run-message').getByText(/the run failed/).waitFor();
    await teamRow.getByText('failing').waitFor();
    assert.match(await teamRow.innerText(), /500/, 'the error is shown to an admin');
    feedAnswer = { status: 200, body: '# team\n45.155.205.7\n45.155.205.8\n<img src=x onerror="window.__pwned=4">\n' };
    await page.getByRole('button', { name: 'Run now Team IOCs' }).click();
    await page.getByTestId('run-message').getByText(/success — 2 received, 2 added/).waitFor();
    await teamRow.getByText('healthy').waitFor();
    assert.match(await teamRow.innerText(), /\b2 \/ 2\b/);
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    await page.screenshot({ path: join(shots, 'feeds.png'), fullPage: true });
    await axe('feeds page (admin)');
  });

  test('Feeds (reader): no errors column and no Run now; the API refuses a sync from its session too', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').fill(keys['reader'] ?? '');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Feeds' }).click();
    await page.getByTestId('feed-table').waitFor();
    assert.equal(await page.getByRole('button', { name: /^Run now/ }).count(), 0);
    assert.equal(await page.getByRole('columnheader', { name: 'Last error' }).count(), 0);
    const status = await page.evaluate(async () => {
      const session = (await (await fetch('/api/v1/session')).json()) as { csrf_token: string };
      return (await fetch('/api/v1/feeds/team-iocs/sync', { method: 'POST', headers: { 'x-csrf-token': session.csrf_token } })).status;
    });
    assert.equal(status, 403);
    await axe('feeds page (reader)');
  });

  test('Keys: hidden from a non-admin key, and the API refuses it', async () => {
    // still signed in as the reader
    assert.equal(await page.getByRole('link', { name: 'Keys' }).count(), 0);
    await page.goto(`${server.address}/keys`);
    assert.match(await page.getByTestId('needs-scope').innerText(), /The Keys page needs a key with the admin scope/);
    assert.equal(await page.getByTestId('key-table').count(), 0);
    const status = await page.evaluate(async () => (await fetch('/api/v1/keys')).status);
    assert.equal(status, 403);
  });

  test('Keys (admin): create (the key shown once, copied), listed, works, revoked and refused', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Keys' }).click();
    const table = page.getByTestId('key-table');
    await table.waitFor();
    assert.match(await table.innerText(), /reader/);
    const name = 'triage <img src=x onerror="window.__pwned=7">';
    await page.getByLabel('Name').fill(name);
    await page.getByLabel('Tier').selectOption('free');
    await page.getByLabel('read:lookup').uncheck();
    await page.getByLabel('read:iocs').check();
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByTestId('created-key');
    await shown.waitFor();
    const key = await page.getByLabel('New API key').innerText();
    assert.match(key, /^sk_live_\w{20,}$/);
    await page.getByRole('button', { name: 'Copy key' }).click();
    await page.getByText('Copied the key.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key);
    const row = table.locator('tr', { hasText: 'triage' });
    await row.waitFor();
    const rowText = await row.innerText();
    assert.ok(rowText.startsWith(name), rowText);
    assert.match(rowText, /free\tread:iocs\t/);
    assert.equal(await page.locator('main img').count(), 0);
    const use = async () => (await fetch(`${server.address}/api/v1/reports?limit=1`, { headers: { authorization: `Bearer ${key}` } })).status;
    assert.equal(await use(), 200, 'the new key works, with its scope');
    await page.screenshot({ path: join(shots, 'keys.png'), fullPage: true });
    await axe('keys page');
    page.once('dialog', (d) => void d.accept());
    await row.getByRole('button', { name: /^Revoke/ }).click();
    await page.getByTestId('key-message').getByText(/^Revoked triage/).waitFor();
    await row.getByText(/^revoked /).waitFor();
    assert.equal(await row.getByRole('button', { name: /^Revoke/ }).count(), 0);
    assert.equal(await use(), 401, 'the revoked key is refused');
    // a reload: the key is not shown again
    await page.reload();
    await table.waitFor();
    assert.equal(await page.getByTestId('created-key').count(), 0);
    assert.equal(await page.getByText(key).count(), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  });
});
