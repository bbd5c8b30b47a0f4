/**
 * The details vocabulary: what a feed stated about an indicator beyond the common fields, under
 * one key per meaning whichever feed said it (a MISP event's title, an OTX pulse's name and a
 * STIX report's name are all `report_name`). Parsers write these keys into a record's
 * attributes; `detailsOf` reads them back for a lookup's `sources[].details`, mapping KEV's own
 * field names and the names earlier versions stored onto the same keys. docs/feeds.md lists the
 * vocabulary (a test keeps the two in step).
 */

export type DetailKind = 'string' | 'integer' | 'boolean' | 'time' | 'list';

export interface DetailKey {
  key: string;
  kind: DetailKind;
  meaning: string;
  /** Attribute names that mean the same: KEV's field names, names stored by earlier versions. */
  aliases?: readonly string[];
}

export const DETAIL_KEYS = [
  // the entry and the report it belongs to
  { key: 'entry_id', kind: 'string', meaning: "the feed's own id of the entry (URLhaus and ThreatFox id, MISP attribute uuid, STIX indicator id, OTX indicator id, PhishTank phish_id, the sample's SHA-256 on MalwareBazaar)", aliases: ['id', 'attributeUuid', 'stixId', 'sha256'] },
  { key: 'report_id', kind: 'string', meaning: 'the report the entry belongs to: MISP event uuid, OTX pulse id, STIX report id', aliases: ['eventUuid', 'pulse_id'] },
  { key: 'report_type', kind: 'string', meaning: "what that report is: `misp-event`, `otx-pulse`, `stix-report`, `threat-report` (a report feed's article or an analyst's submitted report)" },
  { key: 'report_name', kind: 'string', meaning: "the report's title: MISP event info, OTX pulse name, STIX report name", aliases: ['eventInfo', 'pulse_name'] },
  { key: 'report_date', kind: 'time', meaning: "the report's own date: MISP event date, OTX pulse created, STIX report published" },
  { key: 'author', kind: 'string', meaning: 'who wrote the report: MISP creator organisation, OTX pulse author, STIX creator identity' },
  { key: 'adversary', kind: 'string', meaning: 'the threat actor the report names (OTX pulse adversary)' },
  { key: 'references', kind: 'list', meaning: 'external write-ups the report cites (OTX pulse references)' },
  { key: 'tlp', kind: 'string', meaning: 'Traffic Light Protocol marking (`clear`, `white`, `green`, `amber`, `amber+strict`, `red`)' },
  { key: 'threat_level', kind: 'string', meaning: "MISP event threat level: `high`, `medium`, `low`, `undefined`" },
  { key: 'category', kind: 'string', meaning: 'MISP attribute category (`Network activity`, `Payload delivery`, …)' },
  { key: 'comment', kind: 'string', meaning: "the source's comment on the entry (MISP attribute comment, OTX indicator title or description)" },
  { key: 'misp_type', kind: 'string', meaning: 'MISP attribute type (`ip-dst|port`, `url`, …)', aliases: ['mispType'] },
  { key: 'misp_object', kind: 'string', meaning: 'MISP object the attribute belongs to', aliases: ['object'] },
  { key: 'to_ids', kind: 'boolean', meaning: "MISP's to_ids flag: meant for detection", aliases: ['toIds'] },
  { key: 'sbl', kind: 'string', meaning: 'Spamhaus SBL record of a DROP range', aliases: ['sblId'] },
  { key: 'rir', kind: 'string', meaning: 'Regional Internet Registry of a range' },
  // the network entity
  { key: 'port', kind: 'integer', meaning: 'port the service was seen on (C2 port, ip:port)' },
  { key: 'hostname', kind: 'string', meaning: 'host name the feed gives for an address' },
  { key: 'ip', kind: 'string', meaning: 'address the feed gives for a name (MISP `domain|ip`)' },
  { key: 'asn', kind: 'integer', meaning: 'autonomous system number the feed gives', aliases: ['as_number'] },
  { key: 'as_name', kind: 'string', meaning: "that AS's name" },
  { key: 'as_domain', kind: 'string', meaning: "the domain of that AS's operator (Spamhaus ASN-DROP)" },
  { key: 'country', kind: 'string', meaning: 'country code the feed gives' },
  { key: 'status', kind: 'string', meaning: 'the entry\'s state as the feed marks it, lower case (`online`, `offline`, `unknown`; OTX `is_active: 0` is `inactive`); offline and inactive entries weigh less', aliases: ['url_status', 'c2_status'] },
  { key: 'last_online', kind: 'time', meaning: 'when the feed last saw it online' },
  { key: 'valid_until', kind: 'time', meaning: 'end of validity the source states (STIX valid_until, OTX expiration); past it the entry weighs as inactive' },
  { key: 'verified_at', kind: 'time', meaning: 'when the feed verified the entry (PhishTank verification_time)', aliases: ['verification_time'] },
  // who and what
  { key: 'reporter', kind: 'string', meaning: 'who submitted the entry to the feed (abuse.ch reporter)' },
  { key: 'reference', kind: 'string', meaning: "an external write-up the entry cites (ThreatFox reference); `reference_url` is the feed's own page" },
  { key: 'target', kind: 'string', meaning: 'the brand or organisation a phishing page imitates (PhishTank target)' },
  { key: 'malware_alias', kind: 'string', meaning: 'other names of the malware family (ThreatFox)' },
  { key: 'indicator_name', kind: 'string', meaning: "the STIX indicator's name", aliases: ['name'] },
  { key: 'stix_pattern', kind: 'string', meaning: 'the STIX pattern the value came from', aliases: ['pattern'] },
  { key: 'file_name', kind: 'string', meaning: 'file name of a sample or of a MISP `filename|hash`', aliases: ['filename'] },
  { key: 'file_type', kind: 'string', meaning: "the feed's guess of the file type", aliases: ['file_type_guess'] },
  { key: 'mime_type', kind: 'string', meaning: 'MIME type of the sample' },
  { key: 'imphash', kind: 'string', meaning: 'import hash of a PE sample' },
  { key: 'ssdeep', kind: 'string', meaning: 'ssdeep fuzzy hash of the sample' },
  { key: 'tlsh', kind: 'string', meaning: 'TLSH fuzzy hash of the sample' },
  { key: 'reason', kind: 'string', meaning: 'why an internal list holds the entry' },
  { key: 'owner', kind: 'string', meaning: 'who owns an internal list entry' },
  // a CISA KEV entry (the whole entry is in related.kev)
  { key: 'vendor_project', kind: 'string', meaning: 'KEV vendor or project', aliases: ['vendorProject'] },
  { key: 'product', kind: 'string', meaning: 'KEV product' },
  { key: 'vulnerability_name', kind: 'string', meaning: 'KEV vulnerability name', aliases: ['vulnerabilityName'] },
  { key: 'date_added', kind: 'time', meaning: 'when CISA added the CVE to KEV', aliases: ['dateAdded'] },
  { key: 'due_date', kind: 'time', meaning: 'KEV remediation due date for US federal agencies', aliases: ['dueDate'] },
  { key: 'ransomware_use', kind: 'string', meaning: 'KEV knownRansomwareCampaignUse (`Known`, `Unknown`)', aliases: ['knownRansomwareCampaignUse'] },
  { key: 'cwes', kind: 'list', meaning: 'CWE ids KEV gives' },
  { key: 'catalog_version', kind: 'string', meaning: 'the KEV catalog version that listed it', aliases: ['catalogVersion'] },
  { key: 'tags', kind: 'list', meaning: "the feed's own tags on the entry" },
] as const satisfies readonly DetailKey[];

export type DetailName = (typeof DETAIL_KEYS)[number]['key'];

/** Long KEV texts: shown whole under related.kev, not repeated in every source's details. */
const HIDDEN: ReadonlySet<string> = new Set(['shortDescription', 'requiredAction', 'notes']);

/** Attribute name → [vocabulary key, its position]; built once. */
const CANONICAL = new Map<string, readonly [DetailName, number]>();
DETAIL_KEYS.forEach((d: DetailKey, i) => {
  CANONICAL.set(d.key, [d.key as DetailName, i]);
  for (const a of d.aliases ?? []) if (!CANONICAL.has(a)) CANONICAL.set(a, [d.key as DetailName, i]);
});

/**
 * The value a sighting's attributes give for one vocabulary key, whether stored under the key
 * itself or an alias (the key wins). Cheap: a handful of property reads.
 */
export function detail(attributes: Readonly<Record<string, unknown>>, key: DetailName): unknown {
  const own = attributes[key];
  if (own !== undefined && own !== null && own !== '') return own;
  const d = BY_KEY.get(key);
  for (const a of d?.aliases ?? []) {
    const v = attributes[a];
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return undefined;
}

const BY_KEY = new Map<string, DetailKey>(DETAIL_KEYS.map((d: DetailKey) => [d.key, d]));

function shaped(kind: DetailKind, v: unknown): unknown {
  switch (kind) {
    case 'integer': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : Number.NaN;
      return Number.isSafeInteger(n) ? n : v;
    }
    case 'boolean':
      return v === true || v === 'true' ? true : v === false || v === 'false' ? false : v;
    default:
      return v;
  }
}

/**
 * A sighting's details for a lookup: vocabulary keys first, in vocabulary order, then any other
 * attribute a team's own feed maps (its names kept). Empty values are left out.
 */
export function detailsOf(attributes: Readonly<Record<string, unknown>>, tags: readonly string[] = []): Record<string, unknown> {
  const known: [number, string, unknown][] = [];
  const other: [string, unknown][] = [];
  const taken = new Set<string>();
  for (const name of Object.keys(attributes)) {
    const v = attributes[name];
    if (v === undefined || v === null || v === '' || HIDDEN.has(name)) continue;
    const c = CANONICAL.get(name);
    if (c === undefined) {
      other.push([name, v]);
      continue;
    }
    const [key, at] = c;
    // the key itself beats an alias, whichever came first
    if (taken.has(key) && name !== key) continue;
    if (taken.has(key)) {
      const i = known.findIndex((k) => k[1] === key);
      if (i >= 0) known.splice(i, 1);
    }
    taken.add(key);
    const kind = (DETAIL_KEYS[at] as DetailKey).kind;
    // statuses are compared in lower case everywhere; other strings stay as the feed wrote them
    known.push([at, key, key === 'status' && typeof v === 'string' ? v.trim().toLowerCase() : shaped(kind, v)]);
  }
  if (tags.length > 0 && !taken.has('tags')) known.push([DETAIL_KEYS.length - 1, 'tags', [...tags]]);
  known.sort((a, b) => a[0] - b[0]);
  const out: Record<string, unknown> = {};
  for (const [, key, v] of known) out[key] = v;
  for (const [name, v] of other) if (!Object.hasOwn(out, name)) out[name] = v;
  return out;
}

/** The entry's status as the feed marks it, lower case; null when it states none. */
export function statusOf(attributes: Readonly<Record<string, unknown>>): string | null {
  const v = detail(attributes, 'status');
  return typeof v === 'string' && v.trim() !== '' ? v.trim().toLowerCase() : null;
}
