/**
 * One writer at a time on the write connection. An ingest holds its transaction open across
 * awaits (it pulls records from a streaming parser), so every other write in this process must
 * wait for it — otherwise it would run inside the ingest's transaction and share its fate.
 *
 * Another process's write lock is waited for here, asynchronously: the write connection has
 * no busy timeout of its own, because better-sqlite3 would spend it blocking the event loop
 * (every request of a serving process stalled while a worker's import holds the lock).
 */
export class WriteGate {
  private tail: Promise<void> = Promise.resolve();
  private readonly releaseHooks: (() => void)[] = [];
  private readonly enterHooks: (() => void)[] = [];

  constructor(
    /** How long a write waits for another process's lock before failing (ms). */
    private readonly busyTimeoutMs: number,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /** Runs `fn` once every earlier holder has finished. */
  async run<T>(fn: () => T | Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      for (const hook of this.enterHooks) hook();
      return await fn();
    } finally {
      this.runReleaseHooks();
      release();
    }
  }

  /** A short synchronous write (its own transaction): holds the gate, retries while the file is locked. */
  write<T>(fn: () => T): Promise<T> {
    return this.run(() => this.retryWhileBusy(fn));
  }

  /** Calls `fn` until it does not fail with SQLITE_BUSY, backing off, up to the busy timeout. */
  async retryWhileBusy<T>(fn: () => T): Promise<T> {
    const deadline = performance.now() + this.busyTimeoutMs;
    let wait = 2;
    for (;;) {
      try {
        return fn();
      } catch (err) {
        if (!isBusy(err) || performance.now() + wait > deadline) throw err;
      }
      await this.sleep(wait);
      wait = Math.min(wait * 2, 100);
    }
  }

  /** Calls `fn` each time a holder is let in, before it runs (it must not throw). */
  onEnter(fn: () => void): void {
    this.enterHooks.push(fn);
  }

  /** Calls `fn` each time the gate is released (used to retry deferred best-effort writes). */
  onRelease(fn: () => void): void {
    this.releaseHooks.push(fn);
  }

  private runReleaseHooks(): void {
    for (const fn of this.releaseHooks) {
      try {
        fn();
      } catch {
        // hooks are best-effort by contract (a lost last-use stamp is harmless)
      }
    }
  }
}

export function isBusy(err: unknown): boolean {
  return String((err as { code?: unknown } | null)?.code).startsWith('SQLITE_BUSY');
}
