/**
 * POST /api/v1/extract — the indicators of a text (JSON `{"text": …}`) or an uploaded document
 * (multipart: PDF, HTML, .eml, text; the readers of src/documents/), with where each occurs and
 * its role; `enrich=true` adds each distinct indicator's verdict through the bulk lookup path and
 * a summary across the text. References are enriched only when `roles` names them.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '../typebox.ts';
import type { BulkInput, BulkLookup } from '../../bulk.ts';
import { documentDistinct, extractFromDocument, readDocument, type Document, type DocumentIndicator } from '../../documents/index.ts';
import { INDICATOR_TYPES, type IndicatorType } from '../../indicators/types.ts';
import { ApiError } from '../errors.ts';
import { AUTH_ERRORS, AnalystSummary, KEY_SECURITY, SummaryErrorSchema, errorResponses } from '../schemas.ts';
import type { Summarizer } from '../../llm/summary.ts';
import { LOOKUP_INCLUDES, parseInclude } from './lookup.ts';
import { unknownNameError } from '../errors.ts';
import { admitBatch, type BulkRouteDeps } from './bulk.ts';

/** Largest document or text accepted (bytes). */
export const EXTRACT_MAX_BYTES = 10 * 1024 * 1024;
const ROLES = ['indicator', 'reference'] as const;
type Role = (typeof ROLES)[number];

const Query = Type.Object({
  enrich: Type.Optional(Type.Boolean({ default: false, description: "Add each indicator's verdict (pro and enterprise tiers; each enriched indicator counts against the daily quota)" })),
  roles: Type.Optional(Type.String({ maxLength: 50, description: 'Roles enriched, comma-separated: indicator (default), reference' })),
  include: Type.Optional(
    Type.String({
      maxLength: 100,
      description: `Additions, comma-separated: ${LOOKUP_INCLUDES.join(', ')}. summary (with enrich=true): analyst_summary, a short assessment of the whole text written by the operator's language model from the enriched answer (which is sent to it); summary_error instead when it is off, fails or times out`,
    }),
  ),
});

const Verdict = Type.Object({
  level: Type.String(),
  score: Type.Integer(),
  confidence: Type.String(),
  found: Type.Boolean(),
  sources: Type.Integer({ description: 'How many sources reported it (or what contains it)' }),
  techniques: Type.Array(Type.String()),
});

const Occurrence = Type.Object({
  type: Type.String(),
  value: Type.String(),
  role: Type.Enum([...ROLES]),
  source: Type.String({ description: 'Where in the document: text, page, html-text, header:from, attachment, …' }),
  part: Type.Optional(Type.Integer({ description: "Index of the document's part (parts[]); start and end are offsets in its text" })),
  start: Type.Optional(Type.Integer()),
  end: Type.Optional(Type.Integer()),
  page: Type.Optional(Type.Integer()),
});

const Distinct = Type.Object({
  type: Type.String(),
  value: Type.String(),
  role: Type.Enum([...ROLES]),
  count: Type.Integer(),
  verdict: Type.Optional(Verdict),
});

const ExtractResponse = Type.Object({
  document: Type.Object({ format: Type.String(), bytes: Type.Integer(), parts: Type.Array(Type.Object({ source: Type.String(), page: Type.Optional(Type.Integer()) })) }),
  indicators: Type.Array(Occurrence, { description: 'Every occurrence, in document order' }),
  distinct: Type.Array(Distinct, { description: 'Each indicator once, in order of first occurrence, with its count (and verdict when enriched)' }),
  summary: Type.Optional(
    Type.Object({
      worst_level: Type.Union([Type.String(), Type.Null()]),
      enriched: Type.Integer(),
      found: Type.Integer(),
      by_level: Type.Record(Type.String(), Type.Integer()),
      by_type: Type.Record(Type.String(), Type.Integer()),
      techniques: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), indicators: Type.Integer() })),
    }),
  ),
  analyst_summary: Type.Optional(AnalystSummary),
  summary_error: Type.Optional(SummaryErrorSchema),
});

const LEVEL_ORDER = ['low', 'medium', 'high', 'critical'];
const LOOKUP_TYPES = new Set<string>(INDICATOR_TYPES);

function parseRoles(raw: string | undefined): Set<Role> {
  if (raw === undefined || raw.trim() === '') return new Set(['indicator']);
  const out = new Set<Role>();
  for (const item of raw.split(',')) {
    const r = item.trim().toLowerCase();
    if (r === '') continue;
    if (!(ROLES as readonly string[]).includes(r)) throw new ApiError('invalid_parameter', `Unknown role "${r}"; roles are ${ROLES.join(', ')}.`, { parameter: 'roles', allowed: [...ROLES] });
    out.add(r as Role);
  }
  return out;
}

/** The document of the request: JSON text, or the one file of a multipart upload. */
async function documentOf(req: FastifyRequest): Promise<Document> {
  let bytes: Uint8Array;
  let name: string | undefined;
  if (req.isMultipart()) {
    let file;
    try {
      file = await req.file({ limits: { fileSize: EXTRACT_MAX_BYTES, files: 1, fields: 10 } });
    } catch (err) {
      throw uploadError(err);
    }
    if (file === undefined) throw new ApiError('missing_parameter', 'The upload holds no file: send the document as a multipart file field.', { parameter: 'file' });
    try {
      bytes = await file.toBuffer();
    } catch (err) {
      throw uploadError(err);
    }
    name = file.filename;
  } else {
    const body = req.body as { text?: unknown } | undefined;
    if (body === undefined || body === null || typeof body.text !== 'string') {
      throw new ApiError('missing_parameter', 'Send {"text": "…"} as JSON, or a document as a multipart upload.', { parameter: 'text' });
    }
    bytes = Buffer.from(body.text, 'utf8');
    name = undefined;
  }
  const read = await readDocument(bytes, { ...(name ? { name } : {}), ...(req.isMultipart() ? {} : { format: 'text' as const }), transfer: true });
  if (!read.ok) throw new ApiError('invalid_parameter', `The document cannot be read: ${read.error.message}`, { parameter: 'file', reason: read.error.code });
  return read.document;
}

function uploadError(err: unknown): ApiError {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'FST_REQ_FILE_TOO_LARGE' || code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
    return new ApiError('payload_too_large', `The upload is too large: one file of at most ${EXTRACT_MAX_BYTES} bytes.`, { limit: EXTRACT_MAX_BYTES });
  }
  return new ApiError('invalid_parameter', `The upload is malformed: ${(err as Error).message}`, { parameter: 'file' });
}

function occurrence(x: DocumentIndicator) {
  const o: Record<string, unknown> = { type: x.type, value: x.value, role: x.role, source: x.source };
  if (x.part !== undefined) o['part'] = x.part;
  if (x.start !== undefined) o['start'] = x.start;
  if (x.end !== undefined) o['end'] = x.end;
  if (x.page !== undefined) o['page'] = x.page;
  return o;
}

export function registerExtractRoute(app: FastifyInstance, bulk: BulkLookup, deps: BulkRouteDeps, summarizer?: Summarizer): void {
  // multipart is parsed on this route only, with its own limits
  void app.register(async (scope) => {
    await scope.register(multipart, { limits: { fileSize: EXTRACT_MAX_BYTES, files: 1, fields: 10, parts: 20 } });
    scope.post(
      '/api/v1/extract',
      {
        config: { scope: 'read:lookup' },
        bodyLimit: Math.max(deps.config.bodyLimit, EXTRACT_MAX_BYTES + 64 * 1024),
        schema: {
          summary: 'Extract (and enrich) the indicators of a text or document',
          description:
            'JSON {"text": …} or a multipart upload of one file (PDF, HTML, .eml, text). Returns every occurrence with its offsets and role, and each indicator once; ' +
            'enrich=true adds verdicts through the bulk lookup (pro and enterprise) and a summary. References are enriched only with roles=indicator,reference.',
          tags: ['lookup'],
          security: KEY_SECURITY,
          querystring: Query,
          consumes: ['application/json', 'multipart/form-data'],
          response: { 200: ExtractResponse, ...errorResponses(400, 413, 415, ...AUTH_ERRORS) },
        },
      },
      async (req: FastifyRequest, reply: FastifyReply) => {
        const q = req.query as { enrich?: boolean; roles?: string; include?: string };
        const roles = parseRoles(q.roles);
        const included = parseInclude(q.include);
        if (!included.ok) throw unknownNameError('include', included);
        const wantsSummary = included.include.has('summary');
        if (wantsSummary && q.enrich !== true) throw new ApiError('invalid_parameter', 'include=summary summarizes the enriched answer: add enrich=true.', { parameter: 'include' });
        const document = await documentOf(req);
        const occurrences = extractFromDocument(document);
        const distinct = documentDistinct(document);
        const out: Record<string, unknown> = {
          document: { format: document.format, bytes: document.bytes, parts: document.parts.map((p) => ({ source: p.source, ...(p.page !== undefined ? { page: p.page } : {}) })) },
          indicators: occurrences.map(occurrence),
          distinct: distinct.map((d) => ({ type: d.type, value: d.value, role: d.role, count: d.count })),
        };
        if (q.enrich !== true) return reply.send(out);

        const chosen = distinct.map((d, i) => ({ d, i })).filter(({ d }) => roles.has(d.role as Role) && LOOKUP_TYPES.has(d.type));
        await admitBatch(req, reply, deps, chosen.length, 'POST /api/v1/extract with enrich=true');
        const inputs: BulkInput[] = chosen.map(({ d }) => ({ value: d.value, type: d.type as IndicatorType }));
        const rows = out['distinct'] as Record<string, unknown>[];
        const summary = { worst_level: null as string | null, enriched: 0, found: 0, by_level: {} as Record<string, number>, by_type: {} as Record<string, number>, techniques: [] as { id: string; name: string; indicators: number }[] };
        const techniques = new Map<string, { id: string; name: string; indicators: number }>();
        // the verdicts read no hunting queries: none is built
        const run = bulk.run(inputs, { hunting: false });
        for (let step = await run.next(); step.done !== true; step = await run.next()) {
          const item = step.value;
          if (!('result' in item)) continue;
          const r = item.result;
          const row = rows[chosen[item.index]!.i]!;
          row['verdict'] = { level: r.risk_score, score: r.risk.score, confidence: r.confidence, found: r.found, sources: r.sources.length, techniques: r.mitre_techniques.map((t) => t.id) };
          summary.enriched += 1;
          if (r.found) summary.found += 1;
          summary.by_level[r.risk_score] = (summary.by_level[r.risk_score] ?? 0) + 1;
          summary.by_type[r.type] = (summary.by_type[r.type] ?? 0) + 1;
          if (summary.worst_level === null || LEVEL_ORDER.indexOf(r.risk_score) > LEVEL_ORDER.indexOf(summary.worst_level)) summary.worst_level = r.risk_score;
          for (const t of r.mitre_techniques) {
            const seen = techniques.get(t.id) ?? { id: t.id, name: t.name, indicators: 0 };
            seen.indicators += 1;
            techniques.set(t.id, seen);
          }
        }
        summary.techniques = [...techniques.values()].sort((a, b) => b.indicators - a.indicators || (a.id < b.id ? -1 : 1));
        out['summary'] = summary;
        if (wantsSummary) {
          // written from the enriched answer only (cached by its content, which holds the verdicts); bounded by VERDICT_LLM_TIMEOUT_MS; never changes a verdict
          const outcome = summarizer === undefined ? null : await summarizer.summarizeText(out);
          if (outcome?.ok === true) out['analyst_summary'] = outcome.summary;
          else out['summary_error'] = outcome?.error ?? { code: 'disabled', message: 'Summaries are off on this instance.' };
        }
        return reply.send(out);
      },
    );
  });
}
