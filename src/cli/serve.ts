/** `verdict serve`: the HTTP API, and the feed scheduler unless VERDICT_SCHEDULER=off. */
import { loadConfig } from '../config.ts';
import { startServer } from '../main.ts';

export interface ServeOptions {
  host?: string;
  port?: string;
}

export async function serve(opts: ServeOptions): Promise<void> {
  const env = { ...process.env };
  if (opts.host !== undefined) env['VERDICT_HOST'] = opts.host;
  if (opts.port !== undefined) env['VERDICT_PORT'] = opts.port;
  const config = loadConfig(env);
  const server = await startServer(config);
  server.deps.logger.info({ address: server.address, store: server.deps.store.kind }, 'verdict listening');
  const stop = (signal: string) => {
    server.deps.logger.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        server.deps.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
