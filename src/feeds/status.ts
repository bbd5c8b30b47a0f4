/**
 * A feed's status as clients see it: what the catalog says of the feed, and its health from the
 * store's feed state. One view for `GET /api/v1/feeds` and `verdict feeds list --json`, so both
 * name the same facts alike; keys without the admin scope see the reader's view of it
 * (`readerFeedStatus`).
 */
import type { FeedRunRecord, FeedRunStatus, FeedState, IngestResult, Store } from '../store/types.ts';
import { nextRunAt } from './scheduler.ts';
import type { FeedCatalog } from './catalog.ts';
import type { OrphanedFeed } from './stored-definitions.ts';
import type { FeedDefinition } from './types.ts';

/** One run, as `POST /api/v1/feeds/{id}/sync` returns it and `health.last_run` shows it. */
export interface FeedRunView {
  feed_id: string;
  started_at: string;
  finished_at: string | null;
  status: FeedRunStatus;
  result: IngestResult | null;
  rejected: number;
  rejected_samples: string[];
  /** Entries of kinds Verdict does not hold, by the source's kind; only when there were some. */
  skipped?: Record<string, number>;
  error: string | null;
}

export interface FeedHealthView {
  last_run: FeedRunView | null;
  last_success_at: string | null;
  last_error_at: string | null;
  /** Kept after a later success (history); the error is current when `last_error_at` is after `last_success_at`. */
  last_error: string | null;
  /** Sightings the feed lists now. */
  listed_count: number;
  /** Sightings kept from the feed, listed or not. */
  total_count: number;
  /** The newest date the feed's data carries: its own dates, a list's header date, the HTTP Last-Modified, else the fetch time. */
  data_as_of: string | null;
  /** When the scheduler runs it next; null for import-only or disabled feeds. */
  next_run_at: string | null;
}

export interface FeedStatusView {
  id: string;
  name: string;
  category: string;
  reliability: string;
  format: string;
  url: string | null;
  interval_seconds: number;
  mode: string;
  enabled: boolean;
  license: string;
  /**
   * True for a feed this process no longer defines (its definition left the catalog and the
   * feeds file) whose definition or data the store still holds: its data is kept and labelled as
   * before (name, category, reliability from the stored definition), and nothing runs it.
   */
  orphaned: boolean;
  health: FeedHealthView;
}

export function feedRunView(r: FeedRunRecord): FeedRunView {
  return {
    feed_id: r.feedId,
    started_at: r.startedAt,
    finished_at: r.finishedAt,
    status: r.status,
    result: r.result ? { ...r.result } : null,
    rejected: r.rejected,
    rejected_samples: r.rejectedSamples,
    ...(r.skipped !== undefined && Object.keys(r.skipped).length > 0 ? { skipped: { ...r.skipped } } : {}),
    error: r.error,
  };
}

/** One feed's status at `now` (a feed that never ran has no state). */
export function feedStatus(f: FeedDefinition, s: FeedState | null | undefined, now: Date): FeedStatusView {
  return {
    id: f.id,
    name: f.name,
    category: f.category,
    reliability: f.reliability,
    format: f.format,
    url: f.url,
    interval_seconds: f.interval,
    mode: f.mode,
    enabled: f.enabled,
    license: f.license,
    orphaned: false,
    health: {
      last_run: s?.lastRun ? feedRunView(s.lastRun) : null,
      last_success_at: s?.lastSuccessAt ?? null,
      last_error_at: s?.lastErrorAt ?? null,
      last_error: s?.lastError ?? null,
      listed_count: s?.listedCount ?? 0,
      total_count: s?.totalCount ?? 0,
      data_as_of: s?.dataAsOf ?? null,
      next_run_at: nextRunAt(f, s, now),
    },
  };
}

/** Every catalog feed's status, in catalog order. */
export function feedStatuses(feeds: readonly FeedDefinition[], states: readonly FeedState[], now: Date): FeedStatusView[] {
  const byId = new Map(states.map((s) => [s.feedId, s]));
  return feeds.map((f) => feedStatus(f, byId.get(f.id), now));
}

/** The health of a feed nothing runs: what its runs left, and no next run. */
function orphanHealth(s: FeedState | undefined): FeedHealthView {
  return {
    last_run: s?.lastRun ? feedRunView(s.lastRun) : null,
    last_success_at: s?.lastSuccessAt ?? null,
    last_error_at: s?.lastErrorAt ?? null,
    last_error: s?.lastError ?? null,
    listed_count: s?.listedCount ?? 0,
    total_count: s?.totalCount ?? 0,
    data_as_of: s?.dataAsOf ?? null,
    next_run_at: null,
  };
}

const text = (v: unknown, fallback: string): string => (typeof v === 'string' ? v : fallback);

/** An orphaned feed's status: its label and what else its stored definition says; never enabled. */
export function orphanStatus(o: OrphanedFeed, s: FeedState | undefined): FeedStatusView {
  const d = o.definition;
  return {
    id: o.id,
    name: o.info.name,
    category: o.info.category,
    reliability: o.info.reliability,
    format: text(d.format, 'unknown'),
    url: typeof d.url === 'string' ? d.url : null,
    interval_seconds: typeof d.interval === 'number' ? d.interval : 0,
    mode: text(d.mode, 'snapshot'),
    enabled: false,
    license: text(d.license, ''),
    orphaned: true,
    health: orphanHealth(s),
  };
}

/**
 * The status of every feed the store holds something of: the catalog's feeds in catalog order,
 * then the orphaned ones by id — those the store remembers a definition of, and those whose data
 * remains without any definition (stored before definitions were kept), labelled as lookups
 * label them: by their id, an `internal` feed of reliability F. One view for `GET /api/v1/feeds`
 * and `verdict feeds list`.
 */
export function catalogStatuses(catalog: Pick<FeedCatalog, 'list'> & { orphans?(): readonly OrphanedFeed[] }, states: readonly FeedState[], now: Date): FeedStatusView[] {
  const byId = new Map(states.map((s) => [s.feedId, s]));
  const configured = catalog.list();
  const out = feedStatuses(configured, states, now);
  const shown = new Set(configured.map((f) => f.id));
  const orphans: FeedStatusView[] = [];
  for (const o of catalog.orphans?.() ?? []) {
    if (shown.has(o.id)) continue;
    shown.add(o.id);
    orphans.push(orphanStatus(o, byId.get(o.id)));
  }
  for (const s of states) {
    if (shown.has(s.feedId) || s.totalCount === 0) continue;
    const info = { id: s.feedId, name: s.feedId, category: 'internal' as const, reliability: 'F' as const };
    orphans.push(orphanStatus({ id: s.feedId, info, definition: {}, storedAt: '', updatedAt: '' }, s));
  }
  orphans.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return [...out, ...orphans];
}

/**
 * The status of every feed as the store holds it now: the catalog's stored definitions read again
 * first when the data version moved (another instance stored or dropped one), then the states.
 */
export async function storeStatuses(
  catalog: Pick<FeedCatalog, 'list' | 'refreshAt'> & { orphans?(): readonly OrphanedFeed[] },
  store: Pick<Store, 'dataVersion' | 'feedStates'>,
  now: Date,
): Promise<FeedStatusView[]> {
  if (catalog.refreshAt !== undefined) await catalog.refreshAt(await store.dataVersion());
  return catalogStatuses(catalog, await store.feedStates(), now);
}

/** A run as a key without the admin scope sees it: its counts and status, not the rows or the error text. */
export type ReaderRunView = Omit<FeedRunView, 'rejected_samples' | 'error'>;
export type ReaderHealthView = Omit<FeedHealthView, 'last_run' | 'last_error'> & { last_run: ReaderRunView | null };
export type ReaderFeedStatusView = Omit<FeedStatusView, 'health'> & { health: ReaderHealthView };

/**
 * The URL without what may be a secret: credentials, the query (tokens are often passed there)
 * and the fragment. Null when it cannot be read.
 */
export function publicFeedUrl(url: string | null): string | null {
  if (url === null) return null;
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString();
  } catch {
    return null;
  }
}

/**
 * What a key without the admin scope sees of a feed: the counts (rejected rows, listed, total)
 * and statuses (the last run's status; `last_error_at` against `last_success_at`), but not the
 * rejected rows themselves or the raw error texts — both may quote what a server sent, an
 * internal address or a credential — and the URL without credentials or query.
 */
export function readerFeedStatus(v: FeedStatusView): ReaderFeedStatusView {
  const { last_run, last_error: _error, ...health } = v.health;
  let run: ReaderRunView | null = null;
  if (last_run !== null) {
    const { rejected_samples: _samples, error: _runError, ...counts } = last_run;
    run = counts;
  }
  return { ...v, url: publicFeedUrl(v.url), health: { ...health, last_run: run } };
}
