/** Shared fixtures of the Store contract: times, record builders, observation of a store. */
import type { SightingRecord, Sighting } from '../../../src/model.ts';
import type { ApiKeyRecord, FeedRunRecord, IngestOptions, Store } from '../../../src/store/types.ts';

/** The store of the current test (a fresh one per test). */
export interface StoreContext {
  readonly store: Store;
}

export type StoreFactory = () => Promise<{ store: Store; cleanup(): Promise<void> }>;

export const T1 = '2026-01-01T00:00:00.000Z';
export const T2 = '2026-01-02T00:00:00.000Z';
export const T3 = '2026-01-03T00:00:00.000Z';

export const snapshot = (feedId: string, runAt: string, maxDropShare?: number): IngestOptions =>
  maxDropShare === undefined ? { feedId, mode: 'snapshot', runAt } : { feedId, mode: 'snapshot', runAt, maxDropShare };
export const incremental = (feedId: string, runAt: string): IngestOptions => ({ feedId, mode: 'incremental', runAt });
export const ip = (value: string, extra: Partial<SightingRecord> = {}): SightingRecord => ({ type: 'ipv4', value, ...extra });
export const ips = (n: number, offset = 0): SightingRecord[] =>
  Array.from({ length: n }, (_, i) => ip(`10.${((i + offset) >> 16) & 255}.${((i + offset) >> 8) & 255}.${(i + offset) & 255}`));

export async function* throwingAfter(records: SightingRecord[], error: Error): AsyncGenerator<SightingRecord> {
  for (const r of records) yield r;
  throw error;
}

/** Everything observable about one feed's data, for "unchanged" assertions. */
export async function observe(store: Store, probes: SightingRecord[]): Promise<unknown> {
  const sightings: Sighting[][] = [];
  for (const p of probes) sightings.push(await store.sightingsOf(p.type, p.value));
  return { sightings, stats: await store.stats(), version: await store.dataVersion(), states: await store.feedStates() };
}

export function keyRecord(n: number, extra: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id: `key_${n}`,
    keyPrefix: `sk_live_ab${n}`,
    keyHash: n.toString(16).padStart(64, '0'),
    name: `key ${n}`,
    tier: 'pro',
    scopes: ['read:lookup'],
    createdAt: `2026-01-01T00:00:0${n}.000Z`,
    lastUsedAt: null,
    expiresAt: null,
    revokedAt: null,
    allowedIps: [],
    ...extra,
  };
}

export function run(feedId: string, startedAt: string, extra: Partial<FeedRunRecord> = {}): FeedRunRecord {
  return {
    feedId,
    startedAt,
    finishedAt: startedAt,
    status: 'success',
    result: { received: 1, added: 1, updated: 0, unchanged: 0, delisted: 0 },
    rejected: 0,
    rejectedSamples: [],
    error: null,
    etag: null,
    lastModified: null,
    ...extra,
  };
}
