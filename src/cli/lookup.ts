/**
 * `verdict lookup`: one indicator, the same result as GET /api/v1/lookup. It only reads: the
 * store must exist (a lookup creates none), and nothing is loaded into it.
 */
import { loadConfig, type Config } from '../config.ts';
import { buildLookupDeps, commandLogger, type LookupDeps } from '../deps.ts';
import { createLookup, type LookupResponse } from '../enrich.ts';
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
}

export async function lookupCommand(value: string, opts: LookupCommandOptions): Promise<void> {
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
