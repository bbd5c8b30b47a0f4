#!/usr/bin/env node
// Builds dist/ (the tests that start the `verdict` command run it from there), then finds every
// *.test.ts under src/ and test/ and hands them to node's test runner, which runs the TypeScript
// sources through tsx (on worker threads too: scripts/register-tsx.mjs).
// Node 20's --test does not expand globs itself, hence this small launcher.
// Usage: node scripts/run-tests.mjs [path-filter ...]
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

const roots = ['src', 'test'];
const filters = process.argv.slice(2);
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'fixtures') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.test.ts')) files.push(relative('.', p));
  }
}
for (const r of roots) { try { walk(r); } catch { /* root absent */ } }
const chosen = files.sort().filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (chosen.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// A build with type errors still writes its output, and the sources run regardless of their
// types under tsx: the tests go on (`npm test` type-checks first and stops there).
const build = spawnSync(process.execPath, [new URL('./build.mjs', import.meta.url).pathname], { stdio: 'inherit' });
if (build.status !== 0) {
  if (!existsSync('dist/cli/main.js')) process.exit(build.status ?? 1);
  console.error('run-tests: the build reported errors (above); testing what it wrote to dist/');
}
const preload = pathToFileURL(new URL('./register-tsx.mjs', import.meta.url).pathname).href;
const r = spawnSync(process.execPath, ['--import', preload, '--test', '--test-reporter=spec', ...chosen], { stdio: 'inherit' });
process.exit(r.status ?? 1);
