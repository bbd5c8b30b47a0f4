/**
 * Catalogue scans on PostgreSQL through `COPY (SELECT …) TO STDOUT`: the rows arrive as COPY
 * text, read here into tuples without pg's per-row objects and type parsing. COPY takes no bind
 * parameters, so the scan's parameters are written into the statement as literals: integers
 * checked as such, text through pg's escapeLiteral. Each keyset batch is one short statement on
 * one connection held for the scan; a scan left before its end (a client gone) discards the
 * connection rather than return it mid-COPY.
 */
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import type { CatalogueTuple } from '../catalogue-scan.ts';
import { rethrow } from './errors.ts';

/** `sql` with each `?` replaced by its parameter as a literal. */
export function inlined(sql: string, params: readonly unknown[]): string {
  let i = 0;
  const out = sql.replace(/\?/g, () => {
    const v = params[i++];
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) throw new TypeError(`catalogue scan: ${v} is not an integer`);
      return String(v);
    }
    if (typeof v === 'string') return pg.escapeLiteral(v);
    throw new TypeError(`catalogue scan: a ${typeof v} parameter`);
  });
  if (i !== params.length) throw new TypeError(`catalogue scan: ${params.length} parameters for ${i} placeholders`);
  return out;
}

const UNESCAPE: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
/** A COPY text field: backslash sequences undone (COPY TO writes no octal or hex ones). */
const field = (s: string): string => (s.includes('\\') ? s.replace(/\\(.)/g, (_, c: string) => UNESCAPE[c] ?? c) : s);

/** Tuples of COPY text lines (the columns of CATALOGUE_COLUMNS, none NULL). */
function tuples(text: string): CatalogueTuple[] {
  const out: CatalogueTuple[] = [];
  let start = 0;
  for (;;) {
    const end = text.indexOf('\n', start);
    if (end < 0) break;
    const f = text.slice(start, end).split('\t');
    start = end + 1;
    out.push([field(f[0]!), field(f[1]!), f[2]!, f[3]!, f[4]!, f[5]!, f[6]!, f[7]!, field(f[8]!), field(f[9]!), field(f[10]!), field(f[11]!), field(f[12]!), field(f[13]!), f[14]!]);
  }
  return out;
}

/** A reader of scan batches on one connection: call it per batch, then `close`. */
export function copyReader(pool: pg.Pool): { read(sql: string, params: unknown[]): AsyncIterable<CatalogueTuple[]>; close(): void } {
  let client: pg.PoolClient | null = null;
  let busy = false;
  return {
    async *read(sql, params) {
      const text = `COPY (${inlined(sql, params)}) TO STDOUT`;
      if (client === null) {
        try {
          client = await pool.connect();
        } catch (err) {
          rethrow(err, 'catalogue scan');
        }
      }
      busy = true;
      const stream = client.query(copyStreams.to(text));
      let carry: Buffer | null = null;
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          const buf: Buffer = carry === null ? chunk : Buffer.concat([carry, chunk]);
          // lines never split inside a character: cut after the last newline
          const cut = buf.lastIndexOf(10);
          if (cut < 0) {
            carry = buf;
            continue;
          }
          carry = cut === buf.length - 1 ? null : buf.subarray(cut + 1);
          yield tuples(buf.toString('utf8', 0, cut + 1));
        }
      } catch (err) {
        rethrow(err, 'catalogue scan');
      }
      busy = false;
    },
    close() {
      // a connection left mid-COPY is not given back to the pool
      client?.release(busy ? new Error('catalogue scan left before its end') : undefined);
      client = null;
    },
  };
}
