/**
 * How a feed run reaches the network: through the proxy the standard variables name
 * (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`, or their lower-case forms, as curl and most tools
 * read them), and presenting the feed's client certificate (`options.tls`) to the feed's server,
 * also through a proxy's tunnel. With neither, runs use the process's shared connection pool.
 */
import { Agent, EnvHttpProxyAgent, type Dispatcher } from 'undici';
import { clientTls } from './client-tls.ts';

type Env = Readonly<Record<string, string | undefined>>;

export interface ProxySettings {
  httpProxy?: string;
  httpsProxy?: string;
  noProxy?: string;
}

const first = (env: Env, ...names: string[]): string | undefined => {
  for (const n of names) {
    const v = env[n]?.trim();
    if (v) return v;
  }
  return undefined;
};

/**
 * The proxy variables that are set (lower case first, as curl reads them), or null for none.
 * An https feed with only HTTP_PROXY set goes through that proxy too.
 */
export function proxySettings(env: Env): ProxySettings | null {
  const httpProxy = first(env, 'http_proxy', 'HTTP_PROXY');
  const httpsProxy = first(env, 'https_proxy', 'HTTPS_PROXY');
  const noProxy = first(env, 'no_proxy', 'NO_PROXY');
  if (httpProxy === undefined && httpsProxy === undefined) return null;
  for (const [name, url] of [['HTTP_PROXY', httpProxy], ['HTTPS_PROXY', httpsProxy]] as const) {
    // the value is not repeated: it may hold the proxy's password
    if (url !== undefined && !/^https?:\/\/[^\s/]+/i.test(url)) throw new Error(`${name} must be the proxy's URL, http://[user:password@]host:port`);
  }
  // empty rather than absent: the agent would otherwise read the process's own variables
  return { httpProxy: httpProxy ?? '', httpsProxy: httpsProxy ?? '', noProxy: noProxy ?? '' };
}

/**
 * The dispatcher for one run, or null for the shared pool. The caller closes it after the run.
 * Throws (naming the option or the variable) when the certificate or a proxy URL is unusable.
 */
export async function feedDispatcher(options: Readonly<Record<string, unknown>> | undefined, env: Env): Promise<Dispatcher | null> {
  const tls = await clientTls(options, env);
  const proxy = proxySettings(env);
  if (proxy !== null) {
    // the certificate goes on the connection to the feed's server: directly (NO_PROXY) or
    // inside the proxy's CONNECT tunnel
    return new EnvHttpProxyAgent({ ...proxy, ...(tls ? { connect: tls, requestTls: tls } : {}) });
  }
  return tls ? new Agent({ connect: tls }) : null;
}
