/**
 * `verdict migrate-store`: an embedded store copied into PostgreSQL answers every read exactly
 * as the original did.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/index.ts';
import { openPostgresStore } from '../../src/store/postgres/index.ts';
import type { Store } from '../../src/store/types.ts';
import type { SightingRecord } from '../../src/model.ts';
import { migrateStore } from '../../src/cli/migrate-store.ts';
import { postgresForTests } from './services.ts';
import { dropSchema, freshSchemaName } from './postgres.ts';

const url = await postgresForTests();

const PROBES: SightingRecord[] = [
  { type: 'ipv4', value: '192.0.2.10' },
  { type: 'ipv4', value: '192.0.2.11' },
  { type: 'domain', value: 'evil.example' },
  { type: 'cidr', value: '198.51.100.0/24' },
  { type: 'url', value: 'http://evil.example/a\tb\\c' },
];

async function observe(store: Store) {
  const sightings = [];
  for (const p of PROBES) sightings.push(await store.sightingsOf(p.type, p.value));
  const { dataVersion: _ignored, ...rest } = {
    sightings,
    ranges: await store.rangesContaining('198.51.100.7'),
    ranges6: await store.rangesContaining('2001:db8::5'),
    keys: await store.keys.list(),
    keyUsage: await store.keys.usage('key_a', '2026-01-01'),
    overrides: await store.overrides.list(),
    states: await store.feedStates(),
    definitions: await store.feedDefinitions.list(),
    report: await store.reports.get('rpt-1'),
    reports: await store.reports.list({ limit: 10 }),
    stats: await store.stats(),
    dataVersion: await store.dataVersion(),
  };
  return rest;
}

function cli(args: string[]) {
  return spawnSync(process.execPath, ['bin/verdict.js', 'migrate-store', ...args], { encoding: 'utf8', env: { ...process.env, VERDICT_LOG_LEVEL: 'error' } });
}

describe('verdict migrate-store', { skip: url === null ? 'no PostgreSQL reachable' : false }, () => {
  const pgUrl = url ?? '';
  const dir = mkdtempSync(join(tmpdir(), 'verdict-migrate-'));
  const file = join(dir, 'verdict.db');
  const schema = freshSchemaName();
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await dropSchema(pgUrl, schema);
  });

  it('copies every table, and the copy answers exactly like the original', async () => {
    const source = await openStore(file);
    await source.ingest({ feedId: 'c2', mode: 'snapshot', runAt: '2026-11-01T00:00:00Z' }, [
      { type: 'ipv4', value: '192.0.2.10', threatType: 'botnet_cc', malwareFamily: 'Emotet', tags: ['c2', 'epoch5'], confidence: 90, attributes: { port: 8080 } },
      { type: 'ipv4', value: '192.0.2.11', firstSeen: '2026-10-01T00:00:00Z' },
      { type: 'url', value: 'http://evil.example/a\tb\\c', referenceUrl: 'https://ref.example/1', attackIds: ['T1071'] },
    ]);
    // second run delists .11: history must survive the copy
    await source.ingest({ feedId: 'c2', mode: 'snapshot', runAt: '2026-11-02T00:00:00Z' }, [{ type: 'ipv4', value: '192.0.2.10', tags: ['c2'] }]);
    await source.ingest({ feedId: 'drop', mode: 'snapshot', runAt: '2026-11-02T00:00:00Z' }, [
      { type: 'cidr', value: '198.51.100.0/24' },
      { type: 'cidr', value: '2001:db8::/32' },
      { type: 'domain', value: 'evil.example' },
    ]);
    await source.keys.create({ id: 'key_a', keyPrefix: 'sk_live_aaaa', keyHash: 'a'.repeat(64), name: 'soc', tier: 'pro', scopes: ['read:lookup', 'admin'], createdAt: '2026-11-01T00:00:00Z', lastUsedAt: null, expiresAt: '2027-01-01T00:00:00Z', revokedAt: null, allowedIps: ['203.0.113.0/24'] });
    await source.keys.create({ id: 'key_b', keyPrefix: 'sk_live_bbbb', keyHash: 'b'.repeat(64), name: 'old', tier: 'free', scopes: ['read:lookup'], createdAt: '2026-11-01T00:00:01Z', lastUsedAt: null, expiresAt: null, revokedAt: null, allowedIps: [] });
    await source.keys.touch('key_a', '2026-11-03T00:00:00Z');
    await source.keys.revoke('key_b', '2026-11-04T00:00:00Z');
    await source.keys.addUsage([
      { keyId: 'key_a', day: '2026-11-03', route: '/api/v1/lookup', requests: 7 },
      { keyId: 'key_a', day: '2026-11-03', route: '/api/v1/keys/:id/usage', requests: 1 },
    ]);
    await source.overrides.put({ type: 'domain', value: 'evil.example', verdict: 'allow', reason: 'our test domain', createdAt: '2026-11-05T00:00:00Z', createdBy: 'key_a' });
    await source.feedDefinitions.put('c2', { id: 'c2', name: 'Team C2 list', category: 'commercial', reliability: 'B', format: 'plain-list' }, '2026-11-01T00:00:00Z');
    await source.reports.put({ id: 'rpt-1', feedId: 'internal-reports', title: 'Paper Lantern', url: 'https://intel.example/pl', published: '2026-10-30T00:00:00.000Z', fetched: '2026-11-01T00:00:00.000Z', indicators: [{ type: 'ipv4', value: '192.0.2.10' }, { type: 'domain', value: 'evil.example' }], attackIds: ['T1071'], cves: ['CVE-2021-44228'] });
    await source.recordFeedRun({ feedId: 'c2', startedAt: '2026-11-02T00:00:00Z', finishedAt: '2026-11-02T00:00:05Z', status: 'success', result: { received: 1, added: 0, updated: 1, unchanged: 0, delisted: 1 }, rejected: 0, rejectedSamples: [], error: null, etag: '"abc"', lastModified: null });
    await source.recordFeedRun({ feedId: 'drop', startedAt: '2026-11-03T00:00:00Z', finishedAt: '2026-11-03T00:00:01Z', status: 'failure', result: null, rejected: 2, rejectedSamples: ['x', 'y'], error: 'HTTP 503', etag: null, lastModified: null });
    const before = await observe(source);
    const sourceVersion = await source.dataVersion();
    await source.close();

    const r = cli(['--from', file, '--to', pgUrl, '--schema', schema, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as Record<string, number>;
    assert.deepEqual(
      { sightings: summary.sightings, indicators: summary.indicators, apiKeys: summary.apiKeys, overrides: summary.overrides, feedRuns: summary.feedRuns, feedStates: summary.feedStates, feedDefinitions: summary.feedDefinitions, reports: summary.reports, keyUsage: summary.keyUsage },
      { sightings: 6, indicators: 6, apiKeys: 2, overrides: 1, feedRuns: 2, feedStates: 2, feedDefinitions: 1, reports: 1, keyUsage: 2 },
    );

    const target = await openPostgresStore(pgUrl, { schema });
    try {
      assert.deepEqual(await observe(target), before);
      assert.equal(before.report?.title, 'Paper Lantern', 'the report was there to copy');
      assert.deepEqual(before.keys[0]?.allowedIps, ['203.0.113.0/24'], 'the allow-list was there to copy');
      assert.equal(before.keyUsage.length, 2, 'and the usage counts');
      assert.deepEqual((await target.reports.list({ limit: 10, type: 'domain' })).reports.map((r) => r.id), ['rpt-1'], 'and its indicators');
      assert.ok((await target.dataVersion()) > sourceVersion, 'the version moves on, so no old cache entry can match');
      assert.equal((await target.sightingsOf('ipv4', '192.0.2.11'))[0]?.listed, false, 'delisted history kept');
      // the catalogue is derived: every copied indicator is queued for its first refresh
      const queued = (await target.catalogue.dirty(100)).map((k) => `${k.type} ${k.value}`).sort();
      const copied = PROBES.map((p) => `${p.type} ${p.value}`).concat('cidr 2001:db8::/32');
      assert.deepEqual(queued, [...new Set(copied)].sort());
      // the copy is a working store: further runs ingest normally
      const next = await target.ingest({ feedId: 'c2', mode: 'snapshot', runAt: '2026-11-06T00:00:00Z' }, [{ type: 'ipv4', value: '192.0.2.10', tags: ['c2'] }]);
      assert.deepEqual(next, { received: 1, added: 0, updated: 0, unchanged: 1, delisted: 0 });
    } finally {
      await target.close();
    }
  });

  // in-process from here on: one CLI run above is enough to show the command is wired
  it('refuses to copy into a store that already holds data', async () => {
    await assert.rejects(migrateStore({ from: file, to: `${pgUrl}?schema=${schema}` }, () => {}), /not empty/);
  });

  it('refuses a target that is not PostgreSQL, a PostgreSQL source, and a missing source, with a clear message', async () => {
    await assert.rejects(migrateStore({ from: file, to: join(dir, 'other.db') }, () => {}), /--to must be a postgres/);
    await assert.rejects(migrateStore({ from: pgUrl, to: pgUrl }, () => {}), /already PostgreSQL/);
    await assert.rejects(migrateStore({ from: join(dir, 'nope.db'), to: pgUrl, schema }, () => {}), /cannot open the SQLite store/);
  });
});
