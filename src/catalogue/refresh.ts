/**
 * Keeps the catalogue's rows true: every indicator the store queued as changed (its sightings or
 * its override; triggers in both engines) is assessed again with the lookup's own model — the
 * same `Intelligence.assess` over the indicator's own sightings, the context a lookup weighs (the
 * ranges and AS holding an address, a URL's host, parent domains) and its override — and written back;
 * an indicator with no sighting left leaves the catalogue. Rows computed longer ago than the
 * freshness window are assessed again too, since decay lowers a score as time passes.
 */
import { contextReads, type ContextRead } from '../enrich.ts';
import { originOf } from '../evidence/origin.ts';
import type { IndicatorType, StoredType } from '../indicators/types.ts';
import type { ContextSighting, EvidenceSighting, FeedInfo, Intelligence, Override, Sighting } from '../model.ts';
import type { CatalogueEntry, CatalogueKey, CatalogueWrite, Store } from '../store/types.ts';
import { stixSubjectId } from '../taxii/ids.ts';

export interface RefreshDeps {
  store: Store;
  /** `network`: the AS of an address, whose evidence is context as in a lookup. */
  intel: Pick<Intelligence, 'assess' | 'network'>;
  catalog: { info(id: string): FeedInfo | undefined };
  clock: () => Date;
}

export interface RefreshResult {
  /** Indicators assessed and written. */
  written: number;
  /** Indicators taken out (no sighting left). */
  removed: number;
}

/** Indicators read and written per transaction. */
export const REFRESH_BATCH = 500;

const CVE = /^CVE-\d{4}-\d{4,}$/i;

function cvesOf(type: string, value: string, sightings: readonly Sighting[]): string[] {
  const out = new Set<string>();
  if (type === 'cve') out.add(value);
  for (const s of sightings) {
    for (const name of ['cve', 'cves', 'vulnerability']) {
      const v = s.attributes[name];
      for (const x of Array.isArray(v) ? v : [v]) if (typeof x === 'string' && CVE.test(x.trim())) out.add(x.trim().toUpperCase());
    }
  }
  return [...out].sort();
}

const sorted = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();

/** One indicator's entry from its sightings (non-empty), as a lookup would assess it now. */
export function entryOf(
  deps: Pick<RefreshDeps, 'intel' | 'catalog'>,
  key: CatalogueKey,
  sightings: readonly Sighting[],
  override: Override | null,
  now: Date,
  context: readonly { relation: ContextSighting['relation']; sighting: Sighting }[] = [],
): { entry: CatalogueEntry; origins: string[]; stixId: string | null } {
  const feedInfo = (id: string): FeedInfo => deps.catalog.info(id) ?? { id, name: id, category: 'internal', reliability: 'F' };
  const evidence: EvidenceSighting[] = sightings.map((s) => ({ ...s, feed: feedInfo(s.feedId) }));
  const contextEvidence: ContextSighting[] = context.map(({ relation, sighting }) => ({ ...sighting, feed: feedInfo(sighting.feedId), relation }));
  const a = deps.intel.assess({ type: key.type as IndicatorType, value: key.value, sightings: evidence, context: contextEvidence, override }, now);
  let first = sightings[0]!.firstSeen;
  let last = sightings[0]!.lastSeen;
  for (const s of sightings) {
    if (s.firstSeen < first) first = s.firstSeen;
    if (s.lastSeen > last) last = s.lastSeen;
  }
  const origins: string[] = [];
  for (const s of sightings) {
    const o = originOf(s);
    if (o !== null && !origins.includes(o)) origins.push(o);
  }
  return {
    entry: {
      type: key.type,
      value: key.value,
      firstSeen: first,
      lastSeen: last,
      score: a.risk.score,
      level: a.risk.level,
      confidence: a.confidence,
      listed: sightings.some((s) => s.listed),
      feeds: sorted(sightings.map((s) => s.feedId)),
      categories: sorted(evidence.map((s) => s.feed.category)),
      threatTypes: sorted(a.threatTypes),
      families: sorted(a.malwareFamilies),
      techniques: sorted(a.techniques.map((t) => t.id)),
      cves: cvesOf(key.type, key.value, sightings),
      computedAt: now.toISOString(),
    },
    origins,
    stixId: stixSubjectId(key.type, key.value),
  };
}

/** Assesses `keys` and writes them, taking `done` off the queue in the same transaction. */
async function refreshKeys(deps: RefreshDeps, keys: readonly CatalogueKey[], done: readonly (CatalogueKey & { gen: number })[], overrides: Map<string, Override>): Promise<RefreshResult> {
  const now = deps.clock();
  const byType = new Map<CatalogueKey['type'], string[]>();
  for (const k of keys) {
    const list = byType.get(k.type);
    if (list === undefined) byType.set(k.type, [k.value]);
    else list.push(k.value);
  }
  const entries: CatalogueWrite[] = [];
  const removed: CatalogueKey[] = [];
  const context = await contextOf(deps, keys);
  for (const [type, values] of byType) {
    const found = await deps.store.sightingsOfMany(type, values);
    for (const value of values) {
      const sightings = found.get(value) ?? [];
      if (sightings.length === 0) removed.push({ type, value });
      else entries.push(entryOf(deps, { type, value }, sightings, overrides.get(`${type} ${value}`) ?? null, now, context(type, value)));
    }
  }
  await deps.store.catalogue.write(entries, removed, done);
  return { written: entries.length, removed: removed.length };
}

/**
 * The evidence about what contains each indicator of a batch — the ranges holding an address, its
 * AS, a URL's host, parent domains — as a lookup weighs it, read with one query per type for the
 * whole batch (and the ranges from the store's index), so the catalogue's score is the lookup's.
 */
async function contextOf(deps: RefreshDeps, keys: readonly CatalogueKey[]): Promise<(type: string, value: string) => { relation: ContextSighting['relation']; sighting: Sighting }[]> {
  const plans = new Map<string, ContextRead[]>();
  const wanted = new Map<StoredType, Set<string>>();
  const ips = new Set<string>();
  for (const k of keys) {
    const reads = contextReads(k.type, k.value, k.type === 'ipv4' || k.type === 'ipv6' ? (deps.intel.network?.(k.value)?.asn ?? null) : null);
    if (reads.length === 0) continue;
    plans.set(`${k.type}\u0000${k.value}`, reads);
    for (const r of reads) {
      if ('ip' in r) ips.add(r.ip);
      else {
        let set = wanted.get(r.type);
        if (set === undefined) wanted.set(r.type, (set = new Set()));
        set.add(r.value);
      }
    }
  }
  if (plans.size === 0) return () => [];
  const sightings = new Map<StoredType, Map<string, Sighting[]>>();
  for (const [type, values] of wanted) sightings.set(type, await deps.store.sightingsOfMany(type, [...values]));
  const ranges = ips.size === 0 ? new Map<string, Sighting[]>() : await deps.store.rangesContainingMany([...ips]);
  return (type, value) => {
    const reads = plans.get(`${type}\u0000${value}`);
    if (reads === undefined) return [];
    const out: { relation: ContextSighting['relation']; sighting: Sighting }[] = [];
    for (const r of reads) {
      const list = 'ip' in r ? ranges.get(r.ip) : sightings.get(r.type)?.get(r.value);
      for (const s of list ?? []) out.push({ relation: r.relation, sighting: s });
    }
    return out;
  };
}

async function overrideMap(store: Store): Promise<Map<string, Override>> {
  const out = new Map<string, Override>();
  for (const o of await store.overrides.list()) out.set(`${o.type} ${o.value}`, o);
  return out;
}

/** Works the queue down to empty (what changes meanwhile is queued again and taken in turn). */
export async function refreshQueued(deps: RefreshDeps, batch = REFRESH_BATCH): Promise<RefreshResult> {
  const total: RefreshResult = { written: 0, removed: 0 };
  const overrides = await overrideMap(deps.store);
  for (;;) {
    const queued = await deps.store.catalogue.dirty(batch);
    if (queued.length === 0) return total;
    const r = await refreshKeys(deps, queued, queued, overrides);
    total.written += r.written;
    total.removed += r.removed;
  }
}

/** Assesses again, oldest first, up to `max` rows computed before `before` (decay). */
export async function refreshStale(deps: RefreshDeps, before: string, max: number, batch = REFRESH_BATCH): Promise<RefreshResult> {
  const total: RefreshResult = { written: 0, removed: 0 };
  const overrides = await overrideMap(deps.store);
  while (total.written + total.removed < max) {
    const keys = await deps.store.catalogue.stale(before, Math.min(batch, max - total.written - total.removed));
    if (keys.length === 0) break;
    const r = await refreshKeys(deps, keys, [], overrides);
    total.written += r.written;
    total.removed += r.removed;
  }
  return total;
}
