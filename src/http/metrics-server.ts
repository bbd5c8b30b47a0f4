/**
 * The optional metrics listener (`VERDICT_METRICS_ADDRESS`): `GET /metrics` without a key, on an
 * address of its own — one a Prometheus server reaches and clients do not (a private interface,
 * a port the load balancer does not forward). Nothing else is served there; every other request
 * is a 404 (or 405) in the catalog's envelope. On the main port `/metrics` needs a key with the
 * `read:metrics` scope.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClientErrorHandler, createConnectHandler } from './client-errors.ts';
import { ERROR_CATALOG, errorBody, type ErrorCode } from './errors.ts';
import type { HttpMetrics } from './metrics.ts';

export interface MetricsListener {
  /** `http://host:port` it listens on. */
  readonly address: string;
  close(): Promise<void>;
}

export interface MetricsListenerOptions {
  host: string;
  port: number;
  metrics: HttpMetrics;
  requestId: () => string;
  /** Time a client has to send its request (ms), as on the main port. */
  requestTimeoutMs: number;
}

function fail(res: ServerResponse, id: string, code: ErrorCode, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(errorBody(code, id, message));
  res.writeHead(ERROR_CATALOG[code].status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-request-id': id, ...headers });
  res.end(body);
}

export async function startMetricsListener(opts: MetricsListenerOptions): Promise<MetricsListener> {
  const server: Server = createServer(
    { requireHostHeader: false, requestTimeout: opts.requestTimeoutMs, headersTimeout: Math.min(opts.requestTimeoutMs, 60_000), connectionsCheckingInterval: 1_000 },
    (req: IncomingMessage, res: ServerResponse) => {
      const id = opts.requestId();
      const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '') || '/';
      if (path !== '/metrics') return fail(res, id, 'not_found', 'Only /metrics is served here.');
      if (req.method !== 'GET' && req.method !== 'HEAD') return fail(res, id, 'method_not_allowed', `Method ${req.method ?? ''} is not allowed here. Allowed: GET, HEAD.`, { allow: 'GET, HEAD' });
      const text = opts.metrics.render();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(text), 'x-request-id': id });
      res.end(req.method === 'HEAD' ? undefined : text);
    },
  );
  server.on('clientError', createClientErrorHandler(opts.requestId));
  server.on('connect', createConnectHandler(opts.requestId));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return {
    address: `http://${host}:${a.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
