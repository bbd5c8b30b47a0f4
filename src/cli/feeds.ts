/**
 * `verdict feeds list|sync|import|purge|prune|load-bundled` and `verdict worker`. Thin: they take
 * the store, catalog and scheduler from the composition root (buildFeedDeps) and call the same
 * scheduler the service runs. `--json` prints one JSON document.
 */
import { loadConfig } from '../config.ts';
import { buildFeedDeps, commandLogger, type FeedDeps } from '../deps.ts';
import { loadBundledData, type BundledLoad } from '../feeds/bundled.ts';
import { pruneOlderThan } from '../feeds/scheduler.ts';
import { feedRunView, storeStatuses, type FeedHealthView, type FeedStatusView } from '../feeds/status.ts';
import type { FeedCatalog } from '../feeds/catalog.ts';
import type { FeedPreview } from '../feeds/run.ts';
import { printable } from '../printable.ts';
import type { FeedRunRecord } from '../store/types.ts';

async function withFeeds<T>(fn: (deps: FeedDeps) => Promise<T>): Promise<T> {
  const config = loadConfig();
  // the command prints the outcome itself; the log adds detail only when asked for
  const deps = await buildFeedDeps(config, { logger: commandLogger(config, 'error') });
  try {
    return await fn(deps);
  } finally {
    await deps.close();
  }
}

/** Columns padded to their widest cell; cells are escaped first (feed text), so the widths are what shows. */
function table(cells: string[][]): string {
  const rows = cells.map((r) => r.map(printable));
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

/** The last error, unless a later success has cleared it (the JSON keeps both for history). */
function currentError(h: FeedHealthView): string {
  if (h.last_error === null) return '';
  if (h.last_success_at !== null && h.last_error_at !== null && h.last_success_at > h.last_error_at) return '';
  return h.last_error.length > 60 ? `${h.last_error.slice(0, 59)}…` : h.last_error;
}

/** `2025-08-25 (102 days old)`: the date, and its age at `now`. */
function dataAge(at: string | null, now: Date): string {
  if (at === null) return '-';
  const days = Math.floor((now.getTime() - Date.parse(at)) / 86_400_000);
  return `${at.slice(0, 10)} (${days <= 0 ? 'today' : days === 1 ? '1 day old' : `${days} days old`})`;
}

/** The status views of `GET /api/v1/feeds`, as a table for a person. */
export function formatStatus(rows: readonly FeedStatusView[], now: Date = new Date()): string {
  const head = ['ID', 'ON', 'CATEGORY', 'REL', 'LISTED', 'TOTAL', 'DATA AS OF', 'LAST SUCCESS', 'NEXT RUN', 'LAST ERROR'];
  const body = rows.map((r) => [
    r.id,
    r.orphaned ? 'orphaned' : r.enabled ? 'yes' : 'no',
    r.category,
    r.reliability,
    String(r.health.listed_count),
    String(r.health.total_count),
    dataAge(r.health.data_as_of, now),
    r.health.last_success_at ?? 'never',
    r.health.next_run_at ?? (r.enabled ? 'import only' : '-'),
    currentError(r.health),
  ]);
  return table([head, ...body]);
}

export function formatRun(run: FeedRunRecord): string {
  const lines = [`${run.feedId}: ${run.status}${run.error ? ` — ${run.error}` : ''}`];
  if (run.result) {
    const r = run.result;
    lines.push(`  received ${r.received}, added ${r.added}, updated ${r.updated}, unchanged ${r.unchanged}, delisted ${r.delisted}`);
  }
  if (run.rejected > 0) {
    lines.push(`  ${run.rejected} malformed row(s) skipped; first ones:`);
    for (const s of run.rejectedSamples) lines.push(`    ${s}`);
  }
  const skipped = skippedLine(run.skipped ?? {});
  if (skipped !== null) lines.push(skipped);
  return printableLines(lines);
}

/** `  3 entries of kinds Verdict does not hold left out: FilePath 2, Mutex 1`, or null when none. */
function skippedLine(skipped: Readonly<Record<string, number>>): string | null {
  const kinds = Object.entries(skipped).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const total = kinds.reduce((n, [, k]) => n + k, 0);
  if (total === 0) return null;
  return `  ${total} ${total === 1 ? 'entry' : 'entries'} of kinds Verdict does not hold left out: ${kinds.map(([k, n]) => `${k} ${n}`).join(', ')}`;
}

/** Lines for a person: each escaped on its own (a field's line break shows as `\n`), then joined. */
function printableLines(lines: readonly string[]): string {
  return lines.map(printable).join('\n');
}

export function formatPreview(p: FeedPreview): string {
  const types = Object.entries(p.byType).sort((a, b) => b[1] - a[1]);
  const lines = [`${p.feedId}: dry run of ${p.path} — nothing stored`];
  lines.push(`  ${p.received} record${p.received === 1 ? '' : 's'} would go in${types.length > 0 ? `: ${types.map(([t, n]) => `${t} ${n}`).join(', ')}` : ''}`);
  if (p.rejected > 0) {
    const looks = Object.entries(p.looksLike).sort((a, b) => b[1] - a[1]);
    lines.push(`  ${p.rejected} row(s) refused${looks.length > 0 ? ` (they look like: ${looks.map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}; first ones:`);
    for (const s of p.rejectedSamples) lines.push(`    ${s}`);
  }
  const skipped = skippedLine(p.skipped);
  if (skipped !== null) lines.push(skipped);
  lines.push(p.refused === null ? '  the import would succeed' : `  the import would fail as a whole: ${p.refused}`);
  return printableLines(lines);
}

/** A one-line progress bar on stderr, redrawn at most every 100 ms; only when stderr is a terminal. */
export function progressBar(stream: NodeJS.WriteStream, name: string): { update(done: number, total: number): void; end(): void } {
  const label = printable(name);
  let last = 0;
  let drawn = false;
  const width = 30;
  return {
    update(done, total) {
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      const share = total > 0 ? Math.min(1, done / total) : 0;
      const filled = Math.round(share * width);
      stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ${(done / 1048576).toFixed(1)} MiB`);
      drawn = true;
    },
    end() {
      if (drawn) stream.write('\n');
    },
  };
}

function print(json: boolean | undefined, value: unknown, text: string): void {
  process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : text + '\n');
}

function knownFeed(catalog: FeedCatalog, id: string): void {
  if (catalog.get(id)) return;
  if (catalog.orphans().some((o) => o.id === id)) {
    throw new Error(
      `feed "${id}" is orphaned: its definition is no longer in the catalog or VERDICT_FEEDS_FILE, so it cannot run; its data is kept and labelled as before. ` +
        `Put its definition back in VERDICT_FEEDS_FILE to run it, or \`verdict feeds purge ${id}\` to remove its data`,
    );
  }
  throw new Error(`no feed with id "${id}" (see \`verdict feeds list\`)`);
}

export async function listFeeds(opts: { json?: boolean }): Promise<void> {
  await withFeeds(async ({ store, catalog, clock }) => {
    const now = clock();
    // the same objects as GET /api/v1/feeds
    const rows = await storeStatuses(catalog, store, now);
    print(opts.json, { feeds: rows }, formatStatus(rows, now));
  });
}

export async function syncFeed(id: string, opts: { json?: boolean }): Promise<void> {
  const run = await withFeeds(async ({ catalog, scheduler }) => {
    knownFeed(catalog, id);
    return scheduler.runNow(id);
  });
  print(opts.json, feedRunView(run), formatRun(run));
  if (run.status === 'failure') process.exitCode = 1;
}

export interface ImportCommandOptions {
  json?: boolean;
  allowDrop?: boolean;
  dryRun?: boolean;
}

export async function importFeedFile(id: string, file: string, opts: ImportCommandOptions): Promise<void> {
  if (opts.dryRun) {
    const preview = await withFeeds(async ({ catalog, scheduler }) => {
      knownFeed(catalog, id);
      return scheduler.previewFile(id, file);
    });
    print(opts.json, preview, formatPreview(preview));
    if (preview.refused !== null) process.exitCode = 1;
    return;
  }
  const run = await withFeeds(async ({ catalog, scheduler }) => {
    knownFeed(catalog, id);
    const bar = process.stderr.isTTY && !opts.json ? progressBar(process.stderr, `importing ${id}`) : null;
    try {
      return await scheduler.importFile(id, file, {
        ...(bar ? { onProgress: (done: number, total: number) => bar.update(done, total) } : {}),
        ...(opts.allowDrop ? { allowDrop: true } : {}),
      });
    } finally {
      bar?.end();
    }
  });
  print(opts.json, feedRunView(run), formatRun(run));
  if (run.status === 'failure') process.exitCode = 1;
}

export async function purgeFeed(id: string, opts: { json?: boolean }): Promise<void> {
  const result = await withFeeds(async ({ catalog, store, scheduler }) => {
    if (catalog.get(id) === undefined && (await store.feedState(id)) === null) throw new Error(`no feed with id "${id}" in the catalog or the store (see \`verdict feeds list\`)`);
    return scheduler.purge(id);
  });
  print(opts.json, result, printable(`${id}: removed ${result.removed} sighting${result.removed === 1 ? '' : 's'}; its next run reads the feed whole`));
}

export async function pruneFeeds(opts: { olderThan?: string; json?: boolean }): Promise<void> {
  const result = await withFeeds(async ({ config, store, clock }) => {
    const raw = opts.olderThan ?? (config.delistedRetentionDays > 0 ? String(config.delistedRetentionDays) : null);
    if (raw === null) throw new Error('give --older-than DAYS (VERDICT_DELISTED_RETENTION_DAYS is 0: keep forever)');
    if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 36_500) throw new Error(`--older-than must be a whole number of days from 1 to 36500, got "${raw}"`);
    return pruneOlderThan(store, Number(raw), clock());
  });
  const lines = [`removed ${result.removed} delisted sighting${result.removed === 1 ? '' : 's'} last seen before ${result.lastSeenBefore}`];
  for (const [id, n] of Object.entries(result.byFeed).sort()) lines.push(`  ${id}: ${n}`);
  print(opts.json, result, printableLines(lines));
}

export function formatBundled(loads: readonly BundledLoad[]): string {
  return loads
    .map((l) => {
      if (l.run === null) return printable(`${l.feedId}: nothing loaded — ${l.skipped}`);
      return l.run.status === 'success' ? `${printable(l.feedId)}: loaded the bundled snapshot\n${formatRun(l.run).split('\n').slice(1).join('\n')}` : formatRun(l.run);
    })
    .join('\n');
}

/** The bundled snapshots (the CISA KEV catalog) into a store that has never had their feeds' data. */
export async function loadBundledFeeds(opts: { json?: boolean }): Promise<void> {
  const loads = await withFeeds(({ store, catalog, clock, logger }) => loadBundledData(store, catalog, clock(), { logger }));
  print(opts.json, { bundled: loads }, formatBundled(loads));
  if (loads.some((l) => l.run !== null && l.run.status === 'failure')) process.exitCode = 1;
}

/** `verdict worker`: the bundled data, then the scheduler, until a signal. */
export async function runWorker(): Promise<void> {
  const config = loadConfig();
  // a service: it logs to stdout at the configured level, as `serve` does
  const deps = await buildFeedDeps(config);
  try {
    await loadBundledData(deps.store, deps.catalog, deps.clock(), { logger: deps.logger });
    deps.scheduler.start();
    deps.logger.info({ feeds: deps.catalog.list().filter((f) => f.enabled && f.url !== null).length }, 'feed worker started');
    // the scheduler's timers do not hold the process open; this does, until a signal
    const keepAlive = setInterval(() => {}, 1 << 30);
    await new Promise<void>((resolve) => {
      const stop = (signal: string): void => {
        deps.logger.info({ signal }, 'feed worker stopping');
        resolve();
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    clearInterval(keepAlive);
  } finally {
    await deps.close();
  }
}
