/** `serve` start-up: first admin key printed once (or taken from the setting), then real HTTP. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { startServer } from '../../src/main.ts';

describe('startServer', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'verdict-serve-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const config = (extra: Record<string, string> = {}) =>
    loadConfig({ VERDICT_DATABASE_URL: join(dir, 'verdict.db'), VERDICT_PORT: '0', VERDICT_SCHEDULER: 'off', VERDICT_LOG_LEVEL: 'silent', ...extra });

  test('first start prints a new admin key once; it works over HTTP; a restart prints nothing', async () => {
    const printed: string[] = [];
    const first = await startServer(config(), { print: (t) => printed.push(t) });
    let key: string;
    try {
      const m = /sk_live_[0-9A-Za-z]{32,}/.exec(printed.join('\n'));
      assert.ok(m, 'the key was printed');
      key = m[0];
      const res = await fetch(`${first.address}/api/v1/lookup?value=192.0.2.1&type=ipv4`, { headers: { authorization: `Bearer ${key}` } });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { value: string; type: string };
      assert.deepEqual([body.value, body.type], ['192.0.2.1', 'ipv4']);
      const health = await fetch(`${first.address}/api/v1/health`);
      assert.equal(health.status, 200);
    } finally {
      await first.close();
    }
    const again: string[] = [];
    const second = await startServer(config(), { print: (t) => again.push(t) });
    try {
      assert.deepEqual(again, [], 'the key is shown only once');
      const res = await fetch(`${second.address}/api/v1/keys`, { headers: { 'x-api-key': key } });
      assert.equal(res.status, 200, 'the same key still works after a restart');
    } finally {
      await second.close();
    }
  });

  test('VERDICT_ADMIN_KEY is stored as the first key on an empty store and not printed', async () => {
    const adminKey = 'sk_live_' + 'Zz9'.repeat(12);
    const printed: string[] = [];
    const s = await startServer(
      loadConfig({ VERDICT_DATABASE_URL: join(dir, 'other.db'), VERDICT_PORT: '0', VERDICT_SCHEDULER: 'off', VERDICT_LOG_LEVEL: 'silent', VERDICT_ADMIN_KEY: adminKey }),
      { print: (t) => printed.push(t) },
    );
    try {
      assert.deepEqual(printed, []);
      const res = await fetch(`${s.address}/api/v1/keys`, { headers: { authorization: `Bearer ${adminKey}` } });
      assert.equal(res.status, 200);
      const keys = ((await res.json()) as { keys: { scopes: string[]; tier: string }[] }).keys;
      assert.deepEqual([keys.length, keys[0]?.scopes, keys[0]?.tier], [1, ['admin'], 'enterprise']);
    } finally {
      await s.close();
    }
  });
});
