/**
 * The IOC catalogue over HTTP (scope read:iocs): GET /api/v1/iocs (the filtered list, in pages,
 * as json, ndjson, csv or txt), GET /api/v1/iocs/search (exact, then substring, optionally with
 * the indicators sharing an origin) and GET /api/v1/iocs/stats (totals, new indicators, feed
 * health and top lists, cached). All read src/catalogue/.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '../typebox.ts';
import { CSV_COLUMNS, CSV_HEADER, chunked, csvWriter, ndjsonLine, toIoc, txtLine } from '../../catalogue/formats.ts';
import type { Catalogue } from '../../catalogue/index.ts';
import type { Config } from '../../config.ts';
import { storeStatuses, type FeedStatusView } from '../../feeds/status.ts';
import type { FeedCatalog } from '../../feeds/catalog.ts';
import { parseIndicator } from '../../indicators/detect.ts';
import { normalize } from '../../indicators/normalize.ts';
import { refang } from '../../indicators/refang.ts';
import { parseTypeName } from '../../indicators/type-hint.ts';
import type { StoredType } from '../../indicators/types.ts';
import { CONFIDENCE_LEVELS, RISK_LEVELS } from '../../model.ts';
import { CatalogueCursorError } from '../../store/catalogue.ts';
import { tupleCursor, tupleEntry, type CatalogueTuple } from '../../store/catalogue-scan.ts';
import type { CatalogueEntry, CatalogueFilters, CatalogueQuery, Store } from '../../store/types.ts';
import { ApiError, unknownNameError } from '../errors.ts';
import { AUTH_ERRORS, KEY_SECURITY, errorResponses } from '../schemas.ts';

export const IOCS_DEFAULT_LIMIT = 100;
export const SEARCH_DEFAULT_LIMIT = 50;
export const SEARCH_MAX_LIMIT = 500;
/** Counts stop here: past it `meta.total` is a lower bound (`total_exact: false`). */
export const COUNT_CAP = 100_000;
/** Pages larger than this are streamed as they are read (their end found first, for the Link header); smaller ones are sent whole. */
export const STREAM_FROM = 2_000;
const FORMATS = ['json', 'ndjson', 'csv', 'txt'] as const;
export { CSV_COLUMNS };

export interface IocRouteDeps {
  store: Pick<Store, 'dataVersion' | 'feedStates'>;
  catalogue: Catalogue;
  catalog: Pick<FeedCatalog, 'list' | 'refreshAt'> & { orphans?: FeedCatalog['orphans'] };
  config: Pick<Config, 'tiers'>;
  clock: () => Date;
}

/** The catalogue's filters as query parameters: the list, search and export routes share them. */
export const FilterParams = {
  type: Type.Optional(Type.String({ maxLength: 20, description: 'Indicator type (ipv4, ipv6, domain, url, md5, sha1, sha256, cve, email, cidr, asn, …)' })),
  level: Type.Optional(Type.Enum([...RISK_LEVELS], { description: 'Minimum risk level' })),
  confidence: Type.Optional(Type.Enum([...CONFIDENCE_LEVELS], { description: 'Minimum confidence' })),
  feed: Type.Optional(Type.String({ maxLength: 100, description: 'Reported by this feed (its id)' })),
  category: Type.Optional(Type.String({ maxLength: 40, description: 'Reported by a feed of this category' })),
  threat_type: Type.Optional(Type.String({ maxLength: 40, description: 'Reported as this threat type' })),
  family: Type.Optional(Type.String({ maxLength: 100, description: 'Malware family (case-insensitive)' })),
  technique: Type.Optional(Type.String({ maxLength: 20, description: 'ATT&CK technique id' })),
  cve: Type.Optional(Type.String({ maxLength: 40, description: 'CVE id' })),
  since: Type.Optional(Type.String({ maxLength: 40, description: 'Last seen at or after: RFC 3339 time or YYYY-MM-DD' })),
  found_since: Type.Optional(Type.String({ maxLength: 40, description: 'First seen at or after: RFC 3339 time or YYYY-MM-DD' })),
  include_delisted: Type.Optional(Type.Boolean({ default: false, description: 'Also indicators no feed lists any more' })),
};

const ListQuery = Type.Object({
  ...FilterParams,
  order: Type.Optional(Type.Enum(['last_seen', 'risk'], { default: 'last_seen', description: 'Newest last seen first, or highest risk score first' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, description: "Indicators per page: default 100, at most the key's tier's max results" })),
  cursor: Type.Optional(Type.String({ maxLength: 1024, description: 'From the previous page (links.next, or the Link header)' })),
  format: Type.Optional(
    Type.Enum([...FORMATS], {
      default: 'json',
      description: 'json (with links and meta), ndjson (one indicator a line), csv (the documented header, then one row per indicator) or txt (one value a line, for block lists)',
    }),
  ),
});

const Ioc = Type.Object({
  type: Type.String(),
  value: Type.String(),
  risk_score: Type.String({ description: 'The risk level, as a lookup names it' }),
  score: Type.Integer({ description: 'The risk score 0–100, as a lookup computes it from the indicator\'s own sightings' }),
  confidence: Type.String(),
  first_seen: Type.String(),
  last_seen: Type.String(),
  listed: Type.Boolean({ description: 'false once no feed lists it any more' }),
  feeds: Type.Array(Type.String()),
  categories: Type.Array(Type.String()),
  threat_types: Type.Array(Type.String()),
  malware_families: Type.Array(Type.String()),
  mitre_techniques: Type.Array(Type.String()),
  cves: Type.Array(Type.String()),
  computed_at: Type.String({ description: 'When its score was computed (decay applied then)' }),
});

const Filters = Type.Record(Type.String(), Type.Unknown(), { description: 'The filters applied, as understood' });
const Freshness = {
  data_version: Type.Integer({ description: "The store's data version the rows reflect" }),
  pending: Type.Integer({ description: 'Changed indicators not yet in the catalogue (a large import is taken in the background)' }),
};

const IocList = Type.Object({
  iocs: Type.Array(Ioc),
  links: Type.Object({ next: Type.Unsafe<string | null>({ type: ['string', 'null'], description: 'The next page; null on the last' }) }),
  meta: Type.Object({
    total: Type.Integer({ description: 'Indicators matching the filters; a lower bound when total_exact is false' }),
    total_exact: Type.Boolean({ description: `false when the count stopped at ${COUNT_CAP}` }),
    filters: Filters,
    order: Type.String(),
    limit: Type.Integer(),
    ...Freshness,
  }),
});

const SearchResult = Type.Object({ ...Ioc.properties, match: Type.String({ description: 'exact, substring or related' }) });

const TIME = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}:\d{2}))?$/;

function timeParam(raw: string, parameter: string): string {
  const t = raw.trim();
  const [y, m, d] = [Number(t.slice(0, 4)), Number(t.slice(5, 7)), Number(t.slice(8, 10))];
  const day = new Date(Date.UTC(y, m - 1, d));
  const real = day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
  const ms = TIME.test(t) && real ? Date.parse(t) : Number.NaN;
  if (Number.isNaN(ms)) throw new ApiError('invalid_parameter', `${parameter} must be an RFC 3339 time (2026-01-31T00:00:00Z) or a date (2026-01-31).`, { parameter });
  return new Date(ms).toISOString();
}

function canonical(type: StoredType, raw: string, parameter: string): string {
  const n = normalize(type, raw.trim());
  if (!n.ok) throw new ApiError('invalid_parameter', `${parameter} is not a valid ${type === 'cve' ? 'CVE id' : 'ATT&CK technique id'}: ${n.reason}.`, { parameter });
  return n.value;
}

function typeParam(raw: string): StoredType {
  const lower = raw.trim().toLowerCase();
  if (lower === 'cidr' || lower === 'asn') return lower;
  const t = parseTypeName(raw);
  if (!t.ok) throw unknownNameError('type', { ...t, allowed: [...t.allowed, 'cidr', 'asn'] });
  return t.type;
}

export type FilterInput = { [K in keyof typeof FilterParams]?: string | boolean };

/** The filters as the store takes them, and as meta.filters echoes them. */
export function filtersOf(p: FilterInput): { filters: CatalogueFilters; echo: Record<string, unknown> } {
  const f: CatalogueFilters = {};
  const echo: Record<string, unknown> = {};
  const str = (k: keyof typeof FilterParams): string | undefined => {
    const v = p[k];
    return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
  };
  let v: string | undefined;
  if ((v = str('type')) !== undefined) echo.type = f.type = typeParam(v);
  if ((v = str('level')) !== undefined) echo.level = f.level = v as CatalogueFilters['level'];
  if ((v = str('confidence')) !== undefined) echo.confidence = f.confidence = v as CatalogueFilters['confidence'];
  if ((v = str('feed')) !== undefined) echo.feed = f.feed = v;
  if ((v = str('category')) !== undefined) echo.category = f.category = v.toLowerCase();
  if ((v = str('threat_type')) !== undefined) echo.threat_type = f.threatType = v.toLowerCase();
  if ((v = str('family')) !== undefined) echo.family = f.family = v;
  if ((v = str('technique')) !== undefined) echo.technique = f.technique = canonical('mitre-attack', v, 'technique');
  if ((v = str('cve')) !== undefined) echo.cve = f.cve = canonical('cve', v, 'cve');
  if ((v = str('since')) !== undefined) echo.since = f.since = timeParam(v, 'since');
  if ((v = str('found_since')) !== undefined) echo.found_since = f.foundSince = timeParam(v, 'found_since');
  if (p.include_delisted === true) echo.include_delisted = f.includeDelisted = true;
  return { filters: f, echo };
}

function nextLink(req: FastifyRequest, cursor: string): string {
  const url = new URL(req.url, 'http://verdict.invalid');
  url.searchParams.set('cursor', cursor);
  return `${url.pathname}?${url.searchParams.toString()}`;
}

function tierLimit(req: FastifyRequest, deps: IocRouteDeps): { max: number; tier: string } {
  const key = req.apiKey;
  const tier = key?.tier ?? 'free';
  return { max: deps.config.tiers[tier].maxResults, tier };
}

/** The rows of a scan in one array (a small page). */
async function pageRows(batches: AsyncIterable<CatalogueTuple[]>): Promise<CatalogueTuple[]> {
  const out: CatalogueTuple[] = [];
  for await (const rows of batches) for (const t of rows) out.push(t);
  return out;
}

const cursorError = (err: unknown): never => {
  if (err instanceof CatalogueCursorError) throw new ApiError('invalid_parameter', 'The cursor is not one this service gave for this order: start again without it.', { parameter: 'cursor' });
  throw err;
};

/** A feed's health in one word, with the reason when it is not healthy. */
export function feedHealth(f: FeedStatusView, now: Date): { status: 'healthy' | 'degraded' | 'error'; reason: string | null } {
  const h = f.health;
  if (h.last_error_at !== null && (h.last_success_at === null || h.last_error_at > h.last_success_at)) {
    return { status: 'error', reason: `its last run failed (${h.last_error_at})` };
  }
  if (h.last_success_at === null) return { status: 'degraded', reason: 'it has not run yet' };
  const ageS = (now.getTime() - Date.parse(h.last_success_at)) / 1000;
  if (f.interval_seconds > 0 && ageS > 3 * f.interval_seconds) {
    return { status: 'degraded', reason: `no successful run for ${Math.round(ageS / 3600)} hours (it runs every ${Math.round(f.interval_seconds / 60)} minutes)` };
  }
  if (h.listed_count === 0) return { status: 'degraded', reason: 'it lists no indicator' };
  return { status: 'healthy', reason: null };
}

export function registerIocRoutes(app: FastifyInstance, deps: IocRouteDeps): void {
  app.get(
    '/api/v1/iocs',
    {
      config: { scope: 'read:iocs' },
      schema: {
        summary: 'List the IOC catalogue',
        description:
          'Every indicator Verdict holds, filtered, newest last seen first (or highest risk first, order=risk), a page at a time: links.next (and the Link header) carries the next page. ' +
          "limit is at most the key's tier's max results. Risk is the lookup's model over the indicator's own sightings, kept fresh as described in docs/api.md.",
        tags: ['iocs'],
        security: KEY_SECURITY,
        querystring: ListQuery,
        produces: ['application/json', 'application/x-ndjson', 'text/csv', 'text/plain'],
        response: { 200: IocList, ...errorResponses(400, ...AUTH_ERRORS) },
      },
    },
    async (req: FastifyRequest, reply: FastifyReply) => {
      const p = req.query as FilterInput & { order?: 'last_seen' | 'risk'; limit?: number; cursor?: string; format?: (typeof FORMATS)[number] };
      const { max, tier } = tierLimit(req, deps);
      const limit = p.limit ?? Math.min(IOCS_DEFAULT_LIMIT, max);
      if (limit > max) throw new ApiError('invalid_parameter', `limit is at most ${max} on the ${tier} tier.`, { parameter: 'limit', limit: max, tier });
      const { filters, echo } = filtersOf(p);
      const order = p.order ?? 'last_seen';
      const fresh = await deps.catalogue.ensureFresh();
      const format = p.format ?? 'json';
      const base: CatalogueQuery = { ...filters, order, limit: 0, cursor: p.cursor === undefined || p.cursor === '' ? null : p.cursor };
      if (format === 'json' && limit <= STREAM_FROM) {
        const page = await deps.catalogue.list({ ...base, limit }).catch(cursorError);
        const count = await deps.catalogue.count(filters, COUNT_CAP);
        const next = page.next === null ? null : nextLink(req, page.next);
        if (next !== null) reply.header('link', `<${next}>; rel="next"`);
        return reply.send({
          iocs: page.entries.map(toIoc),
          links: { next },
          meta: { total: count.count, total_exact: !count.capped, filters: echo, order, limit, data_version: fresh.dataVersion, pending: fresh.pending },
        });
      }
      let until: string | null;
      let rows: AsyncIterable<CatalogueTuple[]>;
      if (limit > STREAM_FROM) {
        // a large page: its end found first (the Link header goes before the body), then its rows read in
        // batches and written as text as the reply takes them, down to that end (rows written meanwhile do
        // not move it)
        until = await deps.catalogue.boundary({ ...base, limit }).catch(cursorError);
        rows = deps.catalogue.rows({ ...base, limit: until === null ? limit : Number.MAX_SAFE_INTEGER, until });
      } else {
        // a small page in another format: its rows read whole, one more than asked to know whether another
        // page follows (its cursor is the last row's of the page)
        const page = await pageRows(deps.catalogue.rows({ ...base, limit: limit + 1 })).catch(cursorError);
        until = page.length > limit ? tupleCursor(page[limit - 1]!, order) : null;
        page.length = Math.min(page.length, limit);
        rows = (async function* () {
          yield page;
        })();
      }
      const next = until === null ? null : nextLink(req, until);
      let body: AsyncGenerator<string>;
      if (format === 'json') {
        const count = await deps.catalogue.count(filters, COUNT_CAP);
        const meta = { total: count.count, total_exact: !count.capped, filters: echo, order, limit, data_version: fresh.dataVersion, pending: fresh.pending };
        const tail = `],"links":${JSON.stringify({ next })},"meta":${JSON.stringify(meta)}}`;
        body = chunked(rows, (t) => JSON.stringify(toIoc(tupleEntry(t))), { head: '{"iocs":[', sep: ',', tail: () => tail });
      } else if (format === 'csv') body = chunked(rows, csvWriter(), { head: CSV_HEADER });
      else body = chunked(rows, format === 'ndjson' ? ndjsonLine : txtLine);
      if (next !== null) reply.header('link', `<${next}>; rel="next"`);
      reply.header('x-data-version', String(fresh.dataVersion));
      reply.type(format === 'json' ? 'application/json; charset=utf-8' : format === 'csv' ? 'text/csv; charset=utf-8' : format === 'ndjson' ? 'application/x-ndjson; charset=utf-8' : 'text/plain; charset=utf-8');
      if (limit > STREAM_FROM) return reply.send(Readable.from(body));
      // a small page whole: a failure is still an error answer
      let text = '';
      for await (const chunk of body) text += chunk;
      return reply.serializer((x: string) => x).send(text);
    },
  );

  app.get(
    '/api/v1/iocs/search',
    {
      config: { scope: 'read:iocs' },
      schema: {
        summary: 'Search the IOC catalogue',
        description:
          'q is matched exactly first — refanged and normalized as a lookup reads it, any type — then as a case-insensitive substring of stored values (3 characters or more). ' +
          'include_related=true adds the indicators that share an origin (the same report, MISP event, OTX pulse or feed entry) with the exact matches.',
        tags: ['iocs'],
        security: KEY_SECURITY,
        querystring: Type.Object({
          q: Type.String({ minLength: 1, maxLength: 2048, description: 'A value, defanged or not, or a part of one' }),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: SEARCH_MAX_LIMIT, default: SEARCH_DEFAULT_LIMIT, description: 'Results of each kind (exact, substring, related)' })),
          include_related: Type.Optional(Type.Boolean({ default: false })),
        }),
        response: {
          200: Type.Object({
            results: Type.Array(SearchResult),
            meta: Type.Object({ q: Type.String(), normalized: Type.Unsafe<string | null>({ type: ['string', 'null'] }), search_time_ms: Type.Number(), ...Freshness }),
          }),
          ...errorResponses(400, ...AUTH_ERRORS),
        },
      },
    },
    async (req: FastifyRequest, reply: FastifyReply) => {
      const p = req.query as { q: string; limit?: number; include_related?: boolean };
      const started = performance.now();
      const q = p.q.trim();
      if (q === '') throw new ApiError('missing_parameter', 'q is empty.', { parameter: 'q' });
      const limit = Math.min(p.limit ?? SEARCH_DEFAULT_LIMIT, tierLimit(req, deps).max);
      const fresh = await deps.catalogue.ensureFresh();
      const results: (ReturnType<typeof toIoc> & { match: string })[] = [];
      const seen = new Set<string>();
      const add = (e: CatalogueEntry, match: string): void => {
        const k = `${e.type} ${e.value}`;
        if (seen.has(k)) return;
        seen.add(k);
        results.push({ ...toIoc(e), match });
      };
      const parsed = parseIndicator(q);
      const exact: CatalogueEntry[] = [];
      if (parsed.ok) {
        const e = await deps.catalogue.get(parsed.type, parsed.value);
        if (e !== null) exact.push(e);
      }
      const cidr = normalize('cidr', refang(q));
      if (cidr.ok) {
        const e = await deps.catalogue.get('cidr', cidr.value);
        if (e !== null) exact.push(e);
      }
      for (const e of exact) add(e, 'exact');
      const text = refang(q);
      if (text.length >= 3) for (const e of await deps.catalogue.search(text, limit)) add(e, 'substring');
      if (p.include_related === true) {
        for (const e of exact) for (const r of await deps.catalogue.related(e.type, e.value, limit)) add(r, 'related');
      }
      return reply.send({
        results,
        meta: { q, normalized: parsed.ok ? parsed.value : null, search_time_ms: Math.round((performance.now() - started) * 100) / 100, data_version: fresh.dataVersion, pending: fresh.pending },
      });
    },
  );

  const Top = Type.Array(Type.Object({ id: Type.String(), count: Type.Integer() }));
  app.get(
    '/api/v1/iocs/stats',
    {
      config: { scope: 'read:iocs' },
      schema: {
        summary: 'IOC catalogue statistics',
        description:
          'Listed indicators by type, category, feed and level; indicators first seen in the last 24 hours, 7 and 30 days; each feed\'s health (healthy, degraded or error, with the reason); the top ATT&CK techniques, malware families and CVEs. ' +
          'The counts are kept as the catalogue is written (exact for the rows of meta.data_version); the answer is served from memory for up to a minute per data version: X-Cache-Age-Seconds says how old it is.',
        tags: ['iocs'],
        security: KEY_SECURITY,
        querystring: Type.Object({ top: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })) }),
        response: {
          200: Type.Object({
            total: Type.Integer({ description: 'Indicators in the catalogue, listed or not' }),
            listed: Type.Integer(),
            by_type: Type.Record(Type.String(), Type.Integer()),
            by_level: Type.Record(Type.String(), Type.Integer()),
            by_category: Type.Record(Type.String(), Type.Integer()),
            by_feed: Type.Record(Type.String(), Type.Integer()),
            new: Type.Object({ last_24h: Type.Integer(), last_7d: Type.Integer(), last_30d: Type.Integer() }),
            feeds: Type.Array(
              Type.Object({
                id: Type.String(),
                name: Type.String(),
                enabled: Type.Boolean(),
                status: Type.String({ description: 'healthy, degraded or error' }),
                reason: Type.Unsafe<string | null>({ type: ['string', 'null'] }),
                last_success_at: Type.Unsafe<string | null>({ type: ['string', 'null'] }),
                listed_count: Type.Integer(),
              }),
            ),
            top_techniques: Top,
            top_families: Top,
            top_cves: Top,
            meta: Type.Object({ computed_at: Type.String(), oldest_score_at: Type.Unsafe<string | null>({ type: ['string', 'null'] }), ...Freshness }),
          }),
          ...errorResponses(400, ...AUTH_ERRORS),
        },
      },
    },
    async (req: FastifyRequest, reply: FastifyReply) => {
      const top = (req.query as { top?: number }).top ?? 10;
      const fresh = await deps.catalogue.ensureFresh();
      const { stats, ageSeconds } = await deps.catalogue.stats(fresh.dataVersion);
      const now = deps.clock();
      const feeds = (await storeStatuses(deps.catalog, deps.store, now)).map((f) => ({
        id: f.id,
        name: f.name,
        enabled: f.enabled,
        ...feedHealth(f, now),
        last_success_at: f.health.last_success_at,
        listed_count: f.health.listed_count,
      }));
      const record = (kind: string): Record<string, number> => Object.fromEntries((stats.terms[kind] ?? []).map((t) => [t.term, t.count]));
      const topOf = (kind: string) => (stats.terms[kind] ?? []).slice(0, top).map((t) => ({ id: t.term, count: t.count }));
      reply.header('x-cache-age-seconds', String(ageSeconds));
      return reply.send({
        total: stats.total,
        listed: stats.listed,
        by_type: stats.byType,
        by_level: stats.byLevel,
        by_category: record('category'),
        by_feed: record('feed'),
        new: { last_24h: stats.newSince.d1, last_7d: stats.newSince.d7, last_30d: stats.newSince.d30 },
        feeds,
        top_techniques: topOf('technique'),
        top_families: topOf('family'),
        top_cves: topOf('cve'),
        meta: { computed_at: new Date(now.getTime() - ageSeconds * 1000).toISOString(), oldest_score_at: stats.oldestComputedAt, data_version: fresh.dataVersion, pending: fresh.pending },
      });
    },
  );
}
