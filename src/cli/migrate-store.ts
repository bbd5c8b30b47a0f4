/**
 * `verdict migrate-store`: copies the configured embedded store (or --from) into an empty
 * PostgreSQL database, in one transaction. Thin: the copy itself lives with the PostgreSQL store.
 *
 * The target URL usually carries a password, and a command line is readable by every user of
 * the machine (ps, /proc) and kept in shell history: the URL may come from VERDICT_MIGRATE_TO or
 * from stdin (`--to -`) instead, and a password given in --to draws a warning.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { loadConfig } from '../config.ts';
import { printable } from '../printable.ts';
import { parseStoreUrl } from '../store/index.ts';
import { MIGRATE_TO_ENV } from './options.ts';

export interface MigrateStoreOptions {
  /** The target URL, or `-` to read it from stdin; absent: VERDICT_MIGRATE_TO. */
  to?: string;
  from?: string;
  schema?: string;
  json?: boolean;
}

/** Where the command reads what is not on its command line (tests pass their own). */
export interface MigrateStoreIo {
  env: Readonly<Record<string, string | undefined>>;
  stdin: Readable;
  warn: (line: string) => void;
}

const defaultIo = (): MigrateStoreIo => ({ env: process.env, stdin: process.stdin, warn: (line) => process.stderr.write(`${line}\n`) });

/** The first line of `input`, trimmed (a URL piped in or typed, without waiting for more). */
async function firstLine(input: Readable): Promise<string> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of lines) if (line.trim() !== '') return line.trim();
    return '';
  } finally {
    lines.close();
    input.pause();
  }
}

function hasPassword(url: string): boolean {
  try {
    return new URL(url).password !== '';
  } catch {
    return false;
  }
}

/** The target URL: --to, `--to -` (stdin), or VERDICT_MIGRATE_TO; warns when --to itself holds a password. */
export async function migrationTarget(to: string | undefined, io: MigrateStoreIo): Promise<string> {
  if (to === '-') {
    const url = await firstLine(io.stdin);
    if (url === '') throw new Error('--to -: no URL on stdin');
    return url;
  }
  if (to !== undefined) {
    if (hasPassword(to)) {
      io.warn(
        `warning: the password in --to can be read by other users of this machine (ps) and stays in shell history; ` +
          `give the URL in ${MIGRATE_TO_ENV}, or on stdin with --to -`,
      );
    }
    return to;
  }
  const fromEnv = io.env[MIGRATE_TO_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return fromEnv.trim();
  throw new Error(`give the target PostgreSQL URL in ${MIGRATE_TO_ENV}, on stdin with --to -, or as --to postgres://…`);
}

export async function migrateStore(opts: MigrateStoreOptions, out: (line: string) => void, io: MigrateStoreIo = defaultIo()): Promise<void> {
  const source = parseStoreUrl(opts.from ?? loadConfig().databaseUrl);
  const target = parseStoreUrl(await migrationTarget(opts.to, io));
  if (target.engine !== 'postgres') throw new Error('--to must be a postgres:// or postgresql:// URL');
  if (source.engine !== 'sqlite') {
    throw new Error('the source is already PostgreSQL; copy between PostgreSQL databases with pg_dump/pg_restore');
  }
  if (source.path === ':memory:') throw new Error('the source is an in-memory store; there is nothing to copy');
  const { migrateSqliteToPostgres } = await import('../store/postgres/from-sqlite.ts');
  const summary = await migrateSqliteToPostgres(source.path, target.url, opts.schema ? { schema: opts.schema } : {});
  if (opts.json) {
    out(JSON.stringify(summary, null, 2));
    return;
  }
  out(
    printable(
      `copied ${summary.sightings} sightings (${summary.indicators} indicators), ${summary.apiKeys} API keys, ` +
        `${summary.overrides} overrides, ${summary.feedRuns} feed runs, ${summary.feedStates} feed states, ${summary.feedDefinitions} feed definitions, ${summary.reports} reports and ${summary.keyUsage} key usage counts.`,
    ),
  );
  out('Now set VERDICT_DATABASE_URL to the PostgreSQL URL and restart the instances.');
}
