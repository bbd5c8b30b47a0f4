import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatRun, formatStatus, progressBar } from '../../src/cli/feeds.ts';
import { feedStatuses, type FeedStatusView } from '../../src/feeds/status.ts';
import { loadCatalog } from '../../src/feeds/index.ts';
import { fixture } from './helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/verdict.js', import.meta.url));

function verdict(args: string[], db: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, VERDICT_DATABASE_URL: db, VERDICT_LOG_LEVEL: 'error' }, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('verdict feeds import then feeds list --json show the run and the counts', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'verdict-cli-feeds-'));
  const db = join(dir, 'v.db');
  try {
    const imp = verdict(['feeds', 'import', 'internal-denylist', fixture('internal-denylist-handmade.csv'), '--json'], db);
    assert.equal(imp.code, 0, imp.err);
    const run = JSON.parse(imp.out) as { status: string; result: { added: number }; rejected: number };
    assert.equal(run.status, 'success');
    assert.equal(run.result.added, 3);
    assert.equal(run.rejected, 1);
    const list = verdict(['feeds', 'list', '--json'], db);
    assert.equal(list.code, 0, list.err);
    // the same objects as GET /api/v1/feeds
    const rows = (JSON.parse(list.out) as { feeds: FeedStatusView[] }).feeds;
    assert.equal(rows.find((r) => r.id === 'internal-denylist')?.health.listed_count, 3);
    assert.equal(rows.find((r) => r.id === 'internal-denylist')?.health.next_run_at, null, 'internal lists are import-only');
    assert.equal(rows.find((r) => r.id === 'internal-denylist')?.health.last_run?.status, 'success');
    const bad = verdict(['feeds', 'import', 'no-such-feed', fixture('drop.txt')], db);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /no feed with id "no-such-feed"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('verdict feeds import --dry-run stores nothing; feeds purge removes a feed and the lookup shows it gone', { timeout: 90_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'verdict-cli-feeds-'));
  const db = join(dir, 'v.db');
  try {
    const dry = verdict(['feeds', 'import', 'spamhaus-drop', fixture('drop.txt'), '--dry-run'], db);
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, /spamhaus-drop: dry run of .*drop\.txt — nothing stored\n {2}\d+ records would go in: cidr \d+\n {2}the import would succeed/);
    const wrong = verdict(['feeds', 'import', 'openphish', fixture('drop.txt'), '--dry-run', '--json'], db);
    assert.equal(wrong.code, 1, 'a file that would be refused exits 1');
    const preview = JSON.parse(wrong.out) as { refused: string; looksLike: Record<string, number> };
    assert.match(preview.refused, /this looks like a CIDR list — is the feed id right\?/);
    const listed = JSON.parse(verdict(['feeds', 'list', '--json'], db).out) as { feeds: FeedStatusView[] };
    assert.equal(listed.feeds.find((f) => f.id === 'spamhaus-drop')?.health.total_count, 0, 'the dry run stored nothing');

    assert.equal(verdict(['feeds', 'import', 'spamhaus-drop', fixture('drop.txt')], db).code, 0);
    const before = JSON.parse(verdict(['lookup', '1.10.16.5', '--json'], db).out) as { found: boolean; sources: { match: string; matched_value: string; details: Record<string, unknown> }[] };
    assert.equal(before.found, true, 'an address inside a DROP range is found');
    assert.deepEqual([before.sources[0]?.match, before.sources[0]?.matched_value, before.sources[0]?.details['sbl']], ['range', '1.10.16.0/20', 'SBL256894']);
    const text = verdict(['lookup', '1.10.16.5'], db);
    assert.match(text.out, /Spamhaus DROP \(commercial\): hijacked_range — via the range 1\.10\.16\.0\/20\n\s+first seen [^\n]+\n\s+sbl SBL256894/);

    const purge = verdict(['feeds', 'purge', 'spamhaus-drop', '--json'], db);
    assert.equal(purge.code, 0, purge.err);
    assert.ok((JSON.parse(purge.out) as { removed: number }).removed > 1000);
    const after = JSON.parse(verdict(['lookup', '1.10.16.5', '--json'], db).out) as { found: boolean };
    assert.equal(after.found, false);
    const unknown = verdict(['feeds', 'purge', 'no-such-feed'], db);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /no feed with id "no-such-feed"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('status table and run summary read as a person expects', () => {
  const catalog = loadCatalog();
  const now = new Date('2026-11-30T12:00:00Z');
  const rows = feedStatuses(
    catalog.list(),
    [
      { feedId: 'urlhaus', lastRun: null, lastSuccessAt: '2026-11-30T11:00:00Z', lastErrorAt: '2026-11-30T10:00:00Z', lastError: 'HTTP 503 old news', etag: null, lastModified: null, listedCount: 42, totalCount: 50, dataAsOf: '2026-11-30T06:00:00.000Z' },
      { feedId: 'threatfox', lastRun: null, lastSuccessAt: '2026-11-30T09:00:00Z', lastErrorAt: '2026-11-30T10:00:00Z', lastError: 'HTTP 500 current', etag: null, lastModified: null, listedCount: 1, totalCount: 1, dataAsOf: null },
    ],
    now,
  );
  const urlhaus = rows.find((r) => r.id === 'urlhaus');
  assert.equal(urlhaus?.health.listed_count, 42);
  assert.equal(urlhaus?.health.next_run_at, now.toISOString(), 'never run: due now');
  assert.equal(urlhaus?.health.data_as_of, '2026-11-30T06:00:00.000Z');
  const text = formatStatus(rows, new Date('2026-12-03T12:00:00Z'));
  assert.match(text.split('\n')[0] ?? '', /^ID\s+ON\s+CATEGORY\s+REL\s+LISTED\s+TOTAL\s+DATA AS OF/);
  assert.match(text, /urlhaus\s+yes\s+community\s+B\s+42\s+50\s+2026-11-30 \(3 days old\)\s+2026-11-30T11:00:00Z/, 'how old the data is, beside when it was fetched');
  assert.match(text, /threatfox\s+yes\s+community\s+B\s+1\s+1\s+-\s+2026-11-30T09:00:00Z/);
  assert.ok(!text.includes('old news'), 'an error cleared by a later success is not shown');
  assert.ok(text.includes('HTTP 500 current'));
  const summary = formatRun({ feedId: 'x', startedAt: '', finishedAt: '', status: 'success', result: { received: 3, added: 2, updated: 1, unchanged: 0, delisted: 0 }, rejected: 1, rejectedSamples: ['ipv4: bad: 1.2.3'], error: null, etag: null, lastModified: null });
  assert.equal(summary, 'x: success\n  received 3, added 2, updated 1, unchanged 0, delisted 0\n  1 malformed row(s) skipped; first ones:\n    ipv4: bad: 1.2.3');
});

test('the progress bar redraws one line and ends it', () => {
  const written: string[] = [];
  const stream = { write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
  const bar = progressBar(stream, 'importing x');
  bar.update(0, 2 * 1048576);
  bar.update(2 * 1048576, 2 * 1048576);
  bar.end();
  assert.equal(written[0], `\rimporting x [${'.'.repeat(30)}]   0% 0.0 MiB`);
  assert.equal(written[1], `\rimporting x [${'#'.repeat(30)}] 100% 2.0 MiB`);
  assert.equal(written[2], '\n');
});

test('verdict feeds prune removes old delisted sightings and says how many, per feed', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'verdict-cli-prune-'));
  const db = join(dir, 'v.db');
  try {
    const { openStore } = await import('../../src/store/index.ts');
    const store = await openStore(db);
    await store.migrate();
    // listed in 2025, delisted by the next run: last seen more than 30 days ago
    await store.ingest({ feedId: 'et-compromised', mode: 'snapshot', runAt: '2025-06-01T00:00:00Z' }, [{ type: 'ipv4', value: '192.0.2.1' }, { type: 'ipv4', value: '192.0.2.2' }]);
    await store.ingest({ feedId: 'et-compromised', mode: 'snapshot', runAt: '2025-06-02T00:00:00Z' }, [{ type: 'ipv4', value: '192.0.2.2' }]);
    await store.close();

    const missing = verdict(['feeds', 'prune'], db);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /give --older-than DAYS/);
    const bad = verdict(['feeds', 'prune', '--older-than', 'a week'], db);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /--older-than must be a whole number of days/);

    const res = verdict(['feeds', 'prune', '--older-than', '30', '--json'], db);
    assert.equal(res.code, 0, res.err);
    const out = JSON.parse(res.out) as { removed: number; byFeed: Record<string, number>; lastSeenBefore: string };
    assert.deepEqual([out.removed, out.byFeed], [1, { 'et-compromised': 1 }]);
    assert.ok(Math.abs(Date.parse(out.lastSeenBefore) - (Date.now() - 30 * 86_400_000)) < 60_000);
    const again = verdict(['feeds', 'prune', '--older-than', '30'], db);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /^removed 0 delisted sightings last seen before /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
