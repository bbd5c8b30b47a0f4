import type { Command } from 'commander';

export function registerFeeds(_program: Command): void {
  // filled in by its issue
}
