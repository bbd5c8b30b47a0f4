/** Threat reports on PostgreSQL: a report and its mentions written in one transaction. */
import { listQuery, mentioningManySql, mentionsByValue, pageOf, REPORT_SQL, reportParams, toReport, type ReportRow } from '../reports.ts';
import type { ReportRecord, ReportRepository } from '../types.ts';
import type { StoredType } from '../../indicators/types.ts';
import { gatheredReads } from './gathered.ts';
import { numbered, type Queries } from './queries.ts';

const SQL = Object.fromEntries(Object.entries(REPORT_SQL).map(([k, v]) => [k, numbered(v)])) as Record<keyof typeof REPORT_SQL, string>;
const MENTIONING_MANY = numbered(mentioningManySql('= ANY(?::text[])'));

export function createReportRepository(db: Queries): ReportRepository {
  const repository: ReportRepository = {
    async put(report) {
      const p = reportParams(report);
      await db.transaction('report put', async (c) => {
        await c.query(SQL.upsert, p.row);
        await c.query(SQL.deleteIndicators, [report.id]);
        if (p.mentions.length > 0) {
          // one statement for every mention: a report may name hundreds of indicators
          await c.query('INSERT INTO report_indicators (type, value, report_id) SELECT t, v, $3 FROM unnest($1::text[], $2::text[]) AS m(t, v) ON CONFLICT DO NOTHING', [
            p.mentions.map((m) => m[0]),
            p.mentions.map((m) => m[1]),
            report.id,
          ]);
        }
      });
    },
    async get(id) {
      const row = await db.row<ReportRow>('report', SQL.get, [id]);
      return row === undefined ? null : toReport(row);
    },
    async list(query) {
      const { sql, params } = listQuery(query);
      return pageOf((await db.q<ReportRow>('reports', numbered(sql), params)).rows, query.limit);
    },
    async mentioning(type, value, limit) {
      return (await db.q<ReportRow>('reports mentioning', SQL.mentioning, [type, value, limit])).rows.map(toReport);
    },
    async mentioningMany(type, values, limit) {
      const distinct = [...new Set(values)];
      if (distinct.length === 0) return new Map();
      return mentionsByValue(distinct, (await db.q<ReportRow & { asked: string }>('reports mentioning many', MENTIONING_MANY, [type, distinct, limit])).rows);
    },
  };
  // lookups made together share one statement (gathered.ts)
  const mentions = gatheredReads<{ type: StoredType; limit: number }, ReportRecord>({
    groupOf: ({ type, limit }) => `${type} ${limit}`,
    one: ({ type, limit }, value) => repository.mentioning(type, value, limit),
    many: ({ type, limit }, values) => repository.mentioningMany(type, values, limit),
  });
  return { ...repository, mentioning: (type, value, limit) => mentions.read({ type, limit }, value) };
}
