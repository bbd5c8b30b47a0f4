/** `verdict keys update ID` end to end (the build, as a user runs it), against a store in a temp dir. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/verdict.js', import.meta.url));

describe('verdict keys update', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'verdict-cli-keys-'));
    env = { ...process.env, VERDICT_DATABASE_URL: join(dir, 'verdict.db'), VERDICT_LOG_LEVEL: 'warn' };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 30_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  test('changes the fields given and keeps the others; the secret stays', () => {
    const created = JSON.parse(run('keys', 'create', '--name', 'soar', '--tier', 'free', '--scopes', 'read:lookup', '--json').stdout);
    const r = run('keys', 'update', created.id, '--name', 'SOAR', '--tier', 'pro', '--allowed-ips', '10.0.0.0/8, 2001:db8::1', '--expires-at', '2099-01-01T00:00:00Z', '--json');
    assert.equal(r.code, 0, r.stderr);
    const rec = JSON.parse(r.stdout);
    assert.deepEqual([rec.name, rec.tier, rec.scopes, rec.allowed_ips, rec.expires_at, rec.key_prefix], ['SOAR', 'pro', ['read:lookup'], ['10.0.0.0/8', '2001:db8::1/128'], '2099-01-01T00:00:00Z', created.key_prefix]);
    assert.equal(rec.key, undefined);
    const cleared = JSON.parse(run('keys', 'update', created.id, '--allowed-ips', '', '--expires-at', 'never', '--json').stdout);
    assert.deepEqual([cleared.allowed_ips, cleared.expires_at, cleared.name], [[], null, 'SOAR']);
    const text = run('keys', 'update', created.id, '--scopes', 'read:lookup,read:iocs');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^updated .*scopes=read:lookup,read:iocs/);
  });

  test('a bad value names its option; nothing to change, an unknown key: exit status 1', () => {
    const created = JSON.parse(run('keys', 'create', '--name', 'x', '--tier', 'free', '--json').stdout);
    for (const [args, option] of [[['--tier', 'gold'], '--tier'], [['--expires-at', 'soon'], '--expires-at'], [['--allowed-ips', '300.0.0.1'], '--allowed-ips'], [[], '--name, --tier']] as const) {
      const r = run('keys', 'update', created.id, ...args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
      assert.ok(r.stderr.includes(option), `${args.join(' ')}: ${r.stderr}`);
    }
    const missing = run('keys', 'update', 'key_missing', '--name', 'y');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no active key/);
  });
});
