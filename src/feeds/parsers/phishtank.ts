/**
 * PhishTank's `online-valid.json` (downloaded as is, `.bz2` or `.gz`): an array of {phish_id, url,
 * phish_detail_url, submission_time, verified, verification_time, online, target, details: [{
 * ip_address, cidr_block, announcing_network, rir, country, detail_time }]}. Every entry is a
 * `phishing` URL.
 *
 * Dates: `submission_time` is first seen; last seen is the latest of `verification_time` and the
 * details' `detail_time` (when PhishTank last looked at it). Details: `entry_id` (phish_id), the
 * entry's PhishTank page as the reference URL, `verified_at`, `target` (the brand imitated),
 * `status` (online: yes/no), and of the most recent detail the address (`ip`), `asn`, `rir` and
 * `country`.
 */
import type { SightingRecord } from '../../model.ts';
import { looksLikeOf, toIndicator } from './indicator.ts';
import { isRecord, jsonCapOf, readJson, str, toIsoDate } from './text.ts';
import { FeedParseError, type ByteSource, type ParseContext } from './types.ts';

const ASN = /^(?:AS)?(\d{1,10})$/i;

function latest(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

/** The most recent detail (by `detail_time`; the first when none is dated). */
function latestDetail(details: unknown): { detail: Record<string, unknown> | null; at: string | null } {
  let detail: Record<string, unknown> | null = null;
  let at: string | null = null;
  if (!Array.isArray(details)) return { detail, at };
  for (const d of details) {
    if (!isRecord(d)) continue;
    const t = toIsoDate(d.detail_time);
    if (detail === null || (t !== null && (at === null || Date.parse(t) > Date.parse(at)))) {
      detail = d;
      at = t ?? at;
    }
  }
  return { detail, at };
}

function yesNo(v: unknown): boolean | null {
  if (v === true || v === false) return v;
  const s = str(v)?.toLowerCase();
  return s === 'yes' || s === 'true' ? true : s === 'no' || s === 'false' ? false : null;
}

function phishRecord(e: Record<string, unknown>, ctx: ParseContext): SightingRecord | null {
  const url = str(e.url);
  const ind = url === null ? ({ ok: false, reason: 'no url' } as const) : toIndicator(url, 'url');
  if (!ind.ok) {
    ctx.tally.reject(JSON.stringify(e), ind.reason, url === null ? 'json' : looksLikeOf(url));
    return null;
  }
  const attributes: Record<string, unknown> = {};
  const id = str(e.phish_id);
  if (id !== null) attributes.entry_id = id;
  const verifiedAt = toIsoDate(e.verification_time);
  if (verifiedAt !== null) attributes.verified_at = verifiedAt;
  const target = str(e.target);
  if (target !== null) attributes.target = target;
  const online = yesNo(e.online);
  if (online !== null) attributes.status = online ? 'online' : 'offline';
  const { detail, at } = latestDetail(e.details);
  if (detail !== null) {
    const ip = str(detail.ip_address);
    if (ip !== null) attributes.ip = ip;
    const asn = ASN.exec(str(detail.announcing_network) ?? '');
    if (asn?.[1] !== undefined && Number.isSafeInteger(Number(asn[1]))) attributes.asn = Number(asn[1]);
    const rir = str(detail.rir);
    if (rir !== null) attributes.rir = rir;
    const country = str(detail.country);
    if (country !== null) attributes.country = country;
  }
  const reference = str(e.phish_detail_url);
  return {
    type: ind.type,
    value: ind.value,
    firstSeen: toIsoDate(e.submission_time),
    lastSeen: latest(verifiedAt, at),
    threatType: 'phishing',
    tags: [],
    referenceUrl: reference ?? (id !== null ? `https://phishtank.org/phish_detail.php?phish_id=${id}` : null),
    attributes,
  };
}

export async function* parsePhishTankJson(input: ByteSource, ctx: ParseContext): AsyncIterable<SightingRecord> {
  const doc = await readJson(input, 'PhishTank', jsonCapOf(ctx.options));
  if (!Array.isArray(doc)) throw new FeedParseError('PhishTank: expected a JSON array of entries (online-valid.json)');
  for (const e of doc) {
    if (!isRecord(e)) {
      ctx.tally.reject(JSON.stringify(e) ?? String(e), 'not an object', 'json');
      continue;
    }
    const r = phishRecord(e, ctx);
    if (r !== null) yield r;
  }
}
