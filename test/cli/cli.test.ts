/** The `verdict` command end to end, as a user runs it, against a store in a temp dir. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.ts';
import { openStore } from '../../src/store/index.ts';

const BIN = fileURLToPath(new URL('../../bin/verdict.js', import.meta.url));

describe('verdict CLI', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'verdict-cli-'));
    env = { ...process.env, VERDICT_DATABASE_URL: join(dir, 'verdict.db'), VERDICT_LOG_LEVEL: 'warn', VERDICT_CACHE_TTL_SECONDS: '0' };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 30_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  test('keys create --json prints one document with the key; list shows it; revoke revokes it', () => {
    const created = run('keys', 'create', '--name', 'soar', '--tier', 'pro', '--scopes', 'read:lookup,read:iocs', '--expires-in-days', '7', '--json');
    assert.equal(created.code, 0, created.stderr);
    const rec = JSON.parse(created.stdout);
    assert.match(rec.key, /^sk_live_[0-9A-Za-z]{32,}$/);
    assert.deepEqual([rec.name, rec.tier, rec.scopes], ['soar', 'pro', ['read:lookup', 'read:iocs']]);
    assert.equal(rec.key_prefix, rec.key.slice(0, 12));

    const list = run('keys', 'list', '--json');
    assert.equal(list.code, 0, list.stderr);
    const keys = JSON.parse(list.stdout).keys;
    assert.deepEqual(keys.map((k: { id: string }) => k.id), [rec.id]);
    assert.ok(!list.stdout.includes(rec.key), 'list never shows the key');

    const revoked = run('keys', 'revoke', rec.id, '--json');
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(typeof JSON.parse(revoked.stdout).revoked_at, 'string');
    const again = run('keys', 'revoke', rec.id);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /no active key/);
  });

  test('keys create --allowed-ips keeps the ranges canonical; keys usage prints what the store counted', async () => {
    const created = run('keys', 'create', '--name', 'fenced', '--tier', 'free', '--allowed-ips', '203.0.113.0/24, 2001:db8::1', '--json');
    assert.equal(created.code, 0, created.stderr);
    const rec = JSON.parse(created.stdout);
    assert.deepEqual(rec.allowed_ips, ['203.0.113.0/24', '2001:db8::1/128']);
    const bad = run('keys', 'create', '--name', 'x', '--tier', 'pro', '--allowed-ips', '203.0.113.5/24');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--allowed-ips/);
    // what a server would have written: two days of counts
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const store = await openStore(join(dir, 'verdict.db'));
    await store.keys.addUsage([
      { keyId: rec.id, day: today, route: '/api/v1/lookup', requests: 7 },
      { keyId: rec.id, day: today, route: '/api/v1/lookup/bulk', requests: 2 },
      { keyId: rec.id, day: yesterday, route: '/api/v1/lookup', requests: 5 },
    ]);
    await store.close();
    const json = run('keys', 'usage', rec.id, '--json');
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.deepEqual(report.days.map((d: { day: string; requests: number }) => [d.day, d.requests]), [[today, 9], [yesterday, 5]]);
    assert.deepEqual(report.quota.used_today, 9);
    assert.equal(report.quota.remaining_today, report.quota.per_day - 9);
    const text = run('keys', 'usage', rec.id, '--days', '1');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /today 9 of \d+/);
    assert.ok(!text.stdout.includes(yesterday), '--days 1 is today only');
    const unknown = run('keys', 'usage', 'key_nope');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no key with id/);
    assert.notEqual(run('keys', 'usage', rec.id, '--days', '91').code, 0);
  });

  test('keys create refuses a bad tier with a clear message', () => {
    const r = run('keys', 'create', '--name', 'x', '--tier', 'gold');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /tier/);
  });

  test('lookup --json prints the API response; without --json a summary for a person', () => {
    const json = run('lookup', 'hxxp://evil[.]example[.]com/x', '--json');
    assert.equal(json.code, 0, json.stderr);
    const body = JSON.parse(json.stdout);
    assert.deepEqual(Object.keys(body).slice(0, 7), ['value', 'type', 'risk_score', 'confidence', 'mitre_techniques', 'hunting_queries', 'sources']);
    assert.deepEqual([body.value, body.type, body.found], ['http://evil.example.com/x', 'url', false]);
    // the bundled KEV snapshot comes from `serve`, `worker` or `feeds load-bundled`, never from a lookup
    assert.equal(JSON.parse(run('lookup', 'CVE-2021-44228', '--json').stdout).found, false, 'a lookup loads nothing');
    const loaded = run('feeds', 'load-bundled');
    assert.equal(loaded.code, 0, loaded.stderr);
    assert.match(loaded.stdout, /^cisa-kev: loaded the bundled snapshot\n {2}received \d+, added \d+/);
    const human = run('lookup', 'cve-2021-44228');
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^CVE-2021-44228 {2}\(cve\)/);
    assert.match(human.stdout, /CISA Known Exploited Vulnerabilities \(government\)/);
    assert.match(human.stdout, /hunting queries/);
    const again = run('feeds', 'load-bundled', '--json');
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout).bundled.map((b: { feedId: string; run: unknown; skipped: string }) => [b.feedId, b.run, b.skipped]), [['cisa-kev', null, 'the store has had this feed already']]);
    const bad = run('lookup', '192.0.2.1', '--type', 'domain');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not a valid domain/);
  });

  test('lookup only reads: on a store that does not exist it says so and creates none', () => {
    const missing = join(dir, 'nothing-here', 'verdict.db');
    const r = spawnSync(process.execPath, [BIN, 'lookup', '192.0.2.1', '--json'], { env: { ...env, VERDICT_DATABASE_URL: missing }, encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no store at .*nothing-here.*verdict serve/s);
    assert.equal(r.stdout, '');
    assert.ok(!existsSync(join(dir, 'nothing-here')), 'no folder or file was made');
  });

  test('lookup writes nothing to an existing store', () => {
    const db = join(dir, 'verdict.db');
    const before = statSync(db).mtimeMs;
    const wal = existsSync(`${db}-wal`) ? statSync(`${db}-wal`).size : 0;
    const r = run('lookup', '198.51.100.1', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statSync(db).mtimeMs, before, 'the database file is untouched');
    assert.equal(existsSync(`${db}-wal`) ? statSync(`${db}-wal`).size : 0, wal, 'nothing went to the write-ahead log');
  });

  test('--help works on every command', () => {
    const r = run('keys', 'create', '--help');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Usage: verdict keys create/);
    // the rest in-process: every command and subcommand has a usage line and a description
    const walk = (cmd: Command): Command[] => [cmd, ...cmd.commands.flatMap(walk)];
    for (const cmd of walk(buildProgram())) {
      const help = cmd.helpInformation();
      assert.match(help, /^Usage: verdict/, cmd.name());
      if (['serve', 'lookup', 'keys', 'create', 'list', 'revoke'].includes(cmd.name())) assert.ok(cmd.description().length > 0, `${cmd.name()} has a description`);
    }
  });

  test('a bad setting stops the command with a message naming it', () => {
    const r = spawnSync(process.execPath, [BIN, 'keys', 'list'], { env: { ...env, VERDICT_PORT: 'x' }, encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /VERDICT_PORT/);
  });
});
