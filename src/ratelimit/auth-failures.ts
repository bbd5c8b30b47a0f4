/**
 * Failed authentications per client address. Every request that presents a key the store must
 * look up costs a query, and a wrong key costs as much as a right one; an address that fails
 * more than `perMinute` times in a minute is refused (429) for a while instead — for keys not
 * known to exist, which are then not looked up at all (src/http/auth.ts).
 *
 * Counted in fixed one-minute windows per address, in Redis when it is configured (so every
 * instance counts the same failures; auth-failures-redis.ts) and in memory otherwise. Whether an address is refused is
 * answered from memory: an instance learns it from its own count, or from Redis's answer to its
 * next failure, so an address refused by one instance costs each other instance at most one
 * more lookup. Redis being down never refuses anyone: failures are then counted per instance.
 */
import ipaddr from '../vendor/ipaddr.ts';

export const AUTH_FAILURE_WINDOW_MS = 60_000;
/** Addresses remembered at most; past this the oldest are forgotten (memory stays bounded under a spread attack). */
const MAX_ADDRESSES = 100_000;

export interface AuthFailureLimiter {
  /** Failed authentications allowed per address and minute (0: no limit). */
  readonly perMinute: number;
  /** Whether any address has failures counted here now; when not (most of the time) no address is refused, and the caller need not work out its client's. */
  readonly counting: boolean;
  /** Seconds the client at `ip` must still wait, or 0. From memory: no I/O. */
  refusedFor(ip: string, nowMs: number): number;
  /** Counts one failed authentication of the client at `ip`; the seconds it must now wait, or 0. */
  failed(ip: string, nowMs: number): number | Promise<number>;
  close(): Promise<void>;
}

/**
 * The address failures are counted under: an IPv4 address (IPv4-mapped IPv6 included) as it is,
 * an IPv6 address by its /64 (one host is routinely given a whole /64 to pick addresses from).
 */
export function clientAddressKey(ip: string): string {
  // the common case, a plain IPv4 address, without parsing
  if (!ip.includes(':') || !ipaddr.isValid(ip)) return ip;
  const addr = ipaddr.process(ip);
  if (addr.kind() === 'ipv4') return addr.toString();
  const parts = (addr as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16));
  return `${parts.join(':')}::/64`;
}

interface Window {
  count: number;
  endsAt: number;
}

/** Counts in this process's memory: the limiter without Redis, and Redis's fallback (auth-failures-redis.ts). */
export class LocalCounts {
  readonly #windows = new Map<string, Window>();
  #calls = 0;
  constructor(readonly perMinute: number) {}

  /** The address's window at `nowMs`, if one is open. */
  current(address: string, nowMs: number): Window | undefined {
    const w = this.#windows.get(address);
    if (w === undefined) return undefined;
    if (nowMs >= w.endsAt) {
      this.#windows.delete(address);
      return undefined;
    }
    return w;
  }

  /** No address has failed lately (most of the time): nothing to look up. */
  get empty(): boolean {
    return this.#windows.size === 0;
  }

  refusedFor(address: string, nowMs: number): number {
    const w = this.current(address, nowMs);
    return w !== undefined && w.count > this.perMinute ? Math.max(1, Math.ceil((w.endsAt - nowMs) / 1000)) : 0;
  }

  /** Counts a failure; the seconds to wait, or 0. */
  failed(address: string, nowMs: number): number {
    if (++this.#calls % 10_000 === 0) this.#sweep(nowMs);
    const w = this.current(address, nowMs);
    if (w === undefined) this.set(address, 1, nowMs + AUTH_FAILURE_WINDOW_MS);
    else w.count += 1;
    return this.refusedFor(address, nowMs);
  }

  /** Takes a count from Redis: `count` failures in a window ending at `endsAt`. */
  set(address: string, count: number, endsAt: number): void {
    this.#windows.delete(address);
    if (this.#windows.size >= MAX_ADDRESSES) this.#windows.delete(this.#windows.keys().next().value as string);
    this.#windows.set(address, { count, endsAt });
  }

  #sweep(nowMs: number): void {
    for (const [address, w] of this.#windows) if (nowMs >= w.endsAt) this.#windows.delete(address);
  }

  clear(): void {
    this.#windows.clear();
  }
}

export function createMemoryAuthFailureLimiter(perMinute: number): AuthFailureLimiter {
  const local = new LocalCounts(perMinute);
  return {
    perMinute,
    get counting() {
      return perMinute > 0 && !local.empty;
    },
    refusedFor: (ip, nowMs) => (perMinute === 0 || local.empty ? 0 : local.refusedFor(clientAddressKey(ip), nowMs)),
    failed: (ip, nowMs) => (perMinute === 0 ? 0 : local.failed(clientAddressKey(ip), nowMs)),
    async close() {
      local.clear();
    },
  };
}
