/** GET /api/v1/lookup — enrich one indicator (seed document + API.md §4). */
import { Type } from '../typebox.ts';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { parsePlatforms } from '../../hunting/index.ts';
import { TYPE_NAMES, parseTypeHint } from '../../indicators/type-hint.ts';
import type { IndicatorType } from '../../indicators/types.ts';
import { HUNTING_PLATFORMS } from '../../model.ts';
import type { Lookup, LookupOutcome, LookupRequest } from '../../enrich.ts';
import { unknownName } from '../../indicators/type-hint.ts';
import type { Summarizer } from '../../llm/summary.ts';
import { lookupJson } from '../../lookup-json.ts';
import { afterTurn, turnEnd } from '../turn-end.ts';
import { utf8Bytes } from '../utf8.ts';
import { ApiError, unknownNameError } from '../errors.ts';
import { AUTH_ERRORS, KEY_SECURITY, LookupResult, errorResponses } from '../schemas.ts';

export const MAX_VALUE_LENGTH = 2048;

/** What `include` may add to a result: `summary`, the analyst summary (src/llm, docs/api.md). */
export const LOOKUP_INCLUDES = ['summary'] as const;
export type LookupInclude = (typeof LOOKUP_INCLUDES)[number];

const NO_INCLUDES = Object.freeze({ ok: true, include: Object.freeze(new Set<LookupInclude>()) } as const);

/** `include=summary[,…]`: comma-separated, blank items ignored, an unknown name refused. */
export function parseInclude(raw: string | undefined) {
  if (raw === undefined) return NO_INCLUDES;
  const include = new Set<LookupInclude>();
  for (const item of raw.split(',')) {
    const name = item.trim().toLowerCase();
    if (name === '') continue;
    if (!(LOOKUP_INCLUDES as readonly string[]).includes(name)) return unknownName('include', name, LOOKUP_INCLUDES);
    include.add(name as LookupInclude);
  }
  return { ok: true as const, include: include as ReadonlySet<LookupInclude> };
}

const Query = Type.Object({
  value: Type.Optional(Type.String({ maxLength: MAX_VALUE_LENGTH, description: 'The indicator (IP, domain, URL, hash, CVE, ATT&CK id, email); defanged forms accepted' })),
  ioc: Type.Optional(Type.String({ maxLength: MAX_VALUE_LENGTH, description: 'Alias of `value`' })),
  type: Type.Optional(Type.String({ maxLength: 32, description: `Type hint: ${TYPE_NAMES.join(', ')}` })),
  platforms: Type.Optional(Type.String({ maxLength: 200, description: `Extra hunting platforms, comma-separated: ${HUNTING_PLATFORMS.join(', ')}` })),
  include: Type.Optional(
    Type.String({
      maxLength: 200,
      description: `Additions, comma-separated: ${LOOKUP_INCLUDES.join(', ')}. summary: a short assessment written by the operator's language model from this result (the whole result is sent to it); summary_error instead when it is off, fails or times out`,
    }),
  ),
});

interface QueryShape {
  value?: string;
  ioc?: string;
  type?: string;
  platforms?: string;
  include?: string;
}

export function registerLookupRoute(app: FastifyInstance, lookup: Lookup, summarizer?: Summarizer): void {
  // An in-process cache hands back the same result object; its JSON bytes are kept beside it so
  // a hit is not serialized again. Field order is the object's, which enrich builds in API order.
  // Without a cache every result is new: keeping its JSON in a WeakMap then only cost time (an
  // entry per request for the collector to trace; some 5 µs a request in bench:http --no-cache).
  const serialized = lookup.caching ? new WeakMap<object, Buffer>() : null;
  app.get(
    '/api/v1/lookup',
    {
      config: { scope: 'read:lookup' },
      schema: {
        summary: 'Enrich one indicator',
        description: 'Risk, confidence, ATT&CK techniques, reporting feeds and hunting queries for one indicator. Tier: free.',
        tags: ['lookup'],
        security: KEY_SECURITY,
        querystring: Query,
        response: { 200: LookupResult, ...errorResponses(400, ...AUTH_ERRORS) },
      },
    },
    (req, reply) => {
      const q = req.query as QueryShape;
      const raw = q.value ?? q.ioc;
      if (raw === undefined || raw.trim() === '') {
        throw new ApiError('missing_parameter', 'Parameter "value" is required (the indicator to look up).', { parameter: 'value' });
      }
      const hint = parseTypeHint(q.type);
      if (!hint.ok) throw unknownNameError('type', hint);
      const extra = parsePlatforms(q.platforms);
      if (!extra.ok) throw unknownNameError('platforms', extra);
      const included = parseInclude(q.include);
      if (!included.ok) throw unknownNameError('include', included);
      const type = hint.type;
      const request: LookupRequest = { value: raw, ...(type ? { type } : {}), platforms: extra.platforms };
      if (included.include.has('summary')) return withSummary(reply, request, type);
      // A repeated lookup needs no I/O: its answer is written at the end of the turn, with the
      // other answers of that turn. The rest are computed together once the turn's requests are
      // read, and written when the last of them that needed no I/O is done (turn-end.ts).
      const at = lookup.cached(request);
      if (at !== undefined) return sendAtTurnEnd(reply, bytesOf(at, type));
      return afterTurn(() => {
        // the answer may have been cached since the request was read
        const held = lookup.cached(request);
        return held === undefined ? lookup.lookup(request).then((outcome) => bytesOf(outcome, type)) : bytesOf(held, type);
      }).then((body) => send(reply, body));
    },
  );

  /**
   * The result, then its analyst summary (bounded by VERDICT_LLM_TIMEOUT_MS; a failure becomes
   * `summary_error`). A new object: the cached result is never changed, and neither is its verdict.
   */
  async function withSummary(reply: FastifyReply, request: LookupRequest, type: IndicatorType | undefined): Promise<void> {
    const outcome = lookup.cached(request) ?? (await lookup.lookup(request));
    if (!outcome.ok || summarizer === undefined) return send(reply, bytesOf(outcome, type));
    const summary = await summarizer.summarizeLookup(outcome.result, await lookup.dataVersion());
    const body = summary.ok ? { ...outcome.result, summary: summary.summary } : { ...outcome.result, summary_error: summary.error };
    send(reply, utf8Bytes(lookupJson(body)));
  }

  function send(reply: FastifyReply, body: Buffer): void {
    reply.type('application/json; charset=utf-8').send(body);
  }

  /**
   * The answer's bytes are made at once and only they wait for the turn's end: they sit outside
   * V8's heap, while a result's objects kept alive until then would be copied by every young
   * collection that ran meanwhile.
   */
  function sendAtTurnEnd(reply: FastifyReply, body: Buffer): Promise<void> {
    return turnEnd().then(() => send(reply, body));
  }

  /** A result's JSON as bytes (kept beside a cached result); an invalid value is the error it is. */
  function bytesOf(outcome: LookupOutcome, type: IndicatorType | undefined): Buffer {
    if (!outcome.ok) {
      const what = type ? `a valid ${type}` : 'a valid indicator of any supported type';
      throw new ApiError('invalid_indicator', `The value is not ${what}.`, {
        expected_types: outcome.expectedTypes,
        reasons: outcome.reasons.map((r) => ({ type: r.type, reason: r.reason })),
      });
    }
    let body = serialized?.get(outcome.result);
    if (body === undefined) {
      body = utf8Bytes(lookupJson(outcome.result));
      serialized?.set(outcome.result, body);
    }
    return body;
  }
}
