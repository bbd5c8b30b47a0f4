/**
 * Runs each enabled feed that has a URL on its interval, one run per feed at a time (RunLock),
 * one feed after another (ingest is I/O- and CPU-heavy; two cores are shared with the API).
 * Start-up never waits on the network: the first check happens after `startDelayMs`, and a feed
 * that cannot be reached only records a failed run.
 */
import type { Logger } from 'pino';
import type { FeedRunRecord, FeedState, PruneResult, Store } from '../store/types.ts';
import type { FeedCatalog } from './catalog.ts';
import { lazyFetch, type FetchFn, type FetchSettings } from './fetcher.ts';
import { previewFeed, runFeed, type FeedPreview, type RunEnv, type RunSource } from './run.ts';
import type { FeedDefinition, RunLock } from './types.ts';

export interface FeedScheduler {
  start(): void;
  stop(): Promise<void>;
  /**
   * Runs a feed now. When another run of it holds the lock, resolves a `running` record; for a
   * feed without a URL, a `failure` record saying to import a file. Neither is stored.
   */
  runNow(feedId: string): Promise<FeedRunRecord>;
  /** Imports a local file for a feed (the offline path; the only one for internal feeds). */
  importFile(feedId: string, path: string, opts?: ImportOptions): Promise<FeedRunRecord>;
  /** What importing the file would do: counts by type and refusals; nothing is stored or recorded. */
  previewFile(feedId: string, path: string): Promise<FeedPreview>;
  /**
   * Removes a feed's data (see Store.purgeFeed), waiting for no run: refused with
   * FeedBusyError while a run of the feed is in progress. Works for a feed no longer in the
   * catalog too (what it left behind), and then forgets its stored definition.
   */
  purge(feedId: string): Promise<{ feedId: string; removed: number }>;
}

export class FeedBusyError extends Error {
  constructor(readonly feedId: string) {
    super(`a run of feed "${feedId}" is in progress; try again when it has finished`);
    this.name = 'FeedBusyError';
  }
}

export interface ImportOptions {
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Accept a snapshot that delists more than the suspect-drop share (an operator emptying a list on purpose). */
  allowDrop?: boolean;
}

export interface SchedulerDeps {
  store: Store;
  catalog: FeedCatalog;
  logger: Logger;
  clock: () => Date;
  runLock: RunLock;
  fetch?: FetchFn;
  sleep?: (ms: number) => Promise<void>;
  /** How often due feeds are looked for. */
  tickMs?: number;
  startDelayMs?: number;
  tmpDir?: string;
  env?: Readonly<Record<string, string | undefined>>;
  fetchSettings?: FetchSettings;
  /**
   * Retention: sightings their snapshot feed no longer lists, last seen more than this many days
   * ago, are pruned once a day (0 or absent: kept forever).
   */
  delistedRetentionDays?: number;
}

/** How often the scheduler prunes delisted sightings when retention is on. */
export const PRUNE_EVERY_MS = 24 * 3600_000;

/** Retention of `days` applied at `now` (the scheduler's daily chore, `verdict feeds prune`). */
export async function pruneOlderThan(store: Store, days: number, now: Date): Promise<PruneResult & { lastSeenBefore: string }> {
  const lastSeenBefore = new Date(now.getTime() - days * 86_400_000).toISOString();
  return { lastSeenBefore, ...(await store.pruneDelisted(lastSeenBefore)) };
}

/** After a failed run, try again sooner than the interval (but not more often than this). */
export const RETRY_AFTER_FAILURE_S = 900;

export class UnknownFeedError extends Error {
  constructor(readonly feedId: string) {
    super(`no feed with id "${feedId}" in the catalog`);
    this.name = 'UnknownFeedError';
  }
}

/** When a feed is next due (RFC 3339), or null for feeds the scheduler does not run. */
export function nextRunAt(def: FeedDefinition, state: FeedState | null | undefined, now: Date): string | null {
  if (!def.enabled || def.url === null || def.interval <= 0) return null;
  const last = state?.lastRun;
  if (!last) return now.toISOString();
  const wait = last.status === 'failure' ? Math.min(def.interval, RETRY_AFTER_FAILURE_S) : def.interval;
  return new Date(Date.parse(last.startedAt) + wait * 1000).toISOString();
}

/** Backoff waits end early when the scheduler stops, so shutdown is not held up by a retry. */
function abortableSleep(signal: AbortSignal): (ms: number) => Promise<void> {
  return (ms) =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
}

export function createFeedScheduler(deps: SchedulerDeps): FeedScheduler {
  const stopper = new AbortController();
  const env: RunEnv = {
    store: deps.store,
    logger: deps.logger,
    clock: deps.clock,
    fetch: deps.fetch ?? lazyFetch,
    sleep: deps.sleep ?? abortableSleep(stopper.signal),
    signal: stopper.signal,
    ...(deps.tmpDir ? { tmpDir: deps.tmpDir } : {}),
    ...(deps.env ? { env: deps.env } : {}),
    ...(deps.fetchSettings ? { fetchSettings: deps.fetchSettings } : {}),
  };
  let timer: NodeJS.Timeout | null = null;
  let ticking: Promise<void> | null = null;
  let stopped = false;

  function definition(feedId: string): FeedDefinition {
    const def = deps.catalog.get(feedId);
    if (def === undefined) throw new UnknownFeedError(feedId);
    return def;
  }

  /** A run that did not happen (busy, or nothing to fetch): returned to the caller, not stored. */
  function notRun(def: FeedDefinition, status: 'running' | 'failure', error: string): FeedRunRecord {
    const now = deps.clock().toISOString();
    return { feedId: def.id, startedAt: now, finishedAt: status === 'running' ? null : now, status, result: null, rejected: 0, rejectedSamples: [], error, etag: null, lastModified: null };
  }

  /** Runs in flight (scheduled, runNow, importFile): stop() waits for them before the store closes. */
  const inFlight = new Set<Promise<unknown>>();

  async function locked(def: FeedDefinition, source: RunSource): Promise<FeedRunRecord> {
    const p = deps.runLock.withLock(`feed:${def.id}`, () => runFeed(def, source, env));
    inFlight.add(p);
    try {
      return (await p) ?? notRun(def, 'running', 'another run of this feed is in progress');
    } finally {
      inFlight.delete(p);
    }
  }

  async function tick(): Promise<void> {
    let states: Map<string, FeedState>;
    try {
      states = new Map((await deps.store.feedStates()).map((s) => [s.feedId, s]));
    } catch (err) {
      deps.logger.error({ err }, 'scheduler: cannot read feed states');
      return;
    }
    for (const def of deps.catalog.list()) {
      if (stopped) return;
      const due = nextRunAt(def, states.get(def.id), deps.clock());
      if (due === null || Date.parse(due) > deps.clock().getTime()) continue;
      try {
        // a manual run during this tick may already have brought the feed up to date
        const fresh = nextRunAt(def, await deps.store.feedState(def.id), deps.clock());
        if (fresh === null || Date.parse(fresh) > deps.clock().getTime()) continue;
        await locked(def, { kind: 'remote' });
      } catch (err) {
        deps.logger.error({ err, feedId: def.id }, 'scheduler: run crashed');
      }
    }
  }

  let lastPruneAt: number | null = null;

  /** Once a day (the first time at the first tick), under a lock so that one instance does it. */
  async function prune(): Promise<void> {
    const days = deps.delistedRetentionDays ?? 0;
    const now = deps.clock().getTime();
    if (days <= 0 || (lastPruneAt !== null && now - lastPruneAt < PRUNE_EVERY_MS)) return;
    lastPruneAt = now;
    try {
      const r = await deps.runLock.withLock('maintenance:prune-delisted', () => pruneOlderThan(deps.store, days, new Date(now)));
      if (r && r.removed > 0) deps.logger.info(r, 'pruned delisted sightings');
    } catch (err) {
      deps.logger.error({ err }, 'scheduler: pruning delisted sightings failed');
    }
  }

  function schedule(ms: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      ticking = tick()
        .then(() => (stopped ? undefined : prune()))
        .finally(() => {
          ticking = null;
          schedule(deps.tickMs ?? 30_000);
        });
    }, ms);
    // the scheduler alone never keeps a process alive; serve and worker have their own reasons
    timer.unref();
  }

  return {
    start() {
      if (timer !== null || stopped) return;
      schedule(deps.startDelayMs ?? 2_000);
    },
    async stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      stopper.abort();
      await ticking;
      await Promise.allSettled([...inFlight]);
    },
    async runNow(feedId) {
      const def = definition(feedId);
      if (def.url === null) return notRun(def, 'failure', `feed "${def.id}" has no URL; import a file with "verdict feeds import ${def.id} FILE"`);
      return locked(def, { kind: 'remote' });
    },
    async previewFile(feedId, path) {
      return previewFeed(definition(feedId), path, env);
    },
    async purge(feedId) {
      const p = deps.runLock.withLock(`feed:${feedId}`, async () => {
        const removed = await deps.store.purgeFeed(feedId);
        // an orphaned feed purged has nothing left to label: its stored definition goes too
        if (deps.catalog.get(feedId) === undefined) await deps.store.feedDefinitions.delete(feedId);
        return removed;
      });
      inFlight.add(p);
      try {
        const removed = await p;
        if (removed === undefined) throw new FeedBusyError(feedId);
        deps.logger.info({ feedId, removed }, 'feed data purged');
        return { feedId, removed };
      } finally {
        inFlight.delete(p);
      }
    },
    async importFile(feedId, path, opts = {}) {
      return locked(definition(feedId), {
        kind: 'file',
        path,
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
        ...(opts.allowDrop ? { allowDrop: true } : {}),
      });
    },
  };
}
