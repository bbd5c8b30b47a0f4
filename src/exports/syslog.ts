/**
 * RFC 5424 syslog lines: `<PRI>1 TIMESTAMP HOSTNAME verdict - ioc [verdict@32473 …] MSG`, one per
 * indicator. Facility local0 (16); severity from the level (critical 2, high 3, medium 4, low 6).
 * The structured data's PARAM-VALUEs escape `"`, `\` and `]` (§6.3.3); control characters become
 * spaces so that each message stays one line. 32473 is the enterprise number RFC 5612 sets aside
 * for examples and documentation: a receiver that wants its own SD-ID maps `verdict@32473`.
 */
import { itemTlp } from './tlp.ts';
import { eachItem, type ExportItem, type ExportItems, type ExportOptions } from './types.ts';

export const SYSLOG_FACILITY = 16;
export const SYSLOG_SEVERITY: Readonly<Record<string, number>> = { critical: 2, high: 3, medium: 4, low: 6 };
export const SD_ID = 'verdict@32473';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g;

export function sdValue(s: string): string {
  return s.replace(CONTROL, ' ').replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** HOSTNAME: printable US-ASCII without spaces, at most 255; `-` when unknown. */
function header(s: string | undefined, max: number): string {
  const clean = (s ?? '').replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return clean === '' ? '-' : clean;
}

export function syslogLine(item: ExportItem, opts: ExportOptions): string {
  const pri = SYSLOG_FACILITY * 8 + (SYSLOG_SEVERITY[item.risk.level] ?? 5);
  const params: [string, string][] = [
    ['type', item.type],
    ['value', item.value],
    ['level', item.risk.level],
    ['score', String(item.risk.score)],
    ['confidence', item.confidence],
    ['found', String(item.found)],
    ['tlp', itemTlp(item.sources, opts.tlp)],
  ];
  if (item.threat_types.length > 0) params.push(['threat_types', item.threat_types.join(',')]);
  if (item.malware_families.length > 0) params.push(['families', item.malware_families.join(',')]);
  if (item.mitre_techniques.length > 0) params.push(['techniques', item.mitre_techniques.map((t) => t.id).join(',')]);
  if (item.first_seen !== null) params.push(['first_seen', item.first_seen]);
  if (item.last_seen !== null) params.push(['last_seen', item.last_seen]);
  const sd = `[${SD_ID} ${params.map(([k, v]) => `${k}="${sdValue(v)}"`).join(' ')}]`;
  const feeds = [...new Set(item.sources.map((s) => s.feed_name))];
  const msg = `${item.risk.level} risk ${item.type} ${item.value}${feeds.length > 0 ? ` reported by ${feeds.join(', ')}` : ''}`.replace(CONTROL, ' ');
  return `<${pri}>1 ${opts.now.toISOString()} ${header(opts.hostname, 255)} verdict - ioc ${sd} ${msg}`;
}

export async function* syslogLines(items: ExportItems, opts: ExportOptions): AsyncIterable<string> {
  for await (const item of eachItem(items)) yield syslogLine(item, opts) + '\n';
}
