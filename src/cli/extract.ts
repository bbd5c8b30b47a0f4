import type { Command } from 'commander';

export function registerExtract(_program: Command): void {
  // filled in by its issue
}
