/**
 * Reference data shipped under data/ so that a fresh install with no internet still answers:
 * the CISA KEV snapshot is imported as the `cisa-kev` feed when the store has never had it.
 * (ATT&CK tables and warning lists are loaded by the intelligence model, not stored.)
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { fetch as undiciFetch } from 'undici';
import type { Store } from '../store/types.ts';
import type { FeedCatalog } from './catalog.ts';
import { runFeed } from './run.ts';

export const BUNDLED_KEV = fileURLToPath(new URL('../../data/cisa-kev/known_exploited_vulnerabilities.json', import.meta.url));

export interface BundledDataOptions {
  logger?: import('pino').Logger;
  kevFile?: string;
}

export async function loadBundledData(store: Store, catalog: FeedCatalog, now: Date, opts: BundledDataOptions = {}): Promise<void> {
  const def = catalog.get('cisa-kev');
  const file = opts.kevFile ?? BUNDLED_KEV;
  if (def === undefined || !existsSync(file)) return;
  const state = await store.feedState(def.id);
  if (state !== null && (state.lastSuccessAt !== null || state.totalCount > 0)) return;
  const logger = opts.logger ?? pino({ level: 'silent' });
  await runFeed(def, { kind: 'file', path: file }, {
    store,
    logger,
    clock: () => now,
    fetch: undiciFetch,
    sleep: async () => {},
  });
}
