/**
 * Shared by the console's browser tests: Debian's Chromium through playwright-core (skipped,
 * loudly, where it is missing), a fresh profile, keys made through the API, and the axe-core check.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) {
  console.error(`\n${'!'.repeat(78)}\n!! BROWSER TESTS SKIPPED: ${CHROMIUM} is missing. Install it: apt-get install -y chromium\n${'!'.repeat(78)}\n`);
}
/** For `describe(…, { skip })`. */
export const SKIP_WITHOUT_CHROMIUM = HAVE_CHROMIUM ? false : `${CHROMIUM} is missing`;

/** Where the tests write their screenshots (not committed). */
export function screenshotFolder(): string {
  const shots = join(tmpdir(), 'verdict-console-screenshots');
  mkdirSync(shots, { recursive: true });
  return shots;
}

/** Headless Chromium on a new empty profile in `dir`, at 1280×720, with clipboard access; and its first page. */
export async function launchChromium(dir: string, opts: { acceptDownloads?: boolean } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    // without the background-networking flags Chromium keeps calling out, and a closed network refuses it
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 720 },
    permissions: ['clipboard-read', 'clipboard-write'],
    ...(opts.acceptDownloads ? { acceptDownloads: true } : {}),
  });
  return { context, page: context.pages()[0] ?? (await context.newPage()) };
}

/** A key made by the admin key through POST /api/v1/keys. */
export async function createKey(address: string, adminKey: string, body: { name: string; tier: string; scopes: readonly string[] }): Promise<string> {
  const res = await fetch(`${address}/api/v1/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 201);
  return ((await res.json()) as { key: string }).key;
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core on the page as it is: no serious or critical violation. */
export async function assertAccessible(page: Page, name: string): Promise<void> {
  await page.evaluate(axeSource);
  const violations = (await page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> } }).axe.run();
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
  })) as { id: string; impact: string; nodes: number }[];
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `${name}: serious or critical accessibility violations`);
}
