/** Per-key rate limits (rolling minute) and quotas (UTC day); memory and Redis implementations. */
export interface RateLimits {
  perMinute: number;
  perDay: number;
}

export interface RateDecision {
  allowed: boolean;
  /** Why it was refused: the per-minute limit or the daily quota. */
  reason?: 'rate_limit_exceeded' | 'quota_exceeded';
  /**
   * What X-RateLimit-Limit reports: the per-minute limit, or on a quota refusal the daily quota
   * (the limit that refused, with `remaining` and `resetAt` of that window).
   */
  limit: number;
  /** The window `limit` counts in. */
  window: 'minute' | 'day';
  remaining: number;
  /** Unix seconds when the window resets. */
  resetAt: number;
  /** Seconds to wait, on refusal. */
  retryAfter?: number;
}

export interface RateLimiter {
  /**
   * Counts one request for `keyId` at `nowMs` and says whether it may proceed. Answers directly
   * when no I/O is needed (the per-instance limiter always, Redis while a lease lasts), so the
   * request path awaits nothing; a promise otherwise.
   */
  consume(keyId: string, limits: RateLimits, nowMs: number): RateDecision | Promise<RateDecision>;
  /**
   * Counts `n` more requests against `keyId`'s daily quota only (a bulk call's further values;
   * the call itself went through `consume`). All or nothing: refused with `quota_exceeded`, and
   * nothing counted, when fewer than `n` remain today.
   */
  chargeDay?(keyId: string, n: number, limits: RateLimits, nowMs: number): RateDecision | Promise<RateDecision>;
  close(): Promise<void>;
}
