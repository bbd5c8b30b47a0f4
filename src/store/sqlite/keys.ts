/**
 * API keys: stored by hash only. A last-use stamp never makes a request wait: it is written on a
 * connection that does not wait for locks, and kept in memory while an import holds the write
 * lock. (How often a key is stamped is decided by the caller, src/keys/verify.ts.)
 */
import type Database from 'better-sqlite3';
import { KEY_COLUMNS, apiKeyParams, toApiKey } from '../rows.ts';
import type { ApiKeyRow } from '../rows.ts';
import { KEY_SQL } from '../sql.ts';
import { keyUpdate } from '../key-changes.ts';
import type { ApiKeyRepository, KeyUsageCount } from '../types.ts';
import { validateKey } from '../validate.ts';
import { isBusy } from './write-gate.ts';
import type { WriteGate } from './write-gate.ts';

export interface KeyRepositoryDeps {
  reader: Database.Database;
  writer: Database.Database;
  /** A third connection with busy_timeout 0, used only for last-use stamps. */
  toucher: Database.Database;
  gate: WriteGate;
  onTouchError?: (err: unknown) => void;
}

export function createKeyRepository(d: KeyRepositoryDeps): ApiKeyRepository {
  const insert = d.writer.prepare(KEY_SQL.insert);
  // One statement under the write lock: processes starting together on one file cannot both
  // see an empty table and both insert.
  const insertFirst = d.writer.prepare(
    `INSERT INTO api_keys (${KEY_COLUMNS}) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM api_keys)`,
  );
  const byHash = d.reader.prepare(KEY_SQL.byHash);
  const byId = d.reader.prepare(KEY_SQL.byId);
  const all = d.reader.prepare(KEY_SQL.all);
  const revoke = d.writer.prepare(KEY_SQL.revoke);
  const count = d.reader.prepare(KEY_SQL.count).pluck();
  const touch = d.toucher.prepare(KEY_SQL.touch);
  const setAllowedIps = d.writer.prepare(KEY_SQL.setAllowedIps);
  const addUsage = d.writer.prepare(KEY_SQL.addUsage);
  const usage = d.reader.prepare(KEY_SQL.usage);
  const addAll = d.writer.transaction((counts: readonly KeyUsageCount[]) => {
    for (const c of counts) addUsage.run(c.keyId, c.day, c.route, c.requests);
  });

  /** Stamps not written yet (the file was locked), by key id. */
  const pending = new Map<string, string>();

  const flushPending = (): void => {
    for (const [id, at] of pending) {
      try {
        touch.run(at, id, at);
        pending.delete(id);
      } catch (err) {
        // SQLITE_BUSY: a write transaction (an import) holds the file; retry on a later touch
        if (!isBusy(err)) {
          pending.delete(id);
          d.onTouchError?.(err);
        }
        return;
      }
    }
  };

  // an import in this process held the write lock: write the stamps it delayed
  d.gate.onRelease(() => {
    if (pending.size > 0) flushPending();
  });

  return {
    async create(key) {
      validateKey(key);
      await d.gate.write(() => {
        try {
          insert.run(apiKeyParams(key));
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') {
            throw new Error(`api key ${key.id}: a key with this id or hash already exists`, { cause: err });
          }
          throw err;
        }
      });
    },
    async createFirst(key) {
      validateKey(key);
      return d.gate.write(() => insertFirst.run(apiKeyParams(key)).changes === 1);
    },
    async findByHash(keyHash) {
      const row = byHash.get(keyHash) as ApiKeyRow | undefined;
      return row === undefined ? null : toApiKey(row);
    },
    async get(id) {
      const row = byId.get(id) as ApiKeyRow | undefined;
      return row === undefined ? null : toApiKey(row);
    },
    async list() {
      return (all.all() as ApiKeyRow[]).map(toApiKey);
    },
    async revoke(id, at) {
      return d.gate.write(() => revoke.run(at, id).changes === 1);
    },
    async touch(id, at) {
      if (Number.isNaN(Date.parse(at))) throw new TypeError(`touch: ${JSON.stringify(at)} is not an RFC 3339 time`);
      const waiting = pending.get(id);
      // a stamp still waiting for the lock is replaced only by a later one
      if (waiting === undefined || waiting < at) pending.set(id, at);
      flushPending();
    },
    async count() {
      return count.get() as number;
    },
    async setAllowedIps(id, ranges) {
      return d.gate.write(() => setAllowedIps.run(JSON.stringify(ranges), id).changes === 1);
    },
    async update(id, changes) {
      const u = keyUpdate(id, changes);
      if (u !== null) {
        // the statements of an update are few and bounded (one per set of fields): each prepared as it comes
        const changed = await d.gate.write(() => d.writer.prepare(u.sql).run(...u.params).changes);
        if (changed === 0) return null;
      }
      const row = byId.get(id) as ApiKeyRow | undefined;
      return row === undefined ? null : toApiKey(row);
    },
    async addUsage(counts) {
      if (counts.length === 0) return;
      await d.gate.write(() => addAll(counts));
    },
    async usage(keyId, sinceDay) {
      const rows = usage.all(keyId, sinceDay) as { key_id: string; day: string; route: string; requests: number }[];
      return rows.map((r) => ({ keyId: r.key_id, day: r.day, route: r.route, requests: r.requests }));
    },
  };
}
