/** Real `verdict serve` processes for the multi-instance tests. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { randomBytes } from 'node:crypto';

export interface Instance {
  readonly base: string;
  readonly output: () => string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export function randomAdminKey(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return 'sk_live_' + Array.from(randomBytes(40), (b) => alphabet[b % alphabet.length]).join('');
}

/** Starts `verdict serve` on a free port and waits until /api/v1/health answers. */
export async function startInstance(env: Record<string, string>, timeoutMs = 30_000): Promise<Instance> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['bin/verdict.js', 'serve', '--port', String(port), '--host', '127.0.0.1'], {
    env: { ...process.env, VERDICT_LOG_LEVEL: 'warn', VERDICT_SCHEDULER: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`verdict serve exited with ${child.exitCode}:\n${output}`);
    const ok = await fetch(`${base}/api/v1/health`).then((r) => r.status < 500, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`verdict serve did not come up in ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return {
    base,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await once(child, 'exit');
      clearTimeout(timer);
    },
  };
}

/** Runs a `verdict` CLI command to completion. */
export function verdict(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, ['bin/verdict.js', ...args], {
    env: { ...process.env, VERDICT_LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

export async function getJson(url: string, key: string): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const r = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
  const text = await r.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { raw: text };
  }
  return { status: r.status, body, headers: r.headers };
}
