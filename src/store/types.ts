/**
 * The store: one interface, implemented by sqlite/ (embedded default) and postgres/ (scale-out).
 * Every implementation passes the same contract suite (test/store/contract.ts).
 * All methods are async so that both engines fit; times are RFC 3339 UTC strings.
 */
import type { IndicatorType, StoredType } from '../indicators/types.ts';
import type { ConfidenceLevel, DateSource, Override, RiskLevel, Sighting, SightingRecord } from '../model.ts';

export const SCOPES = ['read:lookup', 'read:iocs', 'read:export', 'read:metrics', 'write:reports', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export const TIERS = ['free', 'pro', 'enterprise'] as const;
export type Tier = (typeof TIERS)[number];

export interface ApiKeyRecord {
  id: string;
  keyPrefix: string;
  /** Hex SHA-256 of the whole key; the key itself is never stored. */
  keyHash: string;
  name: string;
  tier: Tier;
  scopes: Scope[];
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  /** Canonical CIDR ranges the key may be used from (src/keys/allowed-ips.ts); empty: any address. */
  allowedIps: string[];
}

/** Requests by one key to one route (its pattern) on one UTC day (`YYYY-MM-DD`). */
export interface KeyUsageCount {
  keyId: string;
  day: string;
  route: string;
  requests: number;
}

/** What an update of a key may change (absent: unchanged). `allowedIps` canonical; `expiresAt` RFC 3339 or null (never). */
export interface ApiKeyChanges {
  name?: string;
  tier?: Tier;
  scopes?: Scope[];
  allowedIps?: string[];
  expiresAt?: string | null;
}

export interface ApiKeyRepository {
  create(key: ApiKeyRecord): Promise<void>;
  findByHash(keyHash: string): Promise<ApiKeyRecord | null>;
  get(id: string): Promise<ApiKeyRecord | null>;
  list(): Promise<ApiKeyRecord[]>;
  /** Returns false when no such key (or already revoked). */
  revoke(id: string, at: string): Promise<boolean>;
  touch(id: string, at: string): Promise<void>;
  count(): Promise<number>;
  /**
   * Stores `key` only while the store holds no key at all, atomically for every process sharing
   * the store: of instances starting together on an empty store, one stores its first admin key
   * and the others store nothing. Returns whether this call stored it.
   */
  createFirst(key: ApiKeyRecord): Promise<boolean>;
  /** Replaces a key's allow-list (canonical ranges); false when there is no such key. */
  setAllowedIps(id: string, ranges: readonly string[]): Promise<boolean>;
  /** Changes the given fields of a key (never its hash) and returns the record as stored, or null when there is no such key. */
  update(id: string, changes: ApiKeyChanges): Promise<ApiKeyRecord | null>;
  /** Adds each count to its (key, day, route) total in one transaction; several processes may add. */
  addUsage(counts: readonly KeyUsageCount[]): Promise<void>;
  /** A key's counts on `sinceDay` (`YYYY-MM-DD`) and later, newest day first, then by route. */
  usage(keyId: string, sinceDay: string): Promise<KeyUsageCount[]>;
}

/**
 * Requests counted against each key's daily quota, kept so that a restart does not hand every
 * key a fresh day. Days are UTC days since the epoch. Counts are added (several processes may
 * share one store), never overwritten.
 */
export interface QuotaLedger {
  /** Every key's requests counted on `day`. */
  dayCounts(day: number): Promise<Map<string, number>>;
  /** Adds `counts` (requests per key id) to `day`'s, and forgets days before `day - 1`. */
  addDayCounts(day: number, counts: ReadonlyMap<string, number>): Promise<void>;
}

export interface OverrideRepository {
  get(type: IndicatorType, value: string): Promise<Override | null>;
  put(override: Override): Promise<void>;
  delete(type: IndicatorType, value: string): Promise<boolean>;
  list(): Promise<Override[]>;
}

/**
 * A feed's definition as the catalog held it when the feed ran: kept so that every process, and
 * every later start, labels the feed's data alike even without the file that defined it. The
 * store keeps it as an opaque JSON object (src/feeds/catalog.ts says what it holds).
 */
export interface StoredFeedDefinition {
  feedId: string;
  definition: Record<string, unknown>;
  /** When it was first stored (RFC 3339). */
  storedAt: string;
  /** When it last changed (RFC 3339); equal to `storedAt` until it does. */
  updatedAt: string;
}

export interface FeedDefinitionRepository {
  /**
   * Stores `definition` for the feed unless the same one (the same JSON, whatever the order of
   * its keys) is stored already. Returns whether anything changed; a change moves the data
   * version, since lookups label the feed's data by it.
   */
  put(feedId: string, definition: Record<string, unknown>, at: string): Promise<boolean>;
  get(feedId: string): Promise<StoredFeedDefinition | null>;
  /** Every stored definition, by feed id. */
  list(): Promise<StoredFeedDefinition[]>;
  /** Forgets a feed's definition (its data, if any, is then labelled as an unknown feed's). Moves the data version when one was stored. */
  delete(feedId: string): Promise<boolean>;
}

/** A threat report read from a report feed or submitted by an analyst (src/reports/). */
export interface ReportRecord {
  /** Stable per (feed, entry): the same entry read again is the same report. */
  id: string;
  feedId: string;
  title: string;
  url: string | null;
  /** The entry's own date (RFC 3339), null when it gives none. */
  published: string | null;
  /** When Verdict read it (RFC 3339). */
  fetched: string;
  /** The indicators it names (role `indicator`), each once, in order of first mention. */
  indicators: { type: StoredType; value: string }[];
  /** ATT&CK ids and CVE ids it names. */
  attackIds: string[];
  cves: string[];
}

export interface ReportQuery {
  /** Words in the title (case-insensitive substring). */
  q?: string;
  /** Reports dated (published, else fetched) at or after this (RFC 3339). */
  since?: string;
  feed?: string;
  hasIocs?: boolean;
  cve?: string;
  technique?: string;
  /** Reports naming at least one indicator of this type. */
  type?: StoredType;
  limit: number;
  /** From the previous page's `next`. */
  cursor?: string | null;
}

export interface ReportRepository {
  /** Stores the report, replacing one with the same id. */
  put(report: ReportRecord): Promise<void>;
  get(id: string): Promise<ReportRecord | null>;
  /** Newest first (published, else fetched; then id); `next` is null on the last page. */
  list(query: ReportQuery): Promise<{ reports: ReportRecord[]; next: string | null }>;
  /** The newest reports naming the indicator, at most `limit`. */
  mentioning(type: StoredType, value: string, limit: number): Promise<ReportRecord[]>;
}

/** One indicator of the IOC catalogue: its risk as a lookup computes it, materialized (src/catalogue/). */
export interface CatalogueEntry {
  type: StoredType;
  value: string;
  firstSeen: string;
  lastSeen: string;
  score: number;
  level: RiskLevel;
  confidence: ConfidenceLevel;
  /** Whether any feed still lists it. */
  listed: boolean;
  feeds: string[];
  categories: string[];
  threatTypes: string[];
  families: string[];
  techniques: string[];
  cves: string[];
  /** When score, level and confidence were computed (RFC 3339): decay moves them with time. */
  computedAt: string;
}

/** An entry to write, with the origin keys of its sightings and the id of the STIX object it is served as over TAXII (none: not served). */
export interface CatalogueWrite {
  entry: CatalogueEntry;
  origins: readonly string[];
  stixId?: string | null;
}

/**
 * A catalogue row with when Verdict recorded its current version (TAXII's `date_added`, epoch
 * microseconds, unique per row): set when the row is first written and again whenever what its
 * STIX object says changes (dates, level, confidence, listed, feeds and their categories, threat
 * types, families, techniques), never by decay alone; each write takes a time after every one
 * recorded before it.
 */
export interface AddedEntry extends CatalogueEntry {
  addedUs: number;
  stixId: string;
}

/** The position of a row in the order rows were recorded. */
export interface AddedKey {
  addedUs: number;
  type: StoredType;
  value: string;
}

/** Rows in the order they were recorded (oldest first), for TAXII: only rows with a STIX id. */
export interface AddedQuery extends Omit<CatalogueFilters, 'type'> {
  /** Any of these types (any type when absent). */
  types?: readonly StoredType[];
  /** Any of these STIX ids. */
  stixIds?: readonly string[];
  /** Recorded after (epoch µs). */
  addedAfterUs?: number;
  /** Recorded exactly at one of these (epoch µs): a version asked for. */
  addedAtUs?: readonly number[];
  /** Rows after this one (the keyset cursor). */
  after?: AddedKey | null;
  limit: number;
}

export type CatalogueTermKind = 'feed' | 'category' | 'threat_type' | 'family' | 'technique' | 'cve' | 'origin';
export interface CatalogueKey {
  type: StoredType;
  value: string;
}

export interface CatalogueFilters {
  type?: StoredType;
  /** Minimum level. */
  level?: RiskLevel;
  /** Minimum confidence. */
  confidence?: ConfidenceLevel;
  feed?: string;
  category?: string;
  threatType?: string;
  /** Case-insensitive. */
  family?: string;
  technique?: string;
  cve?: string;
  /** Last seen at or after (RFC 3339). */
  since?: string;
  /** First seen at or after (RFC 3339). */
  foundSince?: string;
  /** Also indicators no feed lists any more. */
  includeDelisted?: boolean;
}

export interface CatalogueQuery extends CatalogueFilters {
  /** Newest last seen first (default), or highest score first. */
  order?: 'last_seen' | 'risk';
  limit: number;
  /** From the previous page's `next`; CatalogueCursorError when it is not one. */
  cursor?: string | null;
}

export interface CatalogueStats {
  total: number;
  listed: number;
  byType: Record<string, number>;
  byLevel: Record<string, number>;
  /** Listed indicators per term, most first, by kind (feed, category, threat_type, family, technique, cve). */
  terms: Record<string, { term: string; count: number }[]>;
  /** Indicators first seen in the last 1, 7 and 30 days. */
  newSince: { d1: number; d7: number; d30: number };
  /** The oldest computation among the rows (how stale decay may be), null when empty. */
  oldestComputedAt: string | null;
}

/**
 * The catalogue's rows. Triggers on sightings and overrides queue every indicator whose data
 * changed (`dirty`); the refresh (src/catalogue/refresh.ts) computes them and writes them back.
 */
export interface CatalogueRepository {
  /** Up to `limit` queued indicators, each with its queue mark. */
  dirty(limit: number): Promise<(CatalogueKey & { gen: number })[]>;
  /** Indicators queued now. */
  pending(): Promise<number>;
  /** Rows computed before `before` (RFC 3339), oldest first. */
  stale(before: string, limit: number): Promise<CatalogueKey[]>;
  /**
   * In one transaction: writes the entries (with their origin keys), removes `removed`, and takes
   * `done` off the queue unless marked again since it was read (its mark changed).
   */
  write(entries: readonly CatalogueWrite[], removed: readonly CatalogueKey[], done: readonly (CatalogueKey & { gen: number })[]): Promise<void>;
  get(type: StoredType, value: string): Promise<CatalogueEntry | null>;
  /** A page; `next` is null on the last page. */
  list(query: CatalogueQuery): Promise<{ entries: CatalogueEntry[]; next: string | null }>;
  /** Rows matching the filters, counted up to `cap`. */
  count(filters: CatalogueFilters, cap: number): Promise<{ count: number; capped: boolean }>;
  /** Values containing `text` (≥ 3 characters, case-insensitive): FTS5 trigram / pg_trgm. Highest score first. */
  search(text: string, limit: number): Promise<CatalogueEntry[]>;
  /** Indicators sharing an origin (report, event, pulse, entry) with the given one. */
  related(type: StoredType, value: string, limit: number): Promise<CatalogueEntry[]>;
  /** Totals; `now` dates the 1/7/30-day counts. */
  stats(now: Date): Promise<CatalogueStats>;
  /** The rows of a scan as tuples, a keyset batch at a time, for pages and exports of any size (src/store/catalogue-scan.ts). */
  scan(query: import('./catalogue-scan.ts').CatalogueScan): AsyncIterable<import('./catalogue-scan.ts').CatalogueTuple[]>;
  /** The cursor of the last row of a page of `query.limit` rows when another row follows it, else null. */
  boundary(query: CatalogueQuery): Promise<string | null>;
  /** A page in the order rows were recorded; `more` says whether another row follows. */
  byAdded(query: AddedQuery): Promise<{ entries: AddedEntry[]; more: boolean }>;
}

export type IngestMode = 'snapshot' | 'incremental';

export interface IngestOptions {
  feedId: string;
  mode: IngestMode;
  /** Run time (RFC 3339): the stamp of every sighting confirmed, and the date of records that state none. */
  runAt: string;
  /**
   * The date of records that state none, when the source gave one for the whole document (a
   * download's HTTP Last-Modified): `{ at, source: 'http' }`. Absent: the run time, as `fetched`.
   */
  fallbackDate?: { at: string; source: DateSource };
  /**
   * Snapshot feeds only: if the run would delist more than this share (0–1) of the feed's
   * currently listed sightings, the run is refused as suspect and nothing changes.
   */
  maxDropShare?: number;
}

export interface IngestResult {
  /** Records received. */
  received: number;
  added: number;
  updated: number;
  unchanged: number;
  /** Snapshot feeds: sightings no longer listed after this run. */
  delisted: number;
}

/**
 * Records that can also be taken a batch at a time. A producer that has them in arrays anyway
 * (a parse thread) offers them so; an ingest that knows this pulls one array per await instead
 * of one record, and one that does not iterates the records as usual. Both give the same
 * records in the same order.
 */
export interface RecordBatches extends AsyncIterable<SightingRecord> {
  batches(): AsyncIterable<readonly SightingRecord[]>;
}

export function hasBatches(records: unknown): records is RecordBatches {
  return typeof records === 'object' && records !== null && typeof (records as Partial<RecordBatches>).batches === 'function';
}

export function isAsyncIterable<T>(x: AsyncIterable<T> | Iterable<T>): x is AsyncIterable<T> {
  return typeof (x as AsyncIterable<T>)[Symbol.asyncIterator] === 'function';
}

/**
 * The records of an ingest in arrays, whichever way they come: a producer's own arrays as they
 * are, anything else gathered `size` at a time — a synchronous source in a plain loop, since
 * awaiting each of its records would cost a promise per record.
 */
export async function* recordArrays(
  records: AsyncIterable<SightingRecord> | Iterable<SightingRecord>,
  size: number,
): AsyncGenerator<readonly SightingRecord[]> {
  if (hasBatches(records)) {
    yield* records.batches();
    return;
  }
  let part: SightingRecord[] = [];
  if (isAsyncIterable(records)) {
    for await (const r of records) {
      part.push(r);
      if (part.length >= size) {
        yield part;
        part = [];
      }
    }
  } else {
    for (const r of records) {
      part.push(r);
      if (part.length >= size) {
        yield part;
        part = [];
      }
    }
  }
  if (part.length > 0) yield part;
}

export type IngestFailure =
  | { kind: 'suspect_drop'; previous: number; current: number; message: string }
  | { kind: 'aborted'; message: string; cause?: unknown };

/** Thrown by ingest when a run is refused; the store is left exactly as before the run. */
export class IngestError extends Error {
  constructor(readonly failure: IngestFailure) {
    super(failure.message);
    this.name = 'IngestError';
  }
}

export type FeedRunStatus = 'success' | 'failure' | 'not_modified' | 'running';

export interface FeedRunRecord {
  feedId: string;
  startedAt: string;
  finishedAt: string | null;
  status: FeedRunStatus;
  result: IngestResult | null;
  /** Malformed rows skipped, with the first few for the operator. */
  rejected: number;
  rejectedSamples: string[];
  /**
   * Entries of kinds Verdict does not hold (an OTX pulse's file paths, mutexes, YARA rules …), by
   * the source's name for the kind; absent when there were none. They are not errors.
   */
  skipped?: Record<string, number>;
  error: string | null;
  /** Conditional GET validators kept for the next fetch. */
  etag: string | null;
  lastModified: string | null;
  /**
   * Where a source read in parts stands, carried from run to run (a MISP feed: how far its
   * history has been read). Absent for sources read whole.
   */
  cursor?: string | null;
}

export interface PruneResult {
  removed: number;
  /** Sightings removed per feed (feeds that lost none are absent). */
  byFeed: Record<string, number>;
}

export interface FeedState {
  feedId: string;
  lastRun: FeedRunRecord | null;
  lastSuccessAt: string | null;
  lastErrorAt: string | null;
  lastError: string | null;
  etag: string | null;
  lastModified: string | null;
  /** Sightings currently listed by the feed. */
  listedCount: number;
  /** All sightings the store holds from the feed, listed or not (retention removes old delisted ones). */
  totalCount: number;
  /**
   * How old the feed's data is: the newest last-seen date its runs brought (the source's own
   * dates, a list's header date, the HTTP Last-Modified, else the fetch time). Null before a run.
   */
  dataAsOf: string | null;
}

/**
 * Mutual exclusion for feed runs: one run per name at a time; with a store shared by several
 * processes, one of them runs it.
 */
export interface RunLock {
  /** Runs `fn` while holding `name`; resolves `undefined` without running when another holder has it. */
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T | undefined>;
}

export interface Store {
  /** Which engine, for display (health, logs); what differs between engines is a capability below. */
  readonly kind: 'sqlite' | 'postgres';
  /**
   * Whether a large feed file is best parsed on a worker thread while this store writes: true
   * when the writes take this process's CPU (SQLite), false when a database server does them on
   * cores of its own (PostgreSQL), where a thread adds memory without relieving the bottleneck.
   */
  readonly offThreadParsing: boolean;
  /**
   * A lock that holds across every process sharing this store (PostgreSQL: an advisory lock
   * per name). Absent when the store has none: one process owns the store, so an in-process
   * lock serves.
   */
  runLock?(): RunLock;
  /** Applies pending migrations; idempotent. */
  migrate(): Promise<void>;
  /** Cheap reachability check (health, 503 handling). */
  ping(): Promise<void>;
  close(): Promise<void>;

  /** All sightings of one canonical indicator, every feed, listed or not. */
  sightingsOf(type: StoredType, value: string): Promise<Sighting[]>;
  /** `cidr` sightings whose range contains the given IP (ipv4 or ipv6 canonical form). */
  rangesContaining(ip: string): Promise<Sighting[]>;
  /**
   * Batched reads for bulk lookups: the sightings of many values of one type in one query, by
   * value (every value asked is a key; one that no feed reported has an empty list). Each list
   * is what `sightingsOf` returns for that value, in the same order. Callers chunk their values.
   */
  sightingsOfMany(type: StoredType, values: readonly string[]): Promise<Map<string, Sighting[]>>;
  /** `rangesContaining` for many IPs at once, by IP (every IP asked is a key); throws TypeError on one that is not an IP. */
  rangesContainingMany(ips: readonly string[]): Promise<Map<string, Sighting[]>>;
  /**
   * Runs `reads`, which starts reads of this store and returns without awaiting them (say, a
   * `Promise.all` of them): on SQLite they share one read transaction — one snapshot, and one
   * transaction's cost instead of one per statement — which the other readTogether calls of the
   * same event-loop turn share too, until the turn's I/O callbacks are done or this process
   * writes. Absent: the reads run as they come.
   */
  readTogether?<T>(reads: () => T): T;

  /**
   * One feed run as one transaction. Records may repeat an indicator (last one wins, tags merged).
   * Snapshot mode delists the feed's sightings not seen in this run. Throws IngestError
   * (or the parser's own error from the iterable) and leaves the store unchanged on failure.
   * `records` may be RecordBatches.
   */
  ingest(options: IngestOptions, records: AsyncIterable<SightingRecord> | Iterable<SightingRecord>): Promise<IngestResult>;
  /**
   * Removes everything a feed reported, in one transaction, and forgets how far it was read (its
   * HTTP validators, last success and cursor), so the next run fetches it whole. Moves the data
   * version (no cache serves the removed sightings). Returns the sightings removed.
   */
  purgeFeed(feedId: string): Promise<number>;
  /**
   * Retention: removes the sightings their snapshot feed no longer lists and last saw before
   * `before` (RFC 3339). Listed sightings and incremental feeds' data are never touched.
   */
  pruneDelisted(before: string): Promise<PruneResult>;

  recordFeedRun(run: FeedRunRecord): Promise<void>;
  feedStates(): Promise<FeedState[]>;
  feedState(feedId: string): Promise<FeedState | null>;

  /** Counts for /health and stats. */
  stats(): Promise<{ indicators: number; sightings: number; lastIngestAt: string | null }>;
  /** Increases by at least one every time an ingest run commits a change; caches key on it. */
  dataVersion(): Promise<number>;

  readonly keys: ApiKeyRepository;
  readonly overrides: OverrideRepository;
  /** Feed definitions as the feeds last ran (see FeedDefinitionRepository). */
  readonly feedDefinitions: FeedDefinitionRepository;
  /** Threat reports and the indicators they name. */
  readonly reports: ReportRepository;
  /** The IOC catalogue (src/catalogue/). */
  readonly catalogue: CatalogueRepository;
  /**
   * Where the per-instance rate limiter keeps daily quota counts across restarts: present on
   * SQLite (the embedded store, whose limits live in the process). Absent on PostgreSQL, whose
   * deployments keep limits and quotas in Redis (docs/deploy.md).
   */
  readonly quotas?: QuotaLedger;
}
