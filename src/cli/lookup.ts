/**
 * `verdict lookup`: one indicator, the same result as GET /api/v1/lookup. It only reads: the
 * store must exist (a lookup creates none), and nothing is loaded into it.
 */
import { loadConfig, type Config } from '../config.ts';
import { buildLookupDeps, commandLogger, type LookupDeps } from '../deps.ts';
import { createLookup, type LookupResponse } from '../enrich.ts';
import { createBulkLookup, type BulkInput, type BulkItem, type BulkSummary } from '../bulk.ts';
import { errorText } from '../file-errors.ts';
import { itemJson } from '../lookup-json.ts';
import { readFile } from 'node:fs/promises';
import { parsePlatforms } from '../hunting/index.ts';
import { parseTypeName } from '../indicators/type-hint.ts';
import type { IndicatorType } from '../indicators/types.ts';
import type { HuntingPlatform } from '../model.ts';
import type { NetworkAnswer } from '../network/index.ts';
import { printable } from '../printable.ts';
import { StoreNotFoundError } from '../store/index.ts';

export interface LookupCommandOptions {
  type?: string;
  platforms?: string;
  json?: boolean;
  file?: string;
  ndjson?: boolean;
}

export async function lookupCommand(value: string | undefined, opts: LookupCommandOptions): Promise<void> {
  if (opts.file !== undefined) {
    if (value !== undefined) throw new Error('give either a value or --file, not both');
    return lookupFileCommand(opts.file, opts);
  }
  if (value === undefined) throw new Error('a value to look up is required (or --file FILE, - for standard input)');
  if (opts.ndjson) throw new Error('--ndjson goes with --file');
  const type = opts.type === undefined ? undefined : resolveType(opts.type);
  const platforms = platformsOf(opts.platforms);
  const config = loadConfig();
  const deps = await openForLookup(config);
  try {
    const outcome = await createLookup(deps).lookup({ value, ...(type ? { type } : {}), platforms });
    if (!outcome.ok) {
      const message = `not a valid ${type ?? 'indicator'}: ${outcome.reasons.map((r) => `${r.type}: ${r.reason}`).join('; ')}`;
      if (opts.json) process.stdout.write(JSON.stringify({ error: { code: 'invalid_indicator', message, details: { expected_types: outcome.expectedTypes } } }) + '\n');
      else process.stderr.write(printable(message) + '\n');
      process.exitCode = 2;
      return;
    }
    process.stdout.write(opts.json ? JSON.stringify(outcome.result, null, 2) + '\n' : formatLookup(outcome.result));
  } finally {
    await deps.close();
  }
}

/** The values of a file (or standard input), one a line; blank lines and `#` comments skipped. */
async function readValues(file: string): Promise<string[]> {
  let text: string;
  if (file === '-') {
    const parts: Buffer[] = [];
    for await (const chunk of process.stdin) parts.push(chunk as Buffer);
    text = Buffer.concat(parts).toString('utf8');
  } else {
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new Error(errorText(err, file), { cause: err });
    }
  }
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
}

/** `verdict lookup --file FILE|-`: the bulk path (POST /api/v1/lookup/bulk's) over the local store. */
async function lookupFileCommand(file: string, opts: LookupCommandOptions): Promise<void> {
  if (opts.json && opts.ndjson) throw new Error('choose --json or --ndjson, not both');
  const type = opts.type === undefined ? undefined : resolveType(opts.type);
  const platforms = platformsOf(opts.platforms);
  const values = await readValues(file);
  const inputs: BulkInput[] = type === undefined ? values : values.map((v) => ({ value: v, type }));
  const config = loadConfig();
  const deps = await openForLookup(config);
  try {
    const run = createBulkLookup(deps).run(inputs, { platforms });
    const out = process.stdout;
    const write = (s: string) => (out.write(s) ? undefined : new Promise<void>((resolve) => out.once('drain', () => resolve())));
    let step = await run.next();
    let n = 0;
    if (opts.json) await write('{"results":[');
    else if (!opts.ndjson) await write(TABLE_HEAD);
    while (step.done !== true) {
      const item = step.value;
      const json = itemJson(item);
      if (opts.ndjson) await write(`${json}\n`);
      else if (opts.json) await write(n === 0 ? json : `,${json}`);
      else await write(tableRow(item));
      n += 1;
      step = await run.next();
    }
    const summary = step.value;
    if (opts.ndjson) await write(`${JSON.stringify({ summary })}\n`);
    else if (opts.json) await write(`],"summary":${JSON.stringify(summary)}}\n`);
    else await write(summaryLine(summary));
    if (summary.errors > 0) process.exitCode = 2;
  } finally {
    await deps.close();
  }
}

const TABLE_HEAD = `${'VALUE'.padEnd(48)} ${'TYPE'.padEnd(12)} ${'RISK'.padEnd(9)} SCORE ${'CONFIDENCE'.padEnd(10)} FOUND SOURCES\n`;

function cut(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** One row of the table; a bad value says why in the row. */
export function tableRow(item: BulkItem): string {
  if ('error' in item) {
    const value = String(item.error.details['value'] ?? '');
    return printable(`${cut(value, 48).padEnd(48)} error: ${item.error.message}`) + '\n';
  }
  const r = item.result;
  const row = `${cut(r.value, 48).padEnd(48)} ${r.type.padEnd(12)} ${r.risk_score.padEnd(9)} ${String(r.risk.score).padStart(5)} ${r.confidence.padEnd(10)} ${(r.found ? 'yes' : 'no').padEnd(5)} ${r.sources.length}`;
  return printable(row) + '\n';
}

function summaryLine(s: BulkSummary): string {
  const levels = ['critical', 'high', 'medium', 'low'].filter((l) => (s.by_level[l] ?? 0) > 0).map((l) => `${s.by_level[l]} ${l}`);
  return `\n${s.total} values: ${s.answered - s.errors} indicators (${s.found} found${levels.length > 0 ? `; ${levels.join(', ')}` : ''}), ${s.duplicates} duplicates, ${s.errors} errors\n`;
}

async function openForLookup(config: Config): Promise<LookupDeps> {
  try {
    return await buildLookupDeps(config, { logger: commandLogger(config) });
  } catch (err) {
    if (!(err instanceof StoreNotFoundError)) throw err;
    throw new Error(
      `${err.message} (VERDICT_DATABASE_URL). \`verdict serve\` creates the store; so do \`verdict feeds load-bundled\` (the bundled CISA KEV snapshot) and \`verdict feeds import\`.`,
      { cause: err },
    );
  }
}

/** `--type`, read as the API reads `?type=`. */
function resolveType(raw: string): IndicatorType {
  const t = parseTypeName(raw);
  if (!t.ok) throw new Error(t.message);
  return t.type;
}

/** `--platforms`, read as the API reads `?platforms=`. */
function platformsOf(raw: string | undefined): readonly HuntingPlatform[] {
  const p = parsePlatforms(raw);
  if (!p.ok) throw new Error(p.message);
  return p.platforms;
}

/** Where a source's dates came from, in words after them. */
const DATED: Readonly<Record<string, string>> = {
  feed: '',
  file: " (the list's own date)",
  http: " (the server's Last-Modified)",
  fetched: ' (no date in the feed: when it was fetched)',
  unknown: '',
};

/** `port 8080 · status offline · tags a, b`: what the feed stated, one line, long values cut. */
export function detailWords(details: Record<string, unknown>): string {
  const words: string[] = [];
  for (const [k, v] of Object.entries(details)) {
    const text = Array.isArray(v) ? v.map(String).join(', ') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
    words.push(`${k.replace(/_/g, ' ')} ${text.length > 80 ? `${text.slice(0, 79)}…` : text}`);
  }
  return words.join(' · ');
}

/** `AS15169 Google LLC, 8.8.8.0/24, US (tables of 2026-06-17)`, and why fields are missing. */
export function networkWords(n: NetworkAnswer): string {
  const parts: string[] = [];
  if (n.asn !== null) parts.push(n.as_name ? `${n.asn} ${n.as_name}` : n.asn);
  if (n.range !== null) parts.push(n.range);
  if (n.country !== null) parts.push(n.country);
  const dated = n.as_of === null ? '' : ` (tables of ${n.as_of})`;
  const words = parts.length > 0 && n.special === undefined ? `${parts.join(', ')}${dated}` : `none${dated}`;
  return n.note === undefined ? words : `${words}; ${n.note}`;
}

/**
 * The lookup for a person: verdict first, then why, then what to do about it. Feeds wrote most of
 * it (families, details, names), so every line is escaped before it reaches the terminal.
 */
export function formatLookup(r: LookupResponse): string {
  const lines: string[] = [];
  lines.push(`${r.value}  (${r.type})`);
  lines.push(`  risk        ${r.risk_score} (${r.risk.score}/100), confidence ${r.confidence}`);
  lines.push(`  found       ${r.found ? `yes, first seen ${r.first_seen ?? '?'}, last seen ${r.last_seen ?? '?'}` : 'no source reported it (which does not make it safe)'}`);
  const network = r.related['network'] as NetworkAnswer | undefined;
  if (network !== undefined) lines.push(`  network     ${networkWords(network)}`, `              ${network.attribution}`);
  if (r.sources.length > 0) {
    lines.push('  sources');
    for (const s of r.sources) {
      const what = [s.threat_type, s.malware_family].filter((x) => x !== null).join(', ');
      const via = s.match === 'exact' ? '' : s.match === 'asn' ? ` — via its AS ${s.matched_value}` : ` — via the ${s.match === 'parent_domain' ? 'parent domain' : s.match} ${s.matched_value}`;
      const listed = s.listed ? '' : ', no longer listed';
      lines.push(`    - ${s.feed_name} (${s.category})${what ? `: ${what}` : ''}${via}`);
      lines.push(`        first seen ${s.first_seen}, last seen ${s.last_seen}${DATED[s.date_source ?? 'unknown'] ?? ''}${listed}`);
      const details = detailWords(s.details);
      if (details !== '') lines.push(`        ${details}`);
    }
  }
  if (r.mitre_techniques.length > 0) lines.push(`  techniques  ${r.mitre_techniques.map((t) => `${t.id} ${t.name}${t.mapping_type ? ` [${t.mapping_type.replace(/_/g, ' ')}]` : ''}`).join('; ')}`);
  if (r.threat_types.length > 0) lines.push(`  threats     ${r.threat_types.join(', ')}`);
  if (r.malware_families.length > 0) lines.push(`  malware     ${r.malware_families.join(', ')}`);
  if (r.warninglists.length > 0) lines.push(`  on lists    ${r.warninglists.map((w) => w.name).join('; ')}`);
  if (r.risk.factors.length > 0) {
    lines.push('  why');
    for (const f of r.risk.factors) lines.push(`    - ${String(f['description'] ?? f['kind'])}`);
  }
  lines.push('  hunting queries');
  for (const [platform, query] of Object.entries(r.hunting_queries)) lines.push(`    ${platform}:`, ...query.split('\n').map((l) => `      ${l}`));
  return lines.map(printable).join('\n') + '\n';
}
