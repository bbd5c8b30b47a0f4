/**
 * TAXII 2.1 over the IOC catalogue (docs/taxii.md): discovery at /taxii2/, the API root at
 * /taxii2/api/, its collections (src/taxii/collections.ts) and each collection's objects, one
 * object and its versions, and manifest, with the filters of TAXII 2.1 §3.4. Scope `read:export`
 * (the same data as GET /api/v1/iocs/stix); the key comes as a Bearer token or as the HTTP Basic
 * password, which is what TAXII clients send. Every answer is `application/taxii+json;version=2.1`,
 * errors included: under /taxii2 the catalog's errors are written in TAXII's error envelope.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '../typebox.ts';
import { ApiError } from '../errors.ts';
import type { CatalogueLabels } from '../../exports/catalogue.ts';
import type { ExportOptions } from '../../exports/types.ts';
import type { AddedQuery, AddedEntry } from '../../store/types.ts';
import { parseFilter, type TaxiiFilter } from '../../taxii/filters.ts';
import { collectionResource, createTaxiiService, type Page, type TaxiiService } from '../../taxii/service.ts';
import { TAXII_MEDIA_TYPE, type TaxiiCollection } from '../../taxii/collections.ts';
import { STIX_MEDIA_TYPE } from '../../exports/stix.ts';

export const TAXII_PREFIX = '/taxii2';
export const TAXII_API_ROOT = `${TAXII_PREFIX}/api/`;
export const TAXII_SCOPE = 'read:export';

export interface TaxiiRouteDeps {
  catalogue: { ensureFresh(): Promise<unknown> };
  store: { catalogue: { byAdded(query: AddedQuery): Promise<{ entries: AddedEntry[]; more: boolean }> } };
  labels: CatalogueLabels;
  lifetimeDays: ExportOptions['lifetimeDays'];
  /** The largest request body the server takes (the API root's max_content_length). */
  bodyLimit: number;
}

/** TAXII's error titles by status. */
const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Not acceptable',
  408: 'Request timeout',
  413: 'Request entity too large',
  415: 'Unsupported media type',
  429: 'Too many requests',
  500: 'Internal error',
  503: 'Service unavailable',
};

/** The TAXII error resource (§3.6.1); `error_code` and `error_id` carry the catalog's code and the request id. */
export function taxiiError(status: number, description: string, code: string, requestId: string, details?: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { title: TITLES[status] ?? 'Error', description, error_id: requestId, error_code: code, http_status: String(status) };
  if (details !== undefined) out['details'] = details;
  return out;
}

const TaxiiErrorSchema = Type.Object(
  {
    title: Type.String(),
    description: Type.Optional(Type.String()),
    error_id: Type.Optional(Type.String({ description: 'The request id' })),
    error_code: Type.Optional(Type.String({ description: 'The code from the error catalog (docs/api.md)' })),
    http_status: Type.Optional(Type.String()),
    details: Type.Optional(Type.Object({}, { additionalProperties: true })),
  },
  { description: 'The TAXII 2.1 error resource' },
);

function taxiiErrors(...statuses: number[]): Record<number, unknown> {
  const out: Record<number, unknown> = {};
  for (const s of statuses) out[s] = { description: TITLES[s] ?? 'Error', content: { [TAXII_MEDIA_TYPE]: { schema: TaxiiErrorSchema } } };
  return out;
}

const ok = (description: string, schema: unknown) => ({ 200: { description, content: { [TAXII_MEDIA_TYPE]: { schema } } } });
const Loose = (description: string, properties: Record<string, unknown>) => Type.Object(properties as Record<string, never>, { additionalProperties: true, description });
const STIX_OBJECT = Type.Object({ type: Type.String(), id: Type.String(), spec_version: Type.String() }, { additionalProperties: true });
const Envelope = Loose('A TAXII envelope', { more: Type.Boolean(), next: Type.Optional(Type.String()), objects: Type.Optional(Type.Array(STIX_OBJECT)) });
const Manifest = Loose('A manifest: one record per object version', {
  more: Type.Boolean(),
  next: Type.Optional(Type.String()),
  objects: Type.Optional(Type.Array(Type.Object({ id: Type.String(), date_added: Type.String(), version: Type.String(), media_type: Type.String() }))),
});
const Versions = Loose('The versions of an object', { more: Type.Boolean(), next: Type.Optional(Type.String()), versions: Type.Optional(Type.Array(Type.String())) });
const CollectionSchema = Type.Object({
  id: Type.String(),
  title: Type.String(),
  description: Type.String(),
  alias: Type.String(),
  can_read: Type.Boolean(),
  can_write: Type.Boolean(),
  media_types: Type.Array(Type.String()),
});

const FILTER_PARAMS = {
  added_after: Type.Optional(Type.String({ maxLength: 64, description: 'Only objects added after this time (RFC 3339; date_added has microsecond precision and is unique per object)' })),
  limit: Type.Optional(Type.String({ maxLength: 12, description: 'Objects per page (default 1000, at most 10000)' })),
  next: Type.Optional(Type.String({ maxLength: 2_000, description: "The previous page's `next`" })),
  'match[type]': Type.Optional(Type.String({ maxLength: 1_000, description: 'STIX types, comma-separated: indicator, vulnerability, attack-pattern, identity, marking-definition' })),
  'match[id]': Type.Optional(Type.String({ maxLength: 100_000, description: 'STIX ids, comma-separated' })),
  'match[version]': Type.Optional(Type.String({ maxLength: 1_000, description: 'first, last, all or a timestamp (one version of each object is kept)' })),
  'match[spec_version]': Type.Optional(Type.String({ maxLength: 100, description: 'STIX versions; every object is 2.1' })),
};
const PAGE_QUERY = Type.Object(FILTER_PARAMS);
/** The versions endpoint's filters (§5.8): no match[type], match[id] or match[version]. */
const VERSIONS_QUERY = Type.Object({
  added_after: FILTER_PARAMS.added_after,
  limit: FILTER_PARAMS.limit,
  next: FILTER_PARAMS.next,
  'match[spec_version]': FILTER_PARAMS['match[spec_version]'],
});
const COLLECTION_PARAMS = Type.Object({ collectionId: Type.String({ maxLength: 100 }) });
const OBJECT_PARAMS = Type.Object({ collectionId: Type.String({ maxLength: 100 }), objectId: Type.String({ maxLength: 300 }) });

/**
 * Whether an Accept header allows a TAXII 2.1 answer: absent, `*` `/` `*`, `application/*`, or
 * `application/taxii+json` without a version or with version 2.1, at a quality above 0.
 */
export function acceptsTaxii(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  for (const range of accept.split(',')) {
    const [type = '', ...params] = range.split(';').map((p) => p.trim().toLowerCase());
    let version: string | null = null;
    let q = 1;
    for (const p of params) {
      const [k, v = ''] = p.split('=').map((x) => x.trim());
      if (k === 'version') version = v.replace(/^"|"$/g, '');
      if (k === 'q') q = Number(v);
    }
    if (!(q > 0)) continue;
    if (type === '*/*' || type === 'application/*') return true;
    if (type === 'application/taxii+json' && (version === null || version === '2.1')) return true;
  }
  return false;
}

const SECURITY: { [scheme: string]: string[] }[] = [{ bearer: [] }, { basic: [] }];
const AUTH = [401, 403, 429, 500, 503];

function sendTaxii(reply: FastifyReply, body: unknown, page?: Page): FastifyReply {
  if (page !== undefined && page.items.length > 0) {
    reply.header('x-taxii-date-added-first', page.items[0]!.dateAdded);
    reply.header('x-taxii-date-added-last', page.items[page.items.length - 1]!.dateAdded);
  }
  // written here: STIX objects are any shape, which a response serializer would trim to its schema
  // a Buffer: Fastify leaves its media type as given (a string would get a charset and quoted parameters)
  return reply.header('content-type', TAXII_MEDIA_TYPE).send(Buffer.from(JSON.stringify(body)));
}

function filterOf(query: unknown, collectionId: string, objectId: string | null = null): TaxiiFilter {
  const parsed = parseFilter(query as Record<string, unknown>, collectionId, objectId);
  if (!parsed.ok) throw new ApiError('invalid_parameter', parsed.message, { parameter: parsed.parameter });
  return parsed.filter;
}

/** The page of one object's entries in a collection; 404 when the collection does not hold it at all. */
async function objectPage(service: TaxiiService, req: FastifyRequest, query: unknown): Promise<Page> {
  const { collectionId, objectId } = req.params as { collectionId: string; objectId: string };
  const c = collectionOf(service, collectionId);
  const page = await service.page(c, filterOf(query, c.id, objectId), objectId);
  if (page.items.length === 0 && !(await service.holds(c, objectId))) {
    throw new ApiError('not_found', `No object ${objectId.slice(0, 120)} in this collection.`, { object_id: objectId.slice(0, 120) });
  }
  return page;
}

function collectionOf(service: TaxiiService, id: string): TaxiiCollection {
  const c = service.collection(id);
  if (c === undefined) throw new ApiError('not_found', `No collection ${id.slice(0, 100)} on this API root.`, { collection_id: id.slice(0, 100) });
  return c;
}

/** An envelope's `more`, `next` and, when there are any, `objects`. */
function envelope<T>(page: Page, objects: T[], key = 'objects'): Record<string, unknown> {
  const out: Record<string, unknown> = { more: page.more };
  if (page.next !== null) out['next'] = page.next;
  if (objects.length > 0) out[key] = objects;
  return out;
}

/** The catalog's error envelope, as the app's error handler wrote it, rewritten as TAXII's. */
function rewriteError(req: FastifyRequest, reply: FastifyReply, payload: unknown): unknown {
  if (typeof payload !== 'string') return payload;
  let body: { error?: { code?: string; message?: string; request_id?: string; details?: Record<string, unknown> } };
  try {
    body = JSON.parse(payload) as typeof body;
  } catch {
    return payload;
  }
  const e = body.error;
  if (e === undefined || typeof e.code !== 'string') return payload;
  reply.header('content-type', TAXII_MEDIA_TYPE);
  if (reply.statusCode === 401) reply.header('www-authenticate', 'Basic realm="Verdict TAXII", charset="UTF-8"');
  return Buffer.from(JSON.stringify(taxiiError(reply.statusCode, e.message ?? '', e.code, e.request_id ?? req.id, e.details)));
}

export async function registerTaxiiRoutes(app: FastifyInstance, deps: TaxiiRouteDeps): Promise<void> {
  const service = createTaxiiService({
    catalogue: { ensureFresh: () => deps.catalogue.ensureFresh(), byAdded: (q) => deps.store.catalogue.byAdded(q) },
    labels: deps.labels,
    lifetimeDays: deps.lifetimeDays,
  });
  const config = { scope: TAXII_SCOPE, keyInBasicPassword: true } as const;

  /** 406 unless the client takes TAXII 2.1 (after authentication: a refused key learns nothing). */
  function negotiate(req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void {
    if (acceptsTaxii(req.headers.accept)) {
      done();
      return;
    }
    reply.code(406);
    sendTaxii(reply, taxiiError(406, `This server answers ${TAXII_MEDIA_TYPE}; the Accept header allows none of it.`, 'not_acceptable', req.id, { accept: String(req.headers.accept).slice(0, 200) }));
  }

  const common = (summary: string, description: string) => ({ summary, description, tags: ['taxii'], security: SECURITY });

  await app.register(
    async (taxii) => {
      taxii.addHook('onSend', (req, reply, payload, done) => {
        if (reply.statusCode >= 400) done(null, rewriteError(req, reply, payload));
        else done(null, payload);
      });
      taxii.setNotFoundHandler((req, reply) => {
        reply.header('x-request-id', req.id);
        // every resource here is read-only: another method on one of them is a 405
        const path = req.url.split('?')[0] ?? '';
        if (req.method !== 'GET' && req.method !== 'HEAD' && taxii.findRoute({ method: 'GET', url: path }) !== null) {
          reply.code(405).header('allow', 'GET, HEAD');
          return sendTaxii(reply, taxiiError(405, `Method ${req.method} is not allowed here: the collections are read-only.`, 'method_not_allowed', req.id));
        }
        reply.code(404);
        return sendTaxii(reply, taxiiError(404, 'No such TAXII resource.', 'not_found', req.id));
      });

      taxii.get(
        '/',
        { config, onRequest: negotiate, schema: { ...common('TAXII discovery', 'The TAXII 2.1 server: its title and its one API root.'), response: { ...ok('Discovery', Loose('Discovery', {})), ...taxiiErrors(406, ...AUTH) } } },
        async (req, reply) => {
          const root = `${req.protocol}://${req.host}${TAXII_API_ROOT}`;
          return sendTaxii(reply, {
            title: 'Verdict TAXII 2.1',
            description: "Verdict's IOC catalogue as STIX 2.1 indicators, with the risk level and confidence Verdict gives each.",
            default: root,
            api_roots: [root],
          });
        },
      );

      taxii.get(
        '/api/',
        { config, onRequest: negotiate, schema: { ...common('TAXII API root', 'The API root: TAXII versions served and the largest request accepted.'), response: { ...ok('API root', Loose('API root', {})), ...taxiiErrors(406, ...AUTH) } } },
        async (_req, reply) =>
          sendTaxii(reply, {
            title: 'Verdict indicators',
            description: 'Read-only collections of the IOC catalogue: all indicators, the high-confidence ones, and one per feed category.',
            versions: [TAXII_MEDIA_TYPE],
            max_content_length: deps.bodyLimit,
          }),
      );

      taxii.get(
        '/api/collections/',
        {
          config,
          onRequest: negotiate,
          schema: { ...common('TAXII collections', 'Every collection of the API root.'), response: { ...ok('Collections', Type.Object({ collections: Type.Array(CollectionSchema) })), ...taxiiErrors(406, ...AUTH) } },
        },
        async (_req, reply) => sendTaxii(reply, { collections: service.collections().map(collectionResource) }),
      );

      taxii.get(
        '/api/collections/:collectionId/',
        { config, onRequest: negotiate, schema: { ...common('A TAXII collection', 'One collection.'), params: COLLECTION_PARAMS, response: { ...ok('Collection', CollectionSchema), ...taxiiErrors(404, 406, ...AUTH) } } },
        async (req, reply) => sendTaxii(reply, collectionResource(collectionOf(service, (req.params as { collectionId: string }).collectionId))),
      );

      taxii.get(
        '/api/collections/:collectionId/objects/',
        {
          config,
          onRequest: negotiate,
          schema: {
            ...common('A TAXII collection\'s objects', 'A page of the collection\'s STIX objects, oldest date_added first, with `more` and `next`; X-TAXII-Date-Added-First and -Last date the page.'),
            params: COLLECTION_PARAMS,
            querystring: PAGE_QUERY,
            response: { ...ok('Envelope', Envelope), ...taxiiErrors(400, 404, 406, ...AUTH) },
          },
        },
        async (req, reply) => {
          const c = collectionOf(service, (req.params as { collectionId: string }).collectionId);
          const page = await service.page(c, filterOf(req.query, c.id), null);
          const objects = page.items.map((i) => i.object()).filter((o) => o !== null);
          return sendTaxii(reply, envelope(page, objects), page);
        },
      );

      taxii.get(
        '/api/collections/:collectionId/objects/:objectId/',
        {
          config,
          onRequest: negotiate,
          schema: {
            ...common('A TAXII object', 'The object with this id in the collection (its version asked for by match[version]; one is kept).'),
            params: OBJECT_PARAMS,
            querystring: PAGE_QUERY,
            response: { ...ok('Envelope', Envelope), ...taxiiErrors(400, 404, 406, ...AUTH) },
          },
        },
        async (req, reply) => {
          const page = await objectPage(service, req, req.query);
          const objects = page.items.map((i) => i.object()).filter((o) => o !== null);
          return sendTaxii(reply, envelope(page, objects), page);
        },
      );

      taxii.get(
        '/api/collections/:collectionId/objects/:objectId/versions/',
        {
          config,
          onRequest: negotiate,
          schema: {
            ...common('A TAXII object\'s versions', 'The versions of the object kept (one: the current).'),
            params: OBJECT_PARAMS,
            querystring: VERSIONS_QUERY,
            response: { ...ok('Versions', Versions), ...taxiiErrors(400, 404, 406, ...AUTH) },
          },
        },
        async (req, reply) => {
          // every version of the object: §5.8 has no match[version] (nor type or id) here
          const query = { ...(req.query as Record<string, unknown>) };
          for (const k of ['match[version]', 'match[type]', 'match[id]']) delete query[k];
          const page = await objectPage(service, req, query);
          return sendTaxii(reply, envelope(page, page.items.map((i) => i.version), 'versions'), page);
        },
      );

      taxii.get(
        '/api/collections/:collectionId/manifest/',
        {
          config,
          onRequest: negotiate,
          schema: {
            ...common('A TAXII collection\'s manifest', 'A page of records about the collection\'s objects (id, date_added, version, media_type), with the filters of objects/.'),
            params: COLLECTION_PARAMS,
            querystring: PAGE_QUERY,
            response: { ...ok('Manifest', Manifest), ...taxiiErrors(400, 404, 406, ...AUTH) },
          },
        },
        async (req, reply) => {
          const c = collectionOf(service, (req.params as { collectionId: string }).collectionId);
          const page = await service.page(c, filterOf(req.query, c.id), null);
          const records = page.items.map((i) => ({ id: i.id, date_added: i.dateAdded, version: i.version, media_type: STIX_MEDIA_TYPE }));
          return sendTaxii(reply, envelope(page, records), page);
        },
      );
    },
    { prefix: TAXII_PREFIX },
  );
}
