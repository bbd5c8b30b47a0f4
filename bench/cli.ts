/**
 * Start-up benchmark of the `verdict` command as a user runs it (`bin/verdict.js`, the compiled
 * JavaScript in dist/; `npm run bench:cli` builds first), against `node -e 0` measured in the
 * same run: the median of several runs of each, taking turns, and the peak RSS of one more.
 *
 *   npm run bench:cli [-- --runs N]
 *
 * - `verdict --help`: the command table only (goal ≤ 2.5× `node -e 0`)
 * - `verdict extract`: one line of text, no store
 * - `verdict lookup CVE-2021-44228 --json` on an existing SQLite store holding the bundled KEV
 *   snapshot (goal ≤ 0.5 s)
 * - `verdict serve` on that store until it logs that it listens (goal ≤ 1 s); the scheduler off
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/verdict.js', import.meta.url));
/** Preloaded for the memory run only: reports the process's peak RSS (KiB) as it exits. */
const PEAK_RSS = `data:text/javascript,process.on('exit',()=>process.stderr.write('\\npeak-rss-kib='+process.resourceUsage().maxRSS+'\\n'))`;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}

const RUNS = Math.max(1, Number(arg('--runs', '7')));
const dir = mkdtempSync(join(tmpdir(), 'verdict-bench-cli-'));
const env = { ...process.env, VERDICT_DATABASE_URL: join(dir, 'verdict.db'), VERDICT_LOG_LEVEL: 'info', VERDICT_SCHEDULER: 'off', VERDICT_PORT: '0', VERDICT_HOST: '127.0.0.1' };

interface Case {
  name: string;
  args: string[];
  stdin?: string;
  /** Done when stdout shows this (a server); otherwise when the process exits. */
  until?: RegExp;
  goal?: (seconds: number, baseline: number) => string;
}

interface Outcome {
  seconds: number;
  stderr: string;
}

/** Runs one case once: seconds from spawn to exit (or to `until`, then stops it). */
function once(c: Case, execArgv: string[] = []): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(process.execPath, [...execArgv, ...c.args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let seconds: number | null = null;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (c.until && seconds === null && c.until.test(stdout)) {
        seconds = (performance.now() - t) / 1000;
        child.kill('SIGTERM');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const took = seconds ?? (performance.now() - t) / 1000;
      if (c.until ? seconds === null : code !== 0) reject(new Error(`${c.name}: exit code ${code}\n${stderr}`));
      else resolve({ seconds: took, stderr });
    });
    child.stdin.end(c.stdin ?? '');
  });
}

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function peakRssMb(c: Case): Promise<number> {
  const { stderr } = await once(c, ['--import', PEAK_RSS]);
  const m = /peak-rss-kib=(\d+)/.exec(stderr);
  return m ? Number(m[1]) / 1024 : NaN;
}

async function main(): Promise<void> {
  const baseline: Case = { name: 'node -e 0', args: ['-e', '0'] };
  const cases: Case[] = [
    { name: 'verdict --help', args: [BIN, '--help'], goal: (s, b) => `≤ 2.5× node -e 0: ${s <= 2.5 * b ? 'met' : 'NOT met'}` },
    { name: 'verdict extract (one line)', args: [BIN, 'extract'], stdin: 'seen at hxxp://evil[.]example/x from 198.51.100.7\n' },
    { name: 'verdict lookup CVE-2021-44228 --json', args: [BIN, 'lookup', 'CVE-2021-44228', '--json'], goal: (s) => `≤ 0.5 s: ${s <= 0.5 ? 'met' : 'NOT met'}` },
    { name: 'verdict serve, until listening', args: [BIN, 'serve'], until: /"msg":"verdict listening"/, goal: (s) => `≤ 1 s: ${s <= 1 ? 'met' : 'NOT met'}` },
  ];
  // the store the lookups read and the server opens: the bundled KEV snapshot, and the first
  // admin key (made by a first start, so that every measured start is a restart)
  await once({ name: 'verdict feeds load-bundled', args: [BIN, 'feeds', 'load-bundled'] });
  const all = [baseline, ...cases];
  for (const c of all) await once(c); // warm-up: page cache, the first start
  const times = all.map(() => [] as number[]);
  for (let r = 0; r < RUNS; r++) {
    for (const [i, c] of all.entries()) times[i]!.push((await once(c)).seconds);
  }
  const base = median(times[0]!);
  console.log(`verdict start-up: median of ${RUNS} runs each, taking turns; peak RSS from one more run`);
  for (const [i, c] of all.entries()) {
    const s = median(times[i]!);
    const rss = await peakRssMb(c);
    const ratio = i === 0 ? '' : `${(s / base).toFixed(2)}× node -e 0`;
    console.log(`${c.name.padEnd(40)} ${s.toFixed(3).padStart(7)} s  ${ratio.padEnd(18)} peak RSS ${rss.toFixed(0).padStart(4)} MB${c.goal ? `  goal ${c.goal(s, base)}` : ''}`);
  }
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => rmSync(dir, { recursive: true, force: true }));
