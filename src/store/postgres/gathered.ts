/**
 * Reads of one kind asked for in the same pass over the event loop's microtasks, gathered into one
 * statement. A single lookup on PostgreSQL reads an indicator's sightings, then the ranges holding
 * it, then the reports naming it: each a round trip on a pooled connection and, measured, some
 * 100 µs of the driver's CPU in this process. Lookups computed together (src/http/turn-end.ts,
 * `afterTurn`) ask for their reads in the same pass, and gathered they cost one statement per
 * kind (`= ANY`, the bulk path's statements) instead of one per lookup. A read asked for alone
 * runs its own statement, as before.
 */

interface Waiter<V> {
  resolve: (rows: V[]) => void;
  reject: (err: unknown) => void;
}

interface Group<A, V> {
  args: A;
  byKey: Map<string, Waiter<V>[]>;
}

export interface GatheredReads<A, V> {
  /** Reads `key` under `args` (reads whose `args` name the same group share a statement). */
  read(args: A, key: string): Promise<V[]>;
}

export interface GatheredReadsOptions<A, V> {
  /** The group `args` belong to: reads of one group can share a statement. */
  groupOf: (args: A) => string;
  /** Reads a key alone. */
  one: (args: A, key: string) => Promise<V[]>;
  /** Reads several keys in one statement, each key's rows in the order `one` gives them (a key with none may be missing from the map). */
  many: (args: A, keys: string[]) => Promise<Map<string, V[]>>;
}

/** Every caller gets an array of its own; the rows in them are shared. */
export function gatheredReads<A, V>({ groupOf, one, many }: GatheredReadsOptions<A, V>): GatheredReads<A, V> {
  let pending: Map<string, Group<A, V>> | null = null;

  function settle(byKey: Map<string, Waiter<V>[]>, found: (key: string) => V[]): void {
    for (const [key, waiters] of byKey) {
      const rows = found(key);
      waiters.forEach((w, i) => w.resolve(i === 0 ? rows : rows.slice()));
    }
  }

  function fail(byKey: Map<string, Waiter<V>[]>, err: unknown): void {
    for (const waiters of byKey.values()) for (const w of waiters) w.reject(err);
  }

  function flush(): void {
    const groups = pending!;
    pending = null;
    for (const { args, byKey } of groups.values()) {
      if (byKey.size === 1) {
        const [key] = byKey.keys();
        one(args, key!).then(
          (rows) => settle(byKey, () => rows),
          (err: unknown) => fail(byKey, err),
        );
      } else {
        many(args, [...byKey.keys()]).then(
          (found) => settle(byKey, (key) => found.get(key) ?? []),
          (err: unknown) => fail(byKey, err),
        );
      }
    }
  }

  return {
    read(args, key) {
      return new Promise<V[]>((resolve, reject) => {
        if (pending === null) {
          pending = new Map();
          // A tick queued from a microtask runs once the microtask queue is empty: by then every
          // lookup of the batch has asked for its read.
          process.nextTick(flush);
        }
        const group = groupOf(args);
        let g = pending.get(group);
        if (g === undefined) pending.set(group, (g = { args, byKey: new Map() }));
        const waiters = g.byKey.get(key);
        if (waiters === undefined) g.byKey.set(key, [{ resolve, reject }]);
        else waiters.push({ resolve, reject });
      });
    },
  };
}
