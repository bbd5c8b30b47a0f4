/**
 * `verdict feeds import alienvault-otx FILE` end to end, as an operator runs it with a pulse
 * export: the built command on SQLite and PostgreSQL, the skipped kinds in its summary, a dry run,
 * and a lookup showing the pulse behind the indicator.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runVerdict } from '../cli/run.ts';
import { dropSchema } from '../scaleout/postgres.ts';
import { postgresForTests } from '../scaleout/services.ts';
import { fixture } from './helpers.ts';

const pgUrl = await postgresForTests();
const EXPORT = fixture('otx-pulses-handmade.json');

interface LookupSource {
  feed_name: string;
  threat_type: string | null;
  malware_family: string | null;
  reference_url: string | null;
  first_seen: string;
  details: Record<string, unknown>;
}

async function verdict(args: string[], db: string) {
  return runVerdict(args, '', { ...process.env, VERDICT_DATABASE_URL: db, VERDICT_LOG_LEVEL: 'error' });
}

async function importAndLook(db: string): Promise<void> {
  const text = await verdict(['feeds', 'import', 'alienvault-otx', EXPORT], db);
  assert.equal(text.code, 0, text.stderr);
  assert.equal(
    text.stdout,
    [
      'alienvault-otx: success',
      '  received 12, added 12, updated 0, unchanged 0, delisted 0',
      '  1 malformed row(s) skipped; first ones:',
      '    ipv4: octet 300 out of range (0-255): IPv4 203.0.113.300',
      '  6 entries of kinds Verdict does not hold left out: FileHash-IMPHASH 1, FilePath 1, JA3 1, Mutex 1, URI 1, YARA 1',
      '',
    ].join('\n'),
  );
  const again = await verdict(['feeds', 'import', 'alienvault-otx', fixture('otx-page-handmade.json'), '--json'], db);
  assert.equal(again.code, 0, again.stderr);
  const run = JSON.parse(again.stdout) as { status: string; result: { added: number }; skipped: Record<string, number> };
  assert.deepEqual([run.status, run.result.added, run.skipped], ['success', 2, { BitcoinAddress: 1 }]);

  const look = await verdict(['lookup', '203.0.113.45', '--json'], db);
  assert.equal(look.code, 0, look.stderr);
  const res = JSON.parse(look.stdout) as { found: boolean; sources: LookupSource[]; mitre_techniques: { id: string; derived_from: string }[]; malware_families: string[] };
  assert.equal(res.found, true);
  const otx = res.sources.find((s) => s.feed_name === 'AlienVault OTX');
  assert.ok(otx, 'the OTX source is listed');
  assert.deepEqual([otx.threat_type, otx.malware_family, otx.reference_url, otx.first_seen], ['botnet_cc', 'Emotet', 'https://otx.alienvault.com/pulse/6734c1f2a9e5d3b8c7f01a2b', '2026-11-18T14:02:11Z']);
  assert.equal(otx.details['report_name'], 'Loader campaign delivering Emotet via fake invoices');
  assert.equal(otx.details['report_type'], 'otx-pulse');
  assert.equal(otx.details['tlp'], 'green');
  assert.deepEqual(otx.details['references'], ['https://blog.example.org/emotet-invoice-2026', 'https://sandbox.example.com/report/123']);
  assert.ok(
    res.mitre_techniques.some((t) => t.id === 'T1566.001' && t.derived_from === 'source'),
    `the pulse's attack_ids are techniques the source states: ${JSON.stringify(res.mitre_techniques)}`,
  );
  assert.ok(res.malware_families.includes('Emotet'));
}

describe('verdict feeds import alienvault-otx FILE', () => {
  test('on SQLite, with a dry run first that stores nothing', { timeout: 90_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verdict-otx-'));
    const db = join(dir, 'v.db');
    try {
      const dry = await verdict(['feeds', 'import', 'alienvault-otx', EXPORT, '--dry-run', '--json'], db);
      assert.equal(dry.code, 0, dry.stderr);
      const preview = JSON.parse(dry.stdout) as { received: number; byType: Record<string, number>; skipped: Record<string, number>; refused: string | null };
      assert.deepEqual([preview.received, preview.refused, preview.byType['url'], preview.skipped['FilePath']], [12, null, 2, 1]);
      await importAndLook(db);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('on PostgreSQL', { timeout: 90_000, skip: pgUrl === null ? 'no PostgreSQL reachable' : false }, async () => {
    const schema = `verdict_otx_${randomBytes(4).toString('hex')}`;
    try {
      await importAndLook(`${pgUrl}?schema=${schema}`);
    } finally {
      await dropSchema(pgUrl ?? '', schema);
    }
  });
});

describe('the skipped kinds of a run reach GET /api/v1/feeds', () => {
  test('health.last_run.skipped, by the source kind, for admin and reader keys; absent when none', async () => {
    const { makeHarness } = await import('../http/harness.ts');
    const h = await makeHarness();
    try {
      const run = { feedId: 'cisa-alerts', startedAt: '2026-11-30T11:00:00Z', finishedAt: '2026-11-30T11:00:05Z', status: 'success', result: { received: 2, added: 2, updated: 0, unchanged: 0, delisted: 0 }, rejected: 0, rejectedSamples: [], error: null, etag: null, lastModified: null } as const;
      await h.store.recordFeedRun({ ...run, rejectedSamples: [], skipped: { FilePath: 3, Mutex: 1 } });
      await h.store.recordFeedRun({ ...run, feedId: 'emerging-threats', rejectedSamples: [] });
      const reader = await h.createKey('pro');
      for (const key of [undefined, reader.key]) {
        const res = await h.app.inject({ method: 'GET', url: '/api/v1/feeds', headers: h.auth(key) });
        assert.equal(res.statusCode, 200, res.body);
        const feeds = (res.json() as { feeds: { id: string; health: { last_run: Record<string, unknown> | null } }[] }).feeds;
        assert.deepEqual(feeds.find((f) => f.id === 'cisa-alerts')?.health.last_run?.['skipped'], { FilePath: 3, Mutex: 1 });
        assert.equal('skipped' in (feeds.find((f) => f.id === 'emerging-threats')?.health.last_run ?? {}), false);
      }
    } finally {
      await h.close();
    }
  });
});
