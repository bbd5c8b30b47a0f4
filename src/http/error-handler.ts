/**
 * Turns every failure into the catalog's envelope. ApiErrors carry their code; Fastify's own
 * client errors are mapped by code; anything else is either a dependency being unreachable (503,
 * the store checked with a ping) or a bug (500, logged with its stack and the request id).
 * Outages are not logged per request: the store's outage log says when one starts and when it
 * ends, with the count of requests refused between (Redis's clients keep their own).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { OutageLog } from '../ratelimit/outage.ts';
import type { Store } from '../store/types.ts';
import { ApiError, ERROR_CATALOG, UNAVAILABLE_RETRY_AFTER_SECONDS, errorBody, type ErrorCode } from './errors.ts';

/** Fastify's client-error codes and what they mean in the catalog. */
const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_parameter',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_parameter',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_parameter',
  FST_ERR_BAD_URL: 'invalid_parameter',
  FST_ERR_ASYNC_CONSTRAINT: 'invalid_parameter',
};

const PING_TIMEOUT_MS = 1_000;

export function sendError(reply: FastifyReply, code: ErrorCode, message?: string, details?: Record<string, unknown>, headers?: Record<string, string>): FastifyReply {
  if (headers) for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  // the body names the request: so does the header, also where no route hook ran (an unmatched
  // path whose body failed to parse, an error from the router itself)
  reply.header('x-request-id', reply.request.id);
  return reply.code(ERROR_CATALOG[code].status).type('application/json; charset=utf-8').send(errorBody(code, reply.request.id, message, details));
}

interface ValidationIssue {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** The parameter an Ajv error is about: `/value` → `value`, or the missing property. */
function validationDetails(err: FastifyError & { validation?: ValidationIssue[]; validationContext?: string }): Record<string, unknown> {
  const first = err.validation?.[0];
  const path = (first?.instancePath ?? '').replace(/^\//, '').split('/')[0] ?? '';
  const missing = first?.params?.['missingProperty'];
  const parameter = path !== '' ? path : typeof missing === 'string' ? missing : (err.validationContext ?? 'request');
  const details: Record<string, unknown> = { parameter, reason: first?.message ?? 'is malformed', in: err.validationContext ?? 'request' };
  const allowed = first?.params?.['allowedValues'];
  if (Array.isArray(allowed)) details['allowed'] = allowed;
  return details;
}

async function storeReachable(store: Store): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      store.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('ping timed out')), PING_TIMEOUT_MS);
      }),
    ]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export interface ErrorHandlerDeps {
  store: Store;
  /** The store's outage log (the app's). */
  storeOutage: OutageLog;
}

export function createErrorHandler({ store, storeOutage }: ErrorHandlerDeps) {
  /** One more request refused during a store outage (its first starts the outage's log line). */
  const storeDown = (err: unknown): void => {
    storeOutage.failed(err);
    storeOutage.skipped();
  };

  return async function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    if (err instanceof ApiError) return sendError(reply, err.code, err.message, err.details, err.headers);
    const v = err as FastifyError & { validation?: ValidationIssue[] };
    if (Array.isArray(v.validation)) {
      const details = validationDetails(v);
      return sendError(reply, 'invalid_parameter', `Parameter "${String(details['parameter'])}" ${String(details['reason'])}.`, details);
    }
    const mapped = typeof err.code === 'string' ? FASTIFY_CODES[err.code] : undefined;
    if (mapped !== undefined) return sendError(reply, mapped, mapped === 'invalid_parameter' ? `The request is malformed: ${err.message}` : undefined);
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // a client error Fastify raised that the table does not name: still the client's fault, never a 500
      const code: ErrorCode = status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : status === 404 ? 'not_found' : 'invalid_parameter';
      return sendError(reply, code, code === 'invalid_parameter' ? `The request is malformed: ${err.message}` : undefined);
    }
    // PostgreSQL and Redis outages are marked by their modules (`unavailable: true`, `retryAfter`)
    const marked = err as { unavailable?: unknown; retryAfter?: unknown };
    if (marked.unavailable === true) {
      const retry = typeof marked.retryAfter === 'number' && marked.retryAfter > 0 ? Math.ceil(marked.retryAfter) : UNAVAILABLE_RETRY_AFTER_SECONDS;
      // Redis's outage (fail-closed) is logged by its own client; any other is the store's
      if (err.name === 'RedisUnavailableError') req.log.debug({ err }, 'dependency unavailable');
      else storeDown(err);
      return sendError(reply, 'service_unavailable', undefined, undefined, { 'retry-after': String(retry) });
    }
    if (storeOutage.down || !(await storeReachable(store))) {
      storeDown(err);
      return sendError(reply, 'service_unavailable', undefined, undefined, { 'retry-after': String(UNAVAILABLE_RETRY_AFTER_SECONDS) });
    }
    req.log.error({ err }, 'internal error');
    return sendError(reply, 'internal_error');
  };
}
