/**
 * Daily quota counts of the in-process rate limiter, kept across restarts (see QuotaLedger).
 * Writes go through the write gate like every other write; the limiter adds its counts about
 * once a second, so a write waiting for an import to finish only delays them.
 */
import type Database from 'better-sqlite3';
import type { QuotaLedger } from '../types.ts';
import type { WriteGate } from './write-gate.ts';

export function createQuotaLedger(reader: Database.Database, writer: Database.Database, gate: WriteGate): QuotaLedger {
  const read = reader.prepare('SELECT key_id, count FROM quota_days WHERE day = ?');
  const add = writer.prepare(
    'INSERT INTO quota_days (key_id, day, count) VALUES (?, ?, ?) ON CONFLICT (key_id, day) DO UPDATE SET count = count + excluded.count',
  );
  const forget = writer.prepare('DELETE FROM quota_days WHERE day < ?');
  const addAll = writer.transaction((day: number, counts: ReadonlyMap<string, number>) => {
    for (const [keyId, n] of counts) if (n > 0) add.run(keyId, day, n);
    forget.run(day - 1);
  });
  return {
    async dayCounts(day) {
      const rows = read.all(day) as { key_id: string; count: number }[];
      return new Map(rows.map((r) => [r.key_id, r.count]));
    },
    async addDayCounts(day, counts) {
      if (!Number.isInteger(day)) throw new TypeError(`addDayCounts: day must be a whole number, got ${String(day)}`);
      await gate.write(() => addAll(day, counts));
    },
  };
}
