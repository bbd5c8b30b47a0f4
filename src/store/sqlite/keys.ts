/** API keys: stored by hash only; `touch` is throttled and never makes a request wait. */
import type Database from 'better-sqlite3';
import type { ApiKeyRecord, ApiKeyRepository } from '../types.ts';
import { validateKey } from '../validate.ts';
import { toApiKey } from './rows.ts';
import type { SqliteApiKeyRow } from './rows.ts';
import { isBusy } from './write-gate.ts';
import type { WriteGate } from './write-gate.ts';


export interface KeyRepositoryDeps {
  reader: Database.Database;
  writer: Database.Database;
  /** A third connection with busy_timeout 0, used only for last-use stamps. */
  toucher: Database.Database;
  gate: WriteGate;
  /** A key's last use is written at most once per this interval (default one minute). */
  touchIntervalMs: number;
  onTouchError?: (err: unknown) => void;
}


export function createKeyRepository(d: KeyRepositoryDeps): ApiKeyRepository {
  const cols = 'id, key_prefix, key_hash, name, tier, scopes, created_at, last_used_at, expires_at, revoked_at';
  const insert = d.writer.prepare(`INSERT INTO api_keys (${cols}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const byHash = d.reader.prepare(`SELECT ${cols} FROM api_keys WHERE key_hash = ?`);
  const byId = d.reader.prepare(`SELECT ${cols} FROM api_keys WHERE id = ?`);
  const all = d.reader.prepare(`SELECT ${cols} FROM api_keys ORDER BY created_at, id`);
  const revoke = d.writer.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
  const count = d.reader.prepare('SELECT COUNT(*) FROM api_keys').pluck();
  // never moves last use backwards
  const touch = d.toucher.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)');

  const lastWritten = new Map<string, number>();
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
          insert.run(key.id, key.keyPrefix, key.keyHash, key.name, key.tier, JSON.stringify(key.scopes), key.createdAt, key.lastUsedAt ?? null, key.expiresAt ?? null, key.revokedAt ?? null);
        } catch (err) {
          if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
            throw new Error(`api key ${key.id}: a key with this id or hash already exists`, { cause: err });
          }
          throw err;
        }
      });
    },
    async findByHash(keyHash) {
      const row = byHash.get(keyHash) as SqliteApiKeyRow | undefined;
      return row === undefined ? null : toApiKey(row);
    },
    async get(id) {
      const row = byId.get(id) as SqliteApiKeyRow | undefined;
      return row === undefined ? null : toApiKey(row);
    },
    async list() {
      return (all.all() as SqliteApiKeyRow[]).map(toApiKey);
    },
    async revoke(id, at) {
      return d.gate.write(() => revoke.run(at, id).changes === 1);
    },
    async touch(id, at) {
      const t = Date.parse(at);
      if (Number.isNaN(t)) throw new TypeError(`touch: ${JSON.stringify(at)} is not an RFC 3339 time`);
      const last = lastWritten.get(id);
      if (last !== undefined && t - last < d.touchIntervalMs && t >= last) return;
      lastWritten.set(id, t);
      pending.set(id, at);
      flushPending();
    },
    async count() {
      return count.get() as number;
    },
  };
}
