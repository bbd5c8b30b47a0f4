/**
 * GET /api/v1/lookup/export — one indicator's lookup result in an export format (docs/exports.md):
 * a STIX 2.1 bundle, a MISP event, a CEF or RFC 5424 syslog line, OpenIOC 1.0 XML or a Sigma rule.
 * Scope `read:export`. The body is streamed as the format writes it.
 */
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { Type } from '../typebox.ts';
import type { Lookup, LookupRequest } from '../../enrich.ts';
import { TYPE_NAMES, parseTypeHint } from '../../indicators/type-hint.ts';
import type { StoredType } from '../../indicators/types.ts';
import type { HuntingQueryBuilder, Intelligence } from '../../model.ts';
import { loadScoringRules } from '../../intel.ts';
import type { ScoringRules } from '../../scoring/index.ts';
import { EXPORT_EXTENSIONS, EXPORT_FORMATS, EXPORT_MEDIA_TYPES, TLP_LEVELS, parseTlp, renderExport, type ExportFormat, type ExportItems, type ExportOptions, type TlpLevel } from '../../exports/index.ts';
import type { BulkInput, BulkLookup } from '../../bulk.ts';
import { parseIndicator } from '../../indicators/detect.ts';
import { ApiError } from '../errors.ts';
import { AUTH_ERRORS, KEY_SECURITY, errorResponses } from '../schemas.ts';
import { BulkValue, admitBatch, bulkBodyLimit, type BulkRouteDeps } from './bulk.ts';
import { MAX_VALUE_LENGTH } from './lookup.ts';

export interface ExportDeps {
  intel: Intelligence;
  hunting: HuntingQueryBuilder;
  clock: () => Date;
}

/** The decay lifetimes of the risk model the lookups use (its rules when the model exposes them, else data/scoring.json). */
export function lifetimesOf(intel: Intelligence): (type: StoredType) => number | null {
  const rules: ScoringRules = (intel as { rules?: ScoringRules }).rules ?? loadScoringRules(fileURLToPath(new URL('../../../data/scoring.json', import.meta.url)));
  return (type) => rules.decay[type]?.lifetimeDays ?? null;
}

/** `format` (required) and `tlp` (optional) as every export route reads them. */
export function parseExportParams(q: { format?: string; tlp?: string }): { format: ExportFormat; tlp: TlpLevel | undefined } {
  if (q.format === undefined || q.format.trim() === '') {
    throw new ApiError('missing_parameter', `Parameter "format" is required: ${EXPORT_FORMATS.join(', ')}.`, { parameter: 'format', allowed: [...EXPORT_FORMATS] });
  }
  const format = q.format.trim().toLowerCase();
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new ApiError('invalid_parameter', `Unknown export format "${q.format.slice(0, 40)}"; expected one of ${EXPORT_FORMATS.join(', ')}.`, { parameter: 'format', allowed: [...EXPORT_FORMATS] });
  }
  let tlp: TlpLevel | undefined;
  if (q.tlp !== undefined && q.tlp.trim() !== '') {
    const parsed = parseTlp(q.tlp);
    if (parsed === null) throw new ApiError('invalid_parameter', `Unknown TLP "${q.tlp.slice(0, 40)}"; expected one of ${TLP_LEVELS.join(', ')}.`, { parameter: 'tlp', allowed: [...TLP_LEVELS] });
    tlp = parsed;
  }
  return { format: format as ExportFormat, tlp };
}

export const ExportFormatParams = {
  format: Type.Optional(Type.String({ maxLength: 40, description: `Required: ${EXPORT_FORMATS.join(', ')} (docs/exports.md)` })),
  tlp: Type.Optional(
    Type.String({ maxLength: 40, description: `TLP 2.0 marking: ${TLP_LEVELS.join(', ')}. Each indicator is marked with this or its feeds' TLP, whichever is stricter (default: the feeds')` }),
  ),
};

/** The export as a streamed reply body, with its media type and a file name. */
export function exportBody(format: ExportFormat, items: ExportItems, opts: ExportOptions & { hunting: HuntingQueryBuilder }, name: string) {
  return {
    type: EXPORT_MEDIA_TYPES[format],
    disposition: `attachment; filename="${name}.${EXPORT_EXTENSIONS[format]}"`,
    stream: Readable.from(renderExport(format, items, opts), { objectMode: false }),
  };
}

const Query = Type.Object({
  value: Type.Optional(Type.String({ maxLength: MAX_VALUE_LENGTH, description: 'The indicator, as for /api/v1/lookup' })),
  type: Type.Optional(Type.String({ maxLength: 32, description: `Type hint: ${TYPE_NAMES.join(', ')}` })),
  ...ExportFormatParams,
});

export function registerLookupExportRoute(app: FastifyInstance, lookup: Lookup, deps: ExportDeps): void {
  const lifetimeDays = lifetimesOf(deps.intel);
  app.get(
    '/api/v1/lookup/export',
    {
      config: { scope: 'read:export' },
      schema: {
        summary: "Export one indicator's lookup result",
        description:
          "The lookup result of one indicator as a STIX 2.1 bundle, a MISP event, a CEF or RFC 5424 syslog line, OpenIOC 1.0 XML or a Sigma rule (docs/exports.md). An indicator no feed reported exports as an empty document (CEF and syslog: one line saying so).",
        tags: ['export'],
        security: KEY_SECURITY,
        querystring: Query,
        produces: [...new Set(Object.values(EXPORT_MEDIA_TYPES))],
        response: {
          200: { description: 'The document in the asked format', content: Object.fromEntries([...new Set(Object.values(EXPORT_MEDIA_TYPES))].map((t) => [t, { schema: { type: 'string' } }])) },
          ...errorResponses(400, ...AUTH_ERRORS),
        },
      },
    },
    async (req, reply) => {
      const q = req.query as { value?: string; type?: string; format?: string; tlp?: string };
      if (q.value === undefined || q.value.trim() === '') {
        throw new ApiError('missing_parameter', 'Parameter "value" is required (the indicator to export).', { parameter: 'value' });
      }
      const { format, tlp } = parseExportParams(q);
      const hint = parseTypeHint(q.type);
      if (!hint.ok) throw new ApiError('invalid_parameter', hint.message, { parameter: 'type', allowed: [...hint.allowed] });
      const request: LookupRequest = { value: q.value, ...(hint.type ? { type: hint.type } : {}) };
      const outcome = lookup.cached(request) ?? (await lookup.lookup(request));
      if (!outcome.ok) {
        throw new ApiError('invalid_indicator', `The value is not ${hint.type ? `a valid ${hint.type}` : 'a valid indicator of any supported type'}.`, {
          expected_types: outcome.expectedTypes,
          reasons: outcome.reasons.map((r) => ({ type: r.type, reason: r.reason })),
        });
      }
      const body = exportBody(format, [outcome.result], { now: deps.clock(), tlp, lifetimeDays, hunting: deps.hunting }, `verdict-${outcome.result.type}`);
      reply.type(body.type).header('content-disposition', body.disposition);
      return reply.send(body.stream);
    },
  );
}

const ListBody = Type.Object(
  {
    values: Type.Array(BulkValue, { minItems: 1, description: "The indicators, as for POST /api/v1/lookup/bulk: at most the tier's max results" }),
    format: Type.String({ maxLength: 40, description: `${EXPORT_FORMATS.join(', ')} (docs/exports.md)` }),
    tlp: Type.Optional(Type.String({ maxLength: 40, description: `TLP 2.0 marking: ${TLP_LEVELS.join(', ')}` })),
  },
  { additionalProperties: false },
);

/** Every value read as the bulk lookup reads it, before anything is computed: the first bad one is a 400 naming its index. */
function checkValues(values: readonly BulkInput[]): void {
  values.forEach((input, index) => {
    const raw = typeof input === 'string' ? input : input.value;
    const hint = parseTypeHint(typeof input === 'string' ? undefined : input.type);
    if (!hint.ok) throw new ApiError('invalid_parameter', `values[${index}]: ${hint.message}`, { parameter: 'type', index, allowed: [...hint.allowed] });
    if (raw.trim() === '' || raw.length > MAX_VALUE_LENGTH || !parseIndicator(raw, hint.type).ok) {
      throw new ApiError('invalid_indicator', `values[${index}] is not ${hint.type ? `a valid ${hint.type}` : 'a valid indicator of any supported type'}.`, { index, value: raw.slice(0, 200) });
    }
  });
}

/**
 * POST /api/v1/lookup/export — the lookup results of a list of indicators (a selection in the
 * console) in one export document. Admitted as a bulk lookup is (pro and enterprise tiers; each
 * value counts against the daily quota); each distinct indicator once, in input order.
 */
export function registerLookupListExportRoute(app: FastifyInstance, bulk: BulkLookup, deps: ExportDeps & BulkRouteDeps): void {
  const lifetimeDays = lifetimesOf(deps.intel);
  app.post(
    '/api/v1/lookup/export',
    {
      config: { scope: 'read:export' },
      bodyLimit: bulkBodyLimit(deps.config),
      schema: {
        summary: 'Export the lookup results of many indicators',
        description:
          'The lookup results of the listed indicators (as POST /api/v1/lookup/bulk takes them) in one STIX 2.1 bundle, MISP event, CEF or syslog lines, OpenIOC document or Sigma rules (docs/exports.md). ' +
          'Each distinct indicator once, in input order; a value that is not an indicator is a 400 naming its index. Tier: pro and enterprise; each value counts against the daily quota.',
        tags: ['export'],
        security: KEY_SECURITY,
        body: ListBody,
        produces: [...new Set(Object.values(EXPORT_MEDIA_TYPES))],
        response: {
          200: { description: 'The document in the asked format', content: Object.fromEntries([...new Set(Object.values(EXPORT_MEDIA_TYPES))].map((t) => [t, { schema: { type: 'string' } }])) },
          ...errorResponses(400, 413, 415, ...AUTH_ERRORS),
        },
      },
    },
    async (req, reply) => {
      const body = req.body as { values: BulkInput[]; format: string; tlp?: string };
      const { format, tlp } = parseExportParams(body);
      checkValues(body.values);
      await admitBatch(req, reply, deps, body.values.length, 'POST /api/v1/lookup/export');
      async function* results() {
        for await (const item of bulk.run(body.values, { hunting: false })) if ('result' in item) yield item.result;
      }
      const out = exportBody(format, results(), { now: deps.clock(), tlp, lifetimeDays, hunting: deps.hunting }, 'verdict-lookups');
      reply.type(out.type).header('content-disposition', out.disposition);
      return reply.send(out.stream);
    },
  );
}
