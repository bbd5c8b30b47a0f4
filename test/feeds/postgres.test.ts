/**
 * The same feed runs against the PostgreSQL store (scale-out): a good run, a failed run that
 * leaves the data as it was, a suspect drop, and an IP matching a stored DROP range. The store
 * lives in a fresh schema, dropped afterwards, so the shared test database is left as it was.
 *
 * Skipped (loudly) only when no PostgreSQL answers and CI is not set, as every PostgreSQL suite
 * (test/scaleout/services.ts); a database that answers but cannot be opened or migrated fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fetch } from 'undici';
import { runFeed, type RunEnv } from '../../src/feeds/index.ts';
import type { FeedDefinition } from '../../src/feeds/types.ts';
import { openStore } from '../../src/store/index.ts';
import { dropSchema } from '../scaleout/postgres.ts';
import { postgresForTests } from '../scaleout/services.ts';
import { fixture, quietLogger } from './helpers.ts';
import { startServer } from './server.ts';

const URL_PG = await postgresForTests();

test('feed runs against the PostgreSQL store', { timeout: 60_000, skip: URL_PG === null ? 'no PostgreSQL reachable' : false }, async () => {
  const url = URL_PG ?? '';
  const schema = `verdict_feeds_test_${randomBytes(4).toString('hex')}`;
  // a database that answers but cannot be migrated fails the test (what is left of the schema goes)
  const store = await openStore(`${url}${url.includes('?') ? '&' : '?'}schema=${schema}`, { logger: quietLogger }).catch(async (err: unknown) => {
    await dropSchema(url, schema).catch(() => {});
    throw err;
  });
  const server = await startServer();
  const id = `drop-${randomBytes(4).toString('hex')}`;
  try {
    server.route('/500', (_req, res) => {
      res.statusCode = 500;
      res.end();
    });
    server.route('/empty', (_req, res) => res.end('; nothing\n'));
    let now = Date.parse('2026-11-30T12:00:00Z');
    const env: RunEnv = { store, logger: quietLogger, clock: () => new Date((now += 60_000)), fetch, sleep: async () => {}, fetchSettings: { timeoutMs: 2000, maxBytes: 1_000_000, retries: 0, backoffMs: 0 } };
    const def = (url: string | null): FeedDefinition => ({ id, name: 'DROP (pg test)', category: 'commercial', reliability: 'A', format: 'spamhaus-drop', url, interval: 3600, mode: 'snapshot', enabled: true, license: 'test' });

    const first = await runFeed(def(null), { kind: 'file', path: fixture('dropv6.txt') }, env);
    assert.equal(first.status, 'success', first.error ?? '');
    assert.equal(first.result?.added, 78);
    const ranges = await store.rangesContaining('2001:678:6c4::1');
    assert.ok(ranges.some((r) => r.feedId === id && r.value === '2001:678:6c4::/48'));

    const before = await store.feedState(id);
    const failed = await runFeed(def(`${server.url}/500`), { kind: 'remote' }, env);
    assert.equal(failed.status, 'failure');
    const suspect = await runFeed(def(`${server.url}/empty`), { kind: 'remote' }, env);
    assert.equal(suspect.status, 'failure');
    assert.match(suspect.error ?? '', /suspect/);
    const after = await store.feedState(id);
    assert.equal(after?.listedCount, before?.listedCount);
    assert.equal(after?.lastRun?.status, 'failure');

    const again = await runFeed(def(null), { kind: 'file', path: fixture('dropv6.txt') }, env);
    assert.deepEqual({ ...again.result }, { received: 78, added: 0, updated: 0, unchanged: 78, delisted: 0 });
  } finally {
    await store.close();
    await server.close();
    await dropSchema(url, schema);
  }
});
