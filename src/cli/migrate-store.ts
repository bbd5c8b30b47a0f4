/**
 * `verdict migrate-store --to postgres://...`: copies the configured embedded store (or --from)
 * into an empty PostgreSQL database, in one transaction. Thin: the copy itself lives with the
 * PostgreSQL store.
 */
import { loadConfig } from '../config.ts';
import { parseStoreUrl } from '../store/index.ts';

export interface MigrateStoreOptions {
  to: string;
  from?: string;
  schema?: string;
  json?: boolean;
}

export async function migrateStore(opts: MigrateStoreOptions, out: (line: string) => void): Promise<void> {
  const source = parseStoreUrl(opts.from ?? loadConfig().databaseUrl);
  const target = parseStoreUrl(opts.to);
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
    `copied ${summary.sightings} sightings (${summary.indicators} indicators), ${summary.apiKeys} API keys, ` +
      `${summary.overrides} overrides, ${summary.feedRuns} feed runs and ${summary.feedStates} feed states.\n` +
      `Now set VERDICT_DATABASE_URL to the PostgreSQL URL and restart the instances.`,
  );
}
