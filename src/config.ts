/**
 * All settings, parsed and validated once at boot from `VERDICT_*` environment variables
 * (optionally seeded from a JSON file named by `VERDICT_CONFIG_FILE`). The result is frozen.
 * A bad setting throws ConfigError naming the variable, so start-up stops with a clear message.
 */
import { readFileSync } from 'node:fs';
import { errorText } from './file-errors.ts';
import { TIERS, type Tier } from './store/types.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const FAILURE_POLICIES = ['open', 'closed'] as const;
export type FailurePolicy = (typeof FAILURE_POLICIES)[number];

export interface TierLimits {
  /** Requests per rolling minute. */
  perMinute: number;
  /** Requests per UTC day. */
  perDay: number;
  /** Most results one request may return (bulk, lists). */
  maxResults: number;
  bulk: boolean;
}

export interface Config {
  host: string;
  port: number;
  /** A file path, `sqlite:` URL or `:memory:` for the embedded store; `postgres://` for scale-out. */
  databaseUrl: string;
  redisUrl: string | null;
  /** The first admin key, used instead of a generated one when the key table is empty. */
  adminKey: string | null;
  logLevel: LogLevel;
  /** The operator's extra feed definitions (JSON), merged into the bundled catalog. */
  feedsFile: string | null;
  /** Run the feed scheduler inside `serve`. */
  scheduler: boolean;
  /** Days a sighting its snapshot feed no longer lists is kept after it was last seen (0: forever). */
  delistedRetentionDays: number;
  cacheTtlSeconds: number;
  /** How long one reading of the store's data version serves cached lookups (ms). */
  dataVersionWindowMs: number;
  redisFailurePolicy: FailurePolicy;
  /** Largest accepted request body, in bytes. */
  bodyLimit: number;
  /** Trust X-Forwarded-* headers (behind a reverse proxy). */
  trustProxy: boolean;
  /** Time a client has to send a whole request, headers and body (ms); a stalled one is answered 408. */
  requestTimeoutMs: number;
  /** Failed authentications one client address may make per minute before it is refused (429); 0: no limit. */
  authFailuresPerMinute: number;
  /** A second listener serving `/metrics` without a key (`host:port`), or null. */
  metricsAddress: { host: string; port: number } | null;
  tiers: Readonly<Record<Tier, Readonly<TierLimits>>>;
  /** The optional analyst summary's OpenAI-compatible endpoint (src/llm); null: off. */
  llm: Readonly<LlmConfig> | null;
}

export interface LlmConfig {
  /** Base URL of an OpenAI-compatible API, ending in `/v1`; the call is POST `{url}/chat/completions`. */
  url: string;
  model: string;
  /** Sent as `Authorization: Bearer …`; never logged. Null: no header (a local Ollama or llama.cpp server). */
  apiKey: string | null;
  /** The whole call, answer included, must finish within this (ms). */
  timeoutMs: number;
}

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** Defaults of API.md §3; enterprise limits are meant to be set by the operator. */
export const DEFAULT_TIERS: Readonly<Record<Tier, TierLimits>> = {
  free: { perMinute: 10, perDay: 1_000, maxResults: 100, bulk: false },
  pro: { perMinute: 1_000, perDay: 1_000_000, maxResults: 10_000, bulk: true },
  enterprise: { perMinute: 10_000, perDay: 100_000_000, maxResults: 100_000, bulk: true },
};

/** Every setting: its variable, default and meaning. The README's configuration table mirrors it. */
export const SETTINGS = [
  { env: 'VERDICT_HOST', default: '127.0.0.1', description: 'Address to listen on' },
  { env: 'VERDICT_PORT', default: '8080', description: 'TCP port to listen on' },
  { env: 'VERDICT_DATABASE_URL', default: './data/verdict.db', description: 'Store: SQLite file path, `sqlite:` URL or `:memory:`; `postgres://…` for PostgreSQL' },
  { env: 'VERDICT_REDIS_URL', default: '(none)', description: 'Redis for shared rate limits, the lookup cache and console sessions (scale-out)' },
  { env: 'VERDICT_REDIS_FAILURE_POLICY', default: 'open', description: '`open` lets requests through when Redis is down, `closed` refuses them (503)' },
  { env: 'VERDICT_ADMIN_KEY', default: '(generated)', description: 'First admin key (`sk_live_` + ≥ 32 base62 characters) used when no key exists yet' },
  { env: 'VERDICT_LOG_LEVEL', default: 'info', description: 'fatal, error, warn, info, debug, trace or silent' },
  { env: 'VERDICT_FEEDS_FILE', default: '(none)', description: 'JSON file with extra feed definitions' },
  { env: 'VERDICT_SCHEDULER', default: 'on', description: '`off` disables the in-process feed scheduler' },
  { env: 'VERDICT_DELISTED_RETENTION_DAYS', default: '0', description: 'Days a sighting its snapshot feed no longer lists is kept after it was last seen; the scheduler prunes older ones daily (0 keeps them forever)' },
  { env: 'VERDICT_CACHE_TTL_SECONDS', default: '60', description: 'Lookup cache lifetime (0 disables the cache)' },
  { env: 'VERDICT_DATA_VERSION_WINDOW_MS', default: '100', description: 'How long one reading of the data version serves lookups (cached answers and the overrides); new data shows at most this late, an override set through this instance at once (0: read every time)' },
  { env: 'VERDICT_BODY_LIMIT', default: '1048576', description: 'Largest request body in bytes' },
  { env: 'VERDICT_TRUST_PROXY', default: 'false', description: 'Trust X-Forwarded-* headers' },
  { env: 'VERDICT_REQUEST_TIMEOUT_MS', default: '30000', description: 'Time a client has to send a whole request (headers and body); a stalled one is answered 408' },
  { env: 'VERDICT_AUTH_FAILURES_PER_MINUTE', default: '30', description: 'Failed authentications a client address (an IPv6 /64) may make per minute before its keys are refused with 429 (0: no limit)' },
  { env: 'VERDICT_METRICS_ADDRESS', default: '(none)', description: '`host:port` of a second listener serving `/metrics` without a key (on the main port it needs the `read:metrics` scope)' },
  { env: 'VERDICT_TIER_<TIER>_PER_MINUTE', default: 'free 10, pro 1000, enterprise 10000', description: 'Requests per minute for a tier (`FREE`, `PRO`, `ENTERPRISE`)' },
  { env: 'VERDICT_TIER_<TIER>_PER_DAY', default: 'free 1000, pro 1000000, enterprise 100000000', description: 'Requests per UTC day for a tier' },
  { env: 'VERDICT_LLM_URL', default: '(none: no summaries)', description: 'Base URL (`…/v1`) of an OpenAI-compatible endpoint that writes the analyst summary of `include=summary`; the whole lookup result is sent to it' },
  { env: 'VERDICT_LLM_MODEL', default: '(required with VERDICT_LLM_URL)', description: 'The model the endpoint runs (`model` of the chat completion)' },
  { env: 'VERDICT_LLM_API_KEY', default: '(none)', description: 'Bearer key for the endpoint; never logged' },
  { env: 'VERDICT_LLM_TIMEOUT_MS', default: '10000', description: 'Time the summary may take; past it the lookup answers without it (`summary_error`)' },
  { env: 'VERDICT_TIER_<TIER>_MAX_RESULTS', default: 'free 100, pro 10000, enterprise 100000', description: 'Most values one bulk call (or extract-and-enrich) may carry, and most results one list may return, for a tier' },
  { env: 'VERDICT_TIER_<TIER>_BULK', default: 'free off, pro on, enterprise on', description: 'Whether a tier may make bulk lookups (`POST /api/v1/lookup/bulk`, `POST /api/v1/extract` with enrich)' },
  { env: 'VERDICT_CONFIG_FILE', default: '(none)', description: 'JSON file of `VERDICT_*` settings; environment variables win' },
] as const;

const ADMIN_KEY_RE = /^sk_live_[0-9A-Za-z]{32,}$/;
const HOST_RE = /^[0-9A-Za-z.:\-[\]]+$/;

type Env = Readonly<Record<string, string | undefined>>;

function text(env: Env, name: string): string | null {
  const v = env[name];
  if (v === undefined) return null;
  const t = v.trim();
  return t === '' ? null : t;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name);
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = text(env, name);
  if (raw === null) return fallback;
  const v = raw.toLowerCase();
  if (['1', 'true', 'on', 'yes'].includes(v)) return true;
  if (['0', 'false', 'off', 'no'].includes(v)) return false;
  throw new ConfigError(name, `must be on/off (true/false), got "${raw}"`);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = text(env, name);
  if (raw === null) return fallback;
  const v = raw.toLowerCase();
  if (!(allowed as readonly string[]).includes(v)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return v as T;
}

/** Reads `VERDICT_CONFIG_FILE` (a flat JSON object of VERDICT_* settings); the environment wins. */
function withConfigFile(env: Env): Env {
  const file = text(env, 'VERDICT_CONFIG_FILE');
  if (file === null) return env;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError('VERDICT_CONFIG_FILE', `cannot read ${file}: ${errorText(err, file)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError('VERDICT_CONFIG_FILE', `${file} must hold a JSON object of VERDICT_* settings`);
  }
  const merged: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (!k.startsWith('VERDICT_')) throw new ConfigError('VERDICT_CONFIG_FILE', `unknown setting "${k}" in ${file}`);
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw new ConfigError(k, `in ${file} must be a string, number or boolean`);
    }
    merged[k] = String(v);
  }
  return { ...merged, ...env };
}

function databaseUrl(env: Env): string {
  const raw = text(env, 'VERDICT_DATABASE_URL') ?? './data/verdict.db';
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1]?.toLowerCase();
  if (scheme !== undefined && !['sqlite', 'postgres', 'postgresql', 'file'].includes(scheme)) {
    throw new ConfigError('VERDICT_DATABASE_URL', `unsupported scheme "${scheme}://" (use a file path, sqlite:, or postgres://)`);
  }
  return raw;
}

function redisUrl(env: Env): string | null {
  const raw = text(env, 'VERDICT_REDIS_URL');
  if (raw === null) return null;
  if (!/^rediss?:\/\//i.test(raw)) throw new ConfigError('VERDICT_REDIS_URL', 'must start with redis:// or rediss://');
  return raw;
}

/** `host:port` (an IPv6 host in brackets) of the metrics listener. */
function listenAddress(env: Env, name: string): { host: string; port: number } | null {
  const raw = text(env, name);
  if (raw === null) return null;
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9A-Za-z.-]+)):(\d{1,5})$/.exec(raw);
  const port = m ? Number(m[3]) : NaN;
  if (m === null || port > 65_535) throw new ConfigError(name, `must be host:port (an IPv6 address in brackets), got "${raw}"`);
  return Object.freeze({ host: m[1] ?? m[2] ?? '', port });
}

function tiers(env: Env): Record<Tier, TierLimits> {
  const out = {} as Record<Tier, TierLimits>;
  for (const tier of TIERS) {
    const d = DEFAULT_TIERS[tier];
    const up = tier.toUpperCase();
    const perMinute = integer(env, `VERDICT_TIER_${up}_PER_MINUTE`, d.perMinute, 1, 1_000_000_000);
    const perDay = integer(env, `VERDICT_TIER_${up}_PER_DAY`, d.perDay, 1, 1_000_000_000_000);
    const maxResults = integer(env, `VERDICT_TIER_${up}_MAX_RESULTS`, d.maxResults, 1, 10_000_000);
    const bulk = boolean(env, `VERDICT_TIER_${up}_BULK`, d.bulk);
    out[tier] = Object.freeze({ ...d, perMinute, perDay, maxResults, bulk });
  }
  return out;
}

/** The summary endpoint, when `VERDICT_LLM_URL` names one (docs/integrations.md#the-analyst-summary). */
function llm(env: Env): LlmConfig | null {
  const raw = text(env, 'VERDICT_LLM_URL');
  const timeoutMs = integer(env, 'VERDICT_LLM_TIMEOUT_MS', 10_000, 100, 600_000);
  if (raw === null) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('VERDICT_LLM_URL', `must be an http:// or https:// URL (the API's base, e.g. http://127.0.0.1:11434/v1), got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('VERDICT_LLM_URL', `must be an http:// or https:// URL, got "${url.protocol}//"`);
  }
  // credentials belong in VERDICT_LLM_API_KEY, where they are kept out of logs and messages
  if (url.username !== '' || url.password !== '') throw new ConfigError('VERDICT_LLM_URL', 'must not hold credentials: put the key in VERDICT_LLM_API_KEY');
  if (url.search !== '' || url.hash !== '') throw new ConfigError('VERDICT_LLM_URL', 'must be the base URL without a query or fragment (e.g. https://api.example.com/v1)');
  const model = text(env, 'VERDICT_LLM_MODEL');
  if (model === null) throw new ConfigError('VERDICT_LLM_MODEL', 'is required when VERDICT_LLM_URL is set (the model the endpoint runs)');
  if (model.length > 200) throw new ConfigError('VERDICT_LLM_MODEL', 'must be at most 200 characters');
  const apiKey = text(env, 'VERDICT_LLM_API_KEY');
  // never echo the key: it is a secret
  if (apiKey !== null && !/^[\x21-\x7e]+$/.test(apiKey)) throw new ConfigError('VERDICT_LLM_API_KEY', 'must be printable ASCII without spaces');
  return Object.freeze({ url: url.href.replace(/\/+$/, ''), model, apiKey, timeoutMs });
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = withConfigFile(env);
  const host = text(e, 'VERDICT_HOST') ?? '127.0.0.1';
  if (!HOST_RE.test(host)) throw new ConfigError('VERDICT_HOST', `"${host}" is not a host name or address`);
  const adminKey = text(e, 'VERDICT_ADMIN_KEY');
  if (adminKey !== null && !ADMIN_KEY_RE.test(adminKey)) {
    // never echo the value: it is a secret
    throw new ConfigError('VERDICT_ADMIN_KEY', 'must be "sk_live_" followed by at least 32 letters or digits');
  }
  const config: Config = {
    host,
    port: integer(e, 'VERDICT_PORT', 8080, 0, 65_535),
    databaseUrl: databaseUrl(e),
    redisUrl: redisUrl(e),
    adminKey,
    logLevel: oneOf(e, 'VERDICT_LOG_LEVEL', LOG_LEVELS, 'info'),
    feedsFile: text(e, 'VERDICT_FEEDS_FILE'),
    scheduler: boolean(e, 'VERDICT_SCHEDULER', true),
    delistedRetentionDays: integer(e, 'VERDICT_DELISTED_RETENTION_DAYS', 0, 0, 36_500),
    cacheTtlSeconds: integer(e, 'VERDICT_CACHE_TTL_SECONDS', 60, 0, 86_400),
    dataVersionWindowMs: integer(e, 'VERDICT_DATA_VERSION_WINDOW_MS', 100, 0, 60_000),
    redisFailurePolicy: oneOf(e, 'VERDICT_REDIS_FAILURE_POLICY', FAILURE_POLICIES, 'open'),
    bodyLimit: integer(e, 'VERDICT_BODY_LIMIT', 1_048_576, 1_024, 104_857_600),
    trustProxy: boolean(e, 'VERDICT_TRUST_PROXY', false),
    requestTimeoutMs: integer(e, 'VERDICT_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000),
    authFailuresPerMinute: integer(e, 'VERDICT_AUTH_FAILURES_PER_MINUTE', 30, 0, 1_000_000),
    metricsAddress: listenAddress(e, 'VERDICT_METRICS_ADDRESS'),
    tiers: Object.freeze(tiers(e)),
    llm: llm(e),
  };
  return Object.freeze(config);
}
