/** Shared by the feed tests: fixture paths, parsing a fixture, a temp SQLite store, a quiet logger. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { SightingRecord } from '../../src/model.ts';
import { PARSERS, newContext, type ParseContext } from '../../src/feeds/index.ts';
import type { FeedFormat } from '../../src/feeds/types.ts';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';

export const FIXTURES = fileURLToPath(new URL('../fixtures/feeds/', import.meta.url));
export const fixture = (name: string): string => join(FIXTURES, name);
export const quietLogger = pino({ level: 'silent' });

export async function parseFixture(format: FeedFormat, name: string, options: Record<string, unknown> = {}): Promise<{ records: SightingRecord[]; ctx: ParseContext }> {
  const ctx = newContext(options);
  const records: SightingRecord[] = [];
  for await (const r of PARSERS[format](readFileSync(fixture(name)), ctx)) records.push(r);
  return { records, ctx };
}

export async function collect<T>(it: AsyncIterable<T> | Iterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export async function tempStore(): Promise<{ store: Store; dir: string; url: string; cleanup(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'verdict-feeds-test-'));
  const url = join(dir, 'verdict.db');
  const store = await openStore(url, { logger: quietLogger });
  await store.migrate();
  return {
    store,
    dir,
    url,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function find(records: SightingRecord[], value: string): SightingRecord {
  const r = records.find((x) => x.value === value);
  if (r === undefined) throw new Error(`no record for ${value}; have ${records.slice(0, 5).map((x) => x.value).join(', ')}…`);
  return r;
}
