/**
 * One feed run: gather the feed (download, spool, or a local file), parse it as a stream, ingest
 * it as one store transaction, and record the outcome. Every failure — network, HTTP status,
 * size, HTML, unpacking, parsing, a suspect drop, the store — is caught here, recorded as the
 * run's error, and leaves the feed's data exactly as it was.
 */
import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { SightingRecord } from '../model.ts';
import { errorText } from '../file-errors.ts';
import { printable } from '../printable.ts';
import { hasBatches, type FeedRunRecord, type FeedState, type IngestOptions, type RecordBatches, type Store } from '../store/types.ts';
import { feedDispatcher } from './dispatcher.ts';
import { download, settingsFrom, type FetchDeps, type FetchFn, type FetchSettings } from './fetcher.ts';
import { PARSERS } from './parsers/index.ts';
import { parseMispEvent } from './parsers/misp.ts';
import { stixObjectRecords } from './parsers/stix.ts';
import { isRecord } from './parsers/text.ts';
import { FeedParseError, RejectTally, type ParseContext } from './parsers/types.ts';
import { BATCH_RECORDS, fromBatches, inBatches } from './batches.ts';
import { parseOnThread } from './parse-thread/index.ts';
import { decompressedCapOf, openPayload } from './payload.ts';
import { describeMismatch, jsonAdvice, jsonShapeOf, mayBeJsonMisfit, WrongFormatError } from './mismatch.ts';
import { emptyFileRefusal, mispFolderProblem, withDropFix, type RunOrigin } from './refusals.ts';
import { definitionToStore } from './stored-definitions.ts';
import { fetchTaxiiObjects, mispDirectoryRecords, mispFeedDirectory, OTX_KEY_HEADER, otxSpoolRecords, spoolMispFeed, spoolOtxPulses } from './sources.ts';
import type { FeedDefinition, FeedFormat } from './types.ts';
import { fetchReportFeed, reportsFromFile, type GatheredReports } from './reports/source.ts';

/**
 * Files at least this large (bytes on disk) are parsed on a worker thread while this thread
 * writes to the store; below it, handing records across costs more than it saves.
 */
export const DEFAULT_PARSE_THREAD_MIN_BYTES = 4 * 1024 * 1024;

/** Share of a snapshot feed's listed indicators a run may delist before it is called suspect. */
export const DEFAULT_MAX_DROP_SHARE = 0.5;
/** A run whose rows are mostly malformed is the wrong format (or a changed one): it fails instead of importing the rest. */
export const DEFAULT_MAX_REJECT_SHARE = 0.5;
const MIN_REJECTS_TO_JUDGE = 10;

/**
 * Fails the run, inside the store's transaction, when most rows were refused — malformed, or not
 * of the types the feed takes — saying what the file looks like instead.
 */
function checkRejects(good: number, tally: RejectTally, maxShare: number, types: readonly string[] | undefined): void {
  const bad = tally.rejected;
  if (bad > 0 && (good === 0 || (bad >= MIN_REJECTS_TO_JUDGE && bad / (bad + good) > maxShare))) {
    throw new WrongFormatError(describeMismatch(good, tally, types));
  }
}

/** Records of types the feed does not take are refused (and counted as what they are). */
function allowedOnly(part: readonly SightingRecord[], allowed: ReadonlySet<string>, tally: RejectTally, types: readonly string[]): readonly SightingRecord[] {
  let kept: SightingRecord[] | null = null;
  for (let i = 0; i < part.length; i++) {
    const r = part[i] as SightingRecord;
    if (allowed.has(r.type)) {
      kept?.push(r);
      continue;
    }
    kept ??= part.slice(0, i);
    tally.reject(`${r.type} ${r.value}`, `a ${r.type} in a feed of ${types.join(', ')}`, r.type);
  }
  return kept ?? part;
}

/**
 * Passes the records through, a batch at a time (RecordBatches, so that the store awaits per
 * batch rather than per record), refusing those of types the feed does not take, and calls
 * checkRejects after the last (and `empty`, when there was nothing at all).
 */
function guardRejects(
  records: AsyncIterable<SightingRecord> | Iterable<SightingRecord>,
  tally: RejectTally,
  maxShare: number,
  types: readonly string[] | undefined,
  /** The refusal of a source with no entries at all, or null to take it. */
  empty: (() => Error) | null = null,
): RecordBatches {
  const source = hasBatches(records) ? records : inBatches(records);
  const allowed = types === undefined ? null : new Set(types);
  return fromBatches(async function* () {
    let good = 0;
    for await (const batch of source.batches()) {
      const part = allowed === null || types === undefined ? batch : allowedOnly(batch, allowed, tally, types);
      good += part.length;
      if (part.length > 0) yield part;
    }
    if (empty !== null && good === 0 && tally.rejected === 0 && tally.skipped.size === 0) throw empty();
    checkRejects(good, tally, maxShare, types);
  });
}

function rejectShareOf(def: FeedDefinition): number {
  return typeof def.options?.maxRejectShare === 'number' ? def.options.maxRejectShare : DEFAULT_MAX_REJECT_SHARE;
}

/**
 * The date of records that state none: a download's HTTP Last-Modified (never later than the
 * run), else none (the ingest then uses the run time, as `fetched`).
 */
export function httpFallbackDate(lastModified: string | null, runAt: string): IngestOptions['fallbackDate'] {
  if (lastModified === null) return undefined;
  const t = Date.parse(lastModified);
  if (Number.isNaN(t)) return undefined;
  return { at: new Date(Math.min(t, Date.parse(runAt))).toISOString(), source: 'http' };
}

export interface RunEnv {
  store: Store;
  logger: Logger;
  clock: () => Date;
  fetch: FetchFn;
  sleep: (ms: number) => Promise<void>;
  signal?: AbortSignal;
  tmpDir?: string;
  /** Where credentials named by a catalog entry (`options.authEnv`) are read. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Defaults for timeouts, size cap and retries; each catalog entry may override them. */
  fetchSettings?: FetchSettings;
  /**
   * Feed files at least this large are parsed on a worker thread (default
   * DEFAULT_PARSE_THREAD_MIN_BYTES when the store's `offThreadParsing` says a thread helps, else
   * never; `Infinity` parses every file on the calling thread).
   */
  parseThreadMinBytes?: number;
}

export type RunSource =
  | { kind: 'remote' }
  | { kind: 'file'; path: string; onProgress?: (bytesRead: number, totalBytes: number) => void; allowDrop?: boolean };

interface Gathered {
  records: AsyncIterable<SightingRecord> | Iterable<SightingRecord>;
  etag: string | null;
  lastModified: string | null;
  /** The document's own HTTP Last-Modified (a download's; null for a local file or a paged source). */
  servedAt?: string | null;
  /** The source's new cursor, saved with the run once it succeeds. */
  cursor?: string | null;
  /** The one file the records are read from (an import, a download), to say why a refused one was refused. */
  path?: string;
  /** What the run stores once its records are in (a report feed's reports). */
  commit?: (store: Store) => Promise<void>;
  cleanup(): Promise<void>;
}

/** A report feed's gathered reports as a run's records. */
function fromReports(g: GatheredReports): Pick<Gathered, 'records' | 'commit'> {
  return { records: g.records, commit: (store) => g.commit(store) };
}

const HTML_TYPE = /^\s*text\/html/i;

/** The error as the run record keeps it: feed text may be quoted in it, so with control characters escaped. */
function message(err: unknown): string {
  // a file that cannot be read is said plainly (`no such file: PATH`, not `ENOENT: …`)
  return printable(errorText(err));
}

/** The feed's own `options.headers`. */
function ownHeaders(def: FeedDefinition): Record<string, string> {
  const headers: Record<string, string> = {};
  const opts = def.options ?? {};
  if (isRecord(opts.headers)) for (const [k, v] of Object.entries(opts.headers)) if (typeof v === 'string') headers[k] = v;
  return headers;
}

function authHeaders(def: FeedDefinition, env: RunEnv): Record<string, string> {
  const headers = ownHeaders(def);
  const opts = def.options ?? {};
  if (typeof opts.authEnv === 'string') {
    const value = (env.env ?? process.env)[opts.authEnv];
    const name = typeof opts.authHeader === 'string' && opts.authHeader !== '' ? opts.authHeader.toLowerCase() : 'authorization';
    if (value) headers[name] = value;
  }
  return headers;
}

/** `options.zipEntry`: a pattern naming the archive member to read (null: the first file). */
function zipEntryPattern(def: FeedDefinition): string | null {
  const p = def.options?.zipEntry;
  return typeof p === 'string' && p !== '' ? p : null;
}

function zipEntryOption(def: FeedDefinition): { zipEntry?: RegExp } {
  const p = zipEntryPattern(def);
  return p === null ? {} : { zipEntry: new RegExp(p) };
}

/**
 * The records of one feed file, parsed on the parse thread when the file is large enough, else
 * here. Either way the same parser reads the same bytes (unpacked, HTML refused) into the same
 * records, with rejects counted on `ctx.tally`.
 */
async function fileRecords(
  def: FeedDefinition,
  path: string,
  ctx: ParseContext,
  env: RunEnv,
  onProgress?: (bytesRead: number, totalBytes: number) => void,
): Promise<AsyncIterable<SightingRecord> | RecordBatches> {
  const inline = async (): Promise<AsyncIterable<SightingRecord>> => {
    let total = 0;
    const payload = await openPayload(path, {
      expected: def.format,
      maxDecompressedBytes: decompressedCapOf(def.options),
      ...zipEntryOption(def),
      ...(onProgress ? { onRead: (n: number) => onProgress(n, total) } : {}),
    });
    total = payload.size;
    const parser = def.format === 'misp-feed' ? parseMispEvent : PARSERS[def.format];
    return parser(payload.stream, ctx);
  };
  // the store says whether a thread helps: not where a database server does the writing on cores of its own
  const minBytes = env.parseThreadMinBytes ?? (env.store.offThreadParsing ? DEFAULT_PARSE_THREAD_MIN_BYTES : Number.POSITIVE_INFINITY);
  // a file that cannot be read is left to the inline path, which says why as it always has
  const size = await stat(path).then((s) => (s.isFile() ? s.size : -1), () => -1);
  if (size < 0 || size < minBytes) return inline();
  return parseOnThread(
    {
      format: def.format,
      path,
      options: def.options ?? {},
      zipEntry: zipEntryPattern(def),
      progress: onProgress !== undefined,
      // small batches die young on both threads
      batchSize: BATCH_RECORDS,
    },
    ctx.tally,
    inline,
    { ...(onProgress ? { onProgress: (n: number) => onProgress(n, size) } : {}), logger: env.logger },
  );
}

async function gatherFile(def: FeedDefinition, source: Extract<RunSource, { kind: 'file' }>, ctx: ParseContext, env: RunEnv): Promise<Gathered> {
  const none = { etag: null, lastModified: null, cleanup: async () => {} };
  if (def.format === 'rss') return { ...none, path: source.path, ...fromReports(await reportsFromFile(def, source.path, env.clock().toISOString())) };
  if (def.format === 'misp-feed') {
    const dir = await mispFeedDirectory(source.path);
    if (dir !== null) {
      const problem = await mispFolderProblem(source.path, dir);
      if (problem !== null) throw new FeedParseError(problem);
      return { ...none, records: mispDirectoryRecords(dir, ctx) };
    }
  }
  return { ...none, path: source.path, records: await fileRecords(def, source.path, ctx, env, source.onProgress) };
}

const URL_SECRET = /\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * A feed URL with its `{env:NAME}` placeholders filled from the environment: a credential a
 * source wants in its path (PhishTank's application key) stays out of the definition, and so out
 * of the store, `GET /api/v1/feeds`, run records and logs, which keep the placeholder.
 */
export function expandFeedUrl(def: FeedDefinition, url: string, vars: Readonly<Record<string, string | undefined>>): { url: string; secrets: [string, string][] } {
  const secrets: [string, string][] = [];
  const expanded = url.replace(URL_SECRET, (placeholder, name: string) => {
    const value = vars[name];
    if (value === undefined || value.trim() === '') throw new FeedParseError(`feed "${def.id}": its URL takes ${placeholder} from the environment; set ${name}`);
    secrets.push([value, placeholder]);
    return encodeURIComponent(value.trim());
  });
  return { url: expanded, secrets };
}

/** An error's message with the secrets put back as their placeholders (a fetch error quotes its URL). */
function redacted(err: unknown, secrets: readonly [string, string][]): unknown {
  if (secrets.length === 0 || !(err instanceof Error)) return err;
  for (const [value, placeholder] of secrets) {
    for (const form of new Set([value.trim(), encodeURIComponent(value.trim())])) if (form !== '') err.message = err.message.split(form).join(placeholder);
  }
  return err;
}

async function gatherRemote(def: FeedDefinition, state: FeedState | null, env: RunEnv, ctx: ParseContext, settings: FetchSettings): Promise<Gathered | 'not_modified'> {
  if (def.url === null) throw new FeedParseError(`feed "${def.id}" has no URL; import a file with "verdict feeds import ${def.id} FILE"`);
  const { url, secrets } = expandFeedUrl(def, def.url, env.env ?? process.env);
  try {
    return await gatherFrom(def, url, state, env, ctx, settings);
  } catch (err) {
    throw redacted(err, secrets);
  }
}

async function gatherFrom(def: FeedDefinition, url: string, state: FeedState | null, env: RunEnv, ctx: ParseContext, settings: FetchSettings): Promise<Gathered | 'not_modified'> {
  const agent = await feedDispatcher(def.options, env.env ?? process.env, { trustedHost: new URL(url).hostname, allowPrivateNetworks: settings.allowPrivateNetworks === true });
  const deps: FetchDeps = {
    fetch: env.fetch,
    sleep: env.sleep,
    ...(env.signal ? { signal: env.signal } : {}),
    ...(env.tmpDir ? { tmpDir: env.tmpDir } : {}),
    ...(agent ? { dispatcher: agent } : {}),
  };
  try {
    return await fetchRemote(def, url, state, env, ctx, settings, deps);
  } finally {
    // every transfer is over by now: downloads are spooled, TAXII pages and MISP events read
    await agent?.close().catch(() => {});
  }
}

async function fetchRemote(
  def: FeedDefinition,
  url: string,
  state: FeedState | null,
  env: RunEnv,
  ctx: ParseContext,
  settings: FetchSettings,
  deps: FetchDeps,
): Promise<Gathered | 'not_modified'> {
  const headers = authHeaders(def, env);
  const opts = def.options ?? {};
  if (def.format === 'misp-feed') {
    // incremental: events changed since the last success, with a day of overlap for clock skew
    const since = state?.lastSuccessAt ? Math.floor(Date.parse(state.lastSuccessAt) / 1000) - 86_400 : 0;
    const maxEvents = typeof opts.maxEvents === 'number' ? opts.maxEvents : 500;
    const spool = await spoolMispFeed(url, since, maxEvents, state?.lastRun?.cursor ?? null, settings, deps);
    return { records: mispDirectoryRecords(spool.dir, ctx), etag: null, lastModified: null, cursor: spool.cursor, cleanup: spool.cleanup };
  }
  if (def.format === 'taxii21') {
    const overlapMs = 5 * 60_000;
    const addedAfter = state?.lastSuccessAt ? new Date(Date.parse(state.lastSuccessAt) - overlapMs).toISOString() : null;
    const res = await fetchTaxiiObjects(
      {
        apiRoot: url,
        collectionId: typeof opts.collectionId === 'string' && opts.collectionId !== '' ? opts.collectionId : null,
        collectionTitle: typeof opts.collectionTitle === 'string' ? opts.collectionTitle : null,
        addedAfter,
        headers,
        ...(typeof opts.pageSize === 'number' ? { pageSize: opts.pageSize } : {}),
        ...(typeof opts.maxObjects === 'number' ? { maxObjects: opts.maxObjects } : {}),
      },
      settings,
      deps,
    );
    return { records: stixObjectRecords(res.objects, ctx), etag: null, lastModified: null, cleanup: async () => {} };
  }
  if (def.format === 'otx') return fetchOtx(def, url, state, env, ctx, settings, deps);
  const d = await download({ url, etag: state?.etag ?? null, lastModified: state?.lastModified ?? null, headers }, settings, deps);
  if (d.kind === 'not_modified') return 'not_modified';
  try {
    if (d.contentType !== null && HTML_TYPE.test(d.contentType)) throw new FeedParseError(`the server sent an HTML page (${d.contentType}), not ${def.format}`);
    if (def.format === 'rss') {
      const reports = await fetchReportFeed(def, url, d.path, ctx, settings, deps, {
        store: env.store,
        now: env.clock().toISOString(),
        onPageError: (page, why) => env.logger.warn({ feedId: def.id, page, error: printable(why) }, 'report page not read'),
      });
      return { ...fromReports(reports), etag: d.etag, lastModified: d.lastModified, cleanup: d.cleanup };
    }
    return { records: await fileRecords(def, d.path, ctx, env), etag: d.etag, lastModified: d.lastModified, servedAt: d.lastModified, path: d.path, cleanup: d.cleanup };
  } catch (err) {
    await d.cleanup();
    throw err;
  }
}

/** Days of pulses a first OTX run reads, unless `options.initialDays` says otherwise (0: every subscribed pulse). */
export const OTX_INITIAL_DAYS = 30;

/**
 * The pulses an OTX key subscribes to, modified since the last successful run's watermark (the
 * newest `modified` it read, kept as the run's cursor), else since the last success, else over
 * the last `options.initialDays`. The key is read from the variable `options.authEnv` names.
 */
async function fetchOtx(def: FeedDefinition, url: string, state: FeedState | null, env: RunEnv, ctx: ParseContext, settings: FetchSettings, deps: FetchDeps): Promise<Gathered> {
  const opts = def.options ?? {};
  const keyEnv = typeof opts.authEnv === 'string' && opts.authEnv !== '' ? opts.authEnv : null;
  if (keyEnv === null) throw new FeedParseError(`feed "${def.id}": the OTX API needs a key; set options.authEnv to the environment variable that holds it`);
  const key = (env.env ?? process.env)[keyEnv];
  if (key === undefined || key.trim() === '') throw new FeedParseError(`feed "${def.id}": the OTX API needs a key; set ${keyEnv} to your OTX API key (options.authEnv)`);
  const cursor = state?.lastRun?.cursor;
  const watermark = typeof cursor === 'string' && !Number.isNaN(Date.parse(cursor)) ? new Date(Date.parse(cursor)).toISOString() : null;
  const days = typeof opts.initialDays === 'number' && opts.initialDays >= 0 ? opts.initialDays : OTX_INITIAL_DAYS;
  const since =
    watermark ??
    (state?.lastSuccessAt ? new Date(Date.parse(state.lastSuccessAt) - 5 * 60_000).toISOString() : days > 0 ? new Date(env.clock().getTime() - days * 86_400_000).toISOString() : null);
  const spool = await spoolOtxPulses(
    {
      url,
      key: key.trim(),
      keyEnv,
      keyHeader: typeof opts.authHeader === 'string' && opts.authHeader !== '' ? opts.authHeader : OTX_KEY_HEADER,
      modifiedSince: since,
      headers: ownHeaders(def),
      ...(typeof opts.pageSize === 'number' ? { pageSize: opts.pageSize } : {}),
      ...(typeof opts.maxPages === 'number' ? { maxPages: opts.maxPages } : {}),
    },
    settings,
    deps,
  );
  return { records: otxSpoolRecords(spool, ctx), etag: null, lastModified: null, cursor: spool.watermark, cleanup: spool.cleanup };
}

/** Formats whose run record carries a cursor from run to run (a MISP feed's place in its history, OTX's watermark). */
const CURSOR_FORMATS: ReadonlySet<FeedFormat> = new Set(['misp-feed', 'otx']);

/**
 * A refusal with what the file is when that is the fix: a run of a line format refused as the
 * wrong format, whose file turns out to be JSON, is told to use the JSON mapping.
 */
async function explained(err: unknown, def: FeedDefinition, gathered: Gathered | 'not_modified' | null): Promise<unknown> {
  const path = gathered !== null && gathered !== 'not_modified' ? gathered.path : undefined;
  if (path === undefined || !mayBeJsonMisfit(err, def.format)) return err;
  const advice = jsonAdvice(await jsonShapeOf(path, { maxDecompressedBytes: decompressedCapOf(def.options), ...zipEntryOption(def) }), def.format);
  return advice === null ? err : new WrongFormatError(`${advice}. ${(err as Error).message}`);
}

/**
 * Keeps the feed's definition in the store once its data is there, and whenever it changes, so
 * that a process without the file that defined it labels the data alike. Its data is in already:
 * a failure here is logged, not the run's.
 */
async function keepDefinition(def: FeedDefinition, at: string, env: RunEnv): Promise<void> {
  try {
    if (await env.store.feedDefinitions.put(def.id, definitionToStore(def), at)) env.logger.info({ feedId: def.id }, 'feed definition stored');
  } catch (err) {
    env.logger.error({ feedId: def.id, err }, 'could not store the feed definition');
  }
}

/** Runs one feed and records the run; never throws for a feed failure (the record says what went wrong). */
export async function runFeed(def: FeedDefinition, source: RunSource, env: RunEnv): Promise<FeedRunRecord> {
  const startedAt = env.clock().toISOString();
  const tally = new RejectTally();
  const ctx: ParseContext = { tally, options: def.options ?? {} };
  const settings = settingsFrom(def.options, env.fetchSettings);
  const run: FeedRunRecord = {
    feedId: def.id,
    startedAt,
    finishedAt: null,
    status: 'running',
    result: null,
    rejected: 0,
    rejectedSamples: [],
    error: null,
    etag: null,
    lastModified: null,
  };
  let gathered: Gathered | 'not_modified' | null = null;
  // what the last runs left: validators and dates for a fetch, a MISP feed's place in its history
  let state: FeedState | null = null;
  try {
    // a fetch needs its validators and cursor; an import, how much the feed lists (an empty file is refused)
    state = await env.store.feedState(def.id);
    gathered = source.kind === 'file' ? await gatherFile(def, source, ctx, env) : await gatherRemote(def, state, env, ctx, settings);
    if (gathered === 'not_modified') {
      run.status = 'not_modified';
    } else {
      const opts: IngestOptions = { feedId: def.id, mode: def.mode, runAt: startedAt };
      const fallbackDate = httpFallbackDate(gathered.servedAt ?? null, startedAt);
      if (fallbackDate !== undefined) opts.fallbackDate = fallbackDate;
      const share = typeof def.options?.maxDropShare === 'number' ? def.options.maxDropShare : DEFAULT_MAX_DROP_SHARE;
      const allowDrop = source.kind === 'file' && source.allowDrop === true;
      if (def.mode === 'snapshot' && !allowDrop) opts.maxDropShare = share;
      const empty = source.kind === 'file' && !allowDrop ? () => emptyFileRefusal(state?.listedCount ?? 0, def.mode) : null;
      run.result = await env.store.ingest(opts, guardRejects(gathered.records, tally, rejectShareOf(def), def.types, empty));
      await gathered.commit?.(env.store);
      run.status = 'success';
      run.etag = gathered.etag;
      run.lastModified = gathered.lastModified;
    }
  } catch (err) {
    run.status = 'failure';
    const origin: RunOrigin = source.kind === 'file' ? { kind: 'file', feedId: def.id, allowDrop: source.allowDrop === true } : { kind: 'remote', feedId: def.id };
    run.error = message(await explained(withDropFix(err, origin), def, gathered));
    env.logger.warn({ feedId: def.id, error: run.error }, 'feed run failed');
    env.logger.debug({ feedId: def.id, err }, 'feed run failure detail');
  } finally {
    if (gathered !== null && gathered !== 'not_modified') await gathered.cleanup().catch(() => {});
  }
  // a source read in parts moves its cursor only with a successful run; any other run keeps it
  const moved = run.status === 'success' && gathered !== null && gathered !== 'not_modified' ? gathered.cursor : undefined;
  if (moved !== undefined) run.cursor = moved;
  else if (CURSOR_FORMATS.has(def.format)) run.cursor = state?.lastRun?.cursor ?? null;
  run.rejected = tally.rejected;
  run.rejectedSamples = tally.samples;
  if (tally.skipped.size > 0) run.skipped = Object.fromEntries(tally.skipped);
  run.finishedAt = env.clock().toISOString();
  if (run.status === 'success' || run.status === 'not_modified') await keepDefinition(def, run.finishedAt, env);
  try {
    await env.store.recordFeedRun(run);
  } catch (err) {
    env.logger.error({ feedId: def.id, err }, 'could not record the feed run');
  }
  if (run.status === 'success') env.logger.info({ feedId: def.id, result: run.result, rejected: run.rejected }, 'feed run complete');
  return run;
}

/** What importing a file would do, without storing anything (`verdict feeds import --dry-run`). */
export interface FeedPreview {
  feedId: string;
  path: string;
  /** Records the feed would receive, by indicator type. */
  byType: Record<string, number>;
  received: number;
  rejected: number;
  rejectedSamples: string[];
  /** Refused rows by what they look like. */
  looksLike: Record<string, number>;
  /** Entries of kinds Verdict does not hold, by the source's kind (not refusals). */
  skipped: Record<string, number>;
  /** Why the import would fail as a whole (a file of the wrong format, unreadable, HTML); null when it would go in. */
  refused: string | null;
}

/** Reads a local file as an import would — the same parser, type checks and refusal rules — and counts instead of storing. */
export async function previewFeed(def: FeedDefinition, path: string, env: Pick<RunEnv, 'store' | 'logger' | 'parseThreadMinBytes'>): Promise<FeedPreview> {
  const tally = new RejectTally();
  const ctx: ParseContext = { tally, options: def.options ?? {} };
  const preview: FeedPreview = { feedId: def.id, path, byType: {}, received: 0, rejected: 0, rejectedSamples: [], looksLike: {}, skipped: {}, refused: null };
  let gathered: Gathered | null = null;
  try {
    const listed = (await env.store.feedState(def.id))?.listedCount ?? 0;
    gathered = await gatherFile(def, { kind: 'file', path }, ctx, env as RunEnv);
    for await (const part of guardRejects(gathered.records, tally, rejectShareOf(def), def.types, () => emptyFileRefusal(listed, def.mode)).batches()) {
      for (const r of part) preview.byType[r.type] = (preview.byType[r.type] ?? 0) + 1;
      preview.received += part.length;
    }
  } catch (err) {
    preview.refused = message(await explained(err, def, gathered));
  } finally {
    await gathered?.cleanup().catch(() => {});
  }
  preview.rejected = tally.rejected;
  preview.rejectedSamples = tally.samples;
  preview.looksLike = Object.fromEntries(tally.looksLike);
  preview.skipped = Object.fromEntries(tally.skipped);
  return preview;
}
