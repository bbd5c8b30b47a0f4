/**
 * Feeds that are more than one document: a MISP feed (manifest.json + one file per event), a
 * TAXII 2.1 collection (pages of objects) and the pulses an OTX key subscribes to (pages of
 * pulses). All are gathered before the store's transaction opens, so a slow server never holds
 * the write lock.
 */
import { TAXII_MEDIA_TYPE } from '../taxii/collections.ts';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { errorText } from '../file-errors.ts';
import type { SightingRecord } from '../model.ts';
import { downloadJson, FetchError, type FetchDeps, type FetchSettings } from './fetcher.ts';
import { mispEventRecords, readMispManifest } from './parsers/misp.ts';
import { otxPulseRecords } from './parsers/otx.ts';
import { isRecord, jsonCapOf, jsonTooLarge, toIsoDate } from './parsers/text.ts';
import { FeedParseError, type ParseContext } from './parsers/types.ts';

const EVENT_FILE = /^[0-9a-f-]{36}$/i;

/** A JSON file of at most `cap` bytes, parsed; a larger one fails before it is read. */
async function readJsonFile(path: string, what: string, cap: number): Promise<unknown> {
  if ((await stat(path)).size > cap) throw jsonTooLarge(what, cap);
  return JSON.parse(await readFile(path, 'utf8'));
}

/** Records of a MISP feed kept in a directory (manifest.json beside `<uuid>.json` event files). */
export async function* mispDirectoryRecords(dir: string, ctx: ParseContext, sinceEpoch = 0): AsyncIterable<SightingRecord> {
  const cap = jsonCapOf(ctx.options);
  let manifest: unknown;
  try {
    manifest = await readJsonFile(join(dir, 'manifest.json'), 'MISP feed manifest.json', cap);
  } catch (err) {
    if (err instanceof FeedParseError) throw err;
    throw new FeedParseError(`MISP feed: cannot read manifest.json (${errorText(err)})`, { cause: err });
  }
  for (const entry of readMispManifest(manifest)) {
    if (entry.timestamp < sinceEpoch) continue;
    let doc: unknown;
    try {
      doc = await readJsonFile(join(dir, `${entry.uuid}.json`), `MISP event ${entry.uuid}`, cap);
    } catch (err) {
      // an event over the cap fails the run, as it does when downloaded; an unreadable one is refused
      if (err instanceof FeedParseError) throw err;
      ctx.tally.reject(entry.uuid, `event file unreadable: ${errorText(err)}`);
      continue;
    }
    if (!isRecord(doc) || !isRecord(doc.Event)) {
      ctx.tally.reject(entry.uuid, 'event file has no "Event"');
      continue;
    }
    yield* mispEventRecords(doc.Event, ctx);
  }
}

/** A local path to import as a MISP feed: a directory or its manifest.json → the directory; else null (one event file). */
export async function mispFeedDirectory(path: string): Promise<string | null> {
  const s = await stat(path);
  if (s.isDirectory()) return path;
  return basename(path) === 'manifest.json' ? dirname(path) : null;
}

export interface SpooledFeed {
  dir: string;
  events: number;
  /** Where reading the feed's history stands after this run (see `MISP_CURSOR_COMPLETE`). */
  cursor: string | null;
  cleanup(): Promise<void>;
}

/**
 * How far a MISP feed's history has been read, kept in each run record so that the next run
 * goes on from there: `"<timestamp> <uuid>"` of the oldest event read so far (every event after
 * it in manifest order, newest first, has been read), or `"complete"`.
 */
export const MISP_CURSOR_COMPLETE = 'complete';
const CURSOR = /^(\d+) (\S{36})$/;

interface ManifestEntry {
  uuid: string;
  timestamp: number;
}

/** Newest first; equal timestamps by uuid, descending, so that a cursor splits them exactly. */
const newestFirst = (a: ManifestEntry, b: ManifestEntry): number => b.timestamp - a.timestamp || (a.uuid < b.uuid ? 1 : a.uuid > b.uuid ? -1 : 0);

/**
 * The events a run reads: every event changed since `sinceEpoch` (the incremental part; none on
 * a first run), then older history the feed has not read yet, newest first, until the run holds
 * `maxEvents` (so a first run of a large feed is bounded, and later runs go on backfilling).
 */
export function selectMispEvents<E extends ManifestEntry>(entries: readonly E[], sinceEpoch: number, maxEvents: number, cursor: string | null): { take: E[]; cursor: string | null } {
  const sorted = [...entries].sort(newestFirst);
  const isChanged = (e: E): boolean => sinceEpoch > 0 && e.timestamp >= sinceEpoch;
  const changed = sorted.filter(isChanged);
  const m = cursor === null ? null : CURSOR.exec(cursor);
  const from = m === null ? null : { uuid: m[2] as string, timestamp: Number(m[1]) };
  // an unreadable cursor starts the history again (re-reading events only confirms them)
  const history = cursor === MISP_CURSOR_COMPLETE ? [] : sorted.filter((e) => !isChanged(e) && (from === null || newestFirst(from, e) < 0));
  const backfill = history.slice(0, Math.max(0, maxEvents - changed.length));
  const oldest = backfill.at(-1);
  let next: string | null;
  if (backfill.length === history.length) next = MISP_CURSOR_COMPLETE;
  else if (oldest !== undefined) next = `${oldest.timestamp} ${oldest.uuid}`;
  else next = cursor; // no room for history this time: it stays where it was
  return { take: [...changed, ...backfill], cursor: next };
}

/**
 * Downloads a MISP feed's manifest and the events `selectMispEvents` picks into a temporary
 * directory laid out like the feed.
 */
export async function spoolMispFeed(url: string, sinceEpoch: number, maxEvents: number, cursor: string | null, settings: FetchSettings, deps: FetchDeps): Promise<SpooledFeed> {
  const base = url.endsWith('/') ? url : `${url}/`;
  const manifest = await downloadJson({ url: `${base}manifest.json` }, settings, deps);
  if (manifest === null) throw new FetchError('manifest.json: unexpected 304', false);
  const entries = readMispManifest(manifest.body).filter((e) => EVENT_FILE.test(e.uuid));
  const picked = selectMispEvents(entries, sinceEpoch, maxEvents, cursor);
  const dir = await mkdtemp(join(deps.tmpDir ?? tmpdir(), 'verdict-misp-'));
  try {
    const kept: Record<string, unknown> = {};
    for (const e of picked.take) {
      const ev = await downloadJson({ url: `${base}${e.uuid}.json` }, settings, deps);
      if (ev === null) continue;
      await writeFile(join(dir, `${e.uuid}.json`), JSON.stringify(ev.body));
      kept[e.uuid] = { timestamp: e.timestamp, info: e.info };
    }
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(kept));
    return { dir, events: Object.keys(kept).length, cursor: picked.cursor, cleanup: () => rm(dir, { recursive: true, force: true }) };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

export { TAXII_MEDIA_TYPE };

export interface TaxiiRequest {
  /** The API root, e.g. `https://taxii.example.org/api/v21/`. */
  apiRoot: string;
  collectionId?: string | null;
  /** Picks the collection by title when no id is given. */
  collectionTitle?: string | null;
  addedAfter?: string | null;
  pageSize?: number;
  maxPages?: number;
  maxObjects?: number;
  headers?: Record<string, string>;
}

export interface TaxiiResult {
  collectionId: string;
  objects: unknown[];
  pages: number;
}

async function taxiiGet(url: string, req: TaxiiRequest, settings: FetchSettings, deps: FetchDeps) {
  const res = await downloadJson({ url, headers: { accept: TAXII_MEDIA_TYPE, ...req.headers } }, settings, deps);
  if (res === null || !isRecord(res.body)) throw new FetchError(`${url}: expected a TAXII JSON object`, false);
  return { body: res.body, header: res.header };
}

async function resolveCollection(root: string, req: TaxiiRequest, settings: FetchSettings, deps: FetchDeps): Promise<string> {
  if (req.collectionId) return req.collectionId;
  const { body } = await taxiiGet(`${root}collections/`, req, settings, deps);
  const list = Array.isArray(body.collections) ? body.collections.filter(isRecord) : [];
  const readable = list.filter((c) => c.can_read !== false);
  const pick = req.collectionTitle ? readable.find((c) => c.title === req.collectionTitle) : readable[0];
  if (pick === undefined || typeof pick.id !== 'string') {
    throw new FetchError(req.collectionTitle ? `TAXII: no readable collection titled "${req.collectionTitle}"` : 'TAXII: the API root lists no readable collection; set options.collectionId', false);
  }
  return pick.id;
}

/**
 * Pages a TAXII 2.1 collection's `objects/` endpoint with `added_after` and `next` (OpenCTI and
 * CISA AIS both page this way); servers that omit `next` are followed by the
 * `X-TAXII-Date-Added-Last` header instead.
 */
export async function fetchTaxiiObjects(req: TaxiiRequest, settings: FetchSettings, deps: FetchDeps): Promise<TaxiiResult> {
  const root = req.apiRoot.endsWith('/') ? req.apiRoot : `${req.apiRoot}/`;
  const collectionId = await resolveCollection(root, req, settings, deps);
  const pageSize = req.pageSize ?? 1000;
  const maxPages = req.maxPages ?? 500;
  const maxObjects = req.maxObjects ?? 200_000;
  const objects: unknown[] = [];
  let next: string | null = null;
  let addedAfter = req.addedAfter ?? null;
  let pages = 0;
  const seen = new Set<string>();
  for (;;) {
    const q = new URLSearchParams({ limit: String(pageSize) });
    if (addedAfter) q.set('added_after', addedAfter);
    if (next) q.set('next', next);
    const url = `${root}collections/${encodeURIComponent(collectionId)}/objects/?${q.toString()}`;
    if (seen.has(url)) throw new FetchError('TAXII: the server repeated a page (next cursor did not advance)', false);
    seen.add(url);
    const { body, header } = await taxiiGet(url, req, settings, deps);
    pages++;
    const page = Array.isArray(body.objects) ? body.objects : [];
    objects.push(...page);
    if (objects.length > maxObjects) throw new FetchError(`TAXII: more than ${maxObjects} objects in one run; lower the interval or raise options.maxObjects`, false);
    if (body.more !== true || page.length === 0) break;
    if (pages >= maxPages) throw new FetchError(`TAXII: more than ${maxPages} pages in one run`, false);
    if (typeof body.next === 'string' && body.next !== '') next = body.next;
    else {
      const last = header('x-taxii-date-added-last');
      if (last === null) break;
      next = null;
      addedAfter = last;
    }
  }
  return { collectionId, objects, pages };
}

/** The header OTX reads its API key from, unless `options.authHeader` names another. */
export const OTX_KEY_HEADER = 'X-OTX-API-KEY';
const OTX_SUBSCRIBED = '/api/v1/pulses/subscribed';

export interface OtxRequest {
  /** The feed's URL: the OTX server (`https://otx.alienvault.com`) or its subscribed-pulses endpoint. */
  url: string;
  /** The API key, and the environment variable it came from (named in errors, never the key). */
  key: string;
  keyEnv: string;
  keyHeader?: string;
  /** Pulses modified since (RFC 3339); null asks for every subscribed pulse. */
  modifiedSince: string | null;
  pageSize?: number;
  /** Pages of pulses (and of one pulse's further indicators) read at most in one run. */
  maxPages?: number;
  /** The feed's other headers (`options.headers`). */
  headers?: Record<string, string>;
}

export interface SpooledPulses {
  dir: string;
  /** The page files, in the order read; each a JSON array of pulses. */
  files: string[];
  pages: number;
  pulses: number;
  /** The newest `modified` of the pulses read (RFC 3339), else the `modifiedSince` asked for: where the next run starts. */
  watermark: string | null;
  cleanup(): Promise<void>;
}

/** The subscribed-pulses endpoint of the feed's URL (the server's base URL, or the endpoint itself). */
function otxEndpoint(url: string): URL {
  const u = new URL(url);
  const path = u.pathname.replace(/\/+$/, '');
  return new URL(path.endsWith(OTX_SUBSCRIBED) ? path : `${path}${OTX_SUBSCRIBED}`, u.origin);
}

/**
 * The URL of the page a `next` link names, on the feed's own origin: OTX writes absolute links,
 * and a server behind a TLS proxy may write them as `http://` — the page is asked of the feed's
 * origin, never of another host (the key goes with it) and never downgraded.
 */
function otxNext(raw: unknown, current: URL, origin: URL): URL | null {
  if (typeof raw !== 'string' || raw.trim() === '') return null;
  let u: URL;
  try {
    u = new URL(raw, current);
  } catch {
    throw new FetchError(`OTX: the server's "next" link is not a URL`, false);
  }
  if (u.hostname !== origin.hostname) throw new FetchError(`OTX: the server's "next" link leads to ${u.hostname}, outside the feed's server ${origin.hostname}; refused (the API key would go with it)`, false);
  return new URL(`${u.pathname}${u.search}`, origin.origin);
}

/**
 * Reads the pulses an OTX key subscribes to, modified since `modifiedSince`, page by page
 * (`limit`, `page`, then each page's `next`), into a temporary directory: one file per page, so a
 * large first run never holds more than one page. A pulse marked `more_indicators` has the rest of
 * its indicators read from `/api/v1/pulses/{id}/indicators`. A key OTX refuses (403) fails the run
 * naming the variable it came from.
 */
export async function spoolOtxPulses(req: OtxRequest, settings: FetchSettings, deps: FetchDeps): Promise<SpooledPulses> {
  const endpoint = otxEndpoint(req.url);
  const origin = new URL(endpoint.origin);
  const headers = { ...req.headers, accept: 'application/json', [req.keyHeader ?? OTX_KEY_HEADER]: req.key };
  const pageSize = req.pageSize ?? 50;
  const maxPages = req.maxPages ?? 500;
  let requests = 0;
  const seen = new Set<string>();
  const get = async (url: URL): Promise<Record<string, unknown>> => {
    if (seen.has(url.href)) throw new FetchError('OTX: the server repeated a page (its "next" link did not advance)', false);
    seen.add(url.href);
    if (++requests > maxPages) {
      const since = req.modifiedSince === null ? '' : ` of pulses modified since ${req.modifiedSince}`;
      throw new FetchError(`OTX: more than ${maxPages} pages${since} in one run; raise options.maxPages, or lower options.initialDays for a first run`, false);
    }
    let res: Awaited<ReturnType<typeof downloadJson>>;
    try {
      res = await downloadJson({ url: url.href, headers, trustedOrigin: origin.origin }, settings, deps);
    } catch (err) {
      if (err instanceof FetchError && (err.status === 401 || err.status === 403)) {
        throw new FetchError(`OTX refused the API key in ${req.keyEnv} (HTTP ${err.status}): check the key (your OTX account's API page shows it)`, false, err.status, { cause: err });
      }
      throw err;
    }
    if (res === null || !isRecord(res.body) || !Array.isArray(res.body.results)) throw new FetchError(`OTX: ${url.pathname} did not answer a page {"results": [...]}`, false);
    return res.body;
  };

  /** Every indicator of a pulse the list gave only some of. */
  const allIndicators = async (id: string): Promise<unknown[]> => {
    const out: unknown[] = [];
    let page: URL | null = new URL(`/api/v1/pulses/${encodeURIComponent(id)}/indicators?${new URLSearchParams({ limit: '1000', page: '1' }).toString()}`, origin);
    while (page !== null) {
      const body = await get(page);
      out.push(...(body.results as unknown[]));
      page = otxNext(body.next, page, origin);
    }
    return out;
  };

  const dir = await mkdtemp(join(deps.tmpDir ?? tmpdir(), 'verdict-otx-'));
  try {
    const q = new URLSearchParams({ limit: String(pageSize), page: '1' });
    if (req.modifiedSince !== null) q.set('modified_since', req.modifiedSince);
    let page: URL | null = new URL(`${endpoint.pathname}?${q.toString()}`, origin);
    const files: string[] = [];
    let pulses = 0;
    let newest: number | null = null;
    while (page !== null) {
      const body = await get(page);
      const results = body.results as unknown[];
      for (const p of results) {
        if (!isRecord(p)) continue;
        if (p.more_indicators === true && typeof p.id === 'string') p.indicators = await allIndicators(p.id);
        const modified = toIsoDate(p.modified);
        if (modified !== null && (newest === null || Date.parse(modified) > newest)) newest = Date.parse(modified);
      }
      const file = join(dir, `page-${String(files.length + 1).padStart(5, '0')}.json`);
      await writeFile(file, JSON.stringify(results));
      files.push(file);
      pulses += results.length;
      page = otxNext(body.next, page, origin);
    }
    const watermark = newest !== null && (req.modifiedSince === null || newest > Date.parse(req.modifiedSince)) ? new Date(newest).toISOString() : req.modifiedSince;
    return { dir, files, pages: files.length, pulses, watermark, cleanup: () => rm(dir, { recursive: true, force: true }) };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** The records of the pulses `spoolOtxPulses` gathered, a page at a time. */
export async function* otxSpoolRecords(spool: SpooledPulses, ctx: ParseContext): AsyncIterable<SightingRecord> {
  for (const file of spool.files) {
    const pulses = JSON.parse(await readFile(file, 'utf8')) as unknown[];
    yield* otxPulseRecords(pulses, ctx);
  }
}
