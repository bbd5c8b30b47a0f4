/** Operator overrides (allow/deny one indicator); every change bumps the data version. */
import type Database from 'better-sqlite3';
import type { Override } from '../../model.ts';
import type { OverrideRepository } from '../types.ts';
import { validateOverride } from '../validate.ts';
import { toOverride } from './rows.ts';
import type { OverrideRow } from './rows.ts';
import type { WriteGate } from './write-gate.ts';


export function createOverrideRepository(reader: Database.Database, writer: Database.Database, gate: WriteGate): OverrideRepository {
  const cols = 'type, value, verdict, reason, created_at, created_by';
  const get = reader.prepare(`SELECT ${cols} FROM overrides WHERE type = ? AND value = ?`);
  const all = reader.prepare(`SELECT ${cols} FROM overrides ORDER BY type, value`);
  const upsert = writer.prepare(
    `INSERT INTO overrides (${cols}) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (type, value) DO UPDATE SET verdict = excluded.verdict, reason = excluded.reason,
       created_at = excluded.created_at, created_by = excluded.created_by`,
  );
  const del = writer.prepare('DELETE FROM overrides WHERE type = ? AND value = ?');
  const bump = writer.prepare(`UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'`);
  const put = writer.transaction((o: Override) => {
    upsert.run(o.type, o.value, o.verdict, o.reason, o.createdAt, o.createdBy ?? null);
    bump.run();
  });
  const remove = writer.transaction((type: string, value: string) => {
    const gone = del.run(type, value).changes > 0;
    if (gone) bump.run();
    return gone;
  });

  return {
    async get(type, value) {
      const row = get.get(type, value) as OverrideRow | undefined;
      return row === undefined ? null : toOverride(row);
    },
    async put(o) {
      validateOverride(o);
      await gate.write(() => put.immediate(o));
    },
    async delete(type, value) {
      return gate.write(() => remove.immediate(type, value));
    },
    async list() {
      return (all.all() as OverrideRow[]).map(toOverride);
    },
  };
}
