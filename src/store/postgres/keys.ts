/** API keys, stored by hash only; a last-use stamp never moves back (another instance may have written a later one). */
import { KEY_COLUMNS, apiKeyParams, toApiKey } from '../rows.ts';
import { keyUpdate } from '../key-changes.ts';
import type { ApiKeyRow } from '../rows.ts';
import { KEY_SQL } from '../sql.ts';
import type { ApiKeyRepository } from '../types.ts';
import { validateKey } from '../validate.ts';
import { rethrow } from './errors.ts';
import { numbered, type Queries } from './queries.ts';

const SQL = {
  insert: numbered(KEY_SQL.insert),
  byHash: numbered(KEY_SQL.byHash),
  byId: numbered(KEY_SQL.byId),
  all: KEY_SQL.all,
  revoke: numbered(KEY_SQL.revoke),
  count: KEY_SQL.count,
  touch: numbered(KEY_SQL.touch),
  setAllowedIps: numbered(KEY_SQL.setAllowedIps),
  usage: numbered(KEY_SQL.usage),
};

/** One statement per batch: the counts as arrays, summed per (key, day, route) first (ON CONFLICT cannot touch a row twice). */
const ADD_USAGE = `INSERT INTO key_usage (key_id, day, route, requests)
  SELECT k, d, r, sum(n) FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS u(k, d, r, n) GROUP BY k, d, r
  ON CONFLICT (key_id, day, route) DO UPDATE SET requests = key_usage.requests + excluded.requests`;

/** The advisory lock under which an instance looks for a key and stores the first one. */
export const FIRST_KEY_LOCK = 7_331_003;

export function createKeyRepository(db: Queries): ApiKeyRepository {
  return {
    async create(key) {
      validateKey(key);
      try {
        await db.pool.query(SQL.insert, apiKeyParams(key));
      } catch (err) {
        if ((err as { code?: string }).code === '23505') throw new Error(`api key ${key.id}: a key with this id or hash already exists`, { cause: err });
        rethrow(err, 'key create');
      }
    },
    async createFirst(key) {
      validateKey(key);
      // Under READ COMMITTED two instances could both see an empty table; the transaction's
      // advisory lock makes the second look only after the first committed.
      return db.transaction('first key', async (c) => {
        await c.query('SELECT pg_advisory_xact_lock($1)', [FIRST_KEY_LOCK]);
        const found = await c.query('SELECT 1 FROM api_keys LIMIT 1');
        if ((found.rowCount ?? 0) > 0) return false;
        await c.query(SQL.insert, apiKeyParams(key));
        return true;
      });
    },
    async findByHash(keyHash) {
      const row = await db.row<ApiKeyRow>('key lookup', SQL.byHash, [keyHash]);
      return row === undefined ? null : toApiKey(row);
    },
    async get(id) {
      const row = await db.row<ApiKeyRow>('key lookup', SQL.byId, [id]);
      return row === undefined ? null : toApiKey(row);
    },
    async list() {
      return (await db.q<ApiKeyRow>('key list', SQL.all)).rows.map(toApiKey);
    },
    async revoke(id, at) {
      return ((await db.q('key revoke', SQL.revoke, [at, id])).rowCount ?? 0) === 1;
    },
    async touch(id, at) {
      if (Number.isNaN(Date.parse(at))) throw new TypeError(`touch: ${JSON.stringify(at)} is not an RFC 3339 time`);
      await db.q('key touch', SQL.touch, [at, id, at]);
    },
    async count() {
      return Number((await db.row<{ n: string }>('key count', SQL.count))?.n ?? 0);
    },
    async setAllowedIps(id, ranges) {
      return ((await db.q('key allow-list', SQL.setAllowedIps, [JSON.stringify(ranges), id])).rowCount ?? 0) === 1;
    },
    async update(id, changes) {
      const u = keyUpdate(id, changes);
      if (u === null) return this.get(id);
      const row = await db.row<ApiKeyRow>('key update', `${numbered(u.sql)} RETURNING ${KEY_COLUMNS}`, u.params);
      return row === undefined ? null : toApiKey(row);
    },
    async addUsage(counts) {
      if (counts.length === 0) return;
      await db.q('key usage add', ADD_USAGE, [counts.map((c) => c.keyId), counts.map((c) => c.day), counts.map((c) => c.route), counts.map((c) => c.requests)]);
    },
    async usage(keyId, sinceDay) {
      const rows = (await db.q<{ key_id: string; day: string; route: string; requests: string }>('key usage', SQL.usage, [keyId, sinceDay])).rows;
      return rows.map((r) => ({ keyId: r.key_id, day: r.day, route: r.route, requests: Number(r.requests) }));
    },
  };
}
