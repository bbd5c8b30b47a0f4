/**
 * Operator-defined feeds survive without the file that defined them: a feed's definition is kept
 * in the store when it imports, so a later start (or another instance) without VERDICT_FEEDS_FILE
 * labels its data as before — name, category and the reliability scoring weighs — lists the feed
 * as orphaned with its data intact, and a changed definition replaces the stored one. On both
 * engines, through the same composition root the commands use (new deps = a restart).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config.ts';
import { buildDeps, buildFeedDeps, buildLookupDeps } from '../../src/deps.ts';
import { createLookup, type LookupResponse } from '../../src/enrich.ts';
import { catalogFrom, loadCatalog } from '../../src/feeds/catalog.ts';
import { catalogStatuses, storeStatuses, type FeedStatusView } from '../../src/feeds/status.ts';
import { definitionToStore, withStoredDefinitions } from '../../src/feeds/stored-definitions.ts';
import type { StoredFeedDefinition } from '../../src/store/types.ts';
import { createMemoryLookupCache } from '../../src/cache/memory.ts';
import { buildApp } from '../../src/http/app.ts';
import { createKeyService } from '../../src/keys/service.ts';
import { dropSchema, freshSchemaName } from '../scaleout/postgres.ts';
import { postgresForTests } from '../scaleout/services.ts';
import { runVerdict } from '../cli/run.ts';
import { quietLogger } from './helpers.ts';

const PG = await postgresForTests();

/** Public addresses on no warning list, so the score is the feed's alone. */
const LISTED = ['45.155.205.7', '45.155.205.8'];

function team(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'team-iocs',
    name: 'Team IOCs',
    category: 'commercial',
    reliability: 'A',
    format: 'plain-list',
    url: null,
    license: 'internal',
    types: ['ipv4'],
    options: { threatType: 'botnet_cc', tags: ['team'] },
    ...over,
  };
}

interface Engine {
  name: string;
  skip: string | false;
  /** A database URL for a fresh, empty store. */
  fresh(): Promise<string>;
  cleanup(): Promise<void>;
}

const dir = mkdtempSync(join(tmpdir(), 'verdict-definitions-'));
const schemas: string[] = [];
const engines: Engine[] = [
  { name: 'sqlite', skip: false, fresh: async () => join(mkdtempSync(join(dir, 'store-')), 'verdict.db'), cleanup: async () => {} },
  {
    name: 'postgres',
    skip: PG === null ? 'no PostgreSQL reachable' : false,
    async fresh() {
      const schema = freshSchemaName();
      schemas.push(schema);
      return `${PG}${PG?.includes('?') ? '&' : '?'}schema=${schema}`;
    },
    async cleanup() {
      for (const s of schemas.splice(0)) await dropSchema(PG ?? '', s);
    },
  },
];

after(() => rmSync(dir, { recursive: true, force: true }));

function configOf(databaseUrl: string, feedsFile: string | null): Config {
  return loadConfig({ VERDICT_DATABASE_URL: databaseUrl, VERDICT_LOG_LEVEL: 'silent', ...(feedsFile ? { VERDICT_FEEDS_FILE: feedsFile } : {}) });
}

function writeDefinitions(name: string, ...feeds: Record<string, unknown>[]): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ feeds }));
  return file;
}

const listFile = (): string => {
  const file = join(dir, 'team-iocs.txt');
  writeFileSync(file, `# team list\n${LISTED.join('\n')}\n`);
  return file;
};

/** `verdict feeds import team-iocs FILE` as a fresh process would run it. */
async function importWith(config: Config, path: string): Promise<void> {
  const deps = await buildFeedDeps(config, { logger: quietLogger });
  try {
    const run = await deps.scheduler.importFile('team-iocs', path);
    assert.equal(run.status, 'success', run.error ?? '');
  } finally {
    await deps.close();
  }
}

/** `verdict lookup VALUE` as a fresh process would answer it. */
async function lookupWith(config: Config, value: string): Promise<LookupResponse> {
  const deps = await buildLookupDeps(config, { logger: quietLogger });
  try {
    const outcome = await createLookup(deps).lookup({ value });
    assert.ok(outcome.ok);
    return outcome.result;
  } finally {
    await deps.close();
  }
}

/** `verdict feeds list --json` as a fresh process would print it. */
async function statusWith(config: Config): Promise<FeedStatusView[]> {
  const deps = await buildFeedDeps(config, { logger: quietLogger });
  try {
    return catalogStatuses(deps.catalog, await deps.store.feedStates(), deps.clock());
  } finally {
    await deps.close();
  }
}

const label = (r: LookupResponse) => r.sources.map((s) => ({ feed_name: s.feed_name, category: s.category }));
const reliabilities = (r: LookupResponse) => r.risk.factors.filter((f) => f.kind === 'sighting').map((f) => f.reliability);

for (const engine of engines) {
  describe(`operator-defined feeds without their file (${engine.name})`, { skip: engine.skip }, () => {
    after(() => engine.cleanup());

    it('a restart without the definitions file labels, scores and lists the feed as before; a changed definition replaces it', async () => {
      const url = await engine.fresh();
      const v1 = writeDefinitions(`v1-${engine.name}.json`, team());
      // Given the feed imported with its definitions file
      await importWith(configOf(url, v1), listFile());
      const withFile = await lookupWith(configOf(url, v1), LISTED[0]!);
      assert.deepEqual(label(withFile), [{ feed_name: 'Team IOCs', category: 'commercial' }]);

      // When the service starts again without the file
      const without = configOf(url, null);
      const after1 = await lookupWith(without, LISTED[0]!);
      // Then the lookup is the same: name, category, the reliability weighed, the score
      assert.deepEqual(label(after1), label(withFile));
      assert.deepEqual(reliabilities(after1), ['A']);
      assert.equal(after1.risk.score, withFile.risk.score);
      assert.equal(after1.risk_score, withFile.risk_score);

      // (what it showed before definitions were kept: an unknown internal feed of reliability F, scored lower)
      const deps = await buildLookupDeps(without, { logger: quietLogger });
      try {
        const unlabelled = await createLookup({ ...deps, catalog: catalogFrom([]) }).lookup({ value: LISTED[0]! });
        assert.ok(unlabelled.ok);
        assert.deepEqual(label(unlabelled.result), [{ feed_name: 'team-iocs', category: 'internal' }]);
        assert.ok(unlabelled.result.risk.score < after1.risk.score, `${unlabelled.result.risk.score} < ${after1.risk.score}`);
      } finally {
        await deps.close();
      }

      // and the feed is listed as orphaned, its data intact, under the same label
      const listed = (await statusWith(without)).find((f) => f.id === 'team-iocs');
      assert.ok(listed, 'the orphaned feed is listed');
      assert.deepEqual(
        { orphaned: listed.orphaned, enabled: listed.enabled, name: listed.name, category: listed.category, reliability: listed.reliability, format: listed.format, listed: listed.health.listed_count, total: listed.health.total_count, next: listed.health.next_run_at },
        { orphaned: true, enabled: false, name: 'Team IOCs', category: 'commercial', reliability: 'A', format: 'plain-list', listed: 2, total: 2, next: null },
      );
      assert.equal(listed.health.last_run?.status, 'success');
      // with the file, the same feed is an ordinary one
      const defined = (await statusWith(configOf(url, v1))).find((f) => f.id === 'team-iocs');
      assert.equal(defined?.orphaned, false);

      // When its definition changes and the feed imports again
      const v2 = writeDefinitions(`v2-${engine.name}.json`, team({ name: 'Team IOCs (unvetted)', category: 'community', reliability: 'D' }));
      await importWith(configOf(url, v2), listFile());
      // Then a start without the file labels it by the new definition
      const after2 = await lookupWith(without, LISTED[1]!);
      assert.deepEqual(label(after2), [{ feed_name: 'Team IOCs (unvetted)', category: 'community' }]);
      assert.deepEqual(reliabilities(after2), ['D']);
      assert.ok(after2.risk.score < after1.risk.score, `a D feed scores lower than an A feed: ${after2.risk.score} < ${after1.risk.score}`);
      const relisted = (await statusWith(without)).find((f) => f.id === 'team-iocs');
      assert.deepEqual([relisted?.orphaned, relisted?.name, relisted?.reliability, relisted?.health.total_count], [true, 'Team IOCs (unvetted)', 'D', 2]);
    });

    it('a running instance without the file learns a definition another one stores, at the next data version', async () => {
      const url = await engine.fresh();
      const v1 = writeDefinitions(`running-${engine.name}.json`, team({ name: 'Team IOCs (elsewhere)' }));
      // Given an instance serving lookups (with its cache) that has never heard of the feed
      const serving = await buildDeps(configOf(url, null), { logger: quietLogger, cache: createMemoryLookupCache({ ttlSeconds: 3600 }) });
      try {
        const lookup = createLookup(serving);
        const first = await lookup.lookup({ value: LISTED[0]! });
        assert.ok(first.ok && first.result.found === false);
        // When another instance, with the file, imports the feed
        await importWith(configOf(url, v1), listFile());
        // Then this one labels the new data by the stored definition
        const next = await lookup.lookup({ value: LISTED[0]! });
        assert.ok(next.ok);
        assert.deepEqual(label(next.result), [{ feed_name: 'Team IOCs (elsewhere)', category: 'commercial' }]);
        assert.deepEqual(reliabilities(next.result), ['A']);
        // and a definition changed elsewhere replaces it here too (the change moves the version)
        await serving.store.feedDefinitions.put('team-iocs', { ...team({ name: 'Team IOCs (renamed)', reliability: 'C' }) }, '2026-12-01T00:00:00Z');
        const renamed = await lookup.lookup({ value: LISTED[0]! });
        assert.ok(renamed.ok);
        assert.deepEqual([label(renamed.result), reliabilities(renamed.result)], [[{ feed_name: 'Team IOCs (renamed)', category: 'commercial' }], ['C']]);
      } finally {
        await serving.close();
      }
    });
  });
}

describe('what is stored of a definition', () => {
  it('everything the entry says but credentials: header values and a URL password are not kept', () => {
    const def = {
      id: 'vendor',
      name: 'Vendor feed',
      category: 'commercial' as const,
      reliability: 'B' as const,
      format: 'plain-list' as const,
      url: 'https://user:s3cret@intel.example/list.txt?limit=5',
      interval: 3600,
      mode: 'snapshot' as const,
      enabled: true,
      license: 'contract',
      types: ['ipv4' as const],
      options: { headers: { 'X-Api-Key': 'k-123', Accept: 'text/plain' }, authEnv: 'VENDOR_KEY', type: 'ipv4' },
    };
    const stored = definitionToStore(def);
    assert.deepEqual(stored, {
      ...def,
      url: 'https://user@intel.example/list.txt?limit=5',
      options: { headers: { 'X-Api-Key': '(not stored)', Accept: '(not stored)' }, authEnv: 'VENDOR_KEY', type: 'ipv4' },
    });
    assert.ok(!JSON.stringify(stored).includes('s3cret') && !JSON.stringify(stored).includes('k-123'));
    assert.equal(def.options.headers['X-Api-Key'], 'k-123', 'the definition itself is left as it was');
  });

  it('a stored definition this version cannot check in full still labels its data; one without a readable label does not', async () => {
    const stored = (feedId: string, definition: Record<string, unknown>): StoredFeedDefinition => ({ feedId, definition, storedAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' });
    const all = [
      stored('retired', { id: 'retired', name: 'Retired format feed', category: 'research', reliability: 'B', format: 'a-format-since-dropped' }),
      stored('nameless', { id: 'nameless', category: 'research', reliability: 'B', format: 'plain-list' }),
      stored('internal-allowlist', { id: 'internal-allowlist', name: 'Old name', category: 'internal', reliability: 'E', verdict: 'allow', format: 'plain-list' }),
    ];
    const catalog = await withStoredDefinitions(loadCatalog(), { feedDefinitions: { list: async () => all }, dataVersion: async () => 1 });
    assert.deepEqual(catalog.info('retired'), { id: 'retired', name: 'Retired format feed', category: 'research', reliability: 'B' });
    assert.equal(catalog.info('nameless'), undefined);
    assert.equal(catalog.info('internal-allowlist')?.name, 'Internal allowlist', 'a feed the catalog defines keeps its own definition');
    assert.deepEqual(catalog.orphans().map((o) => o.id), ['retired']);
  });

  it('is only what a successful run brought: a failed first import stores no definition', async () => {
    const url = await engines[0]!.fresh();
    const file = writeDefinitions('failed.json', team());
    const deps = await buildFeedDeps(configOf(url, file), { logger: quietLogger });
    try {
      const bad = join(dir, 'not-ips.txt');
      writeFileSync(bad, 'evil.example\nworse.example\n');
      const run = await deps.scheduler.importFile('team-iocs', bad);
      assert.equal(run.status, 'failure');
      assert.equal(await deps.store.feedDefinitions.get('team-iocs'), null);
      const ok = await deps.scheduler.importFile('team-iocs', listFile());
      assert.equal(ok.status, 'success', ok.error ?? '');
      assert.equal((await deps.store.feedDefinitions.get('team-iocs'))?.definition.name, 'Team IOCs');
    } finally {
      await deps.close();
    }
  });
});

describe('GET /api/v1/feeds and purge of an orphaned feed', () => {
  let url: string;
  before(async () => {
    url = await engines[0]!.fresh();
    await importWith(configOf(url, writeDefinitions('http.json', team())), listFile());
  });

  it('lists the orphaned feed after the defined ones, refuses to run it, and a purge forgets it whole', async () => {
    const now = new Date();
    const deps = await buildDeps(configOf(url, null), { logger: quietLogger, clock: () => now });
    const app = await buildApp(deps);
    try {
      const keys = createKeyService({ keys: deps.store.keys, clock: deps.clock, newId: deps.ids.keyId });
      const admin = await keys.ensureAdminKey(null);
      const auth = { authorization: `Bearer ${admin?.key ?? ''}` };
      const res = await app.inject({ method: 'GET', url: '/api/v1/feeds', headers: auth });
      assert.equal(res.statusCode, 200, res.body);
      const feeds = res.json<{ feeds: FeedStatusView[] }>().feeds;
      const last = feeds.at(-1);
      assert.deepEqual([last?.id, last?.orphaned, last?.name, last?.reliability, last?.health.listed_count], ['team-iocs', true, 'Team IOCs', 'A', 2]);
      assert.ok(feeds.slice(0, -1).every((f) => f.orphaned === false && deps.catalog.get(f.id) !== undefined), 'the defined feeds first, none orphaned');
      // the same view as `verdict feeds list --json`
      assert.deepEqual(feeds, await storeStatuses(deps.catalog, deps.store, deps.clock()));

      const sync = await app.inject({ method: 'POST', url: '/api/v1/feeds/team-iocs/sync', headers: auth });
      assert.equal(sync.statusCode, 404);
      assert.match(sync.json().error.message, /orphaned: its definition is no longer in the catalog or VERDICT_FEEDS_FILE/);

      const purge = await app.inject({ method: 'DELETE', url: '/api/v1/feeds/team-iocs/data', headers: auth });
      assert.equal(purge.statusCode, 200, purge.body);
      assert.equal(purge.json().removed, 2);
      assert.equal(await deps.store.feedDefinitions.get('team-iocs'), null, 'nothing left to label');
      const again = (await app.inject({ method: 'GET', url: '/api/v1/feeds', headers: auth })).json<{ feeds: FeedStatusView[] }>().feeds;
      assert.equal(again.some((f) => f.id === 'team-iocs'), false);
    } finally {
      await app.close();
      await deps.close();
    }
  });
});

describe('the commands, each a new process', () => {
  it('verdict feeds list and verdict lookup without VERDICT_FEEDS_FILE show the feed as it was imported; importing into it names the fix', async () => {
    const url = await engines[0]!.fresh();
    const env = (file: string | null): NodeJS.ProcessEnv => {
      const e: NodeJS.ProcessEnv = { ...process.env, VERDICT_DATABASE_URL: url, VERDICT_LOG_LEVEL: 'error' };
      delete e.VERDICT_FEEDS_FILE;
      if (file !== null) e.VERDICT_FEEDS_FILE = file;
      return e;
    };
    const imported = await runVerdict(['feeds', 'import', 'team-iocs', listFile()], '', env(writeDefinitions('cli.json', team())));
    assert.equal(imported.code, 0, imported.stderr + imported.stdout);

    const list = await runVerdict(['feeds', 'list', '--json'], '', env(null));
    assert.equal(list.code, 0, list.stderr);
    const row = (JSON.parse(list.stdout) as { feeds: FeedStatusView[] }).feeds.find((f) => f.id === 'team-iocs');
    assert.deepEqual([row?.orphaned, row?.name, row?.category, row?.reliability, row?.health.total_count], [true, 'Team IOCs', 'commercial', 'A', 2]);
    const table = await runVerdict(['feeds', 'list'], '', env(null));
    assert.match(table.stdout, /^team-iocs\s+orphaned\s+commercial\s+A\s+2\s+2\s/m);

    const look = await runVerdict(['lookup', LISTED[0]!, '--json'], '', env(null));
    assert.equal(look.code, 0, look.stderr);
    const result = JSON.parse(look.stdout) as LookupResponse;
    assert.deepEqual(label(result), [{ feed_name: 'Team IOCs', category: 'commercial' }]);
    assert.deepEqual(reliabilities(result), ['A']);

    const refused = await runVerdict(['feeds', 'import', 'team-iocs', listFile()], '', env(null));
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /feed "team-iocs" is orphaned: its definition is no longer in the catalog or VERDICT_FEEDS_FILE/);
    assert.match(refused.stderr, /Put its definition back in VERDICT_FEEDS_FILE to run it, or `verdict feeds purge team-iocs`/);
  });
});
