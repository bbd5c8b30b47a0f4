/**
 * Spamhaus ASN-DROP: autonomous systems run by or for criminals, whose whole address space
 * Spamhaus advises dropping. Two layouts, read line by line whichever the download is:
 *
 *   {"asn":64496,"rir":"arin","domain":"example.net","cc":"US","asname":"EXAMPLE-AS"}   JSON lines (asndrop.json)
 *   {"type":"metadata","timestamp":1716301801,"size":…,"records":…,"copyright":…,"terms":…}
 *
 *   ; Spamhaus ASN-DROP List 2024/05/21 - (c) 2024 The Spamhaus Project SLU             text (asndrop.txt)
 *   ; Last-Modified: Tue, 21 May 2024 14:30:01 GMT
 *   AS64496 ; US | EXAMPLE-AS
 *
 * Each line is stored as an `asn` with what Spamhaus says of it (`as_name`, `country`, `rir`,
 * `as_domain`), dated by the list's own date as DROP is (readSpamhausList). A line that is not
 * an AS number is refused, saying what it looks like: a DROP range in this feed means the wrong
 * file or the wrong feed id.
 */
import type { SightingRecord } from '../../model.ts';
import { normalizeAsn } from '../../indicators/simple.ts';
import { looksLikeOf } from './indicator.ts';
import { readSpamhausList, spamhausJsonLine, type DropLine, type Refusal } from './spamhaus-drop.ts';
import { str } from './text.ts';
import type { ByteSource, ParseContext } from './types.ts';

const COUNTRY = /^[A-Za-z]{2}$/;

export function asnDropRecord(asn: string, details: { country?: string | null; name?: string | null; rir?: string | null; domain?: string | null }): SightingRecord | Refusal {
  const n = normalizeAsn(asn);
  if (!n.ok) return { reason: n.reason, looksLike: looksLikeOf(asn) };
  const attributes: Record<string, unknown> = {};
  if (details.name) attributes.as_name = details.name;
  if (details.country && COUNTRY.test(details.country)) attributes.country = details.country.toUpperCase();
  if (details.rir) attributes.rir = details.rir;
  if (details.domain) attributes.as_domain = details.domain;
  return { type: 'asn', value: n.value, threatType: 'hijacked_range', tags: [], referenceUrl: null, attributes };
}

/** One JSON line: `asn` is a number, or a string written either way (`64496`, `AS64496`). */
export function asnDropJsonLine(line: string): DropLine {
  return spamhausJsonLine(line, (obj) => {
    // a JSON number is the AS number itself: 1.5 is no asdot `AS1.5`
    if (typeof obj.asn === 'number' && !Number.isSafeInteger(obj.asn)) return { reason: `not a whole AS number: ${obj.asn}`, looksLike: 'json' };
    const asn = str(obj.asn);
    // a DROP line read as ASN-DROP: say so, for the mismatch message
    if (asn === null) return { reason: 'no asn', looksLike: typeof obj.cidr === 'string' ? looksLikeOf(obj.cidr) : 'json' };
    return asnDropRecord(asn, { country: str(obj.cc), name: str(obj.asname), rir: str(obj.rir), domain: str(obj.domain) });
  });
}

/** One text line: `AS64496 ; US | EXAMPLE-AS` (the country or the name may be missing). */
export function asnDropTextLine(line: string): SightingRecord | Refusal {
  const semi = line.indexOf(';');
  const asn = (semi === -1 ? line : line.slice(0, semi)).trim();
  // a bare number is an AS number only when the file says so: every ASN-DROP line writes `AS`
  if (!/^AS/i.test(asn)) return { reason: 'not an AS number (ASN-DROP lines start with AS)', looksLike: looksLikeOf(asn) };
  if (semi === -1) return asnDropRecord(asn, {});
  const rest = line.slice(semi + 1);
  const bar = rest.indexOf('|');
  const country = (bar === -1 ? rest : rest.slice(0, bar)).trim();
  const name = bar === -1 ? '' : rest.slice(bar + 1).trim();
  return asnDropRecord(asn, { country: COUNTRY.test(country) ? country : null, name: name !== '' ? name : bar === -1 && !COUNTRY.test(country) && country !== '' ? country : null });
}

export function parseSpamhausAsnDrop(input: ByteSource, ctx: ParseContext): AsyncIterable<SightingRecord> {
  return readSpamhausList(input, ctx, asnDropJsonLine, asnDropTextLine);
}
