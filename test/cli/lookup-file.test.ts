/** `verdict lookup --file FILE|-`: the bulk path from the command line, as a table, --json or --ndjson; and any command whose reader goes away. */
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/index.ts';
import { BIN, runVerdict } from './run.ts';

describe('verdict lookup --file', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verdict-lookup-file-'));
    env = { ...process.env, VERDICT_DATABASE_URL: join(dir, 'verdict.db'), VERDICT_LOG_LEVEL: 'warn' };
    const store = await openStore(join(dir, 'verdict.db'));
    await store.migrate();
    await store.ingest({ feedId: 'urlhaus', mode: 'incremental', runAt: '2026-11-30T00:00:00.000Z' }, [{ type: 'domain', value: 'evil-file.com', threatType: 'payload_delivery' }]);
    await store.close();
    writeFileSync(join(dir, 'values.txt'), '# observables of an alert\nsub.evil-file[.]com\n\n198.51.100.9\nnot a value\nsub.evil-file.com\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('--ndjson: one line per distinct value in order, errors in place, then the summary', async () => {
    const r = await runVerdict(['lookup', '--file', join(dir, 'values.txt'), '--ndjson'], '', env);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 4, r.stdout + r.stderr);
    assert.equal(lines[0].value, 'sub.evil-file.com');
    assert.equal(lines[0].found, true);
    assert.equal(lines[0].sources[0].match, 'parent_domain');
    assert.equal(lines[1].value, '198.51.100.9');
    assert.equal(lines[1].found, false);
    assert.equal(lines[2].error.code, 'invalid_indicator');
    assert.deepEqual(lines[3].summary, { total: 4, answered: 3, duplicates: 1, errors: 1, found: 1, by_type: { domain: 1, ipv4: 1 }, by_level: lines[3].summary.by_level });
    assert.equal(r.code, 2, 'a bad value makes the exit status 2');
  });

  test('- reads standard input; --json prints one document equal to the one-value lookups', async () => {
    const r = await runVerdict(['lookup', '--file', '-', '--json'], 'evil-file.com\n198.51.100.9\n', env);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.results.length, 2);
    const one = await runVerdict(['lookup', 'evil-file.com', '--json'], '', env);
    assert.deepEqual(doc.results[0], JSON.parse(one.stdout));
    assert.equal(doc.summary.found, 1);
  });

  test('a table by default, and a missing file said plainly', async () => {
    const r = await runVerdict(['lookup', '--file', '-'], 'evil-file.com\n', env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^VALUE\s+TYPE\s+RISK\s+SCORE\s+CONFIDENCE\s+FOUND\s+SOURCES\n/);
    assert.match(r.stdout, /evil-file\.com\s+domain\s+\w+\s+\d+\s+\w+\s+yes\s+1\n/);
    assert.match(r.stdout, /1 values: 1 indicators \(1 found/);
    const missing = await runVerdict(['lookup', '--file', join(dir, 'nope.txt')], '', env);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no such file/);
  });
});

describe('a reader that goes away', () => {
  /** Runs the command and closes its standard output once the first bytes arrive, as `| head -1` does. */
  function runUntilFirstBytes(args: readonly string[], stdin: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.stdout.once('data', () => child.stdout.destroy());
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
      child.stdin.end(stdin);
    });
  }

  // some 300 KB of output: far more than a pipe holds, so the command writes after the reader has gone
  const values = Array.from({ length: 3_000 }, (_, i) => `198.51.${(i >> 8) & 255}.${i & 255}`).join('\n');

  for (const args of [['lookup', '--file', '-'], ['extract']]) {
    test(`verdict ${args.join(' ')} | head: ends quietly with its own exit status`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'verdict-epipe-'));
      try {
        const env = { ...process.env, VERDICT_DATABASE_URL: join(dir, 'verdict.db'), VERDICT_LOG_LEVEL: 'warn' };
        const store = await openStore(join(dir, 'verdict.db'));
        await store.migrate();
        await store.close();
        const r = await runUntilFirstBytes(args, values, env);
        assert.equal(r.code, 0, r.stderr);
        assert.doesNotMatch(r.stderr, /EPIPE|Error/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
