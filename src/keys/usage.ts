/**
 * Per-key usage: requests per UTC day and route, counted on the request path in memory (one map
 * increment) and added to the store (the shared PostgreSQL in the scale-out setup) in batches by
 * `flush`, so that recording never makes a request wait on I/O. Counts are added, never
 * overwritten, so several processes sharing one store sum up. `usageReport` shapes what GET /api/v1/keys/{id}/usage
 * answers from the stored rows.
 */

/** One stored count: `requests` to `route` (the route's pattern, never the path) by a key on a UTC day. */
export interface UsageCount {
  keyId: string;
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  route: string;
  requests: number;
}

/** Where batches go: the store's key-usage table. */
export interface UsageSink {
  addUsage(counts: readonly UsageCount[]): Promise<void>;
}

const DAY_MS = 86_400_000;

/** The last day formatted: every request of a day asks for the same one. */
let lastDay = { start: NaN, text: '' };

export function utcDay(ms: number): string {
  const start = Math.floor(ms / DAY_MS) * DAY_MS;
  if (start !== lastDay.start) lastDay = { start, text: new Date(start).toISOString().slice(0, 10) };
  return lastDay.text;
}

export class UsageRecorder {
  /** keyId \u0000 day \u0000 route → requests not yet flushed. */
  private pending = new Map<string, number>();

  constructor(private readonly sink: UsageSink) {}

  /** Counts one request; synchronous and allocation-light (one string key per call). */
  record(keyId: string, route: string, nowMs: number): void {
    const k = `${keyId}\u0000${utcDay(nowMs)}\u0000${route}`;
    this.pending.set(k, (this.pending.get(k) ?? 0) + 1);
  }

  /** How many distinct (key, day, route) counts wait for the next flush. */
  get size(): number {
    return this.pending.size;
  }

  /** Hands the counts so far to the sink; on failure they are put back to be added next time. */
  async flush(): Promise<number> {
    if (this.pending.size === 0) return 0;
    const batch = this.pending;
    this.pending = new Map();
    const counts: UsageCount[] = [];
    for (const [k, requests] of batch) {
      const [keyId, day, route] = k.split('\u0000') as [string, string, string];
      counts.push({ keyId, day, route, requests });
    }
    try {
      await this.sink.addUsage(counts);
    } catch (err) {
      for (const [k, n] of batch) this.pending.set(k, (this.pending.get(k) ?? 0) + n);
      throw err;
    }
    return counts.length;
  }
}

export interface UsageReport {
  key_id: string;
  last_used_at: string | null;
  /** Requests per day, newest first, each with its requests per route. */
  days: { day: string; requests: number; routes: Record<string, number> }[];
  /** Requests per route over the days reported. */
  routes: Record<string, number>;
  quota: { per_day: number; used_today: number; remaining_today: number; resets_at: string };
}

/** The usage answer from stored counts (any order), the key's last use and its tier's daily quota. */
export function usageReport(keyId: string, counts: readonly UsageCount[], lastUsedAt: string | null, perDay: number, nowMs: number): UsageReport {
  const byDay = new Map<string, { day: string; requests: number; routes: Record<string, number> }>();
  const routes: Record<string, number> = {};
  for (const c of counts) {
    if (c.keyId !== keyId) continue;
    let d = byDay.get(c.day);
    if (d === undefined) byDay.set(c.day, (d = { day: c.day, requests: 0, routes: {} }));
    d.requests += c.requests;
    d.routes[c.route] = (d.routes[c.route] ?? 0) + c.requests;
    routes[c.route] = (routes[c.route] ?? 0) + c.requests;
  }
  const today = utcDay(nowMs);
  const usedToday = byDay.get(today)?.requests ?? 0;
  return {
    key_id: keyId,
    last_used_at: lastUsedAt,
    days: [...byDay.values()].sort((a, b) => (a.day < b.day ? 1 : -1)),
    routes,
    quota: {
      per_day: perDay,
      used_today: usedToday,
      remaining_today: Math.max(0, perDay - usedToday),
      resets_at: new Date((Math.floor(nowMs / DAY_MS) + 1) * DAY_MS).toISOString(),
    },
  };
}
