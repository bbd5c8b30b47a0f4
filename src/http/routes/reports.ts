/**
 * Threat reports: GET /api/v1/reports (a page of reports, newest first, with filters and
 * `format=json|ndjson|csv`), GET /api/v1/reports/{id} (one report with its indicators) and
 * POST /api/v1/reports (an analyst's own report, as JSON text or an uploaded document). A
 * submitted report is read like a report feed's page (src/reports/) and stored under the
 * `internal-reports` feed: its indicators of role `indicator` become that feed's sightings, with
 * the report as their origin.
 *
 * Reading reports takes `read:iocs` (they are what the feeds hold, like the IOC listings);
 * submitting one takes `write:reports` (or admin).
 */
import multipart from '@fastify/multipart';
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { stringify } from 'csv-stringify/sync';
import { Type } from '../typebox.ts';
import { normalize } from '../../indicators/normalize.ts';
import { parseTypeName } from '../../indicators/type-hint.ts';
import type { StoredType } from '../../indicators/types.ts';
import { readReport } from '../../reports/read.ts';
import { reportId, reportSightings } from '../../reports/records.ts';
import { ReportCursorError } from '../../store/reports.ts';
import type { ReportQuery, ReportRecord, Store } from '../../store/types.ts';
import type { Config } from '../../config.ts';
import { ApiError, unknownNameError } from '../errors.ts';
import { AUTH_ERRORS, KEY_SECURITY, NullableString, errorResponses } from '../schemas.ts';

/** The feed analysts' reports are stored under (data/feeds.json). */
export const INTERNAL_REPORTS_FEED = 'internal-reports';
/** Largest document or text a submitted report may be (bytes). */
export const REPORT_MAX_BYTES = 10 * 1024 * 1024;
export const REPORT_TITLE_MAX = 500;
const URL_MAX = 2048;
export const REPORTS_DEFAULT_LIMIT = 50;
export const REPORTS_MAX_LIMIT = 500;
const FORMATS = ['json', 'ndjson', 'csv'] as const;

export interface ReportRouteDeps {
  store: Store;
  clock: () => Date;
  config: Pick<Config, 'bodyLimit'>;
}

const ListQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 200, description: 'Words in the title (case-insensitive substring)' })),
  since: Type.Optional(Type.String({ maxLength: 40, description: 'Reports dated (published, else read) at or after this: RFC 3339 time or YYYY-MM-DD' })),
  feed: Type.Optional(Type.String({ maxLength: 100, description: 'Reports of this feed (internal-reports: the analysts\' own)' })),
  has_iocs: Type.Optional(Type.Boolean({ description: 'true: reports naming at least one indicator; false: none' })),
  cve: Type.Optional(Type.String({ maxLength: 40, description: 'Reports naming this CVE id' })),
  technique: Type.Optional(Type.String({ maxLength: 20, description: 'Reports naming this ATT&CK technique id (T1566, T1566.001)' })),
  type: Type.Optional(Type.String({ maxLength: 20, description: 'Reports naming at least one indicator of this type' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: REPORTS_MAX_LIMIT, default: REPORTS_DEFAULT_LIMIT })),
  cursor: Type.Optional(Type.String({ maxLength: 512, description: 'From the previous page (links.next, or the Link header)' })),
  format: Type.Optional(Type.Enum([...FORMATS], { default: 'json', description: 'json (with links), ndjson (one report a line) or csv (a header row, then one report a row); the next page is in the Link header for every format' })),
});

const reportFields = {
  id: Type.String(),
  feed_id: Type.String({ description: 'The report feed it was read from; internal-reports for an analyst\'s own' }),
  title: Type.String(),
  url: NullableString('The report\'s page, when it has one'),
  published: NullableString('The report\'s own date (RFC 3339), null when it gives none'),
  fetched: Type.String({ description: 'When Verdict read or received it (RFC 3339)' }),
  indicator_count: Type.Integer({ description: 'Indicators it names (role indicator), CVE and ATT&CK ids apart' }),
  by_type: Type.Record(Type.String(), Type.Integer(), { description: 'Its indicators counted by type' }),
  attack_ids: Type.Array(Type.String(), { description: 'ATT&CK technique ids it names' }),
  cves: Type.Array(Type.String(), { description: 'CVE ids it names' }),
};

const ReportSummary = Type.Object(reportFields);
const ReportDetail = Type.Object({
  ...reportFields,
  indicators: Type.Array(Type.Object({ type: Type.String(), value: Type.String() }), { description: 'Each indicator once, in order of first mention' }),
});

const ReportList = Type.Object({
  reports: Type.Array(ReportSummary),
  links: Type.Object({ next: NullableString('The next page (same filters, its cursor); null on the last page') }),
});

type Summary = Record<string, unknown>;

function summaryOf(r: ReportRecord): Summary {
  const byType: Record<string, number> = {};
  for (const x of r.indicators) byType[x.type] = (byType[x.type] ?? 0) + 1;
  return { id: r.id, feed_id: r.feedId, title: r.title, url: r.url, published: r.published, fetched: r.fetched, indicator_count: r.indicators.length, by_type: byType, attack_ids: r.attackIds, cves: r.cves };
}

const detailOf = (r: ReportRecord): Summary => ({ ...summaryOf(r), indicators: r.indicators.map((x) => ({ type: x.type, value: x.value })) });

const TIME = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}:\d{2}))?$/;

/** Whether the date part names a day of the calendar (Date.parse rolls 02-30 over to March). */
function realDate(t: string): boolean {
  const [y, m, d] = [Number(t.slice(0, 4)), Number(t.slice(5, 7)), Number(t.slice(8, 10))];
  const day = new Date(Date.UTC(y, m - 1, d));
  return day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}

/** An RFC 3339 time (or a date) as an ISO string; an ApiError naming the parameter otherwise. */
function timeParam(raw: string, parameter: string): string {
  const t = raw.trim();
  const ms = TIME.test(t) && realDate(t) ? Date.parse(t) : Number.NaN;
  if (Number.isNaN(ms)) throw new ApiError('invalid_parameter', `${parameter} must be an RFC 3339 time (2026-01-31T00:00:00Z) or a date (2026-01-31).`, { parameter });
  return new Date(ms).toISOString();
}

/** A value of a type, in its canonical form; an ApiError naming the parameter otherwise. */
function canonical(type: StoredType, raw: string, parameter: string): string {
  const n = normalize(type, raw.trim());
  if (!n.ok) throw new ApiError('invalid_parameter', `${parameter} is not a valid ${type === 'cve' ? 'CVE id' : 'ATT&CK technique id'}: ${n.reason}.`, { parameter });
  return n.value;
}

function typeParam(raw: string): StoredType {
  if (raw.trim().toLowerCase() === 'cidr') return 'cidr';
  const t = parseTypeName(raw);
  if (!t.ok) throw unknownNameError('type', { ...t, allowed: [...t.allowed, 'cidr'] });
  return t.type;
}

interface ListParams {
  q?: string;
  since?: string;
  feed?: string;
  has_iocs?: boolean;
  cve?: string;
  technique?: string;
  type?: string;
  limit?: number;
  cursor?: string;
  format?: (typeof FORMATS)[number];
}

function reportQuery(p: ListParams): ReportQuery {
  const q: ReportQuery = { limit: p.limit ?? REPORTS_DEFAULT_LIMIT };
  if (p.q !== undefined && p.q.trim() !== '') q.q = p.q.trim();
  if (p.since !== undefined && p.since.trim() !== '') q.since = timeParam(p.since, 'since');
  if (p.feed !== undefined && p.feed.trim() !== '') q.feed = p.feed.trim();
  if (p.has_iocs !== undefined) q.hasIocs = p.has_iocs;
  if (p.cve !== undefined && p.cve.trim() !== '') q.cve = canonical('cve', p.cve, 'cve');
  if (p.technique !== undefined && p.technique.trim() !== '') q.technique = canonical('mitre-attack', p.technique, 'technique');
  if (p.type !== undefined && p.type.trim() !== '') q.type = typeParam(p.type);
  if (p.cursor !== undefined && p.cursor !== '') q.cursor = p.cursor;
  return q;
}

/** The next page's path: the request's own query with the cursor replaced. */
function nextLink(req: FastifyRequest, cursor: string): string {
  const url = new URL(req.url, 'http://verdict.invalid');
  url.searchParams.set('cursor', cursor);
  return `${url.pathname}?${url.searchParams.toString()}`;
}

const CSV_COLUMNS = ['id', 'feed_id', 'title', 'url', 'published', 'fetched', 'indicator_count', 'attack_ids', 'cves'] as const;

function csvOf(reports: ReportRecord[]): string {
  const rows = reports.map((r) => ({ id: r.id, feed_id: r.feedId, title: r.title, url: r.url ?? '', published: r.published ?? '', fetched: r.fetched, indicator_count: r.indicators.length, attack_ids: r.attackIds.join(' '), cves: r.cves.join(' ') }));
  // a cell that a spreadsheet would take for a formula (a title starting with =, +, -, @) is quoted with a leading '
  return stringify(rows, { header: true, columns: [...CSV_COLUMNS], escape_formulas: true });
}

// --- submission -----------------------------------------------------------------------------

interface Submission {
  title: string | null;
  url: string | null;
  published: string | null;
  bytes: Uint8Array;
  /** The uploaded file's name (a hint of its format); absent for JSON text. */
  name?: string;
  upload: boolean;
}

function stringField(v: unknown, parameter: string, max: number): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new ApiError('invalid_parameter', `${parameter} must be a string.`, { parameter });
  const s = v.trim();
  if (s === '') return null;
  if (s.length > max) throw new ApiError('invalid_parameter', `${parameter} is longer than ${max} characters.`, { parameter, limit: max });
  return s;
}

function urlField(v: unknown): string | null {
  const s = stringField(v, 'url', URL_MAX);
  if (s === null) return null;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new ApiError('invalid_parameter', 'url must be an absolute http or https URL.', { parameter: 'url' });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ApiError('invalid_parameter', 'url must be an absolute http or https URL.', { parameter: 'url' });
  return u.href;
}

function publishedField(v: unknown): string | null {
  const s = stringField(v, 'published', 40);
  return s === null ? null : timeParam(s, 'published');
}

const tooLarge = (): ApiError => new ApiError('payload_too_large', `The report is too large: one document or text of at most ${REPORT_MAX_BYTES} bytes.`, { limit: REPORT_MAX_BYTES });

function uploadError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const code = (err as { code?: string }).code ?? '';
  if (code === 'FST_REQ_FILE_TOO_LARGE' || code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') return tooLarge();
  return new ApiError('invalid_parameter', `The upload is malformed: ${(err as Error).message}`, { parameter: 'file' });
}

const FIELDS = new Set(['title', 'url', 'published']);

async function multipartSubmission(req: FastifyRequest): Promise<Submission> {
  const fields: Record<string, string> = {};
  let file: { bytes: Uint8Array; name: string } | null = null;
  try {
    for await (const part of req.parts({ limits: { fileSize: REPORT_MAX_BYTES, files: 1, fields: 10, fieldSize: URL_MAX * 2 } })) {
      if (part.type === 'file') {
        file = { bytes: await part.toBuffer(), name: part.filename };
      } else if (FIELDS.has(part.fieldname)) {
        if (typeof part.value !== 'string') throw new ApiError('invalid_parameter', `${part.fieldname} must be text.`, { parameter: part.fieldname });
        fields[part.fieldname] = part.value;
      }
    }
  } catch (err) {
    throw uploadError(err);
  }
  if (file === null) throw new ApiError('missing_parameter', 'The upload holds no file: send the document as a multipart file field.', { parameter: 'file' });
  return {
    title: stringField(fields.title, 'title', REPORT_TITLE_MAX),
    url: urlField(fields.url),
    published: publishedField(fields.published),
    bytes: file.bytes,
    ...(file.name ? { name: file.name } : {}),
    upload: true,
  };
}

function jsonSubmission(body: unknown): Submission {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError('missing_parameter', 'Send {"title": "…", "text": "…"} as JSON, or a document as a multipart upload.', { parameter: 'text' });
  }
  const b = body as Record<string, unknown>;
  const title = stringField(b.title, 'title', REPORT_TITLE_MAX);
  if (title === null) throw new ApiError('missing_parameter', 'A report needs a title.', { parameter: 'title' });
  if (typeof b.text !== 'string' || b.text.trim() === '') throw new ApiError('missing_parameter', 'A report needs its text: {"title": "…", "text": "…"}.', { parameter: 'text' });
  const bytes = Buffer.from(b.text, 'utf8');
  if (bytes.byteLength > REPORT_MAX_BYTES) throw tooLarge();
  return { title, url: urlField(b.url), published: publishedField(b.published), bytes, upload: false };
}

// --- routes ---------------------------------------------------------------------------------

export function registerReportRoutes(app: FastifyInstance, deps: ReportRouteDeps): void {
  app.get(
    '/api/v1/reports',
    {
      config: { scope: 'read:iocs' },
      schema: {
        summary: 'List threat reports',
        description:
          'Reports read from report feeds or submitted by analysts, newest first (published, else read), a page at a time: links.next (and the Link header) carries the cursor of the next page. ' +
          'Filters combine: q (title words), since, feed, has_iocs, cve, technique, type. format=ndjson gives one report a line, format=csv a header row then one row per report.',
        tags: ['reports'],
        security: KEY_SECURITY,
        querystring: ListQuery,
        produces: ['application/json', 'application/x-ndjson', 'text/csv'],
        response: { 200: ReportList, ...errorResponses(400, ...AUTH_ERRORS) },
      },
    },
    async (req: FastifyRequest, reply: FastifyReply) => {
      const params = req.query as ListParams;
      const query = reportQuery(params);
      let page: { reports: ReportRecord[]; next: string | null };
      try {
        page = await deps.store.reports.list(query);
      } catch (err) {
        if (err instanceof ReportCursorError) throw new ApiError('invalid_parameter', 'The cursor is not one this service gave: start again without it.', { parameter: 'cursor' });
        throw err;
      }
      const next = page.next === null ? null : nextLink(req, page.next);
      if (next !== null) reply.header('link', `<${next}>; rel="next"`);
      const format = params.format ?? 'json';
      if (format === 'ndjson') {
        reply.type('application/x-ndjson; charset=utf-8');
        return reply.serializer((s: string) => s).send(page.reports.map((r) => `${JSON.stringify(summaryOf(r))}\n`).join(''));
      }
      if (format === 'csv') {
        reply.type('text/csv; charset=utf-8');
        return reply.serializer((s: string) => s).send(csvOf(page.reports));
      }
      return reply.send({ reports: page.reports.map(summaryOf), links: { next } });
    },
  );

  app.get(
    '/api/v1/reports/:id',
    {
      config: { scope: 'read:iocs' },
      schema: {
        summary: 'One threat report, with its indicators',
        tags: ['reports'],
        security: KEY_SECURITY,
        params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
        response: { 200: ReportDetail, ...errorResponses(400, 404, ...AUTH_ERRORS) },
      },
    },
    async (req: FastifyRequest, reply: FastifyReply) => {
      const { id } = req.params as { id: string };
      const report = await deps.store.reports.get(id);
      if (report === null) throw new ApiError('not_found', `No report has the id "${id.slice(0, 100)}".`, { id: id.slice(0, 100) });
      return reply.send(detailOf(report));
    },
  );

  // multipart is parsed on this route only, with its own limits
  void app.register(async (scope) => {
    await scope.register(multipart, { limits: { fileSize: REPORT_MAX_BYTES, files: 1, fields: 10, parts: 20 } });
    scope.post(
      '/api/v1/reports',
      {
        config: { scope: 'write:reports' },
        bodyLimit: Math.max(deps.config.bodyLimit, REPORT_MAX_BYTES + 64 * 1024),
        schema: {
          summary: 'Submit an internal threat report',
          description:
            'JSON {"title", "text", "url"?, "published"?} or a multipart upload of one document (PDF, HTML, .eml, text; fields title, url, published optional — the title defaults to the document\'s own, else the file name). ' +
            'The report is stored under the internal-reports feed and its indicators (role indicator; references left out) become that feed\'s sightings, the report their origin. ' +
            'The same document (or the same url) submitted again replaces the report and keeps its id. Scope write:reports or admin.',
          tags: ['reports'],
          security: KEY_SECURITY,
          consumes: ['application/json', 'multipart/form-data'],
          response: { 201: ReportDetail, ...errorResponses(400, 413, 415, ...AUTH_ERRORS) },
        },
      },
      async (req: FastifyRequest, reply: FastifyReply) => {
        const sub = req.isMultipart() ? await multipartSubmission(req) : jsonSubmission(req.body);
        if (sub.bytes.byteLength === 0) throw new ApiError('invalid_parameter', 'The document is empty.', { parameter: sub.upload ? 'file' : 'text' });
        // the same document, or the same page, is the same report
        const key = sub.url ?? `sha256:${createHash('sha256').update(sub.bytes).digest('hex')}`;
        const read = await readReport(sub.bytes, { ...(sub.name !== undefined ? { name: sub.name } : {}), ...(sub.upload ? {} : { format: 'text' as const }), transfer: true });
        if (!read.ok) throw new ApiError('invalid_parameter', `The document cannot be read: ${read.message}`, { parameter: sub.upload ? 'file' : 'text' });
        const title = sub.title ?? read.title ?? sub.name ?? null;
        if (title === null) throw new ApiError('missing_parameter', 'A report needs a title: the document has none; send a title field.', { parameter: 'title' });
        const now = deps.clock().toISOString();
        const report: ReportRecord = {
          id: reportId(INTERNAL_REPORTS_FEED, key),
          feedId: INTERNAL_REPORTS_FEED,
          title: title.slice(0, REPORT_TITLE_MAX),
          url: sub.url,
          published: sub.published,
          fetched: now,
          ...read.content,
        };
        // the report first, then its sightings: the ingest moves the data version, so no lookup
        // cached after it misses the report in related.reports
        await deps.store.reports.put(report);
        const result = await deps.store.ingest({ feedId: INTERNAL_REPORTS_FEED, mode: 'incremental', runAt: now }, reportSightings(report));
        // a submission is the internal-reports feed's run: its health says when analysts last
        // submitted and what it added, as a report feed's fetch would
        await deps.store
          .recordFeedRun({ feedId: INTERNAL_REPORTS_FEED, startedAt: now, finishedAt: deps.clock().toISOString(), status: 'success', result, rejected: 0, rejectedSamples: [], error: null, etag: null, lastModified: null })
          .catch((err: unknown) => req.log.error({ err }, 'could not record the internal-reports run; the report and its sightings are stored'));
        reply.header('location', `/api/v1/reports/${report.id}`);
        return reply.code(201).send(detailOf(report));
      },
    );
  });
}
