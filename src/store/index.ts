/**
 * Opens the store named by a database URL:
 *   `./data/verdict.db`, `/abs/file.db`, `sqlite:./file.db`, `sqlite:///abs/file.db`, `:memory:` → SQLite;
 *   `postgres://…`, `postgresql://…` → PostgreSQL (loaded only when asked for).
 * Migrations are applied before the store is returned.
 */
import type { Logger } from 'pino';
import type { Store } from './types.ts';

export interface OpenStoreOptions {
  logger?: Logger;
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

interface PostgresModule {
  openPostgresStore(url: string, opts?: OpenStoreOptions): Promise<Store>;
}

export async function openStore(url: string, opts: OpenStoreOptions = {}): Promise<Store> {
  const loc = parseStoreUrl(url);
  if (loc.engine === 'postgres') {
    // a variable specifier keeps the pg stack out of the embedded path's module graph
    const specifier = './postgres/index.ts';
    const mod = (await import(specifier)) as PostgresModule;
    return mod.openPostgresStore(loc.url, opts);
  }
  const { openSqliteStore } = await import('./sqlite/index.ts');
  return openSqliteStore(loc.path, opts);
}
