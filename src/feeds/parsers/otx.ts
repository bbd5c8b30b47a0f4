/**
 * AlienVault OTX pulses, as a pulse export or the DirectConnect API gives them: a JSON array of
 * pulses, a page `{"results": [pulse, …], "next": …}` (or an array of such pages), or one pulse.
 * Each pulse holds `indicators` ({id, indicator, type, created, expiration, is_active, title,
 * description, role}).
 *
 * Every indicator of a pulse carries the pulse as its report, so one pulse counts once in the
 * risk model however many indicators it lists (`report_id` = the pulse id, `report_type:
 * otx-pulse`, `report_name`, `report_date` = the pulse's `created`, `author` = `author_name`,
 * `tlp`, `adversary`, `references`), its `tags`, its first `malware_families` entry as the
 * family and its `attack_ids` as ATT&CK techniques; the pulse's OTX page is the reference URL.
 * The indicator itself is the entry (`entry_id`, its title or description as `comment`); its
 * `created` is first seen (else the pulse's), its `expiration` is `valid_until` (past it the
 * entry weighs as inactive), and `is_active: 0` is `status: inactive`.
 *
 * OTX types Verdict holds are mapped (IPv4, IPv6, domain, hostname, URL, URI with a host, the MD5,
 * SHA-1 and SHA-256 file hashes, CVE, email, CIDR); the others (FilePath, Mutex, YARA, JA3,
 * BitcoinAddress, FileHash-PEHASH, …) are counted as skipped, by their OTX name, not refused.
 */
import type { StoredType } from '../../indicators/types.ts';
import type { SightingRecord, ThreatType } from '../../model.ts';
import { isThreatType, mapThreat, OTX_ROLES } from '../threat-types.ts';
import { looksLikeOf, toIndicator } from './indicator.ts';
import { isRecord, jsonCapOf, readJson, splitTags, str, toIsoDate } from './text.ts';
import { FeedParseError, type ByteSource, type ParseContext } from './types.ts';

/** OTX indicator type → stored type. Types not listed are skipped, by their OTX name. */
export const OTX_TYPES: Readonly<Record<string, StoredType>> = {
  IPv4: 'ipv4',
  IPv6: 'ipv6',
  domain: 'domain',
  hostname: 'domain',
  URL: 'url',
  URI: 'url',
  'FileHash-MD5': 'md5',
  'FileHash-SHA1': 'sha1',
  'FileHash-SHA256': 'sha256',
  CVE: 'cve',
  email: 'email',
  CIDR: 'cidr',
};

/** The pulse page on OTX, unless `options.pulseUrlBase` says otherwise. */
export const OTX_PULSE_URL_BASE = 'https://otx.alienvault.com/pulse/';

const TECHNIQUE = /^T\d{4}(?:\.\d{3})?$/;
/** A skipped kind's name is feed text: kept short in the run record. */
const MAX_KIND_CHARS = 40;

/** The pulses of a document in any of the shapes OTX gives them. */
export function pulsesOf(doc: unknown): unknown[] {
  if (Array.isArray(doc)) return doc.flatMap((e) => (isRecord(e) && Array.isArray(e.results) ? e.results : [e]));
  if (isRecord(doc) && Array.isArray(doc.results)) return doc.results;
  if (isRecord(doc) && Array.isArray(doc.indicators)) return [doc];
  throw new FeedParseError('OTX: expected a JSON array of pulses, an API page {"results": [...]}, or one pulse with "indicators"');
}

/** `attack_ids` as the pulse list gives them (`"T1566.001"`) or as a pulse's own page does (`{"id": "T1566.001", …}`). */
function attackIdsOf(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  const out = new Set<string>();
  for (const a of v) {
    const id = str(isRecord(a) ? a.id : a)?.toUpperCase();
    if (id !== undefined && TECHNIQUE.test(id)) out.add(id);
  }
  return [...out];
}

/** The first of `malware_families`: names, or objects with a `display_name`. */
function familyOf(v: unknown): string | null {
  if (!Array.isArray(v)) return null;
  for (const f of v) {
    const name = isRecord(f) ? (str(f.display_name) ?? str(f.name) ?? str(f.id)) : str(f);
    if (name !== null) return name;
  }
  return null;
}

function stringsOf(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  const out: string[] = [];
  for (const x of v) {
    const s = str(x);
    if (s !== null && !out.includes(s)) out.push(s);
  }
  return out;
}

/** What every indicator of one pulse carries. */
interface PulseContext {
  report: Readonly<Record<string, unknown>>;
  created: string | null;
  tags: string[];
  family: string | null;
  attackIds: string[];
  referenceUrl: string | null;
  threatType: ThreatType | null;
}

function pulseContext(p: Record<string, unknown>, ctx: ParseContext): PulseContext {
  const report: Record<string, unknown> = {};
  const id = str(p.id);
  if (id !== null) {
    report.report_id = id;
    report.report_type = 'otx-pulse';
  }
  const name = str(p.name);
  if (name !== null) report.report_name = name;
  const created = toIsoDate(p.created);
  if (created !== null) report.report_date = created;
  const author = str(p.author_name) ?? (isRecord(p.author) ? str(p.author.username) : null);
  if (author !== null) report.author = author;
  const tlp = str(p.tlp) ?? str(p.TLP);
  if (tlp !== null) report.tlp = tlp.toLowerCase();
  const adversary = str(p.adversary);
  if (adversary !== null) report.adversary = adversary;
  const references = stringsOf(p.references);
  if (references.length > 0) report.references = references;
  const base = typeof ctx.options.pulseUrlBase === 'string' ? ctx.options.pulseUrlBase : OTX_PULSE_URL_BASE;
  return {
    report,
    created,
    tags: splitTags(p.tags),
    family: familyOf(p.malware_families),
    attackIds: attackIdsOf(p.attack_ids),
    referenceUrl: id !== null ? `${base}${id}` : (references[0] ?? null),
    threatType: isThreatType(ctx.options.threatType) ? ctx.options.threatType : null,
  };
}

function indicatorRecord(i: Record<string, unknown>, pulse: PulseContext, ctx: ParseContext): SightingRecord | null {
  const otxType = str(i.type);
  const raw = str(i.indicator);
  if (otxType === null || raw === null) {
    ctx.tally.reject(JSON.stringify(i), otxType === null ? 'indicator without a type' : 'indicator without a value', raw === null ? 'json' : looksLikeOf(raw));
    return null;
  }
  const type = Object.hasOwn(OTX_TYPES, otxType) ? OTX_TYPES[otxType] : undefined;
  if (type === undefined) {
    ctx.tally.skip(otxType.length > MAX_KIND_CHARS ? `${otxType.slice(0, MAX_KIND_CHARS)}…` : otxType);
    return null;
  }
  const ind = toIndicator(raw, type);
  if (!ind.ok) {
    // a URI is often a path without a host (`/gate.php`): not a URL Verdict can hold
    if (otxType === 'URI') ctx.tally.skip('URI');
    else ctx.tally.reject(`${otxType} ${raw}`, ind.reason, looksLikeOf(raw));
    return null;
  }
  const attributes: Record<string, unknown> = { ...pulse.report };
  const entry = str(i.id);
  if (entry !== null) attributes.entry_id = entry;
  const comment = str(i.title) ?? str(i.description);
  if (comment !== null) attributes.comment = comment;
  const until = toIsoDate(i.expiration);
  if (until !== null) attributes.valid_until = until;
  if (i.is_active === 0 || i.is_active === false) attributes.status = 'inactive';
  return {
    type: ind.type,
    value: ind.value,
    firstSeen: toIsoDate(i.created) ?? pulse.created,
    threatType: mapThreat(OTX_ROLES, str(i.role), pulse.threatType),
    malwareFamily: pulse.family,
    tags: pulse.tags,
    referenceUrl: pulse.referenceUrl,
    attackIds: pulse.attackIds,
    attributes,
  };
}

/** Records of pulses already parsed (a file's, or the pages the `otx` source gathered). */
export function* otxPulseRecords(pulses: Iterable<unknown>, ctx: ParseContext): Iterable<SightingRecord> {
  for (const p of pulses) {
    if (!isRecord(p) || !Array.isArray(p.indicators)) {
      ctx.tally.reject(JSON.stringify(p) ?? String(p), 'not an OTX pulse (no "indicators")', 'json');
      continue;
    }
    const pulse = pulseContext(p, ctx);
    for (const i of p.indicators) {
      if (!isRecord(i)) {
        ctx.tally.reject(JSON.stringify(i) ?? String(i), 'indicator is not an object', 'json');
        continue;
      }
      const r = indicatorRecord(i, pulse, ctx);
      if (r !== null) yield r;
    }
  }
}

export async function* parseOtxPulses(input: ByteSource, ctx: ParseContext): AsyncIterable<SightingRecord> {
  const doc = await readJson(input, 'OTX pulses', jsonCapOf(ctx.options));
  yield* otxPulseRecords(pulsesOf(doc), ctx);
}
