/**
 * The end of the event loop's current turn, one promise shared by every answer that waits for it.
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
