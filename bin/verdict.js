#!/usr/bin/env node
// The `verdict` command: the compiled JavaScript in dist/ (`npm run build`; `npm ci` builds it).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('verdict: dist/ is not built yet; run `npm run build` (npm ci runs it) in the checkout\n');
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv);
