/**
 * ArcSight CEF (Common Event Format, rev. 25): one line per indicator,
 * `CEF:0|Verdict|Verdict|version|ioc-type|name|severity|extension`. Header fields escape `\` and
 * `|`; extension values escape `\`, `=` and line breaks (`\n`, `\r`), as the format requires.
 */
import type { StoredType } from '../indicators/types.ts';
import { itemTlp } from './tlp.ts';
import { eachItem, type ExportItem, type ExportItems, type ExportOptions } from './types.ts';

/** Risk level → CEF severity (0–10): low 3, medium 5, high 8, critical 10. */
export const CEF_SEVERITY: Readonly<Record<string, number>> = { low: 3, medium: 5, high: 8, critical: 10 };

/** The CEF key naming the indicator by type (the standard dictionary), besides `cs1`. */
const VALUE_KEY: Partial<Record<StoredType, string>> = {
  ipv4: 'dst',
  ipv6: 'c6a3',
  domain: 'dhost',
  url: 'request',
  md5: 'fileHash',
  sha1: 'fileHash',
  sha256: 'fileHash',
  sha512: 'fileHash',
  email: 'suser',
};

export function cefHeader(s: string): string {
  return s.replaceAll('\\', '\\\\').replaceAll('|', '\\|').replace(/[\r\n]+/g, ' ');
}

export function cefValue(s: string): string {
  return s.replaceAll('\\', '\\\\').replaceAll('=', '\\=').replaceAll('\r\n', '\\n').replaceAll('\n', '\\n').replaceAll('\r', '\\r');
}

export function cefLine(item: ExportItem, opts: ExportOptions): string {
  const ext: [string, string][] = [['rt', String(opts.now.getTime())]];
  const key = VALUE_KEY[item.type];
  if (key !== undefined && !(item.type === 'ipv4' && item.value.includes('/'))) ext.push([key, item.value]);
  ext.push(['cs1Label', 'indicator'], ['cs1', item.value]);
  ext.push(['cs2Label', 'indicatorType'], ['cs2', item.type]);
  ext.push(['cn1Label', 'riskScore'], ['cn1', String(item.risk.score)]);
  ext.push(['cs3Label', 'confidence'], ['cs3', item.confidence]);
  if (item.threat_types.length > 0) ext.push(['cs4Label', 'threatTypes'], ['cs4', item.threat_types.join(',')]);
  if (item.malware_families.length > 0) ext.push(['cs5Label', 'malwareFamilies'], ['cs5', item.malware_families.join(',')]);
  if (item.mitre_techniques.length > 0) ext.push(['cs6Label', 'techniques'], ['cs6', item.mitre_techniques.map((t) => t.id).join(',')]);
  if (item.first_seen !== null) ext.push(['deviceCustomDate1Label', 'firstSeen'], ['deviceCustomDate1', String(Date.parse(item.first_seen))]);
  if (item.last_seen !== null) ext.push(['deviceCustomDate2Label', 'lastSeen'], ['deviceCustomDate2', String(Date.parse(item.last_seen))]);
  ext.push(['flexString1Label', 'tlp'], ['flexString1', itemTlp(item.sources, opts.tlp)]);
  const feeds = [...new Set(item.sources.map((s) => s.feed_name))];
  if (feeds.length > 0) ext.push(['msg', `reported by ${feeds.join(', ')}`]);
  const header = ['CEF:0', 'Verdict', 'Verdict', opts.version ?? '1', `ioc-${item.type}`, `${item.risk.level} risk ${item.type}`, String(CEF_SEVERITY[item.risk.level] ?? 0)];
  return `${header.map((h, i) => (i === 0 ? h : cefHeader(h))).join('|')}|${ext.map(([k, v]) => `${k}=${cefValue(v)}`).join(' ')}`;
}

/** One line per indicator (found or not: a SIEM may want both), each ending in `\n`. */
export async function* cefLines(items: ExportItems, opts: ExportOptions): AsyncIterable<string> {
  for await (const item of eachItem(items)) yield cefLine(item, opts) + '\n';
}
