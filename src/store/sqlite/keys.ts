/** API keys: stored by hash only; `touch` is throttled and never makes a request wait. */
import type Database from 'better-sqlite3';
import { SCOPES, TIERS } from '../types.ts';
import type { ApiKeyRecord, ApiKeyRepository } from '../types.ts';
import { toApiKey } from './rows.ts';
import type { ApiKeyRow } from './rows.ts';
import { isBusy } from './write-gate.ts';
import type { WriteGate } from './write-gate.ts';

const SCOPE_SET: ReadonlySet<string> = new Set(SCOPES);
const TIER_SET: ReadonlySet<string> = new Set(TIERS);
const HASH_RE = /^[0-9a-f]{64}$/;

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

function validateKey(k: ApiKeyRecord): void {
  const bad = (what: string): never => {
    throw new TypeError(`api key record: ${what}`);
  };
  if (k === null || typeof k !== 'object') bad('missing');
  if (typeof k.id !== 'string' || k.id.length === 0) bad('id must be a non-empty string');
  if (typeof k.keyHash !== 'string' || !HASH_RE.test(k.keyHash)) bad('keyHash must be a lower-case hex SHA-256');
  if (typeof k.keyPrefix !== 'string' || k.keyPrefix.length === 0) bad('keyPrefix must be a non-empty string');
  if (typeof k.name !== 'string') bad('name must be a string');
  if (!TIER_SET.has(k.tier)) bad(`unknown tier ${JSON.stringify(k.tier)}`);
  if (!Array.isArray(k.scopes) || k.scopes.some((s) => !SCOPE_SET.has(s))) bad(`scopes must be a list of ${SCOPES.join(', ')}`);
  if (typeof k.createdAt !== 'string' || Number.isNaN(Date.parse(k.createdAt))) bad('createdAt must be an RFC 3339 time');
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
