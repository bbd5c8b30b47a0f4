/** In-process RunLock: one run per name at a time within this process. */
import type { RunLock } from './types.ts';

export function createLocalRunLock(): RunLock {
  const held = new Set<string>();
  return {
    async withLock<T>(name: string, fn: () => Promise<T>): Promise<T | undefined> {
      if (held.has(name)) return undefined;
      held.add(name);
      try {
        return await fn();
      } finally {
        held.delete(name);
      }
    },
  };
}
