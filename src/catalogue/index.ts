/**
 * The IOC catalogue: one query layer over everything Verdict knows, for the list, search and
 * stats routes and for exports. Its rows are materialized per indicator (src/store/catalogue.ts)
 * and kept fresh here: before answering, the queue of changed indicators is worked off when the
 * store's data version moved (a feed run, a purge, an override), and rows computed longer ago than
 * `freshnessMs` are assessed again in the background, so decay shows at most that late.
 *
 * Exports read `stream(filters)`: an async iterator over every matching entry, a keyset batch at
 * a time, so any number of indicators streams in bounded memory. Large pages of the list read
 * `rows(scan)`: the same rows as the store's tuples, in batches, with no object per row.
 */
import type { Logger } from 'pino';
import type { CatalogueEntry, CatalogueFilters, CatalogueQuery, CatalogueStats } from '../store/types.ts';
import { refreshQueued, refreshStale, type RefreshDeps, type RefreshResult } from './refresh.ts';
import { tupleEntry, type CatalogueScan, type CatalogueTuple } from '../store/catalogue-scan.ts';

export { entryOf, refreshQueued, refreshStale, type RefreshDeps, type RefreshResult } from './refresh.ts';

/** How long a row's score serves before decay is applied again (default 6 hours). */
export const DEFAULT_FRESHNESS_MS = 6 * 3_600_000;
/** A queue longer than this is worked off in the background; answers meanwhile say how many are pending. */
export const INLINE_REFRESH_MAX = 20_000;
/** How long stats serve from memory (ms). */
export const STATS_TTL_MS = 60_000;

export interface CatalogueOptions {
  freshnessMs?: number;
  logger?: Logger;
  /** Monotonic ms (tests pass their own). */
  monotonicMs?: () => number;
}

export interface Freshness {
  /** The data version the rows reflect. */
  dataVersion: number;
  /** Changed indicators not yet in the rows (a large import is worked off in the background). */
  pending: number;
}

export function createCatalogue(deps: RefreshDeps, opts: CatalogueOptions = {}) {
  const freshnessMs = opts.freshnessMs ?? DEFAULT_FRESHNESS_MS;
  const mono = opts.monotonicMs ?? (() => performance.now());
  let refreshedVersion = -1;
  let running: Promise<RefreshResult> | null = null;
  let staleRunning: Promise<unknown> | null = null;
  let lastStaleSweep = -Infinity;
  let statsCache: { version: number; at: number; stats: CatalogueStats } | null = null;

  /** Works off the queue (one at a time per process); resolves with what it did. */
  function refresh(): Promise<RefreshResult> {
    if (running === null) {
      running = (async () => {
        const version = await deps.store.dataVersion();
        const r = await refreshQueued(deps);
        refreshedVersion = version;
        return r;
      })().finally(() => {
        running = null;
      });
    }
    return running;
  }

  /** Rows older than the freshness window, assessed again in the background (decay). */
  function sweepStale(): void {
    const now = mono();
    if (staleRunning !== null || now - lastStaleSweep < Math.min(freshnessMs / 4, 600_000)) return;
    lastStaleSweep = now;
    const before = new Date(deps.clock().getTime() - freshnessMs).toISOString();
    staleRunning = refreshStale(deps, before, Number.MAX_SAFE_INTEGER)
      .catch((err: unknown) => opts.logger?.warn({ err }, 'catalogue: decay refresh failed'))
      .finally(() => {
        staleRunning = null;
      });
  }

  /** Brings the rows up to the store's data version (inline for a short queue), and says how fresh they are. */
  async function ensureFresh(): Promise<Freshness> {
    const version = await deps.store.dataVersion();
    sweepStale();
    if (version !== refreshedVersion) {
      const pending = await deps.store.catalogue.pending();
      const work = refresh();
      // a short queue is worked off before answering; a long one (a large import) in the background
      if (pending <= INLINE_REFRESH_MAX) await work;
      else work.catch((err: unknown) => opts.logger?.warn({ err }, 'catalogue: refresh failed'));
    }
    return { dataVersion: version, pending: version === refreshedVersion && running === null ? 0 : await deps.store.catalogue.pending() };
  }

  return {
    refresh,
    ensureFresh,
    list(query: CatalogueQuery) {
      return deps.store.catalogue.list(query);
    },
    count(filters: CatalogueFilters, cap: number) {
      return deps.store.catalogue.count(filters, cap);
    },
    /** The rows of a scan (its filters and order, from its cursor, down to `until`, at most `limit`) as tuples, a batch at a time. */
    rows(scan: CatalogueScan): AsyncIterable<CatalogueTuple[]> {
      return deps.store.catalogue.scan(scan);
    },
    /** The cursor ending a page of `query.limit` rows from its cursor when another row follows, else null. */
    boundary(query: CatalogueQuery): Promise<string | null> {
      return deps.store.catalogue.boundary(query);
    },
    /**
     * Every entry matching `filters`, in `order`, at most `max`: tuples read in the store's batches,
     * an entry made only as each is taken.
     */
    async *stream(filters: CatalogueFilters, order: CatalogueQuery['order'] = 'last_seen', max = Number.POSITIVE_INFINITY): AsyncGenerator<CatalogueEntry> {
      for await (const rows of deps.store.catalogue.scan({ ...filters, order, limit: max === Number.POSITIVE_INFINITY ? Number.MAX_SAFE_INTEGER : max })) {
        for (const t of rows) yield tupleEntry(t);
      }
    },
    get(type: CatalogueEntry['type'], value: string) {
      return deps.store.catalogue.get(type, value);
    },
    search(text: string, limit: number) {
      return deps.store.catalogue.search(text, limit);
    },
    related(type: CatalogueEntry['type'], value: string, limit: number) {
      return deps.store.catalogue.related(type, value, limit);
    },
    /** Stats, computed at most once per data version and STATS_TTL_MS; `ageSeconds` is how old the answer is. */
    async stats(version: number): Promise<{ stats: CatalogueStats; ageSeconds: number }> {
      const now = mono();
      if (statsCache !== null && statsCache.version === version && now - statsCache.at < STATS_TTL_MS) {
        return { stats: statsCache.stats, ageSeconds: Math.floor((now - statsCache.at) / 1000) };
      }
      const stats = await deps.store.catalogue.stats(deps.clock());
      statsCache = { version, at: mono(), stats };
      return { stats, ageSeconds: 0 };
    },
    /** Waits for background work (before the store closes). */
    async idle(): Promise<void> {
      await Promise.allSettled([running, staleRunning]);
    },
  };
}

export type Catalogue = ReturnType<typeof createCatalogue>;
