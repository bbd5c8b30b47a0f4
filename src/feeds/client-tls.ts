/**
 * Client certificates for feeds that authenticate the client at the TLS layer (mutual TLS), as
 * CISA AIS's TAXII server does with the PKI certificate it issues to each participant.
 *
 * A catalog entry names files, never key material: `options.tls` holds `certFile` + `keyFile`
 * (PEM) or `pfxFile` (PKCS#12, as such certificates are often issued), an optional
 * `passphraseEnv` (the environment variable holding the key's passphrase) and an optional
 * `caFile` (PEM certificates to trust for the server instead of Node.js's bundled list). The
 * files are read at the start of each run, so a renewed certificate is used without a restart.
 */
import { readFile } from 'node:fs/promises';
import { errorText } from '../file-errors.ts';
import { createSecureContext } from 'node:tls';

const KEYS = ['certFile', 'keyFile', 'pfxFile', 'caFile', 'passphraseEnv'] as const;
type TlsKey = (typeof KEYS)[number];
export type ClientTlsOptions = Partial<Record<TlsKey, string>>;

/**
 * Checks `options.tls` of a catalog entry; returns a message saying what is wrong, or null.
 * `url` is the entry's URL (client certificates only make sense over https).
 */
export function clientTlsProblem(tls: unknown, url: string | null): string | null {
  if (tls === undefined) return null;
  if (typeof tls !== 'object' || tls === null || Array.isArray(tls)) return '"options.tls" must be an object';
  for (const [k, v] of Object.entries(tls)) {
    if (!(KEYS as readonly string[]).includes(k)) return `"options.tls" has an unknown field "${k}" (known: ${KEYS.join(', ')})`;
    if (typeof v !== 'string' || v === '') return `"options.tls.${k}" must be a non-empty string`;
  }
  const o = tls as ClientTlsOptions;
  if (o.pfxFile !== undefined && (o.certFile !== undefined || o.keyFile !== undefined)) return '"options.tls" takes either "pfxFile" or "certFile" with "keyFile", not both';
  if ((o.certFile === undefined) !== (o.keyFile === undefined)) return '"options.tls" needs both "certFile" and "keyFile"';
  if (o.passphraseEnv !== undefined && o.keyFile === undefined && o.pfxFile === undefined) return '"options.tls.passphraseEnv" needs a "keyFile" or "pfxFile"';
  if (url === null || !/^https:\/\//i.test(url)) return '"options.tls" needs an https URL';
  return null;
}

async function readNamed(option: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new Error(`cannot read options.tls.${option} ${path}: ${errorText(err, path)}`, { cause: err });
  }
}

/** What `options.tls` puts on a connection (Node.js TLS options). */
export interface ClientTls {
  cert?: Buffer;
  key?: Buffer;
  pfx?: Buffer;
  ca?: Buffer;
  passphrase?: string;
}

/**
 * The feed's client certificate as TLS options, or null when the feed has none. Throws, naming
 * the option, when a file cannot be read, the passphrase's variable is not set, or the key
 * cannot be used.
 */
export async function clientTls(options: Readonly<Record<string, unknown>> | undefined, env: Readonly<Record<string, string | undefined>>): Promise<ClientTls | null> {
  const tls = options?.tls as ClientTlsOptions | undefined;
  if (tls === undefined) return null;
  const connect: ClientTls = {};
  if (tls.certFile !== undefined) connect.cert = await readNamed('certFile', tls.certFile);
  if (tls.keyFile !== undefined) connect.key = await readNamed('keyFile', tls.keyFile);
  if (tls.pfxFile !== undefined) connect.pfx = await readNamed('pfxFile', tls.pfxFile);
  if (tls.caFile !== undefined) connect.ca = await readNamed('caFile', tls.caFile);
  if (tls.passphraseEnv !== undefined) {
    const passphrase = env[tls.passphraseEnv];
    if (passphrase === undefined || passphrase === '') throw new Error(`options.tls.passphraseEnv: the environment variable ${tls.passphraseEnv} is not set`);
    connect.passphrase = passphrase;
  }
  // A wrong passphrase or a key that does not match the certificate fails here, with OpenSSL's
  // reason, rather than as an opaque handshake failure on the first request.
  try {
    createSecureContext(connect);
  } catch (err) {
    throw new Error(`options.tls: the client certificate cannot be used: ${(err as Error).message}`, { cause: err });
  }
  return connect;
}
