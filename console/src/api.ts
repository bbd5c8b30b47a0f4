/**
 * The console's calls to Verdict's API. The session cookie (HttpOnly) travels by itself; the
 * page never sees or stores the key after sign-in. Writes carry the session's CSRF token.
 */

export const SCOPES = ['read:lookup', 'read:iocs', 'read:export', 'read:metrics', 'write:reports', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface KeyInfo {
  id: string;
  key_prefix: string;
  name: string;
  tier: string;
  scopes: Scope[];
  expires_at: string | null;
}

export interface SessionInfo {
  csrf_token: string;
  expires_at: string;
  key: KeyInfo;
}

/** An answer in the error envelope, with what the page says about it. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null,
    /** Seconds to wait before retrying (429, 503), from Retry-After. */
    readonly retryAfter: number | null,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;

/** Sends a request with the session's CSRF token on writes; answers the response when it is ok, else throws its ApiFailure. */
async function send(method: string, path: string, body: unknown, accept: string): Promise<Response> {
  const headers: Record<string, string> = { accept };
  // a FormData body (an upload) sets its own multipart content type
  const form = body instanceof FormData;
  if (body !== undefined && !form) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken !== null) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? null : form ? body : JSON.stringify(body) });
  } catch {
    throw new ApiFailure(0, 'network_error', 'Verdict could not be reached: check the connection or that the server is running.', null, null);
  }
  if (!res.ok) {
    let parsed: unknown = null;
    try {
      const text = await res.text();
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      parsed = null;
    }
    const err = (parsed as { error?: { code?: string; message?: string; request_id?: string } } | null)?.error;
    const retry = res.headers.get('retry-after');
    throw new ApiFailure(
      res.status,
      err?.code ?? 'http_error',
      err?.message ?? `The server answered ${res.status}.`,
      err?.request_id ?? res.headers.get('x-request-id'),
      retry === null || !Number.isFinite(Number(retry)) ? null : Number(retry),
    );
  }
  return res;
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await send(method, path, body, 'application/json');
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  try {
    return (text === '' ? null : JSON.parse(text)) as T;
  } catch {
    return null as T;
  }
}

export async function currentSession(): Promise<SessionInfo | null> {
  try {
    const s = await call<SessionInfo>('GET', '/api/v1/session');
    csrfToken = s.csrf_token;
    return s;
  } catch (e) {
    if (e instanceof ApiFailure && e.status === 401) return null;
    throw e;
  }
}

export async function signIn(apiKey: string): Promise<SessionInfo> {
  const s = await call<SessionInfo>('POST', '/api/v1/session', { api_key: apiKey });
  csrfToken = s.csrf_token;
  return s;
}

export async function signOut(): Promise<void> {
  await call<void>('DELETE', '/api/v1/session');
  csrfToken = null;
}

export function hasScope(session: SessionInfo | null, scope: Scope): boolean {
  return session !== null && (session.key.scopes.includes('admin') || session.key.scopes.includes(scope));
}

export interface Source {
  feed_name: string;
  category: string;
  first_seen: string;
  last_seen: string;
  threat_type: string | null;
  malware_family: string | null;
  confidence: number | null;
  reference_url: string | null;
  match: string;
  matched_value: string;
  listed: boolean;
  details: Record<string, unknown>;
}

export interface LookupResult {
  value: string;
  type: string;
  risk_score: string;
  confidence: string;
  mitre_techniques: { id: string; name: string; derived_from: string; mapping_type?: string }[];
  hunting_queries: Record<string, string>;
  sources: Source[];
  found: boolean;
  first_seen: string | null;
  last_seen: string | null;
  risk: {
    score: number;
    level: string;
    /** An `override` factor carries its verdict, and `feed_id` when an internal list decided (none for an analyst override). */
    factors: { kind: string; description: string; delta?: number; verdict?: 'allow' | 'deny'; feed_id?: string }[];
  };
  threat_types: string[];
  malware_families: string[];
  tags: string[];
  warninglists: { id: string; name: string }[];
  related: {
    network?: { asn: string | null; as_name: string | null; range: string | null; country: string | null; special?: string; note?: string; attribution: string };
    reports?: { id: string; title: string; url: string | null; published: string | null; feed_id: string }[];
    related_iocs?: { type: string; value: string; report_id: string }[];
    kev?: Record<string, unknown>;
    [k: string]: unknown;
  };
}

/** Every hunting platform, so each gets a tab. */
const PLATFORMS = 'splunk_tstats,sigma,esql';

export function lookup(value: string, type?: string): Promise<LookupResult> {
  const q = new URLSearchParams({ value, platforms: PLATFORMS });
  if (type !== undefined && type !== '') q.set('type', type);
  return call<LookupResult>('GET', `/api/v1/lookup?${q}`);
}

export interface FeedRun {
  feed_id: string;
  started_at: string;
  finished_at: string | null;
  status: 'success' | 'failure' | 'not_modified' | 'running';
  result: { received: number; added: number; updated: number; unchanged: number; delisted: number } | null;
  rejected: number;
  error?: string | null;
}

export interface FeedStatus {
  id: string;
  name: string;
  category: string;
  enabled: boolean;
  orphaned: boolean;
  interval_seconds: number;
  health: {
    last_run: FeedRun | null;
    last_success_at: string | null;
    last_error_at: string | null;
    last_error?: string | null;
    listed_count: number;
    total_count: number;
    data_as_of: string | null;
    next_run_at: string | null;
  };
}

export function feeds(): Promise<{ feeds: FeedStatus[] }> {
  return call('GET', '/api/v1/feeds');
}

/** Runs a feed now (admin); answers when the run is over. */
export function syncFeed(id: string): Promise<FeedRun> {
  return call('POST', `/api/v1/feeds/${encodeURIComponent(id)}/sync`);
}

export interface ExtractVerdict {
  level: string;
  score: number;
  confidence: string;
  found: boolean;
  sources: number;
  techniques: string[];
}

export interface ExtractedIndicator {
  type: string;
  value: string;
  role: 'indicator' | 'reference';
  count: number;
  verdict?: ExtractVerdict;
}

export interface ExtractResult {
  document: { format: string; bytes: number; parts: { source: string; page?: number }[] };
  distinct: ExtractedIndicator[];
  summary?: {
    worst_level: string | null;
    enriched: number;
    found: number;
    by_level: Record<string, number>;
    by_type: Record<string, number>;
    techniques: { id: string; name: string; indicators: number }[];
  };
}

/** The indicators of a pasted text or an uploaded document (PDF, HTML, .eml), with their verdicts. */
export function extract(input: { text: string } | { file: File }): Promise<ExtractResult> {
  let body: unknown;
  if ('file' in input) {
    const form = new FormData();
    form.append('file', input.file, input.file.name);
    body = form;
  } else body = { text: input.text };
  return call('POST', '/api/v1/extract?enrich=true', body);
}

/** What the page says about a failure: what happened and, for limits, when to retry. */
export function describeFailure(e: unknown): string {
  if (!(e instanceof ApiFailure)) return 'Something went wrong in the page: ' + String(e);
  let text = e.message;
  if ((e.status === 429 || e.status === 503) && e.retryAfter !== null) {
    const at = new Date(Date.now() + e.retryAfter * 1000).toLocaleTimeString();
    text += ` Try again in ${e.retryAfter} s (at ${at}).`;
  }
  if (e.requestId !== null && e.status >= 500) text += ` Request id: ${e.requestId}.`;
  return text;
}

export interface ReportSummary {
  id: string;
  feed_id: string;
  title: string;
  url: string | null;
  published: string | null;
  fetched: string;
  indicator_count: number;
  by_type: Record<string, number>;
  attack_ids: string[];
  cves: string[];
}

export interface ReportDetail extends ReportSummary {
  indicators: { type: string; value: string }[];
}

/** A page of reports, newest first; `next` is the path of the following page (links.next). */
export function reports(q: string, next?: string): Promise<{ reports: ReportSummary[]; links: { next: string | null } }> {
  if (next !== undefined) return call('GET', next);
  const params = new URLSearchParams({ limit: '25' });
  if (q.trim() !== '') params.set('q', q.trim());
  return call('GET', `/api/v1/reports?${params}`);
}

export function report(id: string): Promise<ReportDetail> {
  return call('GET', `/api/v1/reports/${encodeURIComponent(id)}`);
}

export interface ApiKey {
  id: string;
  key_prefix: string;
  name: string;
  tier: string;
  scopes: Scope[];
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

export const TIERS = ['free', 'pro', 'enterprise'] as const;

export function listKeys(): Promise<{ keys: ApiKey[] }> {
  return call('GET', '/api/v1/keys');
}

/** Creates a key (admin); `key` is the key itself, answered this once. */
export function createKey(input: { name: string; tier: string; scopes: Scope[] }): Promise<ApiKey & { key: string }> {
  return call('POST', '/api/v1/keys', input);
}

export function revokeKey(id: string): Promise<ApiKey> {
  return call('DELETE', `/api/v1/keys/${encodeURIComponent(id)}`);
}

/** An indicator of the catalogue, as GET /api/v1/iocs and /iocs/search answer it. */
export interface CatalogueIoc {
  type: string;
  value: string;
  risk_score: string;
  score: number;
  confidence: string;
  first_seen: string;
  last_seen: string;
  listed: boolean;
  feeds: string[];
  categories: string[];
  threat_types: string[];
  malware_families: string[];
  mitre_techniques: string[];
  cves: string[];
  /** Search results only: exact, substring or related. */
  match?: string;
}

/** The catalogue's filters, as the list takes them (and as the Catalogue page's address keeps them). */
export interface CatalogueFilters {
  type?: string;
  level?: string;
  feed?: string;
  technique?: string;
  cve?: string;
  family?: string;
  since?: string;
}

export const CATALOGUE_PAGE = 50;

/** A page of the catalogue, newest last seen first; `next` is the path of the following page (links.next). */
export function catalogue(filters: CatalogueFilters, next?: string): Promise<{ iocs: CatalogueIoc[]; links: { next: string | null }; meta: { total: number; total_exact: boolean } }> {
  if (next !== undefined) return call('GET', next);
  const q = new URLSearchParams({ limit: String(CATALOGUE_PAGE) });
  for (const [k, v] of Object.entries(filters)) if (typeof v === 'string' && v.trim() !== '') q.set(k, v.trim());
  return call('GET', `/api/v1/iocs?${q}`);
}

export function searchCatalogue(q: string): Promise<{ results: CatalogueIoc[]; meta: { q: string; normalized: string | null; search_time_ms: number } }> {
  return call('GET', `/api/v1/iocs/search?${new URLSearchParams({ q, limit: String(CATALOGUE_PAGE), include_related: 'true' })}`);
}

export interface CatalogueStats {
  total: number;
  listed: number;
  by_type: Record<string, number>;
  by_level: Record<string, number>;
  by_category: Record<string, number>;
  by_feed: Record<string, number>;
  new: { last_24h: number; last_7d: number; last_30d: number };
  feeds: { id: string; name: string; enabled: boolean; status: string; reason: string | null; last_success_at: string | null; listed_count: number }[];
  top_techniques: { id: string; count: number }[];
  top_families: { id: string; count: number }[];
  top_cves: { id: string; count: number }[];
  meta: { computed_at: string; data_version: number; pending: number };
}

export function catalogueStats(): Promise<CatalogueStats> {
  return call('GET', '/api/v1/iocs/stats?top=10');
}

export interface OverrideView {
  type: string;
  value: string;
  verdict: 'allow' | 'deny';
  reason: string;
  created_at: string;
  created_by: string | null;
}

const overridePath = (type: string, value: string) => `/api/v1/overrides/${encodeURIComponent(type)}/${encodeURIComponent(value)}`;

/** The analyst override of an indicator (admin); null when there is none. */
export async function getOverride(type: string, value: string): Promise<OverrideView | null> {
  try {
    return await call<OverrideView>('GET', overridePath(type, value));
  } catch (e) {
    if (e instanceof ApiFailure && e.status === 404) return null;
    throw e;
  }
}

export function setOverride(type: string, value: string, body: { verdict: 'allow' | 'deny'; reason: string }): Promise<OverrideView> {
  return call('PUT', overridePath(type, value), body);
}

export function removeOverride(type: string, value: string): Promise<void> {
  return call('DELETE', overridePath(type, value));
}

/** The lookup results of the listed indicators as one export document (POST /api/v1/lookup/export), as a Blob to save. */
export async function exportLookups(values: { type: string; value: string }[], format: 'stix'): Promise<Blob> {
  const res = await send('POST', '/api/v1/lookup/export', { values, format }, 'application/stix+json, application/json');
  return res.blob();
}
