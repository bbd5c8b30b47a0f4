/**
 * Reference data shipped under data/ so that a fresh install with no internet still answers:
 * the CISA KEV snapshot is imported as the `cisa-kev` feed when the store has never had it.
 * `verdict serve` and `verdict worker` load it at start, `verdict feeds load-bundled` on demand;
 * a lookup never does (it only reads). (ATT&CK tables and warning lists are loaded by the
 * intelligence model, not stored.)
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { lazyFetch } from './fetcher.ts';
import type { FeedRunRecord, Store } from '../store/types.ts';
import type { FeedCatalog } from './catalog.ts';
import { runFeed } from './run.ts';

export const BUNDLED_KEV = fileURLToPath(new URL('../../data/cisa-kev/known_exploited_vulnerabilities.json', import.meta.url));

export interface BundledDataOptions {
  logger?: Logger;
  kevFile?: string;
}

/** What became of one bundled snapshot: its run, or why there was none. */
export interface BundledLoad {
  feedId: string;
  file: string;
  run: FeedRunRecord | null;
  /** Why nothing was loaded (null when it was: see `run`). */
  skipped: string | null;
}

export async function loadBundledData(store: Store, catalog: FeedCatalog, now: Date, opts: BundledDataOptions = {}): Promise<BundledLoad[]> {
  const feedId = 'cisa-kev';
  const file = opts.kevFile ?? BUNDLED_KEV;
  const skip = (skipped: string): BundledLoad[] => [{ feedId, file, run: null, skipped }];
  const def = catalog.get(feedId);
  if (def === undefined) return skip('the feed is not in the catalog');
  if (!existsSync(file)) return skip(`the snapshot ${file} is missing`);
  const state = await store.feedState(def.id);
  if (state !== null && (state.lastSuccessAt !== null || state.totalCount > 0)) return skip('the store has had this feed already');
  const logger = opts.logger ?? pino({ level: 'silent' });
  const run = await runFeed(def, { kind: 'file', path: file }, {
    store,
    logger,
    clock: () => now,
    fetch: lazyFetch,
    sleep: async () => {},
  });
  return [{ feedId, file, run, skipped: null }];
}
