import type { Command } from 'commander';

export function registerMigrateStore(_program: Command): void {
  // filled in by its issue
}
