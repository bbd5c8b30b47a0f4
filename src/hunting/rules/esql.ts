/**
 * ES|QL hunting rules as data, over Elastic Common Schema (ECS) fields. Field names and types
 * are checked against the ECS field list by the tests: `ip` fields are compared with TO_IP(),
 * keyword fields exactly (ECS keywords are case-sensitive; Verdict's canonical values are
 * lowercase where the format allows, which is how ECS producers write them).
 */
import type { IndicatorType } from '../../indicators/types.ts';

export type EsqlPattern = 'exact' | 'ip' | 'subdomain' | 'long';

export interface EsqlTerm {
  field: string;
  pattern: EsqlPattern;
}

export interface EsqlRule {
  /** Index patterns for FROM. */
  from: readonly string[];
  terms: readonly EsqlTerm[];
  /** STATS … BY these. */
  by: readonly string[];
}

const LOGS = ['logs-*'] as const;
const ALERTS = ['.alerts-security.alerts-*'] as const;

const ip: EsqlRule = {
  from: LOGS,
  terms: (['source.ip', 'destination.ip', 'client.ip', 'server.ip'] as const).map((field) => ({ field, pattern: 'ip' })),
  by: ['host.name', 'source.ip', 'destination.ip', 'destination.port'],
};

const hash = (algo: 'md5' | 'sha1' | 'sha256' | 'sha512'): EsqlRule => ({
  from: LOGS,
  terms: [`file.hash.${algo}`, `process.hash.${algo}`, `dll.hash.${algo}`].map((field) => ({ field, pattern: 'exact' })),
  by: ['host.name', 'event.category', 'process.name', 'file.path'],
});

export const ESQL_RULES: Readonly<Record<IndicatorType, EsqlRule>> = {
  ipv4: ip,
  ipv6: ip,
  domain: {
    from: LOGS,
    terms: [
      { field: 'dns.question.name', pattern: 'exact' },
      { field: 'dns.question.name', pattern: 'subdomain' },
      { field: 'url.domain', pattern: 'exact' },
      { field: 'url.domain', pattern: 'subdomain' },
      { field: 'destination.domain', pattern: 'exact' },
    ],
    by: ['host.name', 'source.ip', 'dns.question.name', 'url.domain'],
  },
  url: {
    from: LOGS,
    terms: [
      { field: 'url.full', pattern: 'exact' },
      { field: 'url.original', pattern: 'exact' },
    ],
    by: ['host.name', 'source.ip', 'url.full', 'http.response.status_code'],
  },
  md5: hash('md5'),
  sha1: hash('sha1'),
  sha256: hash('sha256'),
  sha512: hash('sha512'),
  email: {
    from: LOGS,
    terms: (['email.from.address', 'email.sender.address', 'email.to.address', 'email.reply_to.address', 'user.email'] as const).map((field) => ({
      field,
      pattern: 'exact',
    })),
    by: ['email.from.address', 'email.to.address', 'email.subject', 'event.action'],
  },
  cve: {
    // Vulnerability findings and detections both carry the CVE in vulnerability.id.
    from: [...LOGS, ...ALERTS],
    terms: [{ field: 'vulnerability.id', pattern: 'exact' }],
    by: ['host.name', 'vulnerability.severity', 'event.kind', 'event.dataset'],
  },
  asn: {
    // ECS `*.as.number` (long), filled by Elastic's GeoIP/ASN enrichment and by products that log it.
    from: LOGS,
    terms: (['source.as.number', 'destination.as.number', 'client.as.number', 'server.as.number'] as const).map((field) => ({ field, pattern: 'long' })),
    by: ['host.name', 'source.ip', 'destination.ip', 'destination.as.organization.name'],
  },
  'mitre-attack': {
    // Detection alerts and events mapped to ATT&CK carry threat.technique.* (ECS).
    from: [...LOGS, ...ALERTS],
    terms: [
      { field: 'threat.technique.id', pattern: 'exact' },
      { field: 'threat.technique.subtechnique.id', pattern: 'exact' },
    ],
    by: ['host.name', 'rule.name', 'event.kind', 'event.dataset'],
  },
};
