/** Operator overrides (allow/deny one indicator); every change bumps the data version. */
import type Database from 'better-sqlite3';
import type { Override } from '../../model.ts';
import { toOverride } from '../rows.ts';
import type { OverrideRow } from '../rows.ts';
import { OVERRIDE_SQL } from '../sql.ts';
import type { OverrideRepository } from '../types.ts';
import { validateOverride } from '../validate.ts';
import type { WriteGate } from './write-gate.ts';

export function createOverrideRepository(reader: Database.Database, writer: Database.Database, gate: WriteGate): OverrideRepository {
  const get = reader.prepare(OVERRIDE_SQL.get);
  const all = reader.prepare(OVERRIDE_SQL.all);
  const upsert = writer.prepare(OVERRIDE_SQL.upsert);
  const del = writer.prepare(OVERRIDE_SQL.delete);
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
