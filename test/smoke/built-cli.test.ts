/**
 * Smoke test of what ships: the built `verdict` command (bin/verdict.js → dist/, plain node, no
 * TypeScript loader) end to end on a temporary SQLite store. `serve` on a free port prints the
 * first admin key; a lookup goes through HTTP; `feeds import` loads a Spamhaus DROP file beside
 * the running server; `lookup` then finds an address inside one of its ranges, from the command
 * line and over HTTP. (scripts/run-tests.mjs builds dist/ before the tests run.)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'verdict.js');
const DROP = join(ROOT, 'test', 'fixtures', 'feeds', 'drop.txt');

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

interface Source {
  feed_name: string;
  match: string;
  matched_value: string;
}

interface LookupBody {
  value: string;
  type: string;
  found: boolean;
  sources: Source[];
}

describe('the built verdict command, end to end', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let server: ChildProcess | null = null;
  let output = '';

  before(() => {
    assert.ok(existsSync(join(ROOT, 'dist', 'cli', 'main.js')), 'dist/ is built (npm run build)');
    dir = mkdtempSync(join(tmpdir(), 'verdict-smoke-'));
    env = { ...process.env, VERDICT_DATABASE_URL: join(dir, 'verdict.db'), VERDICT_SCHEDULER: 'off', VERDICT_LOG_LEVEL: 'info' };
    // nothing of the test process's own set-up reaches the command
    delete env['VERDICT_ADMIN_KEY'];
    delete env['VERDICT_CONFIG_FILE'];
    delete env['VERDICT_REDIS_URL'];
    delete env['NODE_OPTIONS'];
  });

  after(async () => {
    if (server !== null && server.exitCode === null) {
      server.kill('SIGKILL');
      await once(server, 'exit');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const verdict = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 60_000 });

  test('help, serve, HTTP lookup, feeds import, lookup in a range, shutdown', { timeout: 120_000 }, async () => {
    const help = verdict('--help');
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Usage: verdict /);

    const port = await freePort();
    server = spawn(process.execPath, [BIN, 'serve', '--host', '127.0.0.1', '--port', String(port)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
    server.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    while (!/"msg":"verdict listening"/.test(output)) {
      assert.equal(server.exitCode, null, `serve stopped:\n${output}`);
      assert.ok(Date.now() < deadline, `serve did not come up:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const key = /Created the first admin key[^\n]*\n\n {4}(sk_live_[0-9A-Za-z]{32,})\n/.exec(output)?.[1];
    assert.ok(key, `the first admin key was printed:\n${output}`);

    const get = async (value: string): Promise<LookupBody> => {
      const res = await fetch(`${base}/api/v1/lookup?value=${encodeURIComponent(value)}`, { headers: { authorization: `Bearer ${key}` } });
      assert.equal(res.status, 200, await res.clone().text());
      return (await res.json()) as LookupBody;
    };
    const unknown = await get('192.0.2.1');
    assert.deepEqual([unknown.value, unknown.type, unknown.found], ['192.0.2.1', 'ipv4', false]);
    const kev = await get('CVE-2021-44228');
    assert.equal(kev.found, true, 'serve loaded the bundled KEV snapshot');

    const imported = verdict('feeds', 'import', 'spamhaus-drop', DROP, '--json');
    assert.equal(imported.status, 0, imported.stderr);
    const run = JSON.parse(imported.stdout) as { status: string; result: { added: number } };
    assert.equal(run.status, 'success');
    assert.ok(run.result.added > 100, `${run.result.added} ranges added`);

    const looked = verdict('lookup', '1.10.16.5', '--json');
    assert.equal(looked.status, 0, looked.stderr);
    const body = JSON.parse(looked.stdout) as LookupBody;
    assert.equal(body.found, true, 'an address inside a DROP range is found');
    assert.deepEqual([body.sources[0]?.feed_name, body.sources[0]?.match, body.sources[0]?.matched_value], ['Spamhaus DROP', 'range', '1.10.16.0/20']);
    const overHttp = await get('1.10.16.5');
    assert.deepEqual([overHttp.found, overHttp.sources[0]?.match], [true, 'range'], 'the running server sees the import');

    server.kill('SIGTERM');
    const [code] = (await once(server, 'exit')) as [number | null];
    assert.equal(code, 0, output);
    assert.match(output, /"msg":"shutting down"/);
  });
});
