/**
 * The Fastify app, without listen: `buildApp(deps)` is what `serve` starts and what tests drive
 * through `app.inject()`. Hooks in order: request id → auth + rate limit (keyed routes) →
 * handler; every error goes through the one handler that speaks the catalog, and what Node's
 * HTTP server refuses before the app sees it (client-errors.ts) is answered in the same envelope.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Deps } from '../deps.ts';
import { createLookup } from '../enrich.ts';
import { createKeyService } from '../keys/service.ts';
import { createKeyVerifier, VerifiedKeys } from '../keys/verify.ts';
import { createMemoryAuthFailureLimiter } from '../ratelimit/auth-failures.ts';
import { createOutageLog } from '../ratelimit/outage.ts';
import { createAuthHooks, routeScope } from './auth.ts';
import { UsageRecorder } from '../keys/usage.ts';
import { createClientErrorHandler, createConnectHandler, tagRequest } from './client-errors.ts';
import { createErrorHandler, sendError } from './error-handler.ts';
import { registerNotFound } from './not-found.ts';
import { createHttpMetrics, type HttpMetrics } from './metrics.ts';
import { lazyChildLoggerFactory } from './request-logger.ts';
import { registerLookupRoute } from './routes/lookup.ts';
import { registerLookupExportRoute, registerLookupListExportRoute } from './routes/export.ts';
import { registerIocExportRoutes } from './routes/export-iocs.ts';
import { registerBulkRoute } from './routes/bulk.ts';
import { registerExtractRoute } from './routes/extract.ts';
import { createBulkLookup } from '../bulk.ts';
import { createSummarizer, type Summarizer } from '../llm/summary.ts';
import { registerHealthRoute } from './routes/health.ts';
import { registerKeyRoutes } from './routes/keys.ts';
import { registerFeedRoutes } from './routes/feeds.ts';
import { registerOverrideRoutes } from './routes/overrides.ts';
import { registerReportRoutes } from './routes/reports.ts';
import { registerServiceRoutes } from './routes/service.ts';
import { registerIocRoutes } from './routes/iocs.ts';
import { registerTaxiiRoutes } from './routes/taxii.ts';
import { lifetimesOf } from './routes/export.ts';
import { createCatalogue } from '../catalogue/index.ts';
import cookie from '@fastify/cookie';
import { registerConsole } from './console.ts';
import { registerSessionRoutes } from './routes/session.ts';
import { createMemorySessionStore, SESSION_TTL_MS, type SessionStore } from './sessions.ts';

/** How often counted key usage is added to the store. */
const USAGE_FLUSH_MS = 5_000;

export type AppDeps = Pick<Deps, 'config' | 'logger' | 'clock' | 'ids' | 'store' | 'catalog' | 'intel' | 'hunting' | 'rateLimiter' | 'cache' | 'scheduler'> &
  Partial<Pick<Deps, 'authFailures' | 'sessions'>> & {
    /** The analyst summary of `include=summary`; built from `config.llm` when not given. */
    summarizer?: Summarizer;
  };

/** An incoming X-Request-Id is kept only when short and made of safe characters (API.md). */
const SAFE_REQUEST_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
/** Room for a 2,048-character indicator in a path parameter (overrides). */
const MAX_PARAM_LENGTH = 2_200;
/** Headers must arrive within this, however long the whole request may take. */
const MAX_HEADERS_TIMEOUT_MS = 60_000;

export interface AppOptions {
  metrics?: HttpMetrics;
  /** The short-lived cache of verified keys (tests pass one with their own timer). */
  verifiedKeys?: VerifiedKeys;
  /** Console sessions (tests pass one to look inside); a fresh in-memory store otherwise. */
  sessions?: SessionStore;
  /** The built console (dist/console/ by default). */
  consoleRoot?: string;
}

export async function buildApp(deps: AppDeps, opts: AppOptions = {}): Promise<FastifyInstance> {
  const metrics = opts.metrics ?? createHttpMetrics();
  const timeoutMs = deps.config.requestTimeoutMs;
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; widening keeps the app's type the default one routes expect
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.config.bodyLimit,
    trustProxy: deps.config.trustProxy,
    // A request (headers and body) must arrive within the timeout, on every route: a stalled
    // body is answered 408 and its connection closed. Node checks connections on an interval
    // (30 s by default); a finer one keeps the answer close to the timeout.
    requestTimeout: timeoutMs,
    http: {
      // a request without Host is answered by the app (in the envelope), not by Node's bare 400
      requireHostHeader: false,
      requestTimeout: timeoutMs,
      headersTimeout: Math.min(timeoutMs, MAX_HEADERS_TIMEOUT_MS),
      connectionsCheckingInterval: Math.max(25, Math.min(1_000, Math.floor(timeoutMs / 4))),
    },
    clientErrorHandler: createClientErrorHandler(deps.ids.requestId, (err, status) => deps.logger.debug({ err, status }, 'client error')),
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return tagRequest(req, typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : deps.ids.requestId());
    },
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH, ignoreTrailingSlash: true },
    childLoggerFactory: lazyChildLoggerFactory,
    // Errors the router raises before any hook runs (a malformed path, an over-long parameter):
    // still the catalog's envelope and a request id, never Fastify's own body.
    frameworkErrors: (err, req, reply) => {
      const message = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A path parameter is too long.' : 'The request path is malformed.';
      return sendError(reply, 'invalid_parameter', message, { parameter: 'path' });
    },
  });

  registerNotFound(app);
  app.server.on('connect', createConnectHandler(deps.ids.requestId));

  // Bodies are JSON only; anything else is a 415 rather than a string a route would not expect.
  app.removeContentTypeParser('text/plain');
  app.decorateRequest('apiKey', null);
  // The route pattern for metrics, set by the route's own hook; unmatched requests keep this.
  app.decorateRequest('routeLabel', 'unmatched');
  // A store outage is logged when it starts and when it ends, not once per refused request.
  const storeOutage = createOutageLog(deps.logger, 'store', 'answering 503 service_unavailable', {
    service: deps.store.kind === 'postgres' ? 'PostgreSQL' : 'SQLite',
    countField: 'refused_requests',
    probe: () => deps.store.ping(),
  });
  const verifier = createKeyVerifier({
    keys: deps.store.keys,
    verified: opts.verifiedKeys ?? new VerifiedKeys(),
    onTouchError: (err, keyId) => {
      if ((err as { unavailable?: unknown }).unavailable === true) storeOutage.failed(err);
      else deps.logger.warn({ err, keyId }, 'could not record key use');
    },
  });
  const authFailures = deps.authFailures ?? createMemoryAuthFailureLimiter(deps.config.authFailuresPerMinute);
  // in Redis when configured (every instance finds them; deps closes the client), else in this process
  const sessions = opts.sessions ?? deps.sessions ?? createMemorySessionStore();
  // per-key usage: counted in memory on the auth path, added to the store every few seconds and at close
  const usage = new UsageRecorder(deps.store.keys);
  const flushUsage = (): Promise<void> => usage.flush().then(
    () => {},
    (err: unknown) => deps.logger.warn({ err }, 'could not record key usage; kept for the next flush'),
  );
  const usageTimer = setInterval(() => void flushUsage(), USAGE_FLUSH_MS);
  usageTimer.unref();
  app.addHook('onClose', async () => {
    clearInterval(usageTimer);
    await flushUsage();
  });
  const hookFor = createAuthHooks({ ...deps, sessions, usage }, verifier, authFailures);
  // Each route gets its own onRequest hook, its scope settled here once rather than looked up per
  // request; the hook puts the request id on every response, refusals included. It runs before
  // any hook the route declares itself.
  app.addHook('onRoute', (route) => {
    const scope = routeScope(route.config?.scope, route.url);
    const own = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [hookFor(scope, route.url), ...own];
  });
  // callback style: an async hook costs a promise per response for no await
  app.addHook('onResponse', (req, reply, done) => {
    metrics.observe(req.method, req.routeLabel, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.setErrorHandler(createErrorHandler({ store: deps.store, storeOutage }));
  app.addHook('onClose', (_app, done) => {
    storeOutage.stop();
    // the limiter this app made for itself; one from the deps is closed with them
    if (deps.authFailures === undefined) void authFailures.close();
    done();
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Verdict API', version: '1', description: 'Self-hosted threat-intelligence lookups. Errors follow one catalog; see docs/api.md.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer sk_live_...' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
          basic: { type: 'http', scheme: 'basic', description: 'TAXII routes only: the API key as the password, any user name' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true }, uiHooks: {} });
  // The UI's static routes state no scope, so the auth hook lets them through like any public route.
  const lookup = createLookup(deps, { versionWindowMs: deps.config.dataVersionWindowMs });
  const keys = createKeyService({ keys: deps.store.keys, clock: deps.clock, newId: deps.ids.keyId });
  const summarizer = deps.summarizer ?? createSummarizer({ config: deps.config.llm, clock: deps.clock, logger: deps.logger });
  registerLookupRoute(app, lookup, summarizer);
  registerLookupExportRoute(app, lookup, deps);
  const bulk = createBulkLookup(deps);
  registerBulkRoute(app, bulk, deps);
  registerLookupListExportRoute(app, bulk, deps);
  registerExtractRoute(app, bulk, deps, summarizer);
  registerHealthRoute(app, { ...deps, storeOutage });
  registerKeyRoutes(app, keys, {
    usage: { store: deps.store.keys, flush: flushUsage, tiers: deps.config.tiers, clock: deps.clock },
    onRevoked: async (id) => {
      verifier.forget(id);
      // the revocation is stored whatever happens here: a session left behind is refused anyway,
      // as its key's record is checked on every request (on another instance within a second)
      await sessions.revokeKey(id).catch((err: unknown) => deps.logger.error({ err, keyId: id }, 'could not end the sessions of a revoked key'));
    },
    // a changed key's record is read again on its next request (its console sessions re-verify it too)
    onUpdated: (id) => verifier.forget(id),
    onCreated: (hash) => verifier.created(hash),
  });
  registerFeedRoutes(app, deps);
  registerOverrideRoutes(app, { overrides: deps.store.overrides, clock: deps.clock, onChanged: () => lookup.dataChanged() });
  registerReportRoutes(app, deps);
  // the IOC catalogue; its background refresh is waited for before the store closes
  const catalogue = createCatalogue({ store: deps.store, intel: deps.intel, catalog: deps.catalog, clock: deps.clock }, { logger: deps.logger });
  app.addHook('onClose', async () => {
    await catalogue.idle();
  });
  registerIocRoutes(app, { ...deps, catalogue });
  registerIocExportRoutes(app, { ...deps, catalogue });
  await registerTaxiiRoutes(app, {
    catalogue,
    store: deps.store,
    labels: { feed: (id) => deps.catalog.info(id) },
    lifetimeDays: lifetimesOf(deps.intel),
    bodyLimit: deps.config.bodyLimit,
  });
  registerServiceRoutes(app, metrics);
  // the cookie plugin only where the session cookie is set; the auth hook reads it itself
  await app.register(async (scope) => {
    await scope.register(cookie);
    registerSessionRoutes(scope, { sessions, keys: verifier, failures: authFailures, clock: deps.clock, ttlMs: SESSION_TTL_MS });
  });
  await registerConsole(app, opts.consoleRoot);
  await app.ready();
  return app;
}
