/**
 * One writer at a time on the write connection. An ingest holds its transaction open across
 * awaits (it pulls records from a streaming parser), so every other write in this process must
 * wait for it — otherwise it would run inside the ingest's transaction and share its fate.
 */
export class WriteGate {
  private tail: Promise<void> = Promise.resolve();
  private readonly releaseHooks: (() => void)[] = [];

  /** Runs `fn` once every earlier holder has finished. */
  async run<T>(fn: () => T | Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await fn();
    } finally {
      this.runReleaseHooks();
      release();
    }
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
