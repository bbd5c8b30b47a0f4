/**
 * One chat completion against an OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, llama.cpp
 * server): POST `{base}/chat/completions`. The outcome is a value, never an exception: what went
 * wrong, in words a client may see (no key, no upstream body).
 */
import type { fetch as undiciFetch } from 'undici';
import type { LlmConfig } from '../config.ts';
import type { ChatMessage } from './prompt.ts';

export type FetchFn = typeof undiciFetch;

/** undici's fetch, loaded with the first summary: a service that never asks for one never loads it. */
export const lazyFetch: FetchFn = async (input, init) => (await import('undici')).fetch(input, init);

/** Why no summary: `timeout`, the endpoint's refusal or failure, an answer without text, or no endpoint reached. */
export const SUMMARY_ERROR_CODES = ['disabled', 'timeout', 'upstream_error', 'malformed_response', 'unreachable'] as const;
export type SummaryErrorCode = (typeof SUMMARY_ERROR_CODES)[number];

export type Completion = { ok: true; text: string; model: string } | { ok: false; code: SummaryErrorCode; message: string };

export interface CompletionRequest {
  messages: ChatMessage[];
  maxTokens: number;
}

/** Largest answer read from the endpoint; a summary is a few hundred tokens. */
const MAX_ANSWER_BYTES = 1024 * 1024;

export async function complete(config: LlmConfig, req: CompletionRequest, fetchFn: FetchFn = lazyFetch): Promise<Completion> {
  const controller = new AbortController();
  let timedOut = false;
  // one deadline for the whole call: connecting, the answer's headers and its body
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, config.timeoutMs);
  const timeout = (): Completion => ({ ok: false, code: 'timeout', message: `The summary endpoint did not answer within ${config.timeoutMs} ms.` });
  try {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (config.apiKey !== null) headers.authorization = `Bearer ${config.apiKey}`;
    const body = JSON.stringify({ model: config.model, messages: req.messages, temperature: 0, max_tokens: req.maxTokens, stream: false });
    let res: Awaited<ReturnType<FetchFn>>;
    try {
      res = await fetchFn(`${config.url}/chat/completions`, { method: 'POST', headers, body, signal: controller.signal, redirect: 'error' });
    } catch (err) {
      if (timedOut) return timeout();
      return { ok: false, code: 'unreachable', message: `The summary endpoint could not be reached (${causeOf(err)}).` };
    }
    let raw: string;
    try {
      raw = await readLimited(res, MAX_ANSWER_BYTES);
    } catch (err) {
      if (timedOut) return timeout();
      return { ok: false, code: 'upstream_error', message: `The summary endpoint's answer could not be read (${causeOf(err)}).` };
    }
    if (!res.ok) return { ok: false, code: 'upstream_error', message: `The summary endpoint answered HTTP ${res.status}.` };
    return parseCompletion(raw, config.model);
  } finally {
    clearTimeout(timer);
  }
}

/** The text of `choices[0].message.content`, and the model the endpoint says answered. */
export function parseCompletion(raw: string, configuredModel: string): Completion {
  const malformed = (why: string): Completion => ({ ok: false, code: 'malformed_response', message: `The summary endpoint's answer is not a chat completion: ${why}.` });
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    return malformed('not JSON');
  }
  if (doc === null || typeof doc !== 'object') return malformed('not a JSON object');
  const choices = (doc as { choices?: unknown }).choices;
  if (!Array.isArray(choices) || choices.length === 0) return malformed('no choices');
  const message = (choices[0] as { message?: { content?: unknown } } | null)?.message;
  const content = message?.content;
  if (typeof content !== 'string') return malformed('no message content');
  const text = content.trim();
  if (text === '') return malformed('an empty message');
  const model = (doc as { model?: unknown }).model;
  return { ok: true, text, model: typeof model === 'string' && model !== '' ? model : configuredModel };
}

async function readLimited(res: Awaited<ReturnType<FetchFn>>, maxBytes: number): Promise<string> {
  if (res.body === null) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Uint8Array).byteLength;
    if (size > maxBytes) throw new Error(`answer over ${maxBytes} bytes`);
    chunks.push(Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A network error's own code or message (undici puts the system error in `cause`); never a header. */
function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return err instanceof Error ? err.message : String(err);
}
