import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('loadConfig', () => {
  test('defaults: embedded store, port 8080, scheduler on, free tier 10/min', () => {
    const c = loadConfig({});
    assert.equal(c.port, 8080);
    assert.equal(c.databaseUrl, './data/verdict.db');
    assert.equal(c.scheduler, true);
    assert.equal(c.redisUrl, null);
    assert.equal(c.adminKey, null);
    assert.deepEqual([c.tiers.free.perMinute, c.tiers.free.perDay, c.tiers.pro.perMinute], [10, 1000, 1000]);
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.tiers));
  });

  test('settings are read from VERDICT_* variables', () => {
    const c = loadConfig({
      VERDICT_HOST: '0.0.0.0',
      VERDICT_PORT: '9090',
      VERDICT_DATABASE_URL: 'sqlite:/var/lib/verdict/v.db',
      VERDICT_REDIS_URL: 'redis://127.0.0.1:6379/1',
      VERDICT_SCHEDULER: 'off',
      VERDICT_DELISTED_RETENTION_DAYS: '90',
      VERDICT_LOG_LEVEL: 'DEBUG',
      VERDICT_TIER_ENTERPRISE_PER_MINUTE: '50000',
      VERDICT_ADMIN_KEY: 'sk_live_' + 'a1'.repeat(16),
    });
    assert.deepEqual([c.host, c.port, c.databaseUrl, c.redisUrl, c.scheduler, c.delistedRetentionDays, c.logLevel, c.tiers.enterprise.perMinute], [
      '0.0.0.0', 9090, 'sqlite:/var/lib/verdict/v.db', 'redis://127.0.0.1:6379/1', false, 90, 'debug', 50000,
    ]);
  });

  const BAD: [Record<string, string>, string][] = [
    [{ VERDICT_PORT: 'eighty' }, 'VERDICT_PORT'],
    [{ VERDICT_PORT: '70000' }, 'VERDICT_PORT'],
    [{ VERDICT_LOG_LEVEL: 'loud' }, 'VERDICT_LOG_LEVEL'],
    [{ VERDICT_SCHEDULER: 'sometimes' }, 'VERDICT_SCHEDULER'],
    [{ VERDICT_DELISTED_RETENTION_DAYS: '-1' }, 'VERDICT_DELISTED_RETENTION_DAYS'],
    [{ VERDICT_DELISTED_RETENTION_DAYS: '40000' }, 'VERDICT_DELISTED_RETENTION_DAYS'],
    [{ VERDICT_DATABASE_URL: 'mysql://x' }, 'VERDICT_DATABASE_URL'],
    [{ VERDICT_REDIS_URL: 'http://x' }, 'VERDICT_REDIS_URL'],
    [{ VERDICT_ADMIN_KEY: 'hunter2' }, 'VERDICT_ADMIN_KEY'],
    [{ VERDICT_HOST: 'bad host!' }, 'VERDICT_HOST'],
    [{ VERDICT_TIER_FREE_PER_MINUTE: '0' }, 'VERDICT_TIER_FREE_PER_MINUTE'],
    [{ VERDICT_CACHE_TTL_SECONDS: '-5' }, 'VERDICT_CACHE_TTL_SECONDS'],
    [{ VERDICT_REQUEST_TIMEOUT_MS: '50' }, 'VERDICT_REQUEST_TIMEOUT_MS'],
    [{ VERDICT_REQUEST_TIMEOUT_MS: 'soon' }, 'VERDICT_REQUEST_TIMEOUT_MS'],
    [{ VERDICT_AUTH_FAILURES_PER_MINUTE: '-1' }, 'VERDICT_AUTH_FAILURES_PER_MINUTE'],
    [{ VERDICT_METRICS_ADDRESS: '9464' }, 'VERDICT_METRICS_ADDRESS'],
    [{ VERDICT_METRICS_ADDRESS: 'localhost:' }, 'VERDICT_METRICS_ADDRESS'],
    [{ VERDICT_METRICS_ADDRESS: '10.0.0.5:70000' }, 'VERDICT_METRICS_ADDRESS'],
    [{ VERDICT_METRICS_ADDRESS: '::1:9464' }, 'VERDICT_METRICS_ADDRESS'],
  ];
  for (const [env, name] of BAD) {
    test(`a bad ${name} stops start-up with a message naming it`, () => {
      assert.throws(() => loadConfig(env), (err: unknown) => err instanceof ConfigError && err.setting === name && err.message.startsWith(name));
    });
  }

  test('hardening settings: request timeout, failed authentications per address, the metrics listener', () => {
    const d = loadConfig({});
    assert.deepEqual([d.requestTimeoutMs, d.authFailuresPerMinute, d.metricsAddress], [30_000, 30, null]);
    const c = loadConfig({ VERDICT_REQUEST_TIMEOUT_MS: '5000', VERDICT_AUTH_FAILURES_PER_MINUTE: '0', VERDICT_METRICS_ADDRESS: '10.0.0.5:9464' });
    assert.deepEqual([c.requestTimeoutMs, c.authFailuresPerMinute, c.metricsAddress], [5_000, 0, { host: '10.0.0.5', port: 9464 }]);
    assert.deepEqual(loadConfig({ VERDICT_METRICS_ADDRESS: '[::1]:9464' }).metricsAddress, { host: '::1', port: 9464 });
    assert.deepEqual(loadConfig({ VERDICT_METRICS_ADDRESS: 'metrics.internal:0' }).metricsAddress, { host: 'metrics.internal', port: 0 });
  });

  test('the admin key is never echoed in the error', () => {
    const secret = 'sk_live_tooshort';
    assert.throws(() => loadConfig({ VERDICT_ADMIN_KEY: secret }), (err: Error) => !err.message.includes(secret));
  });

  test('a config file supplies settings; the environment wins', () => {
    const dir = mkdtempSync(join(tmpdir(), 'verdict-config-'));
    const file = join(dir, 'verdict.json');
    writeFileSync(file, JSON.stringify({ VERDICT_PORT: 9000, VERDICT_LOG_LEVEL: 'warn' }));
    const c = loadConfig({ VERDICT_CONFIG_FILE: file, VERDICT_LOG_LEVEL: 'error' });
    assert.deepEqual([c.port, c.logLevel], [9000, 'error']);
    writeFileSync(file, '{"PORT": 1}');
    assert.throws(() => loadConfig({ VERDICT_CONFIG_FILE: file }), /VERDICT_CONFIG_FILE/);
    assert.throws(() => loadConfig({ VERDICT_CONFIG_FILE: join(dir, 'missing.json') }), /VERDICT_CONFIG_FILE/);
  });
});

describe('README configuration table', () => {
  test('lists every setting with its default', async () => {
    const { readFileSync } = await import('node:fs');
    const { SETTINGS } = await import('../../src/config.ts');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const s of SETTINGS) {
      const row = readme.split('\n').find((l) => l.startsWith('|') && l.includes(`\`${s.env}\``));
      assert.ok(row, `README documents ${s.env}`);
      const shown = s.default.startsWith('(') ? null : s.default.split(',')[0]!;
      if (shown !== null) assert.ok(row.includes(shown), `README gives ${s.env}'s default ${shown}`);
    }
  });
});
