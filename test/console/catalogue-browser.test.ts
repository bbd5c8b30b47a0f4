/**
 * The Catalogue page and the lookup card's timeline, related indicators and override, and the
 * Analyze page's STIX export, in a real Chromium (Debian's `chromium`, driven by playwright-core)
 * against `verdict serve` on a SQLite store seeded with known sightings (the bundled KEV snapshot
 * kept out, so every count is the seed's). axe-core on the new parts. Skipped, loudly, where
 * /usr/bin/chromium is missing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { SKIP_WITHOUT_CHROMIUM, assertAccessible, createKey, launchChromium, screenshotFolder } from './browser-kit.ts';
import { loadConfig } from '../../src/config.ts';
import { startServer, type RunningServer } from '../../src/main.ts';
import { openStore } from '../../src/store/index.ts';
import type { SightingRecord } from '../../src/model.ts';

const ADMIN_KEY = 'sk_live_' + 'CatPages'.repeat(5);
const DAY = 86_400_000;
/** Seen by three feeds, each with its own dates: the timeline's rows. */
const IP = '203.0.113.45';
/** Named by a submitted report together with RELATED_IP. */
const REPORT_IP = '203.0.113.61';
const RELATED_IP = '203.0.113.62';
const SCANNERS = 55;
const DOMAINS = ['a.bad-cdn.top', 'b.bad-cdn.top', 'c.bad-cdn.top'];

describe('Catalogue, the lookup card\'s timeline and override, and the STIX export in Chromium', { skip: SKIP_WITHOUT_CHROMIUM }, () => {
  let dir: string;
  let shots: string;
  let server: RunningServer;
  let context: BrowserContext;
  let page: Page;
  let readerKey = '';
  const now = Date.now();
  const iso = (msAgo: number) => new Date(now - msAgo).toISOString();
  /** IP's sightings as seeded, by feed id. */
  const ipSightings: Record<string, { first: string; last: string }> = {
    feodotracker: { first: iso(40 * DAY), last: iso(DAY / 2) },
    threatfox: { first: iso(30 * DAY), last: iso(2 * DAY) },
    'circl-osint': { first: iso(55 * DAY), last: iso(12 * DAY) },
  };
  const feedNames = new Map<string, string>();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verdict-console-catalogue-'));
    shots = screenshotFolder();
    const db = join(dir, 'verdict.db');
    const store = await openStore(db);
    const ipRecord = (feed: string, extra: Partial<SightingRecord> = {}): SightingRecord => ({
      type: 'ipv4',
      value: IP,
      firstSeen: ipSightings[feed]?.first ?? null,
      lastSeen: ipSightings[feed]?.last ?? null,
      threatType: 'botnet_cc',
      malwareFamily: 'QakBot',
      attackIds: ['T1071.001'],
      ...extra,
    });
    const seed: Record<string, SightingRecord[]> = {
      feodotracker: [ipRecord('feodotracker')],
      threatfox: [
        ipRecord('threatfox', { confidence: 80 }),
        ...DOMAINS.map((value, i): SightingRecord => ({ type: 'domain', value, firstSeen: iso((i + 1) * DAY), lastSeen: iso(i * 3_600_000), threatType: 'payload_delivery', malwareFamily: 'Lumma Stealer', attackIds: ['T1105'] })),
      ],
      'circl-osint': [
        ipRecord('circl-osint'),
        { type: 'cve', value: 'CVE-2024-3400', firstSeen: iso(90 * DAY), lastSeen: iso(5 * DAY), threatType: 'exploited_vulnerability', attackIds: ['T1190'] },
      ],
      'blocklist-de': Array.from({ length: SCANNERS }, (_, i): SightingRecord => ({ type: 'ipv4', value: `198.51.100.${i + 1}`, firstSeen: iso((i + 1) * DAY), lastSeen: iso((i + 1) * 60_000), threatType: 'scanner' })),
    };
    for (const [feedId, records] of Object.entries(seed)) await store.ingest({ feedId, mode: 'incremental', runAt: new Date(now).toISOString() }, records);
    // the KEV snapshot is loaded at start only into a store that never had the feed: this one has
    const t = new Date(now).toISOString();
    await store.recordFeedRun({ feedId: 'cisa-kev', startedAt: t, finishedAt: t, status: 'success', result: { received: 0, added: 0, updated: 0, unchanged: 0, delisted: 0 }, rejected: 0, rejectedSamples: [], error: null, etag: null, lastModified: null });
    await store.close();
    server = await startServer(loadConfig({ VERDICT_DATABASE_URL: db, VERDICT_PORT: '0', VERDICT_SCHEDULER: 'off', VERDICT_LOG_LEVEL: 'silent', VERDICT_ADMIN_KEY: ADMIN_KEY }), { print: () => {} });
    readerKey = await createKey(server.address, ADMIN_KEY, { name: 'reader', tier: 'pro', scopes: ['read:lookup'] });
    const report = await fetch(`${server.address}/api/v1/reports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Loader <img src=x onerror="window.__pwned=1"> wave', published: iso(3 * DAY), text: `The loader beacons to ${REPORT_IP} and ${RELATED_IP}.` }),
    });
    assert.equal(report.status, 201, await report.clone().text());
    const feeds = (await (await fetch(`${server.address}/api/v1/feeds`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).json()) as { feeds: { id: string; name: string }[] };
    for (const f of feeds.feeds) feedNames.set(f.id, f.name);
    ({ context, page } = await launchChromium(dir, { acceptDownloads: true }));
    await page.goto(`${server.address}/catalogue`);
    await page.getByLabel('API key').fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
  });

  after(async () => {
    await context?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A chart's bars as label → the count shown. */
  async function chart(id: string): Promise<Record<string, number>> {
    const items = page.getByTestId(id).locator('li');
    const out: Record<string, number> = {};
    for (let i = 0; i < (await items.count()); i++) {
      const label = await items.nth(i).locator('.bar-label').innerText();
      out[label] = Number((await items.nth(i).locator('.bar-count').innerText()).replace(/,/g, ''));
    }
    return out;
  }
  const shownValues = () => page.getByTestId('catalogue-table').locator('tbody tr td:first-child a').allInnerTexts();
  const count = () => page.getByTestId('catalogue-count').innerText();

  test('the dashboard draws the seeded numbers: by type, by feed, by level, new, top lists, feed health', async () => {
    await page.getByTestId('stats').waitFor();
    assert.equal(new URL(page.url()).pathname, '/catalogue', 'the deep link survived the sign-in');
    // the report's two addresses are sightings of the internal reports feed
    assert.deepEqual(await chart('chart-type'), { ipv4: 1 + SCANNERS + 2, domain: DOMAINS.length, cve: 1 });
    const name = (id: string) => feedNames.get(id) ?? id;
    assert.deepEqual(await chart('chart-feed'), {
      [name('blocklist-de')]: SCANNERS,
      [name('threatfox')]: 1 + DOMAINS.length,
      [name('circl-osint')]: 2,
      [name('feodotracker')]: 1,
      [name('internal-reports')]: 2,
    });
    const levels = await chart('chart-level');
    assert.equal(Object.values(levels).reduce((a, b) => a + b, 0), 1 + SCANNERS + 2 + DOMAINS.length + 1, 'every listed indicator has a level');
    // the tiles and level bars are the API's own answer, drawn
    const stats = (await page.evaluate(async () => (await fetch('/api/v1/iocs/stats')).json())) as { listed: number; by_level: Record<string, number>; new: { last_24h: number; last_7d: number; last_30d: number } };
    assert.deepEqual(levels, stats.by_level);
    const tiles = await page.getByTestId('stats-totals').innerText();
    for (const [label, n] of [['Listed now', stats.listed], ['New in 24 h', stats.new.last_24h], ['New in 7 days', stats.new.last_7d], ['New in 30 days', stats.new.last_30d]] as const) {
      assert.match(tiles, new RegExp(`${label}\\s+${n.toLocaleString('en')}\\b`), label);
    }
    assert.equal(stats.listed, 1 + SCANNERS + 2 + DOMAINS.length + 1);
    // blocklist.de's scanners were first seen 1..55 days ago, the domains 1..3 days ago
    assert.ok(stats.new.last_7d >= 7 + DOMAINS.length - 1, JSON.stringify(stats.new));
    const technique = page.getByTestId('top-techniques').getByRole('link', { name: /^T1071\.001/ });
    assert.equal(await technique.getAttribute('href'), 'https://attack.mitre.org/techniques/T1071/001/');
    assert.equal(await technique.getAttribute('rel'), 'noopener noreferrer');
    assert.match(await page.getByTestId('top-families').innerText(), /lumma stealer \(3\)/i);
    assert.match(await page.getByTestId('top-cves').innerText(), /CVE-2024-3400 \(1\)/);
    // seeded without a run: listed, but not run yet
    assert.match(await page.getByTestId('feed-health').locator('tr[data-feed="blocklist-de"]').innerText(), new RegExp(`^${name('blocklist-de')}\\s+degraded\\s+${SCANNERS}\\s+—\\s+it has not run yet$`, 'i'));
    await page.screenshot({ path: join(shots, 'catalogue.png') });
    await assertAccessible(page, 'catalogue page');
    await page.emulateMedia({ colorScheme: 'dark' });
    await assertAccessible(page, 'catalogue page, dark theme');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('the list: every indicator newest first, 50 a page, More follows links.next', async () => {
    await page.getByTestId('catalogue-table').waitFor();
    const total = 1 + SCANNERS + 2 + DOMAINS.length + 1;
    assert.equal(await count(), `50 shown of ${total}, newest last seen first`);
    assert.equal((await shownValues()).length, 50);
    await page.getByRole('button', { name: 'More' }).click();
    await page.getByTestId('catalogue-count').getByText(`${total} shown of ${total}`).waitFor();
    const all = await shownValues();
    assert.equal(new Set(all).size, total, 'no row twice across the pages');
    assert.equal(await page.getByRole('button', { name: 'More' }).count(), 0, 'no More on the last page');
  });

  test('filters: type, minimum level, feed, technique, cve and since go to the address and narrow the list', async () => {
    await page.getByLabel('Type', { exact: true }).selectOption('domain');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.waitForURL(/\/catalogue\?type=domain$/);
    await page.getByTestId('catalogue-count').getByText(`3 shown of 3`).waitFor();
    assert.deepEqual((await shownValues()).sort(), [...DOMAINS].sort());
    await page.getByLabel('Type', { exact: true }).selectOption('');
    await page.getByLabel('Feed', { exact: true }).selectOption('threatfox');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.waitForURL(/\/catalogue\?feed=threatfox$/);
    await page.getByTestId('catalogue-count').getByText('4 shown of 4').waitFor();
    assert.deepEqual((await shownValues()).sort(), [IP, ...DOMAINS].sort());
    // a technique (read as the API reads it; it also holds the ones its malware families imply)
    await page.getByLabel('Technique', { exact: true }).fill('t1105');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.waitForURL(/feed=threatfox&technique=t1105$/);
    const api = (await page.evaluate(async () => (await fetch('/api/v1/iocs?feed=threatfox&technique=T1105&limit=50')).json())) as { iocs: { value: string }[] };
    await page.getByTestId('catalogue-count').getByText(`${api.iocs.length} shown of ${api.iocs.length}`).waitFor();
    assert.deepEqual(await shownValues(), api.iocs.map((i) => i.value));
    for (const d of DOMAINS) assert.ok(api.iocs.some((i) => i.value === d), `${d} was seeded with T1105`);
    // a deep link: the filters come from the address, and show in the form
    await page.goto(`${server.address}/catalogue?cve=CVE-2024-3400`);
    await page.getByTestId('catalogue-count').getByText('1 shown of 1').waitFor();
    assert.deepEqual(await shownValues(), ['CVE-2024-3400']);
    assert.equal(await page.getByLabel('CVE', { exact: true }).inputValue(), 'CVE-2024-3400');
    await page.goto(`${server.address}/catalogue?type=ipv4&since=${iso(10 * 60_000 + 30_000).slice(0, 19)}Z`);
    await page.getByTestId('catalogue-count').getByText(/^\d+ shown of \d+/).waitFor();
    const recent = await shownValues();
    // scanners last seen 1..10 minutes ago, IP and the report's addresses (just now, or hours ago)
    assert.ok(recent.includes('198.51.100.10') && !recent.includes('198.51.100.11'), recent.join(' '));
    await page.goto(`${server.address}/catalogue?level=critical`);
    await page.getByTestId('catalogue-count').waitFor();
    const shownLevels = await page.getByTestId('catalogue-table').locator('tbody tr td:nth-child(3)').allInnerTexts().catch(() => []);
    assert.ok(shownLevels.every((l) => l.toLowerCase() === 'critical'), shownLevels.join(' '));
    // the back button goes to the previous filters
    await page.goBack();
    await page.getByTestId('catalogue-count').getByText(/^\d+ shown of \d+/).waitFor();
    assert.match(page.url(), /type=ipv4&since=/);
  });

  test('search: `/` focuses the field; a part of a value finds the values holding it, each a link to its lookup', async () => {
    await page.goto(`${server.address}/catalogue`);
    await page.getByTestId('stats').waitFor();
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'cat-q');
    await page.keyboard.type('bad-cdn');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/catalogue\?q=bad-cdn$/);
    await page.getByTestId('catalogue-count').getByText('3 matches').waitFor();
    assert.deepEqual((await shownValues()).sort(), [...DOMAINS].sort());
    // the filters narrow a search in the page
    await page.goto(`${server.address}/catalogue?q=198.51.100.1&type=domain`);
    await page.getByTestId('catalogue-count').getByText('0 matches').waitFor();
    await page.goto(`${server.address}/catalogue?q=${IP}`);
    await page.getByTestId('catalogue-count').getByText(/^\d+ match/).waitFor();
    const row = page.getByTestId('catalogue-table').locator('tbody tr').first();
    assert.match(await row.innerText(), new RegExp(`^${IP.replace(/\./g, '\\.')}\\s+ipv4\\s+\\w+\\s+\\d+\\s+\\w+\\s+.*exact$`, 's'));
    await row.getByRole('link', { name: IP }).click();
    await page.waitForURL(new RegExp(`/lookup/ipv4/${IP.replace(/\./g, '\\.')}$`));
    await page.getByTestId('result-card').waitFor();
  });

  test('the lookup card: a timeline row per seeded sighting, with its dates', async () => {
    const timeline = page.getByTestId('timeline');
    await timeline.waitFor();
    const rows = await timeline.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 3).map((td) => (td as HTMLElement).innerText.trim())));
    const expected = Object.entries(ipSightings)
      .map(([feed, s]) => [feedNames.get(feed) ?? feed, s.first.slice(0, 10), s.last.slice(0, 10)])
      .sort((a, b) => (a[1]! < b[1]! ? -1 : 1));
    assert.deepEqual(rows, expected, 'oldest first');
    // the bars share one axis: the oldest first-seen starts at 0, the newest last-seen ends at 100%
    const bars = await timeline.locator('.tl-bar').evaluateAll((els) => els.map((e) => ({ left: (e as HTMLElement).getBoundingClientRect().left, right: (e as HTMLElement).getBoundingClientRect().right })));
    const track = await timeline.locator('.tl-track').first().boundingBox();
    assert.ok(track !== null);
    assert.ok(Math.abs(Math.min(...bars.map((b) => b.left)) - track.x) < 3, 'the axis starts at the first sighting');
    assert.ok(Math.abs(Math.max(...bars.map((b) => b.right)) - (track.x + track.width)) < 3, 'and ends at the last');
  });

  test('the lookup card: an admin overrides the verdict (deny), the card shows the level it fixed, and removes it', async () => {
    const level = page.getByTestId('result-card').locator('.verdict-line .level');
    // (the address is in a documentation range, a warning list, which keeps its level low)
    const before = (await level.textContent()) ?? '';
    assert.notEqual(before, 'high');
    const levelIs = (l: string) => page.waitForFunction((want) => document.querySelector('[data-testid="result-card"] .verdict-line .level')?.textContent === want, l);
    assert.match(await page.getByTestId('override').innerText(), /No override/);
    // Escape closes the form and gives the focus back to its button
    await page.getByRole('button', { name: 'Override', exact: true }).click();
    await page.getByLabel('Reason').press('Escape');
    // (the focus moves when the form has closed, a render later: waited for, not read at once)
    await page.waitForFunction(() => document.activeElement?.textContent === 'Override', undefined, { timeout: 5_000 });
    await page.keyboard.press('Enter');
    await page.getByLabel('deny — known bad').check();
    await page.getByRole('button', { name: 'Save override' }).click();
    await page.getByTestId('override-message').getByText('Give a reason').waitFor();
    await page.getByLabel('Reason').fill('Seen in our own incident <b>2291</b>');
    await page.screenshot({ path: join(shots, 'override-form.png') });
    await assertAccessible(page, 'lookup card with the override form');
    await page.getByRole('button', { name: 'Save override' }).click();
    await page.getByTestId('override-current').getByText(/^Denied by an analyst on .*: Seen in our own incident <b>2291<\/b>$/).waitFor();
    await levelIs('high');
    assert.match(await page.getByTestId('result-card').innerText(), /An analyst override denies this indicator/);
    const stored = await page.evaluate(async (ip) => (await fetch(`/api/v1/overrides/ipv4/${ip}`)).json(), IP);
    assert.equal((stored as { verdict: string }).verdict, 'deny');
    await page.getByRole('button', { name: 'Remove override' }).click();
    await page.getByTestId('override-message').getByText('Override removed.').waitFor();
    await levelIs(before);
    assert.equal(await page.evaluate(async (ip) => (await fetch(`/api/v1/overrides/ipv4/${ip}`)).status, IP), 404);
  });

  test('the lookup card: the indicators a report names with it, each a link to its lookup; titles stay text', async () => {
    await page.goto(`${server.address}/lookup/ipv4/${REPORT_IP}`);
    const related = page.getByTestId('related-iocs');
    await related.waitFor();
    assert.match(await related.innerText(), new RegExp(`${RELATED_IP.replace(/\./g, '\\.')} \\(ipv4, in Loader <img src=x onerror="window.__pwned=1"> wave\\)`));
    assert.equal(await page.locator('main img').count(), 0);
    await related.getByRole('link', { name: RELATED_IP }).click();
    await page.waitForURL(new RegExp(`/lookup/ipv4/${RELATED_IP.replace(/\./g, '\\.')}$`));
    await page.getByRole('heading', { name: new RegExp(RELATED_IP.replace(/\./g, '\\.')) }).waitFor();
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  });

  test('Analyze: the selection exported as one STIX 2.1 bundle holding exactly the selected values', async () => {
    await page.getByRole('link', { name: 'Analyze' }).click();
    await page.getByLabel('Text to analyze').fill(`C2 at ${IP.replace(/\./g, '[.]')}, payloads from a.bad-cdn[.]top and b.bad-cdn.top; also ${REPORT_IP}.`);
    await page.getByRole('button', { name: 'Analyze' }).click();
    await page.getByTestId('analysis').waitFor();
    await page.getByLabel('Select all shown indicators').uncheck();
    for (const v of [IP, 'a.bad-cdn.top']) await page.getByLabel(`Select ${v}`, { exact: true }).check();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download STIX 2.1' }).click()]);
    assert.equal(download.suggestedFilename(), 'indicators.stix.json');
    const bundle = JSON.parse(readFileSync((await download.path()) ?? '', 'utf8')) as { type: string; objects: { type: string; pattern?: string }[] };
    assert.equal(bundle.type, 'bundle');
    const patterns = bundle.objects.filter((o) => o.type === 'indicator').map((o) => o.pattern);
    assert.deepEqual(patterns.sort(), ["[domain-name:value = 'a.bad-cdn.top']", `[ipv4-addr:value = '${IP}']`]);
    await page.getByText('Exported 2 indicators as a STIX 2.1 bundle.').waitFor();
    await assertAccessible(page, 'analyze page with the STIX export');
  });

  test('a key without read:iocs: no Catalogue link, the page says what it needs, the API refuses; no Override button for a non-admin', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').fill(readerKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Indicator').waitFor();
    assert.equal(await page.getByRole('link', { name: 'Catalogue' }).count(), 0);
    await page.goto(`${server.address}/catalogue?type=ipv4`);
    assert.match(await page.getByTestId('needs-scope').innerText(), /The Catalogue page needs a key with the read:iocs scope \(or admin\); this key has read:lookup/);
    assert.equal(await page.getByTestId('catalogue-table').count(), 0);
    const statuses = await page.evaluate(async () => Promise.all(['/api/v1/iocs', '/api/v1/iocs/stats', '/api/v1/iocs/search?q=203.0.113.45'].map(async (u) => (await fetch(u)).status)));
    assert.deepEqual(statuses, [403, 403, 403]);
    await page.goto(`${server.address}/lookup/ipv4/${IP}`);
    await page.getByTestId('timeline').waitFor();
    assert.equal(await page.getByTestId('override').count(), 0);
    assert.equal(await page.getByRole('button', { name: /override/i }).count(), 0);
    // no read:export: the Analyze page says so instead of offering the STIX button
    await page.getByRole('link', { name: 'Analyze' }).click();
    await page.getByLabel('Text to analyze').fill(IP);
    await page.getByRole('button', { name: 'Analyze' }).click();
    await page.getByTestId('analysis').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Download STIX 2.1' }).count(), 0);
    await page.getByText('STIX export needs the read:export scope.').waitFor();
  });
});
