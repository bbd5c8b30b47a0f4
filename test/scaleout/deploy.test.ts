/**
 * The compose file and docs/deploy.md stay in step with the code: every VERDICT_* setting the
 * compose file gives is one the configuration accepts, the roles run commands that exist, and
 * the docs name what the compose file runs.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.ts';
import { buildProgram } from '../../src/cli/main.ts';

interface Service {
  command?: string[];
  environment?: Record<string, string>;
  deploy?: { replicas?: number };
}

const compose = parse(readFileSync('deploy/compose.yaml', 'utf8'), { merge: true }) as { services: Record<string, Service> };
const docs = readFileSync('docs/deploy.md', 'utf8');

/** `${NAME:?message}` → a valid stand-in value, so the config can be checked as deployed. */
function substitute(env: Record<string, string>): Record<string, string> {
  const stand: Record<string, string> = { VERDICT_ADMIN_KEY: 'sk_live_' + 'A'.repeat(40), POSTGRES_PASSWORD: 'pw' };
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{([A-Z_]+)[^}]*\}/g, (_m, name: string) => stand[name] ?? 'x')]),
  );
}

function commandExists(words: string[]): boolean {
  let cmd = buildProgram();
  for (const w of words) {
    const next = cmd.commands.find((c) => c.name() === w);
    if (!next) return false;
    cmd = next;
  }
  return true;
}

describe('deploy/compose.yaml', () => {
  const { api, worker, postgres, redis, lb } = compose.services;

  it('has the documented roles: API replicas, one worker, PostgreSQL, Redis, a load balancer', () => {
    assert.ok(api && worker && postgres && redis && lb);
    assert.ok((api.deploy?.replicas ?? 1) >= 2, 'more than one API instance');
    for (const name of Object.keys(compose.services)) assert.match(docs, new RegExp(`\`${name}\``), `docs/deploy.md names ${name}`);
  });

  it('gives API and worker a configuration Verdict accepts, on PostgreSQL and Redis', () => {
    for (const [name, svc] of [['api', api], ['worker', worker]] as const) {
      const config = loadConfig(substitute(svc!.environment ?? {}));
      assert.match(config.databaseUrl, /^postgres:\/\//, `${name} uses PostgreSQL`);
      assert.match(config.redisUrl ?? '', /^redis:\/\//, `${name} uses Redis`);
    }
    assert.equal(loadConfig(substitute(api!.environment ?? {})).scheduler, false, 'API replicas leave feeds to the worker');
  });

  it('runs commands that exist', () => {
    assert.ok(commandExists(api!.command ?? []), `api: verdict ${api!.command?.join(' ')}`);
    assert.ok(commandExists(worker!.command ?? []), `worker: verdict ${worker!.command?.join(' ')}`);
    assert.ok(commandExists(['migrate-store']));
    assert.match(docs, /VERDICT_MIGRATE_TO=postgres:\/\/\S+ verdict migrate-store/, 'the documented way keeps the password off the command line');
  });
});
