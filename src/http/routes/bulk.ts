/**
 * POST /api/v1/lookup/bulk — many indicators in one call (API.md §5, docs/api.md). Results are
 * the single lookup's objects (or per-item errors in the envelope's shape), in input order, each
 * distinct indicator once, then a summary. The answer is streamed as it is computed: a JSON
 * document, or with `Accept: application/x-ndjson` one line per result and a last summary line.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '../typebox.ts';
import type { Config } from '../../config.ts';
import { parsePlatforms } from '../../hunting/index.ts';
import { HUNTING_PLATFORMS, type HuntingPlatform } from '../../model.ts';
import type { RateLimiter } from '../../ratelimit/types.ts';
import type { BulkInput, BulkItem, BulkLookup, BulkSummary } from '../../bulk.ts';
import { itemJson } from '../../lookup-json.ts';
import { Utf8Chunks } from '../utf8.ts';
import { ApiError, unknownNameError } from '../errors.ts';
import { AUTH_ERRORS, ErrorEnvelope, KEY_SECURITY, LookupResult, errorResponses } from '../schemas.ts';

/** Room per value in a bulk body, so that the largest batch a tier allows fits. */
const BULK_BYTES_PER_VALUE = 256;

/** The body limit of a route taking a batch of values: room for the largest batch a tier allows (the per-tier count is checked in the handler). */
export function bulkBodyLimit(config: Config): number {
  const largest = Math.max(...Object.values(config.tiers).map((t) => (t.bulk ? t.maxResults : 0)));
  return Math.max(config.bodyLimit, largest * BULK_BYTES_PER_VALUE);
}

export const BulkValue = Type.Union([
  Type.String({ description: 'An indicator; its type is detected' }),
  Type.Object({ value: Type.String(), type: Type.Optional(Type.String({ description: 'The type, as for a single lookup' })) }, { additionalProperties: false }),
]);

export const BulkBody = Type.Object(
  {
    values: Type.Array(BulkValue, { description: "The indicators, at most the tier's max results per call" }),
    platforms: Type.Optional(Type.Array(Type.String(), { description: `Extra hunting platforms: ${HUNTING_PLATFORMS.join(', ')}` })),
    include: Type.Optional(Type.Array(Type.String(), { description: 'Reserved for optional parts of each result; none is defined for bulk yet' })),
  },
  { additionalProperties: false },
);

export const BulkSummarySchema = Type.Object({
  total: Type.Integer({ description: 'Values received' }),
  answered: Type.Integer({ description: 'Results given: distinct indicators and per-item errors' }),
  duplicates: Type.Integer({ description: 'Values that repeated an earlier one (same canonical indicator), answered at its first place' }),
  errors: Type.Integer(),
  found: Type.Integer(),
  by_type: Type.Record(Type.String(), Type.Integer()),
  by_level: Type.Record(Type.String(), Type.Integer()),
});

const BulkResponse = Type.Object({
  results: Type.Array(Type.Union([LookupResult, ErrorEnvelope]), { description: 'In input order; a per-item error has the error envelope\'s shape (without request_id) and details.index' }),
  summary: BulkSummarySchema,
});

interface BodyShape {
  values: BulkInput[];
  platforms?: string[];
  include?: string[];
}

export interface BulkRouteDeps {
  config: Config;
  rateLimiter: RateLimiter;
  clock: () => Date;
}

/**
 * Checks what the key's tier allows before anything is computed: bulk at all (403 naming the
 * tier), the number of values (413 naming the limit), then the daily quota for every value
 * beyond the first (the call itself was counted by the auth hook, once against the minute).
 */
export async function admitBatch(req: FastifyRequest, reply: FastifyReply, deps: BulkRouteDeps, count: number, what: string): Promise<void> {
  const key = req.apiKey;
  if (key === null) throw new ApiError('missing_api_key');
  const limits = deps.config.tiers[key.tier];
  if (!limits.bulk) {
    throw new ApiError('insufficient_scope', `The ${key.tier} tier has no bulk lookups (${what}); the pro and enterprise tiers have.`, { tier: key.tier, bulk: false });
  }
  if (count > limits.maxResults) {
    throw new ApiError('payload_too_large', `At most ${limits.maxResults} values per call on the ${key.tier} tier; got ${count}.`, {
      parameter: 'values',
      limit: limits.maxResults,
      tier: key.tier,
      count,
    });
  }
  if (count <= 1 || deps.rateLimiter.chargeDay === undefined) return;
  const decision = await deps.rateLimiter.chargeDay(key.id, count - 1, limits, deps.clock().getTime());
  if (!decision.allowed) {
    const retryAfter = String(Math.max(1, Math.ceil(decision.retryAfter ?? 1)));
    reply.header('x-ratelimit-limit', String(decision.limit));
    reply.header('x-ratelimit-remaining', '0');
    reply.header('x-ratelimit-reset', String(Math.ceil(decision.resetAt)));
    throw new ApiError(
      'quota_exceeded',
      `Each value counts against the daily quota: ${count} values do not fit in what is left today.`,
      { retry_after: Number(retryAfter), limit: decision.limit, window: 'day', per: 'key', values: count },
      { 'retry-after': retryAfter },
    );
  }
  // what is left is the lower of the minute's (as the auth hook said) and the day's
  const before = Number(reply.getHeader('x-ratelimit-remaining'));
  reply.header('x-ratelimit-remaining', String(Number.isFinite(before) ? Math.min(before, decision.remaining) : decision.remaining));
}

/** About how much of the answer is sent at once (characters). */
const FLUSH_BYTES = 64 * 1024;

/** Whether the client asked for NDJSON (`Accept: application/x-ndjson`). */
export function wantsNdjson(req: FastifyRequest): boolean {
  const accept = req.headers.accept;
  return typeof accept === 'string' && /application\/(x-)?ndjson/i.test(accept);
}

/**
 * The items as the response body, streamed. The first item is awaited before the status is
 * sent, so a store that is down answers 503 in the envelope; a failure later ends NDJSON with an
 * error line and cuts a JSON document short (the client sees it incomplete).
 */
export async function streamItems(
  reply: FastifyReply,
  items: AsyncGenerator<BulkItem, BulkSummary>,
  ndjson: boolean,
  wrap: { head: string; summaryKey: string; tail?: (summary: BulkSummary) => string } = { head: '{"results":[', summaryKey: 'summary' },
): Promise<FastifyReply> {
  const first = await items.next();
  async function* body(): AsyncGenerator<Buffer> {
    let step = first;
    let n = 0;
    // lines are sent in pieces of about FLUSH_BYTES, not one write per result; the stream pulls
    // a piece when the socket has taken the last (backpressure), so memory stays bounded
    const out = new Utf8Chunks(FLUSH_BYTES);
    if (!ndjson) out.add(wrap.head);
    try {
      while (step.done !== true) {
        const line = itemJson(step.value);
        out.add(ndjson ? `${line}\n` : n === 0 ? line : `,${line}`);
        n += 1;
        yield* out.full();
        step = await items.next();
      }
    } catch (err) {
      reply.log.error({ err }, 'bulk lookup failed while streaming');
      if (ndjson) out.add(`${JSON.stringify({ error: { code: 'service_unavailable', message: 'The lookup stopped before its end; retry the values not answered.', request_id: reply.request.id } })}\n`);
      yield* out.end();
      if (!ndjson) throw err;
      return;
    }
    const summary = step.value;
    if (ndjson) out.add(`${JSON.stringify({ [wrap.summaryKey]: summary })}\n`);
    else out.add(wrap.tail !== undefined ? wrap.tail(summary) : `],"${wrap.summaryKey}":${JSON.stringify(summary)}}`);
    yield* out.end();
  }
  reply.type(ndjson ? 'application/x-ndjson; charset=utf-8' : 'application/json; charset=utf-8');
  return reply.send(Readable.from(body(), { objectMode: false, highWaterMark: FLUSH_BYTES }));
}

export function registerBulkRoute(app: FastifyInstance, bulk: BulkLookup, deps: BulkRouteDeps): void {
  app.post(
    '/api/v1/lookup/bulk',
    {
      config: { scope: 'read:lookup' },
      bodyLimit: bulkBodyLimit(deps.config),
      schema: {
        summary: 'Enrich many indicators',
        description:
          "Each value answered with the single lookup's object, in input order, each distinct indicator once, then a summary. " +
          'Accept: application/x-ndjson streams one line per result and a last {"summary": …} line. Tier: pro and enterprise; ' +
          'each value counts against the daily quota.',
        tags: ['lookup'],
        security: KEY_SECURITY,
        body: BulkBody,
        response: { 200: BulkResponse, ...errorResponses(400, 413, ...AUTH_ERRORS) },
      },
    },
    async (req, reply) => {
      const body = req.body as BodyShape;
      let platforms: readonly HuntingPlatform[] = [];
      if (body.platforms !== undefined && body.platforms.length > 0) {
        const p = parsePlatforms(body.platforms.join(','));
        if (!p.ok) throw unknownNameError('platforms', p);
        platforms = p.platforms;
      }
      if (body.include !== undefined && body.include.some((i) => i.trim() !== '')) {
        throw new ApiError('invalid_parameter', `Unknown include "${body.include.find((i) => i.trim() !== '')}" for bulk lookups; none is defined.`, { parameter: 'include', allowed: [] });
      }
      await admitBatch(req, reply, deps, body.values.length, 'POST /api/v1/lookup/bulk');
      return streamItems(reply, bulk.run(body.values, { platforms }), wantsNdjson(req));
    },
  );
}
