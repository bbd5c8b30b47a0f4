/** The test PostgreSQL server the benches use with `--store postgres`, and their throw-away schemas. */

export function testPostgresUrl(): string {
  return process.env['VERDICT_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
}

/** A schema of its own for this bench process, so runs never meet each other's rows. */
export function benchSchema(bench: string): { schema: string; url: string } {
  const schema = `bench_${bench}_${process.pid}`;
  return { schema, url: `${testPostgresUrl()}?schema=${schema}` };
}

export async function dropSchema(schema: string): Promise<void> {
  // loaded here, at the end: a SQLite-only run never loads the driver
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: testPostgresUrl() });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
