/**
 * CISA Known Exploited Vulnerabilities JSON: one `cve` record per entry, every KEV field kept
 * verbatim in `attributes` under KEV's own names (lookups show the KEV entry of a CVE from them).
 * First seen is the entry's `dateAdded`; last seen the catalog's `dateReleased`, the day CISA
 * last stated that every entry in it is exploited.
 */
import type { SightingRecord } from '../../model.ts';
import { looksLikeOf, toIndicator } from './indicator.ts';
import { isRecord, jsonCapOf, readJson, str, toIsoDate } from './text.ts';
import { FeedParseError, type ByteSource, type ParseContext } from './types.ts';

export const KEV_FIELDS = [
  'vendorProject',
  'product',
  'vulnerabilityName',
  'dateAdded',
  'shortDescription',
  'requiredAction',
  'dueDate',
  'knownRansomwareCampaignUse',
  'notes',
  'cwes',
] as const;

export async function* parseCisaKev(input: ByteSource, ctx: ParseContext): AsyncIterable<SightingRecord> {
  const doc = await readJson(input, 'CISA KEV', jsonCapOf(ctx.options));
  if (!isRecord(doc) || !Array.isArray(doc.vulnerabilities)) throw new FeedParseError('CISA KEV: no "vulnerabilities" array');
  const catalogVersion = str(doc.catalogVersion);
  const released = toIsoDate(doc.dateReleased);
  for (const entry of doc.vulnerabilities) {
    if (!isRecord(entry)) {
      ctx.tally.reject(JSON.stringify(entry), 'not an object', 'json');
      continue;
    }
    const id = str(entry.cveID);
    const ind = id === null ? ({ ok: false, reason: 'no cveID' } as const) : toIndicator(id, 'cve');
    if (!ind.ok) {
      ctx.tally.reject(JSON.stringify(entry), ind.reason, id === null ? 'json' : looksLikeOf(id));
      continue;
    }
    const attributes: Record<string, unknown> = {};
    for (const f of KEV_FIELDS) if (entry[f] !== undefined) attributes[f] = entry[f];
    if (catalogVersion) attributes.catalogVersion = catalogVersion;
    const ransomware = str(entry.knownRansomwareCampaignUse)?.toLowerCase() === 'known';
    yield {
      type: 'cve',
      value: ind.value,
      firstSeen: toIsoDate(entry.dateAdded),
      lastSeen: released,
      threatType: 'exploited_vulnerability',
      tags: ransomware ? ['ransomware'] : [],
      referenceUrl: `https://nvd.nist.gov/vuln/detail/${ind.value}`,
      attributes,
    };
  }
}
