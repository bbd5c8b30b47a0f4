/**
 * The optional analyst summary (`include=summary`): a few sentences an OpenAI-compatible model
 * writes from one result's own JSON — a lookup's, or an extract-and-enrich result's for a whole
 * text. It is an addition beside the verdict, never an input to it: nothing here reads or
 * changes `risk_score` or `confidence`.
 *
 * Summaries are cached in this process per indicator and store data version (a feed run or an
 * override moves the version, and the next lookup asks again); calls for the same key in flight
 * are shared. A failure is not cached: the next lookup tries again.
 */
import { createHash } from 'node:crypto';
import type { LlmConfig } from '../config.ts';
import type { LookupResponse } from '../enrich.ts';
import { createMemoryLookupCache } from '../cache/memory.ts';
import { complete, lazyFetch, type FetchFn, type SummaryErrorCode } from './client.ts';
import { SUMMARY_MAX_TOKENS, summaryMessages } from './prompt.ts';

export { SUMMARY_ERROR_CODES, type SummaryErrorCode } from './client.ts';
export { SYSTEM_PROMPT } from './prompt.ts';

/** `summary` of a result. */
export interface AnalystSummary {
  text: string;
  /** The model that wrote it, as the endpoint named it. */
  model: string;
  /** When it was written (a cached summary keeps its time), RFC 3339 UTC. */
  generated_at: string;
}

/** `summary_error` of a result that asked for a summary and has none. */
export interface SummaryError {
  code: SummaryErrorCode;
  message: string;
}

export type SummaryOutcome = { ok: true; summary: AnalystSummary } | { ok: false; error: SummaryError };

export interface Summarizer {
  /** Whether an endpoint is configured (else every call answers `disabled` at once). */
  readonly enabled: boolean;
  /**
   * The summary of one lookup result (GET /api/v1/lookup), cached per indicator and
   * `dataVersion` (the store's version the result was computed at).
   */
  summarizeLookup(result: LookupResponse, dataVersion: number): Promise<SummaryOutcome>;
  /**
   * The summary of a whole text's enriched result (POST /api/v1/extract with `enrich=true`): any
   * JSON object, sent as it is. Cached by its content (and `dataVersion` when given).
   */
  summarizeText(enriched: object, dataVersion?: number): Promise<SummaryOutcome>;
}

export interface SummarizerDeps {
  /** Null: summaries are off. */
  config: Readonly<LlmConfig> | null;
  clock: () => Date;
  logger?: { warn(obj: object, msg: string): void };
  fetch?: FetchFn;
  /** Summaries kept in this process (least recently used go first). */
  cacheEntries?: number;
}

/** A summary stays valid while the data version does; this only bounds how long an idle one is kept. */
const CACHE_TTL_SECONDS = 24 * 3600;

export function createSummarizer(deps: SummarizerDeps): Summarizer {
  const { config } = deps;
  if (config === null) {
    const off: SummaryOutcome = { ok: false, error: { code: 'disabled', message: 'Summaries are off on this instance: no summary endpoint is configured (VERDICT_LLM_URL).' } };
    return { enabled: false, summarizeLookup: async () => off, summarizeText: async () => off };
  }
  const fetchFn = deps.fetch ?? lazyFetch;
  const cache = createMemoryLookupCache({ ttlSeconds: CACHE_TTL_SECONDS, maxEntries: deps.cacheEntries ?? 1_000 });
  const inFlight = new Map<string, Promise<SummaryOutcome>>();

  async function generate(kind: 'lookup' | 'text', evidence: unknown): Promise<SummaryOutcome> {
    const answer = await complete(config!, { messages: summaryMessages(kind, evidence), maxTokens: SUMMARY_MAX_TOKENS }, fetchFn);
    if (!answer.ok) {
      // the endpoint's URL and the outcome; never the key or what was sent
      deps.logger?.warn({ endpoint: config!.url, code: answer.code }, `analyst summary failed: ${answer.message}`);
      return { ok: false, error: { code: answer.code, message: answer.message } };
    }
    return { ok: true, summary: { text: answer.text, model: answer.model, generated_at: rfc3339(deps.clock()) } };
  }

  async function cached(key: string, dataVersion: number, kind: 'lookup' | 'text', evidence: unknown): Promise<SummaryOutcome> {
    const hit = cache.peek(key, dataVersion) as AnalystSummary | undefined;
    if (hit !== undefined) return { ok: true, summary: hit };
    const flightKey = `${dataVersion}:${key}`;
    const running = inFlight.get(flightKey);
    if (running !== undefined) return running;
    const call = generate(kind, evidence).then(async (outcome) => {
      if (outcome.ok) await cache.set(key, dataVersion, outcome.summary);
      return outcome;
    });
    inFlight.set(flightKey, call);
    try {
      return await call;
    } finally {
      inFlight.delete(flightKey);
    }
  }

  return {
    enabled: true,
    summarizeLookup(result, dataVersion) {
      return cached(`lookup:${result.type}:${result.value}`, dataVersion, 'lookup', result);
    },
    summarizeText(enriched, dataVersion) {
      const digest = createHash('sha256').update(JSON.stringify(enriched)).digest('base64url');
      return cached(`text:${digest}`, dataVersion ?? 0, 'text', enriched);
    },
  };
}

/** To the second, as the API writes times. */
function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
