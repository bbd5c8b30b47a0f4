/**
 * Operator overrides. Each change bumps the data version in the same statement (so its notice
 * is delivered exactly when it commits); while the change notices arrive, lookups of an override
 * (and of its absence) are answered from memory for the current data version.
 */
import type { Override } from '../../model.ts';
import { toOverride } from '../rows.ts';
import type { OverrideRow } from '../rows.ts';
import { OVERRIDE_SQL } from '../sql.ts';
import type { OverrideRepository } from '../types.ts';
import { validateOverride } from '../validate.ts';
import type { ChangeNotices } from './changes.ts';
import { numbered, type Queries } from './queries.ts';

/** The in-process cache is cleared rather than grown past this many entries. */
const CACHE_MAX = 10_000;

// the upsert's parameters are $1–$6; the channel is $7
const PUT = `WITH up AS (${numbered(OVERRIDE_SQL.upsert)} RETURNING 1),
  bump AS (UPDATE store_state SET data_version = data_version + 1 WHERE id = 1 AND EXISTS (SELECT 1 FROM up) RETURNING data_version)
  SELECT data_version AS v, pg_notify($7, json_build_object('v', data_version)::text) FROM bump`;
// the delete's parameters are $1–$2; the channel is $3
const DELETE = `WITH gone AS (${numbered(OVERRIDE_SQL.delete)} RETURNING 1),
  bump AS (UPDATE store_state SET data_version = data_version + 1 WHERE id = 1 AND EXISTS (SELECT 1 FROM gone) RETURNING data_version)
  SELECT (SELECT count(*) FROM gone) AS n, (SELECT data_version FROM bump) AS v,
    (SELECT pg_notify($3, json_build_object('v', data_version)::text) FROM bump) AS sent`;
const GET = numbered(OVERRIDE_SQL.get);

export interface CachedOverrides extends OverrideRepository {
  /** Forgets every cached answer (the notices stopped arriving). */
  forget(): void;
}

export function createOverrideRepository(db: Queries, changes: ChangeNotices): CachedOverrides {
  /** Overrides (and their absence) for one data version. */
  let cache = { version: -1, entries: new Map<string, Override | null>() };
  return {
    forget() {
      cache = { version: -1, entries: new Map() };
    },
    async get(type, value) {
      const version = changes.liveVersion();
      const key = `${type}\u0000${value}`;
      if (version !== undefined) {
        if (cache.version !== version) cache = { version, entries: new Map() };
        const hit = cache.entries.get(key);
        if (hit !== undefined) return hit === null ? null : { ...hit };
      }
      const row = await db.row<OverrideRow>('override lookup', GET, [type, value]);
      const found = row === undefined ? null : toOverride(row);
      // cached only if no change arrived while reading, so an entry never predates its version
      if (version !== undefined && changes.liveVersion() === version && cache.version === version) {
        if (cache.entries.size >= CACHE_MAX) cache.entries.clear();
        cache.entries.set(key, found === null ? null : { ...found });
      }
      return found;
    },
    async put(o: Override) {
      validateOverride(o);
      const v = (await db.row<{ v: string }>('override put', PUT, [o.type, o.value, o.verdict, o.reason, o.createdAt, o.createdBy ?? null, changes.channel]))?.v;
      if (v !== undefined) changes.committed(Number(v));
    },
    async delete(type, value) {
      const r = await db.row<{ n: string; v: string | null }>('override delete', DELETE, [type, value, changes.channel]);
      if (r?.v !== null && r?.v !== undefined) changes.committed(Number(r.v));
      return Number(r?.n ?? 0) > 0;
    },
    async list() {
      return (await db.q<OverrideRow>('override list', OVERRIDE_SQL.all)).rows.map(toOverride);
    },
  };
}
