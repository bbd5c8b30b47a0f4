/**
 * A real Verdict server for the security tests: `startServer` (what `verdict serve` runs)
 * listening on a loopback port, on a SQLite file in a temporary folder (or the store given),
 * with its log lines captured and a clock the test may move.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config.ts';
import { createLogger, type Deps } from '../../src/deps.ts';
import { startServer, type RunningServer } from '../../src/main.ts';

export interface TestServer {
  server: RunningServer;
  config: Config;
  port: number;
  base: string;
  adminKey: string;
  /** The SQLite file (when the server made its own store). */
  databaseFile: string;
  /** Every log line, parsed. */
  logs: { level: number; msg: string; [k: string]: unknown }[];
  /** Moves the server's clock by `ms` (it starts at the real time). */
  advance(ms: number): void;
  fetch(path: string, init?: RequestInit & { key?: string | null }): Promise<Response>;
  stop(): Promise<void>;
  /** Stops, and removes the temporary folder. */
  close(): Promise<void>;
}

export function randomKey(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return 'sk_live_' + Array.from(randomBytes(40), (b) => alphabet[b % alphabet.length]).join('');
}

export interface TestServerOptions {
  env?: Record<string, string>;
  overrides?: Partial<Deps>;
  /** Reuse this folder (a restart on the same file); default a new one. */
  dir?: string;
  adminKey?: string;
  logLevel?: string;
}

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'verdict-security-'));
  const adminKey = opts.adminKey ?? randomKey();
  const databaseFile = join(dir, 'verdict.db');
  const config = loadConfig({
    VERDICT_DATABASE_URL: databaseFile,
    VERDICT_HOST: '127.0.0.1',
    VERDICT_PORT: '0',
    VERDICT_SCHEDULER: 'off',
    VERDICT_ADMIN_KEY: adminKey,
    VERDICT_LOG_LEVEL: opts.logLevel ?? 'info',
    ...opts.env,
  });
  const logs: TestServer['logs'] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line));
      cb();
    },
  });
  let offset = 0;
  const server = await startServer(config, {
    print: () => {},
    overrides: { logger: createLogger(config.logLevel, sink), clock: () => new Date(Date.now() + offset), ...opts.overrides },
  });
  const port = (server.app.server.address() as { port: number }).port;
  const base = `http://127.0.0.1:${port}`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.close();
  };
  return {
    server,
    config,
    port,
    base,
    adminKey,
    databaseFile,
    logs,
    advance(ms) {
      offset += ms;
    },
    fetch(path, init = {}) {
      const { key = adminKey, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (key !== null) headers.set('authorization', `Bearer ${key}`);
      return fetch(base + path, { ...rest, headers });
    },
    stop,
    async close() {
      await stop();
      if (opts.dir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}
