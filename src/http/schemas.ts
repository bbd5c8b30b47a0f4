/**
 * Route schemas shared by several routes. Response schemas fix field order (fast-json-stringify
 * writes properties in schema order) and feed the OpenAPI document.
 */
import { Type } from './typebox.ts';
import { ERROR_CODES } from './errors.ts';
import { CONFIDENCE_LEVELS, CONTEXT_RELATIONS, DATE_SOURCES, FEED_CATEGORIES, RISK_LEVELS, type DateSource } from '../model.ts';
import { SCOPES, TIERS } from '../store/types.ts';
import { SUMMARY_ERROR_CODES } from '../llm/client.ts';

/**
 * Nullable as a type list rather than a union: the serializer writes `type: [string, null]`
 * directly, where a union would make it validate each value against both branches.
 */
export const NullableString = (description?: string) =>
  Type.Unsafe<string | null>({ type: ['string', 'null'], ...(description ? { description } : {}) });
const NullableTime = NullableString('RFC 3339 UTC time, or null');
const Time = Type.String({ description: 'RFC 3339 UTC time' });

export const ErrorEnvelope = Type.Object(
  {
    error: Type.Object({
      code: Type.Enum(ERROR_CODES),
      message: Type.String(),
      request_id: Type.String(),
      details: Type.Optional(Type.Object({}, { additionalProperties: true })),
    }),
  },
  { description: 'Every error response: one code from the error catalog.' },
);

/** The error responses a route may give, by status, all with the one envelope. */
export function errorResponses(...statuses: number[]): Record<number, unknown> {
  const out: Record<number, unknown> = {};
  for (const s of statuses) out[s] = ErrorEnvelope;
  return out;
}

/** Statuses every authenticated route can answer besides its own. */
export const AUTH_ERRORS = [401, 403, 429, 500, 503] as const;

export const Source = Type.Object({
  feed_name: Type.String(),
  category: Type.Enum([...FEED_CATEGORIES]),
  first_seen: Type.String({ description: 'RFC 3339 UTC time, as the source dated it (see date_source)' }),
  last_seen: Type.String({ description: 'RFC 3339 UTC time, as the source dated it (see date_source)' }),
  threat_type: NullableString(),
  malware_family: NullableString(),
  confidence: Type.Unsafe<number | null>({ type: ['integer', 'null'], minimum: 0, maximum: 100, description: "The feed's own confidence (0-100), when it gives one" }),
  reference_url: NullableString(),
  match: Type.Enum(['exact', ...CONTEXT_RELATIONS], {
    description:
      'exact: the feed listed the indicator itself; range/host/parent_domain/asn: it listed the CIDR range holding the IP, the host of the URL, a parent domain, or the AS announcing the IP (related.network)',
  }),
  matched_value: Type.String({ description: 'what the feed listed: the indicator, or the range, host, parent domain or AS number' }),
  date_source: Type.Unsafe<DateSource | null>({
    type: ['string', 'null'],
    enum: [...DATE_SOURCES, null],
    description: "where the dates came from: feed (the entry's own), file (the list's header date), http (the server's Last-Modified), fetched (no date in the source: when Verdict fetched it); null for data stored before this was recorded",
  }),
  listed: Type.Boolean({ description: 'false once a snapshot feed stopped listing it' }),
  details: Type.Object({}, { additionalProperties: true, description: 'what the feed stated besides, under the details vocabulary (docs/feeds.md): port, status, asn, report_id, report_name, sbl, …' }),
});

/** `related.network` of an IPv4 or IPv6 lookup: src/network, docs/api.md. */
export const NetworkContext = Type.Object(
  {
    asn: NullableString('The AS announcing the address, `AS13335`; null when the IP-to-AS table holds no range with it'),
    as_name: NullableString("The AS's organization name"),
    range: NullableString('The table range holding the address (CIDR when it is one block, else `first-last`), or the special-purpose block'),
    country: NullableString('ISO 3166-1 alpha-2 country code from the IP-to-country table'),
    as_of: NullableString("The tables' date (YYYY-MM-DD); null when no table is installed"),
    special: Type.Optional(Type.String({ description: 'A special-purpose block with no public network: private, loopback, link_local, documentation, …' })),
    ipv4: Type.Optional(Type.String({ description: 'An IPv4-mapped IPv6 address is answered for this IPv4 address' })),
    note: Type.Optional(Type.String({ description: 'Why fields are null, in words' })),
    attribution: Type.String({ description: "The tables' sources and licenses (CC BY 4.0: RouteViews, NRO, DB-IP)" }),
  },
  { description: 'The network of an IP address, from offline tables (the @ip-location-db packages)' },
);

/** `summary` of `include=summary` (src/llm): written by the operator's model from the result alone; it never changes the verdict. */
export const AnalystSummary = Type.Object(
  {
    text: Type.String({ description: 'A few sentences written from this result only, citing its feeds' }),
    model: Type.String({ description: 'The model that wrote it, as the endpoint named it' }),
    generated_at: Time,
  },
  { description: "Analyst summary (include=summary): a language model's reading of this result; the whole result was sent to the operator's endpoint (VERDICT_LLM_URL)" },
);

/** `summary_error`: why a result that asked for a summary has none. */
export const SummaryErrorSchema = Type.Object(
  {
    code: Type.Enum([...SUMMARY_ERROR_CODES]),
    message: Type.String(),
  },
  { description: 'Why include=summary gave no summary: disabled (no endpoint configured), timeout, upstream_error, malformed_response, unreachable' },
);

export const LookupResult = Type.Object(
  {
    value: Type.String({ description: 'The canonical form of the indicator' }),
    type: Type.String({ description: 'The detected or given type' }),
    risk_score: Type.Enum([...RISK_LEVELS]),
    confidence: Type.Enum([...CONFIDENCE_LEVELS]),
    mitre_techniques: Type.Array(
      Type.Object({
        id: Type.String(),
        name: Type.String(),
        derived_from: Type.String({ description: 'how it was derived: source, ctid, kev, threat_type, malware_family, lookup' }),
        mapping_type: Type.Optional(
          Type.String({ description: 'ctid only: exploitation_technique, primary_impact, secondary_impact or uncategorized (Center for Threat-Informed Defense KEV mappings)' }),
        ),
      }),
    ),
    hunting_queries: Type.Object(
      { splunk: Type.String(), kql: Type.String() },
      { additionalProperties: Type.String(), description: 'Ready-to-run queries by platform; splunk and kql always' },
    ),
    sources: Type.Array(Source),
    found: Type.Boolean({ description: 'Whether any source reported the indicator, or a range, host or parent domain holding it. Not found is not "safe".' }),
    first_seen: NullableTime,
    last_seen: NullableTime,
    risk: Type.Object({
      score: Type.Number({ minimum: 0, maximum: 100 }),
      level: Type.Enum([...RISK_LEVELS]),
      factors: Type.Array(
        Type.Object({ kind: Type.String(), description: Type.String() }, { additionalProperties: true }),
      ),
    }),
    threat_types: Type.Array(Type.String()),
    malware_families: Type.Array(Type.String()),
    tags: Type.Array(Type.String()),
    warninglists: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })),
    related: Type.Object(
      { network: Type.Optional(NetworkContext) },
      { additionalProperties: true, description: 'Derived context: registrable domain, containing ranges, KEV entry, ATT&CK details; `network` for an IP' },
    ),
    summary: Type.Optional(AnalystSummary),
    summary_error: Type.Optional(SummaryErrorSchema),
  },
);

export const KeyView = Type.Object(
  {
    id: Type.String(),
    key_prefix: Type.String(),
    name: Type.String(),
    tier: Type.Enum([...TIERS]),
    scopes: Type.Array(Type.Enum([...SCOPES])),
    created_at: Time,
    last_used_at: NullableTime,
    expires_at: NullableTime,
    revoked_at: NullableTime,
    allowed_ips: Type.Array(Type.String(), { description: 'CIDR ranges the key may be used from; empty: any address' }),
  },
);

/** OpenAPI security requirement of every keyed route: either header works. */
export const KEY_SECURITY: { [scheme: string]: string[] }[] = [{ bearer: [] }, { apiKey: [] }];
