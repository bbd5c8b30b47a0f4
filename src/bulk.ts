/**
 * The bulk lookup use case: many indicators answered with exactly the single lookup's objects,
 * in input order, each distinct indicator once, reading the store in batches.
 *
 * Values are taken a chunk at a time. For each chunk, every read the single lookup would make —
 * the indicator's own sightings, the ranges holding an address, its AS, a URL's host, parent
 * domains — is gathered first and read with one query per type (`sightingsOfMany`) and one for
 * all the addresses (`rangesContainingMany`); then each indicator goes through the single
 * lookup's own code (src/enrich.ts) over a view of the store that answers those reads from what
 * was just read. A read the view did not foresee goes to the store as usual, so the answers are
 * the single lookup's whatever it comes to read. Results are yielded as they are ready: the
 * caller streams them, and memory stays bounded by the chunk, not the batch.
 */
import { contextReads, createLookup, parsedIndicator, parseLookupValue, RELATED_REPORTS, type EnrichDeps, type LookupResponse } from './enrich.ts';
import type { IndicatorType, StoredType } from './indicators/types.ts';
import { parseTypeHint } from './indicators/type-hint.ts';
import type { HuntingPlatform, HuntingQueryBuilder, Intelligence, Sighting } from './model.ts';
import type { ReportRecord, Store } from './store/types.ts';
import type { LookupCache } from './cache/types.ts';

/** One value of a bulk request: the value alone, or with its type. */
export type BulkInput = string | { value: string; type?: string };

export interface BulkItemError {
  error: { code: 'invalid_indicator' | 'invalid_parameter'; message: string; details: Record<string, unknown> };
}

export type BulkItem = { index: number; result: LookupResponse } | { index: number; error: BulkItemError['error'] };

export interface BulkSummary {
  /** Values received. */
  total: number;
  /** Results given (distinct indicators and per-item errors). */
  answered: number;
  /** Values that repeated an earlier one (same canonical indicator), answered at its first place. */
  duplicates: number;
  errors: number;
  found: number;
  by_type: Record<string, number>;
  by_level: Record<string, number>;
}

export interface BulkOptions {
  platforms?: readonly HuntingPlatform[];
  /** Values read from the store together (default 500). */
  chunkSize?: number;
  /** False: results without hunting queries (for callers that read none, like extract-and-enrich). Default true. */
  hunting?: boolean;
}

export const DEFAULT_CHUNK = 500;
/** Longest value accepted, as for the single lookup. */
const MAX_VALUE_LENGTH = 2_048;

/**
 * What one chunk read ahead: sightings by type then value, ranges by address, reports by type
 * then value — the maps the batched reads return, kept as they are (no key made per value).
 */
interface Reads {
  sightings: Map<StoredType, Map<string, Sighting[]>>;
  ranges: Map<string, Sighting[]>;
  reports: Map<StoredType, Map<string, ReportRecord[]>>;
}

const NO_READS: Reads = { sightings: new Map(), ranges: new Map(), reports: new Map() };

/** The single lookup's hunting builder when the caller wants no queries (extract-and-enrich reads none). */
const NO_HUNTING: HuntingQueryBuilder = { build: () => ({}) };

/**
 * The store as the single lookup sees it during a bulk call: the reads of the current chunk
 * come from what was read ahead, the data version fixed for the call (so the lookup reads the
 * overrides once for the call); anything else is the store's own. Made once per call, an object whose prototype
 * is the store: nothing is allocated per read.
 */
function prefetchedView(store: Store, state: { reads: Reads; version: number }): Store {
  const reports: Store['reports'] = Object.create(store.reports, {
    mentioning: {
      value: async (type: StoredType, value: string, limit: number) =>
        (limit === RELATED_REPORTS ? state.reads.reports.get(type)?.get(value) : undefined) ?? store.reports.mentioning(type, value, limit),
    },
  });
  return Object.create(store, {
    sightingsOf: { value: async (type: StoredType, value: string) => state.reads.sightings.get(type)?.get(value) ?? store.sightingsOf(type, value) },
    rangesContaining: { value: async (ip: string) => state.reads.ranges.get(ip) ?? store.rangesContaining(ip) },
    dataVersion: { value: async () => state.version },
    // the chunk's reads are in memory already: no transaction to share
    readTogether: { value: <T>(reads: () => T): T => reads() },
    reports: { value: reports },
  }) as Store;
}

export function createBulkLookup(deps: EnrichDeps) {
  /** The reads the single lookup makes for one indicator, added to `want`. */
  function plan(intel: Intelligence, type: IndicatorType, value: string, want: { byType: Map<StoredType, Set<string>>; ips: Set<string> }): void {
    const add = (t: StoredType, v: string) => {
      let s = want.byType.get(t);
      if (s === undefined) want.byType.set(t, (s = new Set()));
      s.add(v);
    };
    add(type, value);
    const asn = type === 'ipv4' || type === 'ipv6' ? (intel.network?.(value)?.asn ?? null) : null;
    for (const r of contextReads(type, value, asn)) {
      if ('ip' in r) want.ips.add(r.ip);
      else add(r.type, r.value);
    }
  }

  async function readAhead(
    store: Store,
    want: { byType: Map<StoredType, Set<string>>; ips: Set<string>; own: Map<IndicatorType, string[]> },
  ): Promise<Reads> {
    const sightings: Reads['sightings'] = new Map();
    const reports: Reads['reports'] = new Map();
    const all = () => {
      const reads = [...want.byType].map(async ([type, values]) => {
        sightings.set(type, await store.sightingsOfMany(type, [...values]));
      });
      // related.reports: the reports naming each indicator asked (its own value only)
      const mentions = [...want.own].map(async ([type, values]) => {
        reports.set(type, await store.reports.mentioningMany(type, values, RELATED_REPORTS));
      });
      const ranges = want.ips.size === 0 ? Promise.resolve(new Map<string, Sighting[]>()) : store.rangesContainingMany([...want.ips]);
      return Promise.all([Promise.all(reads), Promise.all(mentions), ranges]);
    };
    const [, , r] = await (store.readTogether === undefined ? all() : store.readTogether(all));
    return { sightings, ranges: r, reports };
  }

  function itemError(index: number, input: BulkInput, code: 'invalid_indicator' | 'invalid_parameter', message: string, details: Record<string, unknown> = {}): BulkItem {
    const value = typeof input === 'string' ? input : input?.value;
    return { index, error: { code, message, details: { index, value: typeof value === 'string' ? value.slice(0, 200) : null, ...details } } };
  }

  return {
    /**
     * Yields one item per distinct indicator or bad value, in input order, then returns the
     * summary. The store is read one chunk at a time; a store failure is thrown.
     */
    async *run(inputs: readonly BulkInput[], opts: BulkOptions = {}): AsyncGenerator<BulkItem, BulkSummary> {
      const chunkSize = Math.max(1, opts.chunkSize ?? DEFAULT_CHUNK);
      const summary: BulkSummary = { total: inputs.length, answered: 0, duplicates: 0, errors: 0, found: 0, by_type: {}, by_level: {} };
      const state = { reads: NO_READS, version: 0 };
      const view = prefetchedView(deps.store, state);
      const single = createLookup({
        ...deps,
        store: view,
        hunting: opts.hunting === false ? NO_HUNTING : deps.hunting,
        cache: opts.hunting === false ? null : inProcessOnly(deps.cache),
      });
      state.version = await deps.store.dataVersion();
      await deps.catalog.refreshAt?.(state.version);
      // each distinct indicator's value, by type: the values are kept for the call anyway (a key
      // made of type and value for each would be one more string a value, kept as long)
      const seen = new Map<IndicatorType, Set<string>>();
      const platforms = opts.platforms ?? [];

      for (let start = 0; start < inputs.length; start += chunkSize) {
        // the chunk in input order, as columns: a value to look up (its type and input index
        // beside it) or a per-item error. No object is made per value: what lives as long as the
        // chunk outlives V8's young generation and waits in the old one as garbage.
        const entries: (string | BulkItem)[] = [];
        const types: (IndicatorType | undefined)[] = [];
        const indexes: number[] = [];
        const fail = (item: BulkItem): void => {
          entries.push(item);
          types.push(undefined);
          indexes.push(item.index);
        };
        const want = { byType: new Map<StoredType, Set<string>>(), ips: new Set<string>(), own: new Map<IndicatorType, string[]>() };
        for (let i = start; i < Math.min(inputs.length, start + chunkSize); i++) {
          const input = inputs[i]!;
          const raw = typeof input === 'string' ? input : input?.value;
          if (typeof raw !== 'string' || raw.trim() === '') {
            fail(itemError(i, input, 'invalid_indicator', 'The value is empty.'));
            continue;
          }
          if (raw.length > MAX_VALUE_LENGTH) {
            fail(itemError(i, input, 'invalid_indicator', `The value is longer than ${MAX_VALUE_LENGTH} characters.`));
            continue;
          }
          let hint: IndicatorType | undefined;
          if (typeof input !== 'string' && input.type !== undefined) {
            const h = parseTypeHint(input.type);
            if (!h.ok) {
              fail(itemError(i, input, 'invalid_parameter', h.message, { parameter: 'type', allowed: [...h.allowed] }));
              continue;
            }
            hint = h.type;
          }
          // parsed without the single lookup's memo: a batch's values are mostly distinct, and a
          // memo as large as a batch would keep each parsed value long after its chunk
          const parsed = parseLookupValue(raw, hint);
          if (!parsed.ok) {
            const what = hint ? `a valid ${hint}` : 'a valid indicator of any supported type';
            fail(
              itemError(i, input, 'invalid_indicator', `The value is not ${what}.`, {
                expected_types: [...new Set(parsed.tried.map((t) => t.type))],
                reasons: parsed.tried.map((t) => ({ type: t.type, reason: t.reason })),
              }),
            );
            continue;
          }
          const { type, value } = parsed;
          let seenOfType = seen.get(type);
          if (seenOfType === undefined) seen.set(type, (seenOfType = new Set()));
          if (seenOfType.has(value)) {
            summary.duplicates += 1;
            continue;
          }
          seenOfType.add(value);
          plan(deps.intel, type, value, want);
          const own = want.own.get(type);
          if (own === undefined) want.own.set(type, [value]);
          else own.push(value);
          entries.push(value);
          types.push(type);
          indexes.push(i);
        }
        state.reads = await readAhead(deps.store, want);
        // one result at a time: each is computed when the caller takes the one before, so no
        // more than one result is alive at once (the chunk's results held together would outlive
        // V8's young generation and pile up as garbage in the old one)
        for (let k = 0; k < entries.length; k++) {
          const e = entries[k]!;
          // the single lookup's own path, from the value as parsed above
          const a: BulkItem = typeof e === 'string' ? { index: indexes[k]!, result: await single.lookupParsed(parsedIndicator(types[k]!, e), platforms) } : e;
          summary.answered += 1;
          if ('error' in a) summary.errors += 1;
          else {
            const r = a.result;
            summary.by_type[r.type] = (summary.by_type[r.type] ?? 0) + 1;
            summary.by_level[r.risk_score] = (summary.by_level[r.risk_score] ?? 0) + 1;
            if (r.found) summary.found += 1;
          }
          yield a;
        }
      }
      state.reads = NO_READS;
      return summary;
    },
  };
}

export type BulkLookup = ReturnType<typeof createBulkLookup>;

/**
 * The lookup cache as a bulk call uses it: answers this process already holds under the call's
 * data version are taken (`peek`: no round trip to a shared cache per value), and nothing is
 * written — a large batch would otherwise push out the answers single lookups keep asking for.
 */
function inProcessOnly(cache: LookupCache | null): LookupCache | null {
  if (cache === null) return null;
  return {
    get: async (k, version) => cache.peek(k, version),
    peek: (k, version) => cache.peek(k, version),
    set: async () => undefined,
    close: async () => undefined,
  };
}
