/**
 * The error catalog (API.md §2): one table of code → status and default message. Routes and
 * plugins throw ApiError with a code from here; the error handler renders the envelope. The
 * OpenAPI document and docs/api.md are tested against this table.
 */
import type { UnknownName } from '../indicators/type-hint.ts';

export const ERROR_CATALOG = {
  missing_parameter: { status: 400, message: 'A required parameter is missing or empty.' },
  invalid_parameter: { status: 400, message: 'A parameter is malformed.' },
  invalid_indicator: { status: 400, message: 'The value is not a valid indicator.' },
  missing_api_key: {
    status: 401,
    message: 'API key is required. Include it in the Authorization header as "Bearer sk_live_..." or in the X-API-Key header.',
  },
  invalid_api_key: { status: 401, message: 'The API key is not valid.' },
  expired_api_key: { status: 401, message: 'The API key has expired.' },
  insufficient_scope: { status: 403, message: 'The API key does not allow this request.' },
  ip_not_allowed: { status: 403, message: 'The API key may not be used from this address.' },
  csrf_token_invalid: {
    status: 403,
    message: 'A request that changes data under a console session must carry the session\'s CSRF token in the X-CSRF-Token header.',
  },
  not_found: { status: 404, message: 'Not found.' },
  method_not_allowed: { status: 405, message: 'This method is not allowed on this path.' },
  request_timeout: { status: 408, message: 'The request was not received in time.' },
  conflict: { status: 409, message: 'The resource is busy; retry after the time given in Retry-After.' },
  payload_too_large: { status: 413, message: 'The request body is too large.' },
  unsupported_media_type: { status: 415, message: 'The request body must be JSON (Content-Type: application/json).' },
  headers_too_large: { status: 431, message: 'The request headers are too large.' },
  rate_limit_exceeded: { status: 429, message: 'Rate limit exceeded. Retry after the time given in Retry-After.' },
  quota_exceeded: { status: 429, message: 'Daily quota exceeded. Retry after the time given in Retry-After.' },
  internal_error: { status: 500, message: 'An internal error occurred. Quote the request id when reporting it.' },
  service_unavailable: { status: 503, message: 'The service is temporarily unavailable. Retry after the time given in Retry-After.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;
export const ERROR_CODES = Object.keys(ERROR_CATALOG) as ErrorCode[];

export interface ErrorBody {
  error: { code: ErrorCode; message: string; request_id: string; details?: Record<string, unknown> };
}

/** An error meant for the client: a catalog code, optional message, details and headers. */
export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message ?? ERROR_CATALOG[code].message);
    this.name = 'ApiError';
    this.status = ERROR_CATALOG[code].status;
  }
}

/** A name the client gave that is none of the allowed ones (an indicator type, a hunting platform). */
export function unknownNameError(parameter: string, problem: UnknownName): ApiError {
  return new ApiError('invalid_parameter', problem.message, { parameter, allowed: [...problem.allowed] });
}

export function errorBody(code: ErrorCode, requestId: string, message?: string, details?: Record<string, unknown>): ErrorBody {
  const error: ErrorBody['error'] = { code, message: message ?? ERROR_CATALOG[code].message, request_id: requestId };
  if (details !== undefined) error.details = details;
  return { error };
}

/** Seconds a client should wait before retrying when the store cannot be reached. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;
