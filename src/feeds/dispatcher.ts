/**
 * How a feed run reaches the network: through the proxy the standard variables name
 * (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`, or their lower-case forms, as curl and most tools
 * read them), and presenting the feed's client certificate (`options.tls`) to the feed's server,
 * also through a proxy's tunnel. Direct connections check, when they connect, what a name outside
 * the feed's own host resolves to (egress.ts), so a name that changed its answer since the
 * redirect was checked still cannot reach a private address.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { Dispatcher } from 'undici';
import { clientTls } from './client-tls.ts';
import { isPublicAddress } from './egress.ts';

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
 * Name resolution for direct connections: a host other than the feed's own must resolve to public
 * addresses only (unless the feed allows private networks). Address literals are checked before
 * the request (egress.ts); this closes the gap of a name re-resolved at connect time.
 */
export function guardedLookup(trustedHost: string, allowPrivateNetworks: boolean): LookupFunction {
  return ((host: string, opts: object, cb: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(host, opts, (err, address, family) => {
      if (err !== null || allowPrivateNetworks || host === trustedHost) return cb(err, address, family);
      const list = Array.isArray(address) ? address : [{ address, family }];
      const inside = list.find((a) => !isPublicAddress(a.address));
      if (inside !== undefined) {
        const refused: NodeJS.ErrnoException = new Error(`${host} resolves to ${inside.address}, which is not a public address (set options.allowPrivateNetworks to allow it)`);
        refused.code = 'EREFUSED_PRIVATE';
        return cb(refused, address, family);
      }
      cb(null, address, family);
    });
  }) as LookupFunction;
}

export interface FeedEgress {
  /** The host of the feed's configured URL. */
  trustedHost: string;
  allowPrivateNetworks: boolean;
}

/**
 * The dispatcher for one run. The caller closes it after the run. Throws (naming the option or
 * the variable) when the certificate or a proxy URL is unusable.
 */
export async function feedDispatcher(options: Readonly<Record<string, unknown>> | undefined, env: Env, egress: FeedEgress): Promise<Dispatcher> {
  const tls = await clientTls(options, env);
  const proxy = proxySettings(env);
  // loaded with the first run that fetches (see lazyFetch)
  const { Agent, EnvHttpProxyAgent } = await import('undici');
  if (proxy !== null) {
    // the certificate goes on the connection to the feed's server: directly (NO_PROXY) or
    // inside the proxy's CONNECT tunnel; names are resolved by the proxy, and checked before
    // each request leaves the feed's origin (egress.ts)
    return new EnvHttpProxyAgent({ ...proxy, ...(tls ? { connect: tls, requestTls: tls } : {}) });
  }
  return new Agent({ connect: { ...tls, lookup: guardedLookup(egress.trustedHost, egress.allowPrivateNetworks) } });
}
