/**
 * Reading the IOC catalogue in bulk (GET /api/v1/iocs with a large page, the exports): rows as
 * tuples in CATALOGUE_COLUMNS order, straight from the engine (better-sqlite3's raw rows,
 * PostgreSQL's COPY text), so that a million rows cost no object per row on the way to the text
 * that is sent. A scan runs in keyset batches from a cursor, optionally down to an `until` cursor
 * (inclusive): a page whose end was fixed before its first byte was sent (the Link header) ends
 * exactly there, whatever was written meanwhile.
 */
import { ORDER_BY, T, entryColumns, keyCursor, keysetWhere, rowsQuery, whereClause, type CatalogueTuple } from './catalogue.ts';
import type { CatalogueEntry, CatalogueQuery } from './types.ts';

export { T, listOf, tupleEntry, type CatalogueTuple } from './catalogue.ts';

/** A scan: the query's filters and order, from its cursor (exclusive) down to `until` (inclusive, when given), at most `limit` rows. */
export interface CatalogueScan extends CatalogueQuery {
  until?: string | null;
}

const KEY_COLUMNS = { last_seen: 'c.last_seen, c.type, c.value', risk: 'c.score, c.last_seen, c.type, c.value' } as const;

/** One batch of a scan: `limit` rows at most, exactly (no extra row). */
export function scanQuery(q: CatalogueScan): { sql: string; params: unknown[] } {
  return rowsQuery(q, q.limit);
}

/**
 * Where a page of `limit` rows from the query's cursor ends: the sort keys of its last row and of
 * the row after it (two rows when another page follows). Reads the sort keys only.
 */
export function boundaryQuery(q: CatalogueQuery): { sql: string; params: unknown[] } {
  const w = keysetWhere({ ...q, until: null });
  w.params.push(Math.max(0, q.limit - 1));
  return { sql: `SELECT ${KEY_COLUMNS[q.order ?? 'last_seen']} FROM catalogue c${whereClause(w.where)} ORDER BY ${ORDER_BY[q.order ?? 'last_seen']} LIMIT 2 OFFSET ?`, params: w.params };
}

/** The cursor of a boundary row (as boundaryQuery returns it, an array of its key columns). */
export function boundaryCursor(key: readonly unknown[], order: 'last_seen' | 'risk'): string {
  return order === 'risk' ? keyCursor(order, key[0], key[1], key[2], key[3]) : keyCursor(order, null, key[0], key[1], key[2]);
}

/** The cursor after a tuple: the next batch starts below it. */
export function tupleCursor(t: CatalogueTuple, order: 'last_seen' | 'risk'): string {
  return keyCursor(order, t[T.score], t[T.lastSeen], t[T.type], t[T.value]);
}

/**
 * Runs a scan as keyset batches of `batch` rows: `read` runs one batch's statement. Stops at
 * `q.limit` rows, at `q.until`, or when a batch comes back short.
 */
export async function* scanBatches(q: CatalogueScan, batch: number, read: (sql: string, params: unknown[]) => AsyncIterable<CatalogueTuple[]> | CatalogueTuple[]): AsyncGenerator<CatalogueTuple[]> {
  const order = q.order ?? 'last_seen';
  let cursor = q.cursor ?? null;
  let left = q.limit;
  while (left > 0) {
    const want = Math.min(batch, left);
    const { sql, params } = scanQuery({ ...q, cursor, limit: want });
    let got = 0;
    let last: CatalogueTuple | undefined;
    const out = read(sql, params);
    if (Array.isArray(out)) {
      got = out.length;
      last = out[out.length - 1];
      if (got > 0) yield out;
    } else {
      for await (const rows of out) {
        if (rows.length === 0) continue;
        got += rows.length;
        last = rows[rows.length - 1];
        yield rows;
      }
    }
    left -= got;
    if (got < want || last === undefined) return;
    cursor = tupleCursor(last, order);
  }
}

/** The tuple of an entry (as the store would read its row back). */
export function entryTuple(e: CatalogueEntry): CatalogueTuple {
  return entryColumns(e, e.score);
}
