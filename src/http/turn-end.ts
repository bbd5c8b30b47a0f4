/**
 * The end of the event loop's current turn: one promise shared by every answer that waits for it,
 * and work run together once the turn's I/O callbacks are done.
 *
 * Under load Node reads the requests of many connections in one turn of its event loop. An answer
 * written to a socket whose reader is asleep costs a wake-up in the kernel, and on a busy server
 * that is every answer written on its own: in bench:http the single lookup spent twice the bare
 * route's time in its socket writes, for answers of the same size. Written back to back at the
 * end of the turn, the answers of one turn wake their readers once, and their next requests
 * arrive together too (Redis writes its replies before its event loop sleeps, for the same
 * reason). An idle server's answer waits only for the rest of its turn; a busy one's for the
 * other lookups read with it, which is less than the queueing it saves (docs/deploy.md, "Answers
 * leave at the end of a turn").
 *
 * The lookups themselves run the same way (`afterTurn`): read and routed as they arrive, computed
 * one after another once the turn's reading is done. Computed between the parsing of other
 * requests, a lookup took about twice its time in a loop of lookups alone; run back to back, its
 * code and data stay in the processor's caches.
 */

let current: Promise<void> | null = null;

/** Resolves once the callbacks of this turn's I/O have run (setImmediate); the same promise for every caller in the turn. */
export function turnEnd(): Promise<void> {
  if (current === null) {
    current = new Promise((resolve) => {
      setImmediate(() => {
        current = null;
        resolve();
      });
    });
  }
  return current;
}

interface Queued {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

let queued: Queued[] | null = null;

/**
 * Runs `work` once the callbacks of this turn's I/O have run, in order with the other work queued
 * in the turn. Work that finishes without waiting for I/O (a lookup on SQLite) settles together
 * with the rest of its batch, in the order queued and after the last of them: what the callers
 * then do (write answers) comes after all of the batch's computing. Work that waits for I/O
 * (PostgreSQL, Redis) holds no one up: it settles at the end of the turn in which it finishes.
 */
export function afterTurn<T>(work: () => T | Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (queued === null) {
      queued = [];
      setImmediate(runQueued);
    }
    queued.push({ work, resolve: resolve as (value: unknown) => void, reject });
  });
}

function runQueued(): void {
  const batch = queued!;
  queued = null;
  // what has finished by the end of the batch's computing, settled then in the order queued
  const finished: ((() => void) | undefined)[] = new Array(batch.length);
  let draining = true;
  const deliver = (i: number, settle: () => void): void => {
    if (draining) finished[i] = settle;
    else void turnEnd().then(settle);
  };
  for (const [i, item] of batch.entries()) {
    let result: unknown;
    try {
      result = item.work();
    } catch (err) {
      deliver(i, () => item.reject(err));
      continue;
    }
    Promise.resolve(result).then(
      (value) => deliver(i, () => item.resolve(value)),
      (err: unknown) => deliver(i, () => item.reject(err)),
    );
  }
  // A tick queued from a microtask runs once the microtask queue is empty (Node runs ticks between
  // passes over it): by then every piece of work that needed no I/O has finished.
  queueMicrotask(() =>
    process.nextTick(() => {
      draining = false;
      for (const settle of finished) settle?.();
    }),
  );
}
