/** Threat reports on SQLite: a report and its mentions written in one transaction. */
import type Database from 'better-sqlite3';
import { listQuery, mentioningManySql, mentionsByValue, pageOf, REPORT_SQL, reportParams, toReport, type ReportRow } from '../reports.ts';
import type { ReportRecord, ReportRepository } from '../types.ts';
import type { WriteGate } from './write-gate.ts';

export function createReportRepository(reader: Database.Database, writer: Database.Database, gate: WriteGate): ReportRepository {
  const get = reader.prepare(REPORT_SQL.get);
  const mentioning = reader.prepare(REPORT_SQL.mentioning);
  // most indicators are named by no report: an index-only probe answers them without the sort
  const mentioned = reader.prepare('SELECT 1 FROM report_indicators WHERE type = ? AND value = ? LIMIT 1').pluck();
  const mentioningMany = reader.prepare(mentioningManySql('IN (SELECT value FROM json_each(?))'));
  const upsert = writer.prepare(REPORT_SQL.upsert);
  const clear = writer.prepare(REPORT_SQL.deleteIndicators);
  const mention = writer.prepare(REPORT_SQL.insertIndicator);
  // the filters make a handful of statements at most: each prepared once
  const listings = new Map<string, Database.Statement>();
  const put = writer.transaction((r: ReportRecord) => {
    const p = reportParams(r);
    upsert.run(...p.row);
    clear.run(r.id);
    for (const [type, value] of p.mentions) mention.run(type, value, r.id);
  });
  return {
    async put(report) {
      await gate.write(() => put.immediate(report));
    },
    async get(id) {
      const row = get.get(id) as ReportRow | undefined;
      return row === undefined ? null : toReport(row);
    },
    async list(query) {
      const { sql, params } = listQuery(query);
      let stmt = listings.get(sql);
      if (stmt === undefined) {
        stmt = reader.prepare(sql);
        listings.set(sql, stmt);
      }
      return pageOf(stmt.all(...params) as ReportRow[], query.limit);
    },
    async mentioning(type, value, limit) {
      if (mentioned.get(type, value) === undefined) return [];
      return (mentioning.all(type, value, limit) as ReportRow[]).map(toReport);
    },
    async mentioningMany(type, values, limit) {
      const distinct = [...new Set(values)];
      if (distinct.length === 0) return new Map();
      return mentionsByValue(distinct, mentioningMany.all(type, JSON.stringify(distinct), limit) as (ReportRow & { asked: string })[]);
    },
  };
}
