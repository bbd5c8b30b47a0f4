#!/usr/bin/env node
// The README's console screenshots: starts Verdict (from dist/: run `npm run build` first) on a
// fresh SQLite store seeded with made-up indicators (documentation ranges and example domains),
// signs in with Debian's Chromium through playwright-core and saves 1280×720 PNGs of the Lookup
// (light and dark), Analyze, Catalogue, Feeds, Reports and Keys pages.
// Usage: node scripts/console-screenshots.mjs [folder]   (default docs/screenshots)
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const root = new URL('..', import.meta.url).pathname;
const out = resolve(process.argv[2] ?? join(root, 'docs/screenshots'));
const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(join(root, 'dist/main.js')) || !existsSync(join(root, 'dist/console/index.html'))) {
  console.error('console-screenshots: dist/ is not built: run `npm run build` first');
  process.exit(1);
}
if (!existsSync(CHROMIUM)) {
  console.error(`console-screenshots: ${CHROMIUM} is missing: apt-get install -y chromium`);
  process.exit(1);
}
const { loadConfig } = await import(join(root, 'dist/config.js'));
const { startServer } = await import(join(root, 'dist/main.js'));
const { openStore } = await import(join(root, 'dist/store/index.js'));

const ADMIN_KEY = 'sk_live_' + 'Screens1'.repeat(5);
const DAY = 86_400_000;
const now = Date.now();
const ago = (days) => new Date(now - days * DAY).toISOString();
const IP = '203.0.113.45';
/** A made-up SHA-256 (a hash is on no warning list, unlike the documentation ranges). */
const SAMPLE = 'e3b7c1d0a9f84c2b6d5e1f0a7b3c9d8e2f4a6b1c0d9e8f7a6b5c4d3e2f1a0b9c';

/** Made-up sightings per feed: documentation addresses (RFC 5737), example domains, fake hashes. */
function seedData() {
  const hex = (seed, n) => Array.from({ length: n }, (_, i) => '0123456789abcdef'[(seed * 7 + i * 13 + ((seed * i) % 11)) % 16]).join('');
  const feeds = {
    feodotracker: [
      { type: 'ipv4', value: IP, firstSeen: ago(41), lastSeen: ago(0.2), threatType: 'botnet_cc', malwareFamily: 'QakBot', attackIds: ['T1071.001'], attributes: { port: 443, status: 'online' } },
      ...Array.from({ length: 14 }, (_, i) => ({ type: 'ipv4', value: `198.51.100.${10 + i}`, firstSeen: ago(3 + i * 2), lastSeen: ago(i % 3), threatType: 'botnet_cc', malwareFamily: i % 3 === 0 ? 'Emotet' : i % 3 === 1 ? 'QakBot' : 'IcedID', attackIds: ['T1071.001'] })),
    ],
    threatfox: [
      { type: 'sha256', value: SAMPLE, firstSeen: ago(15), lastSeen: ago(3), threatType: 'payload', malwareFamily: 'QakBot', confidence: 90, attackIds: ['T1071.001'] },
      { type: 'ipv4', value: IP, firstSeen: ago(30), lastSeen: ago(2), threatType: 'botnet_cc', malwareFamily: 'QakBot', confidence: 75, attackIds: ['T1071.001', 'T1573.002'], referenceUrl: 'https://threatfox.abuse.ch/browse/' },
      ...Array.from({ length: 12 }, (_, i) => ({ type: 'domain', value: `cdn-${i}.bad-updates.example`, firstSeen: ago(1 + i), lastSeen: ago(i / 4), threatType: 'payload_delivery', malwareFamily: i % 2 ? 'Cobalt Strike' : 'Lumma Stealer', confidence: 50 + i * 3, attackIds: ['T1105'] })),
    ],
    urlhaus: Array.from({ length: 16 }, (_, i) => ({ type: 'url', value: `http://files-${i}.bad-updates.example/load/${hex(i, 8)}.exe`, firstSeen: ago(i * 1.5), lastSeen: ago(i / 2), threatType: 'payload_delivery', malwareFamily: i % 4 === 0 ? 'Lumma Stealer' : null, attackIds: ['T1204.002'] })),
    malwarebazaar: [
      { type: 'sha256', value: SAMPLE, firstSeen: ago(16), lastSeen: ago(16), threatType: 'payload', malwareFamily: 'QakBot', tags: ['exe', 'signed'], attackIds: ['T1059.001', 'T1105'], referenceUrl: 'https://bazaar.abuse.ch/browse/' },
      ...Array.from({ length: 10 }, (_, i) => ({ type: 'sha256', value: hex(i + 3, 64), firstSeen: ago(i * 3), lastSeen: ago(i * 3), threatType: 'payload', malwareFamily: i % 2 ? 'Lumma Stealer' : 'QakBot', attackIds: ['T1059.001'] })),
    ],
    openphish: Array.from({ length: 9 }, (_, i) => ({ type: 'url', value: `https://login-${i}.account-verify.example/secure`, firstSeen: ago(i), lastSeen: ago(i / 3), threatType: 'phishing', attackIds: ['T1566.002'] })),
    'circl-osint': [
      { type: 'ipv4', value: IP, firstSeen: ago(55), lastSeen: ago(12), threatType: 'botnet_cc', malwareFamily: 'QakBot', attackIds: ['T1071.001'], attributes: { event_info: 'QakBot infrastructure, wave 3' } },
      { type: 'sha256', value: SAMPLE, firstSeen: ago(14), lastSeen: ago(9), threatType: 'payload', malwareFamily: 'QakBot', attackIds: ['T1059.001'], attributes: { event_info: 'QakBot loader, wave 3' } },
      { type: 'cve', value: 'CVE-2024-3400', firstSeen: ago(90), lastSeen: ago(5), threatType: 'exploited_vulnerability', attackIds: ['T1190'] },
      { type: 'cve', value: 'CVE-2023-4966', firstSeen: ago(120), lastSeen: ago(20), threatType: 'exploited_vulnerability', attackIds: ['T1190'] },
      { type: 'domain', value: 'update-check.bad-updates.example', firstSeen: ago(20), lastSeen: ago(4), threatType: 'botnet_cc', malwareFamily: 'Cobalt Strike', attackIds: ['T1071.001'] },
    ],
    'blocklist-de': Array.from({ length: 11 }, (_, i) => ({ type: 'ipv4', value: `192.0.2.${20 + i}`, firstSeen: ago(i), lastSeen: ago(i / 5), threatType: 'scanner', attackIds: ['T1110'] })),
  };
  return feeds;
}

const dir = mkdtempSync(join(tmpdir(), 'verdict-screenshots-'));
let server;
let context;
try {
  const db = join(dir, 'verdict.db');
  const store = await openStore(db);
  for (const [feedId, records] of Object.entries(seedData())) {
    const started = ago(0.003);
    const result = await store.ingest({ feedId, mode: 'incremental', runAt: started }, records);
    await store.recordFeedRun({ feedId, startedAt: started, finishedAt: ago(0.002), status: 'success', result, rejected: 0, rejectedSamples: [], error: null, etag: null, lastModified: null });
  }
  await store.recordFeedRun({ feedId: 'spamhaus-drop', startedAt: ago(0.1), finishedAt: ago(0.1), status: 'failure', result: null, rejected: 0, rejectedSamples: [], error: 'GET https://www.spamhaus.org/drop/drop_v4.json: 503 Service Unavailable', etag: null, lastModified: null });
  await store.close();
  server = await startServer(loadConfig({ VERDICT_DATABASE_URL: db, VERDICT_PORT: '0', VERDICT_SCHEDULER: 'off', VERDICT_LOG_LEVEL: 'silent', VERDICT_ADMIN_KEY: ADMIN_KEY }), { print: () => {} });
  const api = async (method, path, body) => {
    const res = await fetch(`${server.address}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  await api('POST', '/api/v1/reports', {
    title: 'QakBot returns: new loader, same C2 habits',
    url: 'https://reports.example.org/qakbot-returns',
    published: ago(6),
    text: `The loader (SHA-256 ${SAMPLE}) beacons to ${IP} and update-check[.]bad-updates[.]example over HTTPS (T1071.001), staged from http://files-1.bad-updates.example/load/x.exe; initial access through CVE-2024-3400.`,
  });
  await api('POST', '/api/v1/reports', { title: 'Phishing kits on account-verify lookalikes', published: ago(2), text: 'Kits at https://login-2.account-verify.example/secure and login-3.account-verify[.]example steal credentials (T1566.002).' });
  await api('POST', '/api/v1/reports', { title: 'Edge devices under attack: CVE-2023-4966 and CVE-2024-3400', published: ago(12), text: 'Exploitation (T1190) from 192.0.2.21 and 192.0.2.22.' });
  const more = [
    ['Lumma Stealer delivered through fake browser updates', 'T1204.002 T1105', '198.51.100.12 and 198.51.100.13'],
    ['Brute force against VPN portals, week 48', 'T1110', '192.0.2.23, 192.0.2.24 and 192.0.2.25'],
    ['Emotet spam wave: macro documents again', 'T1566.001 T1059.001', '198.51.100.10'],
    ['IcedID infrastructure moves to new hosting', 'T1071.001 T1573.002', '198.51.100.11 and 198.51.100.14'],
  ];
  for (const [i, [title, ids, ips]] of more.entries()) await api('POST', '/api/v1/reports', { title, published: ago(8 + i * 3), text: `Observed ${ips}; techniques ${ids}.` });
  await api('POST', '/api/v1/keys', { name: 'SOAR playbooks', tier: 'enterprise', scopes: ['read:lookup', 'read:export'] });
  await api('POST', '/api/v1/keys', { name: 'Threat hunting team', tier: 'pro', scopes: ['read:lookup', 'read:iocs'] });
  const old = await api('POST', '/api/v1/keys', { name: 'Old SIEM connector', tier: 'free', scopes: ['read:lookup'] });
  await api('DELETE', `/api/v1/keys/${old.id}`);

  mkdirSync(out, { recursive: true });
  context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--hide-scrollbars'],
    viewport: { width: 1280, height: 720 },
    colorScheme: 'light',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const shot = async (name) => {
    await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
    await page.screenshot({ path: join(out, `${name}.png`) });
    console.log(`${name}.png ${Math.round(statSync(join(out, `${name}.png`)).size / 1024)} KB`);
  };

  await page.goto(`${server.address}/lookup/sha256/${SAMPLE}`);
  await page.getByLabel('API key').fill(ADMIN_KEY);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('result-card').waitFor();
  await shot('lookup-light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await shot('lookup-dark');
  // the card's lower half: timeline, related indicators, the override form
  await page.getByRole('heading', { name: 'Timeline' }).scrollIntoViewIfNeeded();
  await page.evaluate(() => document.getElementById('timeline-title')?.scrollIntoView({ block: 'start' }));
  await shot('lookup-timeline-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  // related indicators and an admin's override form
  await page.getByRole('button', { name: 'Override', exact: true }).click();
  await page.getByLabel('Reason').fill('Loader of incident 2291, confirmed in our sandbox');
  await page.evaluate(() => document.getElementById('related-title')?.scrollIntoView({ block: 'start' }));
  await shot('lookup-related-override');

  await page.getByRole('link', { name: 'Analyze', exact: true }).click();
  await page.getByLabel('Text to analyze').fill(
    [
      'Incident 2291 — triage notes',
      `Beacons every 60 s to ${IP.replace(/\./g, '[.]')} and update-check[.]bad-updates[.]example (T1071.001).`,
      'Second stage from hxxp://files-1[.]bad-updates[.]example/load/x.exe; the user first clicked https://login-2.account-verify.example/secure.',
      'Firewall shows scans from 192.0.2.21; the edge device is unpatched for CVE-2024-3400. Unknown: 203.0.113.200.',
      'See https://www.cisa.gov/known-exploited-vulnerabilities-catalog',
    ].join('\n'),
  );
  await page.getByRole('button', { name: 'Analyze' }).click();
  await page.getByTestId('analysis').waitFor();
  await page.evaluate(() => document.getElementById('analysis-title')?.scrollIntoView({ block: 'start' }));
  await shot('analyze');

  await page.getByRole('link', { name: 'Catalogue' }).click();
  await page.getByTestId('stats').waitFor();
  await page.getByTestId('catalogue-table').waitFor();
  await shot('catalogue');

  await page.getByRole('link', { name: 'Feeds' }).click();
  await page.getByTestId('feed-table').waitFor();
  await shot('feeds');

  await page.getByRole('link', { name: 'Reports' }).click();
  await page.getByTestId('report-table').waitFor();
  await shot('reports');

  await page.getByRole('link', { name: 'Keys' }).click();
  await page.getByTestId('key-table').waitFor();
  await shot('keys');
} finally {
  await context?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
}
