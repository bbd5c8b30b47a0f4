/** Fresh PostgreSQL schemas for tests: each store gets its own, dropped in cleanup, so runs never collide. */
import pg from 'pg';
import { openPostgresStore, type PostgresStore, type PostgresStoreOptions } from '../../src/store/postgres/index.ts';
import { uniqueSuffix } from './services.ts';

export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

export function freshSchemaName(): string {
  return `verdict_test_${uniqueSuffix()}`.toLowerCase();
}

export async function freshPostgresStore(url: string, opts: PostgresStoreOptions = {}): Promise<{ store: PostgresStore; schema: string; cleanup(): Promise<void> }> {
  const schema = freshSchemaName();
  const store = await openPostgresStore(url, { ...opts, schema });
  return {
    store,
    schema,
    async cleanup() {
      await store.close();
      await dropSchema(url, schema);
    },
  };
}
