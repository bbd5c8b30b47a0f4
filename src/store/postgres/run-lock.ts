/**
 * One feed run at a time across every instance: a PostgreSQL session-level advisory lock per
 * run name, taken with pg_try_advisory_lock so a second instance skips instead of queueing.
 *
 * The lock lives as long as the session holding it. If the holder's process dies, its socket
 * closes and the lock frees at once; if its host vanishes without closing the socket, the server
 * notices through TCP keepalives, set short on the lock's session (about 25 s), so a dead leader
 * hands over within a bounded time. The next instance whose scheduler ticks then takes the run.
 */
import type pg from 'pg';
import type { RunLock } from '../types.ts';

export interface PostgresRunLockOptions {
  /** Seconds of silence before the server probes a lock holder's connection. Default 10. */
  keepaliveIdleSeconds?: number;
  /** Seconds between probes. Default 5. */
  keepaliveIntervalSeconds?: number;
  /** Unanswered probes before the server drops the holder (and its locks). Default 3. */
  keepaliveCount?: number;
  /** Told when the session holding a lock is lost mid-run (the run itself carries on). */
  onLost?: (name: string, err: Error) => void;
}

/** Upper bound, in seconds, for a vanished holder's lock to free under these options. */
export function handoverBoundSeconds(opts: PostgresRunLockOptions = {}): number {
  return (opts.keepaliveIdleSeconds ?? 10) + (opts.keepaliveIntervalSeconds ?? 5) * (opts.keepaliveCount ?? 3);
}

export function createPostgresRunLock(pool: pg.Pool, opts: PostgresRunLockOptions = {}): RunLock {
  const idle = Math.trunc(opts.keepaliveIdleSeconds ?? 10);
  const interval = Math.trunc(opts.keepaliveIntervalSeconds ?? 5);
  const count = Math.trunc(opts.keepaliveCount ?? 3);
  return {
    async withLock<T>(name: string, fn: () => Promise<T>): Promise<T | undefined> {
      if (typeof name !== 'string' || name.length === 0) throw new TypeError('run lock: name must be a non-empty string');
      const client = await pool.connect();
      let lostErr: Error | undefined;
      const onError = (err: Error) => {
        lostErr = err;
        opts.onLost?.(name, err);
      };
      client.on('error', onError);
      let locked = false;
      try {
        await client.query(`SET tcp_keepalives_idle = ${idle}; SET tcp_keepalives_interval = ${interval}; SET tcp_keepalives_count = ${count}`);
        // hashtextextended gives a 64-bit key per name; a collision only makes two names exclusive
        const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [`verdict:${name}`]);
        locked = r.rows[0]?.ok === true;
        if (!locked) return undefined;
        return await fn();
      } finally {
        if (locked && lostErr === undefined) {
          await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [`verdict:${name}`]).catch((err: Error) => {
            lostErr = err;
          });
        }
        client.off('error', onError);
        // a session whose unlock failed may still hold the lock: close it so the server frees it
        client.release(lostErr);
      }
    },
  };
}
