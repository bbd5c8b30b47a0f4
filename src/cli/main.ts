/**
 * The `verdict` command. Each command group lives in its own file and registers itself here;
 * commands are thin: they parse arguments and call the same use cases as the HTTP routes.
 */
import { Command } from 'commander';
import { registerServe } from './serve.ts';
import { registerLookup } from './lookup.ts';
import { registerKeys } from './keys.ts';
import { registerExtract } from './extract.ts';
import { registerFeeds } from './feeds.ts';
import { registerMigrateStore } from './migrate-store.ts';

export function buildProgram(): Command {
  const program = new Command('verdict')
    .description('Verdict: self-hosted threat-intelligence lookups')
    .showHelpAfterError()
    .exitOverride();
  registerServe(program);
  registerLookup(program);
  registerKeys(program);
  registerExtract(program);
  registerFeeds(program);
  registerMigrateStore(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    // commander throws on --help/--version and usage errors after printing them
    const code = (err as { exitCode?: number }).exitCode;
    if (typeof code === 'number') process.exit(code);
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}
