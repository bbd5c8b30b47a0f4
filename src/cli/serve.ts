import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { startServer } from '../main.ts';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Start the HTTP API (and the feed scheduler unless VERDICT_SCHEDULER=off)')
    .option('--host <host>', 'address to listen on (overrides VERDICT_HOST)')
    .option('--port <port>', 'port to listen on (overrides VERDICT_PORT)')
    .action(async (opts: { host?: string; port?: string }) => {
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
    });
}
