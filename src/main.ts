/**
 * Start-up: load config → build deps → bundled data → first admin key → build app → listen (and
 * the metrics listener, when configured) → scheduler. Returns a handle whose close() shuts
 * everything down in order.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import { buildDeps, type Deps } from './deps.ts';
import { loadBundledData } from './feeds/bundled.ts';
import { buildApp } from './http/app.ts';
import { createHttpMetrics } from './http/metrics.ts';
import { startMetricsListener, type MetricsListener } from './http/metrics-server.ts';
import { createKeyService } from './keys/service.ts';

export interface RunningServer {
  app: FastifyInstance;
  deps: Deps;
  address: string;
  /** The metrics listener's address (`VERDICT_METRICS_ADDRESS`), or null. */
  metricsAddress: string | null;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Where the one-time admin key notice goes (stdout, not the log: keys never reach the log). */
  print?: (text: string) => void;
  overrides?: Partial<Deps>;
}

/** Reference data is read this long after the server listens: its log line and first requests go first. */
const WARM_AFTER_MS = 100;

export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const print = opts.print ?? ((t: string) => process.stdout.write(t + '\n'));
  const deps = await buildDeps(config, opts.overrides);
  try {
    await loadBundledData(deps.store, deps.catalog, deps.clock(), { logger: deps.logger });
    const keys = createKeyService({ keys: deps.store.keys, clock: deps.clock, newId: deps.ids.keyId });
    const admin = await keys.ensureAdminKey(config.adminKey);
    if (admin !== null && admin.key !== null) {
      print(
        [
          '',
          'Created the first admin key (scope admin, tier enterprise). It is shown only this once:',
          '',
          `    ${admin.key}`,
          '',
          `Try: curl -H "Authorization: Bearer ${admin.key}" "http://${displayHost(config.host)}:${config.port}/api/v1/lookup?value=192.0.2.1&type=ipv4"`,
          '',
        ].join('\n'),
      );
    } else if (admin !== null) {
      deps.logger.info({ keyId: admin.record.id }, 'stored VERDICT_ADMIN_KEY as the first admin key');
    }
    const metrics = createHttpMetrics();
    const app = await buildApp(deps, { metrics });
    const address = await app.listen({ host: config.host, port: config.port });
    let metricsListener: MetricsListener | null = null;
    if (config.metricsAddress !== null) {
      try {
        metricsListener = await startMetricsListener({ ...config.metricsAddress, metrics, requestId: deps.ids.requestId, requestTimeoutMs: config.requestTimeoutMs });
      } catch (err) {
        await app.close();
        throw err;
      }
    }
    // Reference data read on first use is read right after start-up, so that the first lookups of
    // each kind do not pay for it; listening first lets health checks and orchestrators see the
    // process sooner. A fault here is a broken install: logged, and the lookup that needs the
    // data reports it again.
    let stopped = false;
    const warming = setTimeout(() => {
      const intel = deps.intel;
      if (stopped || intel.warmSoon === undefined) return;
      intel.warmSoon().catch((err: unknown) => deps.logger.error({ err }, 'reading reference data failed'));
    }, WARM_AFTER_MS);
    if (config.scheduler) deps.scheduler.start();
    let closing: Promise<void> | null = null;
    return {
      app,
      deps,
      address,
      metricsAddress: metricsListener?.address ?? null,
      close() {
        closing ??= (async () => {
          stopped = true;
          clearTimeout(warming);
          await metricsListener?.close();
          await app.close();
          await deps.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await deps.close();
    throw err;
  }
}

function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
