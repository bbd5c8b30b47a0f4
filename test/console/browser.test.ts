/**
 * The console end to end in a real Chromium (Debian's `chromium`, driven by playwright-core)
 * against `verdict serve` started on a seeded SQLite store: sign-in/out, a lookup and its card,
 * a scope-limited key, a hostile feed value that must stay text, a deep link, a rate-limit
 * message, axe-core on the sign-in and lookup pages. Prints the initial JavaScript gzipped and
 * the time from the API's answer to the card in the document, laid out; screenshots go to a temp folder.
 * Skipped, loudly, where /usr/bin/chromium is missing (.ci/run installs it).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { BrowserContext, Page } from 'playwright-core';
import { SKIP_WITHOUT_CHROMIUM, assertAccessible, createKey, launchChromium, screenshotFolder } from './browser-kit.ts';
import { loadConfig } from '../../src/config.ts';
import { startServer, type RunningServer } from '../../src/main.ts';
import { openStore } from '../../src/store/index.ts';


const ADMIN_KEY = 'sk_live_' + 'Console9'.repeat(5);
const HOSTILE = '<img src=x onerror="window.__pwned=1">';
const IP = '185.220.101.5';

describe('analyst console in Chromium', { skip: SKIP_WITHOUT_CHROMIUM }, () => {
  let dir: string;
  let shots: string;
  let server: RunningServer;
  let context: BrowserContext;
  let page: Page;
  const keys: Record<string, string> = {};

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verdict-console-'));
    shots = screenshotFolder();
    const db = join(dir, 'verdict.db');
    const store = await openStore(db);
    const now = new Date().toISOString();
    await store.ingest({ feedId: 'circl-osint', mode: 'incremental', runAt: now }, [
      {
        type: 'ipv4',
        value: IP,
        firstSeen: '2026-01-10T00:00:00Z',
        lastSeen: now,
        threatType: 'botnet_cc',
        malwareFamily: HOSTILE,
        attackIds: ['T1071.001'],
        referenceUrl: 'javascript:alert(1)',
        attributes: { comment: `C2 seen in campaign ${HOSTILE}` },
      },
    ]);
    await store.close();
    server = await startServer(
      loadConfig({ VERDICT_DATABASE_URL: db, VERDICT_PORT: '0', VERDICT_SCHEDULER: 'off', VERDICT_LOG_LEVEL: 'silent', VERDICT_ADMIN_KEY: ADMIN_KEY, VERDICT_TIER_FREE_PER_MINUTE: '2' }),
      { print: () => {} },
    );
    for (const [name, tier, scopes] of [
      ['iocs-only', 'pro', ['read:iocs']],
      ['free', 'free', ['read:lookup']],
    ] as const) {
      keys[name] = await createKey(server.address, ADMIN_KEY, { name, tier, scopes });
    }
    ({ context, page } = await launchChromium(dir));
  });

  after(async () => {
    await context?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const axe = (name: string): Promise<void> => assertAccessible(page, name);

  async function signIn(key: string): Promise<void> {
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  async function signOut(): Promise<void> {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
  }

  test('initial JavaScript is under 150 KB gzipped', async () => {
    const html = await (await fetch(`${server.address}/`)).text();
    const scripts = [...html.matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => m[1] ?? '');
    assert.ok(scripts.length > 0);
    let gz = 0;
    for (const s of scripts) gz += gzipSync(Buffer.from(await (await fetch(`${server.address}${s}`)).arrayBuffer())).length;
    console.log(`console: initial JavaScript ${(gz / 1024).toFixed(1)} KB gzipped (${scripts.length} file(s))`);
    assert.ok(gz <= 150 * 1024, `${gz} bytes`);
  });

  test('a deep link asks for the key, signs in to a session cookie the page cannot read, and shows the card', async () => {
    await page.goto(`${server.address}/lookup/ipv4/${IP}`);
    await page.getByLabel('API key').waitFor();
    await page.screenshot({ path: join(shots, 'signin.png') });
    await axe('sign-in page');
    await signIn(ADMIN_KEY);
    const card = page.getByTestId('result-card');
    await card.waitFor();
    assert.equal(new URL(page.url()).pathname, `/lookup/ipv4/${IP}`, 'the deep link survived the sign-in');
    assert.match(await card.innerText(), new RegExp(IP.replace(/\./g, '\\.')));
    const cookies = await context.cookies(server.address);
    const session = cookies.find((c) => c.name === 'verdict_session');
    assert.ok(session, 'a session cookie');
    assert.deepEqual([session.httpOnly, session.sameSite], [true, 'Strict']);
    assert.ok(session.expires > Date.now() / 1000, 'it expires');
    const visible = await page.evaluate(() => ({ cookie: document.cookie, local: localStorage.length, session: sessionStorage.length, url: location.href }));
    assert.ok(!visible.cookie.includes('verdict_session'), 'script cannot read the session cookie');
    assert.deepEqual([visible.local, visible.session], [0, 0], 'nothing in page storage');
    assert.ok(!visible.url.includes(ADMIN_KEY) && !visible.url.includes(session.value));
  });

  test('a lookup: defanged input, Enter, the card with level, score, sources, ATT&CK, hunting tabs and network; timed', async () => {
    await page.keyboard.press('Escape');
    await page.locator('body').click({ position: { x: 5, y: 700 } });
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'indicator', '/ focuses the Indicator field');
    await page.getByLabel('Indicator').fill('185[.]220[.]101[.]5');
    await page.evaluate(() => performance.clearMeasures());
    await page.keyboard.press('Enter');
    const card = page.getByTestId('result-card');
    await page.waitForFunction(() => performance.getEntriesByName('verdict:card-render').length > 0);
    const ms = await page.evaluate(() => performance.getEntriesByName('verdict:card-render')[0]?.duration ?? -1);
    console.log(`console: lookup card rendered ${ms.toFixed(1)} ms after the API's answer`);
    assert.ok(ms >= 0 && ms < 100, `card render ${ms} ms`);
    const text = await card.innerText();
    assert.match(text, /Score \d+\/100/);
    assert.match(text, /Confidence/);
    assert.match(text, /Found in 1 source/);
    const row = card.locator('tbody tr').first();
    assert.match(await row.innerText(), /CIRCL/);
    const chip = card.getByRole('link', { name: /T1071\.001/ });
    assert.equal(await chip.getAttribute('href'), 'https://attack.mitre.org/techniques/T1071/001/');
    assert.equal(await chip.getAttribute('rel'), 'noopener noreferrer');
    const tabs = card.getByRole('tab');
    assert.ok((await tabs.count()) >= 2, 'a tab per platform');
    await card.getByRole('tab', { name: /KQL/ }).click();
    await card.getByRole('button', { name: /^Copy/ }).click();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.match(copied, new RegExp(IP.replace(/\./g, '\\.')), 'the query was copied');
    assert.equal(copied, await card.locator('[role="tabpanel"] code').innerText());
    assert.match(text, /range/);
    await page.screenshot({ path: join(shots, 'lookup.png'), fullPage: true });
    await axe('lookup page with a card');
  });

  test('a hostile feed value stays text: no element made of it, no script run, no javascript: link', async () => {
    const card = page.getByTestId('result-card');
    assert.match(await card.innerText(), /<img src=x onerror="window.__pwned=1">/);
    assert.equal(await card.locator('img').count(), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.equal(await card.locator('a[href^="javascript:"]').count(), 0);
  });

  test('not found says it is not safe; a rate limit says when to retry', async () => {
    await signOut();
    await signIn(keys['free'] ?? '');
    const field = page.getByLabel('Indicator');
    await field.waitFor();
    await field.fill('198.51.100.77');
    await field.press('Enter');
    await page.getByText('not found is not safe').waitFor();
    let alert = '';
    for (let i = 0; i < 4 && alert === ''; i++) {
      await field.fill(`198.51.100.${80 + i}`);
      await field.press('Enter');
      await page.waitForSelector('[role="alert"], [data-testid="result-card"]');
      alert = (await page.locator('[role="alert"]').count()) > 0 ? await page.locator('[role="alert"]').innerText() : '';
    }
    assert.match(alert, /Rate limit exceeded.*Try again in \d+ s/);
  });

  test('a scope-limited key sees no Lookup page, and the API refuses its session too', async () => {
    await signOut();
    await signIn(keys['iocs-only'] ?? '');
    // signed in, it lands on the first page its scopes open
    await page.getByRole('heading', { name: 'Catalogue' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Lookup' }).count(), 0);
    await page.goto(`${server.address}/lookup/ipv4/${IP}`);
    assert.match(await page.getByTestId('needs-scope').innerText(), /needs a key with the read:lookup scope/);
    assert.equal(await page.getByLabel('Indicator').count(), 0);
    const status = await page.evaluate(async (ip) => (await fetch(`/api/v1/lookup?value=${ip}`)).status, IP);
    assert.equal(status, 403);
  });

  test('signing out revokes the session: the old cookie is refused', async () => {
    const before = (await context.cookies(server.address)).find((c) => c.name === 'verdict_session');
    assert.ok(before);
    await signOut();
    assert.equal((await context.cookies(server.address)).find((c) => c.name === 'verdict_session'), undefined, 'cookie cleared');
    const res = await fetch(`${server.address}/api/v1/session`, { headers: { cookie: `verdict_session=${before.value}` } });
    assert.equal(res.status, 401);
    await page.goto(`${server.address}/lookup`);
    await page.getByLabel('API key').waitFor();
  });
});
