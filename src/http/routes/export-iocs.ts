/**
 * The catalogue's exports: GET /api/v1/iocs/stix, /misp, /cef, /syslog, /openioc and /sigma
 * (scope `read:export`) with the filters of GET /api/v1/iocs. Every matching indicator is read
 * from the catalogue's stream a keyset page at a time and written as the format goes, so an export
 * of any size is never held in memory (docs/exports.md).
 */
import type { FastifyInstance } from 'fastify';
import { Type } from '../typebox.ts';
import type { Catalogue } from '../../catalogue/index.ts';
import { catalogueItems } from '../../exports/catalogue.ts';
import { EXPORT_FORMATS, EXPORT_MEDIA_TYPES, TLP_LEVELS, parseTlp, type TlpLevel } from '../../exports/index.ts';
import type { HuntingQueryBuilder, Intelligence } from '../../model.ts';
import { ApiError } from '../errors.ts';
import { AUTH_ERRORS, KEY_SECURITY, errorResponses } from '../schemas.ts';
import { exportBody, lifetimesOf } from './export.ts';
import { FilterParams, filtersOf, type FilterInput } from './iocs.ts';

export interface IocExportDeps {
  catalogue: Catalogue;
  catalog: { info(id: string): { name: string; category: string } | undefined };
  intel: Intelligence;
  hunting: HuntingQueryBuilder;
  clock: () => Date;
}

const Query = Type.Object({
  ...FilterParams,
  order: Type.Optional(Type.Enum(['last_seen', 'risk'], { default: 'last_seen', description: 'Newest last seen first, or highest risk score first' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, description: 'At most this many indicators (default: every match)' })),
  tlp: Type.Optional(Type.String({ maxLength: 40, description: `TLP 2.0 marking: ${TLP_LEVELS.join(', ')}; each indicator gets this or its feeds' TLP, whichever is stricter` })),
});

export function registerIocExportRoutes(app: FastifyInstance, deps: IocExportDeps): void {
  const lifetimeDays = lifetimesOf(deps.intel);
  const labels = { feed: (id: string) => deps.catalog.info(id) };
  for (const format of EXPORT_FORMATS) {
    app.get(
      `/api/v1/iocs/${format}`,
      {
        config: { scope: 'read:export' },
        schema: {
          summary: `Export the catalogue as ${format}`,
          description: `Every indicator matching the filters of GET /api/v1/iocs, streamed as ${format} (docs/exports.md).`,
          tags: ['export'],
          security: KEY_SECURITY,
          querystring: Query,
          produces: [EXPORT_MEDIA_TYPES[format]],
          response: {
            200: { description: `The ${format} document`, content: { [EXPORT_MEDIA_TYPES[format]]: { schema: { type: 'string' } } } },
            ...errorResponses(400, ...AUTH_ERRORS),
          },
        },
      },
      async (req, reply) => {
        const q = req.query as FilterInput & { order?: 'last_seen' | 'risk'; limit?: number; tlp?: string };
        const { filters } = filtersOf(q);
        let tlp: TlpLevel | undefined;
        if (q.tlp !== undefined && q.tlp.trim() !== '') {
          const parsed = parseTlp(q.tlp);
          if (parsed === null) throw new ApiError('invalid_parameter', `Unknown TLP "${q.tlp.slice(0, 40)}"; expected one of ${TLP_LEVELS.join(', ')}.`, { parameter: 'tlp', allowed: [...TLP_LEVELS] });
          tlp = parsed;
        }
        // as the list does: changed indicators are taken into the catalogue before it is read
        await deps.catalogue.ensureFresh();
        const entries = deps.catalogue.stream(filters, q.order ?? 'last_seen', q.limit ?? Number.POSITIVE_INFINITY);
        const body = exportBody(format, catalogueItems(entries, labels), { now: deps.clock(), tlp, lifetimeDays, hunting: deps.hunting }, 'verdict-iocs');
        reply.type(body.type).header('content-disposition', body.disposition);
        return reply.send(body.stream);
      },
    );
  }
}
