/**
 * How the PostgreSQL store's parts reach the database. Every ordinary statement is prepared once
 * per connection (named by its text) and runs under a client-side read timeout besides the
 * server's statement timeout, so a silent network partition cannot hang a request; an outage
 * becomes StoreUnavailableError. Statements shared with SQLite (../sql.ts) are numbered here.
 */
import type pg from 'pg';
import { rethrow } from './errors.ts';

/** The advisory lock that serializes writes of feed data (ingest, purge, retention) across instances. */
export const FEED_DATA_LOCK = 7_331_002;
/** Held by a catalogue write while it hands out recording times (TAXII's date_added), so they rise in commit order. */
export const CATALOGUE_ADDED_LOCK = 7_331_004;

/** A statement written with `?` placeholders (../sql.ts) in PostgreSQL's numbered form. */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export class Queries {
  /** Statement names by SQL text: each connection parses and plans a statement once, not per call. */
  private readonly names = new Map<string, string>();

  constructor(
    readonly pool: pg.Pool,
    /** The client-side limit of one ordinary statement (ms). */
    private readonly readTimeoutMs: number,
  ) {}

  async q<R extends pg.QueryResultRow>(what: string, text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    let name = this.names.get(text);
    if (name === undefined) {
      name = `verdict_${this.names.size + 1}`;
      this.names.set(text, name);
    }
    try {
      return await this.pool.query<R>({ name, text, values, query_timeout: this.readTimeoutMs } as pg.QueryConfig);
    } catch (err) {
      rethrow(err, what);
    }
  }

  /** The first row of a statement, or undefined. */
  async row<R extends pg.QueryResultRow>(what: string, text: string, values: unknown[] = []): Promise<R | undefined> {
    return (await this.q<R>(what, text, values)).rows[0];
  }

  async withClient<T>(what: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      rethrow(err, what);
    }
    let broken: Error | undefined;
    try {
      return await fn(client);
    } catch (err) {
      // A connection that failed mid-COPY or mid-transaction is not trusted again.
      if (err instanceof Error && !(err.name === 'IngestError' && (err as { failure?: { kind?: string } }).failure?.kind === 'suspect_drop')) broken = err;
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /**
   * `fn` in one transaction on one connection; committed when it returns, rolled back when it
   * throws. `long` work (a purge removes as much as an import added) gets that limit instead of
   * the ordinary one, and holds the feed data lock.
   */
  async transaction<T>(what: string, fn: (c: pg.PoolClient) => Promise<T>, long?: { timeoutMs: number }): Promise<T> {
    return this.withClient(what, async (c) => {
      await c.query('BEGIN');
      try {
        if (long !== undefined) {
          await c.query(`SET LOCAL statement_timeout = ${Math.trunc(long.timeoutMs)}`);
          await c.query('SELECT pg_advisory_xact_lock($1)', [FEED_DATA_LOCK]);
        }
        const out = await fn(c);
        await c.query('COMMIT');
        return out;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => {});
        rethrow(err, what);
      }
    });
  }
}
