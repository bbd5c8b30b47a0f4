#!/usr/bin/env node
// Builds data/network/ip-network.bin, the IP-to-AS and IP-to-country table, from the pinned
// @ip-location-db packages (development dependencies) with the compiled build step in dist/
// (src/network/build.ts). Does nothing when the file already holds the installed versions;
// `--force` rebuilds it. `npm run build` runs it after compiling. Without the packages (an
// install without development dependencies) it says so and leaves the table as it is: lookups
// then answer without network context.
// Usage: node scripts/build-network.mjs [--force]
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const step = join(root, 'dist', 'network', 'build.js');
if (!existsSync(step)) {
  console.error('build-network: dist/ is not built (npm run build)');
  process.exit(1);
}
const { buildNetworkTable } = await import(pathToFileURL(step).href);
const out = join(root, 'data', 'network', 'ip-network.bin');
const r = buildNetworkTable({ out, force: process.argv.includes('--force') });
if (r.status === 'missing') {
  console.warn(`build-network: ${r.packages.join(' and ')} not installed (npm ci installs them): data/network/ip-network.bin not built`);
} else if (r.status === 'built') {
  const { asn, country, counts } = r.header;
  console.log(
    `build-network: data/network/ip-network.bin from ${asn.package} ${asn.version} and ${country.package} ${country.version}: ` +
      `${counts.as4_ranges + counts.as6_ranges} AS ranges, ${counts.cc4_ranges + counts.cc6_ranges} country ranges, ${(r.bytes / 1048576).toFixed(1)} MB in ${(r.ms / 1000).toFixed(1)} s`,
  );
}
