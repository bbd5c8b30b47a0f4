/**
 * PostgreSQL failures that mean "the database cannot serve right now" (down, restarting,
 * unreachable, overloaded past the statement timeout) become StoreUnavailableError, which the
 * HTTP layer answers with 503 service_unavailable and Retry-After. Anything else stays as is.
 */
export class StoreUnavailableError extends Error {
  /** Lets the HTTP layer recognise any dependency outage without importing this module. */
  readonly unavailable = true;
  readonly retryAfter: number;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
    this.retryAfter = 5;
  }
}

// SQLSTATE classes/codes: 08 connection exception, 53 insufficient resources, 57P0x shutdown /
// cannot connect now, 57014 query canceled (statement timeout), 40001/40P01 are retryable too.
const UNAVAILABLE_SQLSTATE = /^(08|53|57P0|57014|40001|40P01)/;
const UNAVAILABLE_NET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGE = /Connection terminated|timeout exceeded when trying to connect|Query read timeout|connection timeout|Client has encountered a connection error|Cannot use a pool after calling end/i;

export function isUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err instanceof StoreUnavailableError) return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_NET.has(code))) return true;
  if (err instanceof AggregateError) return err.errors.some(isUnavailable);
  return UNAVAILABLE_MESSAGE.test(err.message);
}

/** Re-throws `err`, as StoreUnavailableError when it is an outage. */
export function rethrow(err: unknown, what: string): never {
  if (err instanceof StoreUnavailableError) throw err;
  if (isUnavailable(err)) {
    throw new StoreUnavailableError(`PostgreSQL unavailable during ${what}: ${(err as Error).message}`, { cause: err });
  }
  throw err;
}
