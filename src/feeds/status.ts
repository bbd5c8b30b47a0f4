/**
 * A feed's status as clients see it: what the catalog says of the feed, and its health from the
 * store's feed state. One view for `GET /api/v1/feeds` and `verdict feeds list --json`, so both
 * name the same facts alike; keys without the admin scope see the reader's view of it
 * (`readerFeedStatus`).
 */
import type { FeedRunRecord, FeedRunStatus, FeedState, IngestResult } from '../store/types.ts';
import { nextRunAt } from './scheduler.ts';
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
