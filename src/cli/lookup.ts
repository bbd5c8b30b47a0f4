import type { Command } from 'commander';

export function registerLookup(_program: Command): void {
  // filled in by its issue
}
