/**
 * How a finished feed run moves the feed's state: one rule for every engine, so `verdict feeds
 * list` reads the same on SQLite and PostgreSQL.
 */
import type { FeedRunRecord } from './types.ts';

export interface RunStateFields {
  lastSuccessAt: string | null;
  lastErrorAt: string | null;
  lastError: string | null;
  etag: string | null;
  lastModified: string | null;
}

interface StoredStateColumns {
  last_success_at: string | null;
  last_error_at: string | null;
  last_error: string | null;
  etag: string | null;
  last_modified: string | null;
}

export function nextRunState(prev: StoredStateColumns | undefined, run: FeedRunRecord): RunStateFields {
  const at = run.finishedAt ?? run.startedAt;
  const s: RunStateFields = {
    lastSuccessAt: prev?.last_success_at ?? null,
    lastErrorAt: prev?.last_error_at ?? null,
    lastError: prev?.last_error ?? null,
    etag: prev?.etag ?? null,
    lastModified: prev?.last_modified ?? null,
  };
  if (run.status === 'success') {
    // the server's current validators, even when it stopped sending them
    s.lastSuccessAt = at;
    s.etag = run.etag ?? null;
    s.lastModified = run.lastModified ?? null;
  } else if (run.status === 'not_modified') {
    // a 304 may omit validators; keep the ones that still describe our copy
    s.lastSuccessAt = at;
    s.etag = run.etag ?? s.etag;
    s.lastModified = run.lastModified ?? s.lastModified;
  } else if (run.status === 'failure') {
    s.lastErrorAt = at;
    s.lastError = run.error ?? 'unknown error';
  }
  return s;
}
