/**
 * Opens the store named by a database URL:
 *   `./data/verdict.db`, `/abs/file.db`, `sqlite:./file.db`, `sqlite:///abs/file.db`, `:memory:` → SQLite;
 *   `postgres://…`, `postgresql://…` → PostgreSQL (loaded only when asked for).
 * Migrations are applied before the store is returned.
 */
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Store } from './types.ts';

export interface OpenStoreOptions {
  logger?: Logger;
  /**
   * `false`: an embedded store whose file does not exist is not created (StoreNotFoundError),
   * for commands that only read. A PostgreSQL database must exist on its server in any case.
   */
  create?: boolean;
}

/** The embedded store's file does not exist, and opening was not to create it. */
export class StoreNotFoundError extends Error {
  constructor(readonly path: string) {
    super(`no store at ${path}: nothing has been stored there yet`);
    this.name = 'StoreNotFoundError';
  }
}

export type StoreLocation = { engine: 'sqlite'; path: string } | { engine: 'postgres'; url: string };

const SCHEME_RE = /^([a-z][a-z0-9+.-]*):/i;

/** Reads a database URL; throws a TypeError naming the problem for anything else. */
export function parseStoreUrl(url: string): StoreLocation {
  if (typeof url !== 'string' || url.trim().length === 0) throw new TypeError('database URL is empty');
  const u = url.trim();
  if (u === ':memory:') return { engine: 'sqlite', path: ':memory:' };
  const scheme = SCHEME_RE.exec(u)?.[1]?.toLowerCase();
  // a Windows drive letter (C:\…) is a path, not a scheme
  if (scheme === undefined || /^[a-z]:[\\/]/i.test(u)) return { engine: 'sqlite', path: u };
  if (scheme === 'postgres' || scheme === 'postgresql') return { engine: 'postgres', url: u };
  if (scheme === 'sqlite' || scheme === 'file') {
    let rest = u.slice(scheme.length + 1);
    if (rest.startsWith('//')) rest = rest.slice(2); // sqlite:///abs → /abs, sqlite://rel → rel
    const query = rest.indexOf('?');
    if (query >= 0) rest = rest.slice(0, query);
    if (rest.length === 0) throw new TypeError(`database URL ${u} names no file`);
    return { engine: 'sqlite', path: rest === ':memory:' ? ':memory:' : decodeURIComponent(rest) };
  }
  throw new TypeError(`database URL scheme "${scheme}:" is not supported (use a file path, sqlite:, or postgres://)`);
}

export async function openStore(url: string, opts: OpenStoreOptions = {}): Promise<Store> {
  const loc = parseStoreUrl(url);
  const engineOptions = opts.logger ? { logger: opts.logger } : {};
  if (loc.engine === 'postgres') {
    // loaded only when asked for: the embedded path never loads the pg stack
    const { openPostgresStore } = await import('./postgres/index.ts');
    return openPostgresStore(loc.url, engineOptions);
  }
  if (opts.create === false && loc.path !== ':memory:' && !existsSync(loc.path)) throw new StoreNotFoundError(loc.path);
  const { openSqliteStore } = await import('./sqlite/index.ts');
  return openSqliteStore(loc.path, engineOptions);
}
