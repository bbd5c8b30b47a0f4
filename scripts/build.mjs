#!/usr/bin/env node
// Compiles src/ to dist/ (tsconfig.build.json). The compiler writes to a fresh folder that then
// takes dist/'s place: no file of a removed source lingers, and a `verdict` process starting
// meanwhile (a test run beside this build) finds dist/ whole. Exits with the compiler's status:
// type errors fail the build, although the compiler still writes its output (the tests run that
// output, as they run the sources).
// Then it builds the analyst console (console/, with Vite) into dist/console/ and the network
// table (scripts/build-network.mjs).
// Usage: node scripts/build.mjs   (npm run build; `npm ci` runs it through `prepare`)
import { existsSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
let tsc;
try {
  tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
} catch {
  console.error('build: TypeScript is not installed. Build where the development dependencies are (npm ci), then ship dist/.');
  process.exit(1);
}
const dist = join(root, 'dist');
const fresh = join(root, `.dist-${process.pid}`);
const old = join(root, `.dist-${process.pid}-old`);
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', fresh], { stdio: 'inherit' });
// Packages that are slow to load as published are re-exported by one module each, whose compiled
// output is replaced by a single bundled ES module: TypeBox 1.x is some 370 small ES modules (loaded
// one by one they took ~0.3 s of every server start); tldts, commander and ipaddr.js are CommonJS, which Node
// scans for its exports at every start (~0.1 s of every command). The sources and the tests use
// the packages as they are.
const BUNDLED = [join('http', 'typebox.js'), join('vendor', 'tldts.js'), join('vendor', 'commander.js'), join('vendor', 'ipaddr.js')];
for (const file of BUNDLED.map((f) => join(fresh, f)).filter((f) => existsSync(f))) {
  const { buildSync } = createRequire(import.meta.url)('esbuild');
  buildSync({ entryPoints: [file], outfile: file, allowOverwrite: true, bundle: true, format: 'esm', platform: 'node', target: 'node20', mainFields: ['module', 'main'], absWorkingDir: root, logLevel: 'error',
    // CommonJS inside requires Node's own modules
    banner: { js: "import { createRequire as __verdictRequire } from 'node:module'; const require = __verdictRequire(import.meta.url);" } });
}
// The analyst console (console/: Preact + TypeScript) built by Vite into dist/console/, which
// the server serves at `/` (src/http/console.ts). Vite is a development dependency: where it is
// missing the server still runs and says at `/` that the console is not built.
let consoleFailed = false;
if (existsSync(fresh)) {
  let vite = null;
  try {
    vite = await import(pathToFileURL(createRequire(import.meta.url).resolve('vite')).href);
  } catch {
    console.error('build: Vite is not installed; the console is not built (npm ci installs it).');
  }
  if (vite !== null) {
    try {
      await vite.build({ configFile: join(root, 'console', 'vite.config.ts'), logLevel: 'warn', build: { outDir: join(fresh, 'console'), emptyOutDir: true } });
    } catch (err) {
      console.error('build: the console did not build:', err instanceof Error ? err.message : err);
      consoleFailed = true;
    }
  }
}
if (existsSync(fresh)) {
  if (existsSync(dist)) renameSync(dist, old);
  renameSync(fresh, dist);
  rmSync(old, { recursive: true, force: true });
}
// The IP-to-AS and IP-to-country table (data/network/ip-network.bin), made from the pinned
// @ip-location-db packages when it is missing or they changed; otherwise this takes a few ms.
if (existsSync(join(dist, 'network', 'build.js'))) {
  const net = spawnSync(process.execPath, [join(root, 'scripts', 'build-network.mjs')], { stdio: 'inherit' });
  if (net.status !== 0) process.exit(net.status ?? 1);
}
process.exit(r.status === 0 && consoleFailed ? 1 : (r.status ?? 1));
