/**
 * Downloads a feed over HTTP (undici's fetch, injected): conditional GET with ETag/Last-Modified,
 * a timeout over the whole transfer, a size cap, and retries with exponential backoff for the
 * failures a retry can fix (network errors, timeouts, 5xx, 408, 429). The body is spooled to a
 * temporary file, so the store's write transaction never waits on the network and a failed
 * transfer never touches the store.
 *
 * Redirects are followed here, not by fetch, at most MAX_REDIRECTS: a hop that leaves the feed's
 * origin loses the feed's own headers (credentials among them) and must lead to a public address
 * (see egress.ts); a hop from https down to http is refused.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Dispatcher, fetch as undiciFetch } from 'undici';
import { refusal, type Resolve } from './egress.ts';
import { formatBytes, jsonCapOf } from './parsers/text.ts';

export type FetchFn = typeof undiciFetch;

/**
 * undici's fetch, loaded with the first download: a process that never fetches a feed (a lookup,
 * a server whose scheduler waits) does not load the HTTP client (~0.15 s).
 */
export const lazyFetch: FetchFn = async (input, init) => (await import('undici')).fetch(input, init);

export interface FetchSettings {
  timeoutMs: number;
  maxBytes: number;
  retries: number;
  backoffMs: number;
  /** `options.allowPrivateNetworks`: redirects may lead outside the feed's origin to non-public addresses. */
  allowPrivateNetworks?: boolean;
  /** `options.maxJsonBytes`: the largest JSON document `downloadJson` takes (a MISP event, a TAXII page). */
  maxJsonBytes?: number;
  /** The option that set `maxBytes`, named when a body goes past it (default `options.maxBytes`). */
  capOption?: string;
}

export const DEFAULT_FETCH_SETTINGS: Readonly<FetchSettings> = { timeoutMs: 60_000, maxBytes: 200 * 1024 * 1024, retries: 2, backoffMs: 2_000 };

/** Redirects followed at most, per request. */
export const MAX_REDIRECTS = 5;

export interface FetchRequest {
  url: string;
  etag?: string | null;
  lastModified?: string | null;
  /** The feed's own headers (credentials, `options.headers`): sent only to `trustedOrigin`. */
  headers?: Record<string, string>;
  /** The origin of the feed's configured URL (default: this request's URL's). */
  trustedOrigin?: string;
}

export interface FetchDeps {
  fetch: FetchFn;
  sleep: (ms: number) => Promise<void>;
  /** Aborts every transfer when the scheduler stops. */
  signal?: AbortSignal;
  tmpDir?: string;
  /** The connection pool to use instead of the global one (a feed's client certificate). */
  dispatcher?: Dispatcher;
  /** Name resolution for the egress check (tests inject one). */
  resolve?: Resolve;
}

/** A transfer failed; `retryable` says whether trying again can help. */
export class FetchError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FetchError';
  }
}

export type Download =
  | { kind: 'not_modified'; etag: string | null; lastModified: string | null }
  | {
      kind: 'body';
      path: string;
      bytes: number;
      contentType: string | null;
      etag: string | null;
      lastModified: string | null;
      header(name: string): string | null;
      cleanup(): Promise<void>;
    };

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

class SizeCapError extends Error {}

function capBytes(max: number, option: string, onBytes: (n: number) => void): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      total += chunk.length;
      onBytes(total);
      if (total > max) cb(new SizeCapError(`body exceeds the size cap of ${formatBytes(max)} set by ${option}`));
      else cb(null, chunk);
    },
  });
}

/** The error's message with its innermost cause's, which says what happened ("fetch failed" does not). */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  let root: Error = err;
  for (let depth = 0; depth < 8 && root.cause instanceof Error; depth++) root = root.cause;
  return root !== err && root.message !== err.message ? `${err.message} (${root.message})` : err.message;
}

/**
 * Under TLS 1.3 a server that requires a client certificate checks it after the handshake, and
 * when it refuses one (or gets none) the client sees only a connection closed without an answer.
 */
function closedHint(url: string, err: unknown): string {
  const cause = (err as { cause?: { code?: unknown } }).cause;
  if (!url.toLowerCase().startsWith('https:') || cause?.code !== 'UND_ERR_SOCKET') return '';
  return '; a server that requires a client certificate closes the connection like this when it gets none it accepts (options.tls)';
}

const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
const BASE_HEADERS: Readonly<Record<string, string>> = { 'user-agent': 'Verdict feed fetcher', accept: '*/*' };

type Response = Awaited<ReturnType<FetchFn>>;

/**
 * One request with the redirects it leads to, each hop checked: where it may go (egress.ts),
 * which headers go with it, no downgrade from https, at most MAX_REDIRECTS.
 */
async function follow(req: FetchRequest, s: FetchSettings, deps: FetchDeps, signal: AbortSignal): Promise<Response> {
  const trustedOrigin = req.trustedOrigin ?? new URL(req.url).origin;
  const own: Record<string, string> = { ...BASE_HEADERS, ...req.headers };
  if (req.etag) own['if-none-match'] = req.etag;
  if (req.lastModified) own['if-modified-since'] = req.lastModified;
  let url = new URL(req.url);
  for (let hop = 0; ; hop++) {
    const refused = await refusal(url, { trustedOrigin, allowPrivateNetworks: s.allowPrivateNetworks === true, ...(deps.resolve ? { resolve: deps.resolve } : {}) });
    if (refused !== null) throw new FetchError(`${hop === 0 ? 'request' : 'redirect'} refused: ${refused}`, false);
    // the feed's headers go to its own origin only; elsewhere a plain request
    const headers = url.origin === trustedOrigin ? own : { ...BASE_HEADERS };
    let res: Response;
    try {
      res = await deps.fetch(url.href, { headers, signal, redirect: 'manual', ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}) });
    } catch (err) {
      if (signal.reason instanceof FetchError) throw signal.reason;
      throw new FetchError(`request failed: ${describe(err)}${closedHint(url.href, err)}`, true, null, { cause: err });
    }
    const location = REDIRECT_STATUS.has(res.status) ? res.headers.get('location') : null;
    if (location === null) return res;
    await res.body?.cancel();
    if (hop >= MAX_REDIRECTS) throw new FetchError(`more than ${MAX_REDIRECTS} redirects`, false, res.status);
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new FetchError(`HTTP ${res.status} redirects to an unreadable location`, false, res.status);
    }
    if (url.protocol === 'https:' && next.protocol === 'http:') throw new FetchError(`redirect refused: from https down to plain http (${next.origin})`, false, res.status);
    url = next;
  }
}

async function attempt(req: FetchRequest, s: FetchSettings, deps: FetchDeps): Promise<Download> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new FetchError(`timed out after ${s.timeoutMs} ms`, true)), s.timeoutMs);
  const onStop = (): void => controller.abort(new FetchError('stopped: the scheduler shut down during the run', false));
  deps.signal?.addEventListener('abort', onStop, { once: true });
  let dir: string | null = null;
  try {
    const res = await follow(req, s, deps, controller.signal);
    const etag = res.headers.get('etag');
    const lastModified = res.headers.get('last-modified');
    if (res.status === 304) {
      await res.body?.cancel();
      return { kind: 'not_modified', etag, lastModified };
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new FetchError(`HTTP ${res.status} ${res.statusText}`.trim(), RETRYABLE_STATUS.has(res.status), res.status);
    }
    const declared = Number(res.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > s.maxBytes) {
      await res.body?.cancel();
      throw new FetchError(`body of ${declared} bytes exceeds the size cap of ${formatBytes(s.maxBytes)} set by ${s.capOption ?? 'options.maxBytes'}`, false, res.status);
    }
    if (res.body === null) throw new FetchError('empty response body', true, res.status);
    dir = await mkdtemp(join(deps.tmpDir ?? tmpdir(), 'verdict-feed-'));
    const path = join(dir, 'body');
    let bytes = 0;
    try {
      await pipeline(Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>), capBytes(s.maxBytes, s.capOption ?? 'options.maxBytes', (n) => (bytes = n)), createWriteStream(path));
    } catch (err) {
      if (err instanceof SizeCapError) throw new FetchError(err.message, false, res.status);
      if (controller.signal.reason instanceof FetchError) throw controller.signal.reason;
      throw new FetchError(`transfer failed after ${bytes} bytes: ${describe(err)}`, true, res.status, { cause: err });
    }
    const spool = dir;
    dir = null;
    return {
      kind: 'body',
      path,
      bytes,
      contentType: res.headers.get('content-type'),
      etag,
      lastModified,
      header: (name) => res.headers.get(name),
      cleanup: () => rm(spool, { recursive: true, force: true }),
    };
  } finally {
    clearTimeout(timer);
    deps.signal?.removeEventListener('abort', onStop);
    if (dir !== null) await rm(dir, { recursive: true, force: true });
  }
}

/** Downloads with retries; throws the last FetchError when every attempt failed. */
export async function download(req: FetchRequest, settings: FetchSettings, deps: FetchDeps): Promise<Download> {
  let last: FetchError | null = null;
  for (let i = 0; i <= settings.retries; i++) {
    if (i > 0) await deps.sleep(settings.backoffMs * 2 ** (i - 1));
    if (deps.signal?.aborted) throw new FetchError('stopped: the scheduler shut down during the run', false);
    try {
      return await attempt(req, settings, deps);
    } catch (err) {
      last = err instanceof FetchError ? err : new FetchError(describe(err), false, null, { cause: err });
      if (!last.retryable) break;
    }
  }
  const tries = settings.retries + 1;
  throw last ?? new FetchError(`failed after ${tries} attempts`, false);
}

/**
 * Reads a JSON document (a MISP manifest or event, a TAXII page) with the same limits, and at
 * most `maxJsonBytes` of it: the transfer stops there, before anything is parsed.
 */
export async function downloadJson(req: FetchRequest, settings: FetchSettings, deps: FetchDeps): Promise<{ body: unknown; header(name: string): string | null } | null> {
  const jsonCap = settings.maxJsonBytes ?? jsonCapOf(undefined);
  const bounded: FetchSettings = jsonCap < settings.maxBytes ? { ...settings, maxBytes: jsonCap, capOption: 'options.maxJsonBytes for one JSON document' } : settings;
  const d = await download(req, bounded, deps);
  if (d.kind === 'not_modified') return null;
  try {
    const text = await readFile(d.path, 'utf8');
    try {
      return { body: JSON.parse(text) as unknown, header: d.header };
    } catch (err) {
      throw new FetchError(`${req.url}: not valid JSON (${describe(err)})`, false);
    }
  } finally {
    await d.cleanup();
  }
}

export function settingsFrom(options: Readonly<Record<string, unknown>> | undefined, base: FetchSettings = DEFAULT_FETCH_SETTINGS): FetchSettings {
  const num = (k: string, fallback: number): number => {
    const v = options?.[k];
    return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fallback;
  };
  const allowPrivate = options?.['allowPrivateNetworks'];
  return {
    timeoutMs: num('timeoutMs', base.timeoutMs),
    maxBytes: num('maxBytes', base.maxBytes),
    retries: num('retries', base.retries),
    backoffMs: num('backoffMs', base.backoffMs),
    allowPrivateNetworks: typeof allowPrivate === 'boolean' ? allowPrivate : base.allowPrivateNetworks === true,
    maxJsonBytes: typeof options?.['maxJsonBytes'] === 'number' ? jsonCapOf(options) : (base.maxJsonBytes ?? jsonCapOf(undefined)),
  };
}
