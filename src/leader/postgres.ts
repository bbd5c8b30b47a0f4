/**
 * The run lock a process uses for feed runs: the store's own when it can lock across processes
 * (PostgreSQL: one instance runs each feed), an in-process one otherwise.
 */
import type { RunLock, Store } from '../store/types.ts';

export { createPostgresRunLock, handoverBoundSeconds, type PostgresRunLockOptions } from '../store/postgres/run-lock.ts';

export function runLockFor(store: Store, fallback: () => RunLock): RunLock {
  return store.runLock?.() ?? fallback();
}
