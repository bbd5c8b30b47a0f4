/**
 * Splunk hunting rules as data, in Common Information Model (CIM) field names.
 * `search` drives the raw search that runs anywhere (`index=*`, search-time CIM fields);
 * `tstats` drives the accelerated data-model form, one leg per data model.
 * Field names are checked against the CIM field lists by the tests.
 */
import type { IndicatorType } from '../../indicators/types.ts';

/** How the value is matched: equal, as a parent domain (`*.value`), or anywhere in the field. */
export type SplunkPattern = 'exact' | 'subdomain' | 'contains';

export interface SplunkTerm {
  field: string;
  pattern: SplunkPattern;
}

export interface SplunkSearchRule {
  terms: readonly SplunkTerm[];
  /** `stats … by` these (null-filled first so that events missing one are still counted). */
  by: readonly string[];
}

export interface SplunkTstatsLeg {
  /** `Model.Dataset`, e.g. `Network_Traffic.All_Traffic`. */
  datamodel: string;
  /** Fields inside the dataset (without the dataset prefix). */
  terms: readonly SplunkTerm[];
  by: readonly string[];
}

export interface SplunkRule {
  search: SplunkSearchRule;
  /** Empty when no CIM data model holds the value: `splunk_tstats` is then the plain search. */
  tstats: readonly SplunkTstatsLeg[];
}

const exact = (...fields: string[]): SplunkTerm[] => fields.map((field) => ({ field, pattern: 'exact' }));

const ip: SplunkRule = {
  search: { terms: exact('src_ip', 'dest_ip', 'src', 'dest'), by: ['sourcetype', 'src_ip', 'dest_ip', 'dest_port'] },
  tstats: [
    {
      datamodel: 'Network_Traffic.All_Traffic',
      terms: exact('src_ip', 'dest_ip'),
      by: ['src_ip', 'dest_ip', 'dest_port', 'action'],
    },
    { datamodel: 'Web.Web', terms: exact('src', 'dest'), by: ['src', 'dest', 'url', 'action'] },
    { datamodel: 'Network_Resolution.DNS', terms: exact('src', 'answer'), by: ['src', 'query', 'answer'] },
  ],
};

const hash: SplunkRule = {
  search: {
    terms: [
      { field: 'file_hash', pattern: 'exact' },
      // Sysmon-style process_hash holds several `ALGO=hex` pairs in one value.
      { field: 'process_hash', pattern: 'contains' },
      { field: 'parent_process_hash', pattern: 'contains' },
    ],
    by: ['sourcetype', 'dest', 'file_name', 'process_name'],
  },
  tstats: [
    {
      datamodel: 'Endpoint.Processes',
      terms: [{ field: 'process_hash', pattern: 'contains' }],
      by: ['dest', 'user', 'process_name', 'process_path'],
    },
    { datamodel: 'Endpoint.Filesystem', terms: exact('file_hash'), by: ['dest', 'user', 'file_name', 'file_path'] },
    { datamodel: 'Malware.Malware_Attacks', terms: exact('file_hash'), by: ['dest', 'user', 'signature', 'action'] },
    { datamodel: 'Email.All_Email', terms: exact('file_hash'), by: ['src_user', 'recipient', 'file_name', 'action'] },
  ],
};

export const SPLUNK_RULES: Readonly<Record<IndicatorType, SplunkRule>> = {
  ipv4: ip,
  ipv6: ip,
  domain: {
    search: {
      terms: [
        { field: 'query', pattern: 'exact' },
        { field: 'query', pattern: 'subdomain' },
        { field: 'url_domain', pattern: 'exact' },
        { field: 'url_domain', pattern: 'subdomain' },
        { field: 'dest', pattern: 'exact' },
        { field: 'src_user_domain', pattern: 'exact' },
      ],
      by: ['sourcetype', 'src', 'dest', 'query'],
    },
    tstats: [
      {
        datamodel: 'Network_Resolution.DNS',
        terms: [
          { field: 'query', pattern: 'exact' },
          { field: 'query', pattern: 'subdomain' },
        ],
        by: ['src', 'query', 'answer'],
      },
      {
        datamodel: 'Web.Web',
        terms: [
          { field: 'url_domain', pattern: 'exact' },
          { field: 'url_domain', pattern: 'subdomain' },
        ],
        by: ['src', 'dest', 'url_domain', 'action'],
      },
      { datamodel: 'Email.All_Email', terms: exact('src_user_domain'), by: ['src_user', 'recipient', 'subject', 'action'] },
    ],
  },
  url: {
    search: { terms: exact('url'), by: ['sourcetype', 'src', 'dest', 'http_method', 'status'] },
    tstats: [
      { datamodel: 'Web.Web', terms: exact('url'), by: ['src', 'dest', 'user', 'http_method', 'status'] },
      { datamodel: 'Email.All_Email', terms: exact('url'), by: ['src_user', 'recipient', 'subject', 'action'] },
    ],
  },
  md5: hash,
  sha1: hash,
  sha256: hash,
  sha512: hash,
  email: {
    search: {
      terms: exact('src_user', 'recipient', 'orig_recipient', 'return_addr', 'user'),
      by: ['sourcetype', 'src_user', 'recipient', 'subject', 'action'],
    },
    tstats: [
      {
        datamodel: 'Email.All_Email',
        terms: exact('src_user', 'recipient', 'orig_recipient', 'return_addr'),
        by: ['src_user', 'recipient', 'subject', 'action'],
      },
      { datamodel: 'Authentication.Authentication', terms: exact('user'), by: ['user', 'src', 'dest', 'action'] },
    ],
  },
  cve: {
    search: {
      terms: [
        { field: 'cve', pattern: 'exact' },
        { field: 'signature', pattern: 'contains' },
      ],
      by: ['sourcetype', 'dest', 'signature', 'severity'],
    },
    tstats: [
      // Vulnerable hosts …
      { datamodel: 'Vulnerabilities.Vulnerabilities', terms: exact('cve'), by: ['dest', 'signature', 'severity'] },
      // … and exploitation attempts seen by IDS/IPS.
      {
        datamodel: 'Intrusion_Detection.IDS_Attacks',
        terms: [{ field: 'signature', pattern: 'contains' }],
        by: ['src', 'dest', 'signature', 'action'],
      },
    ],
  },
  asn: {
    // CIM has no AS field. Enrichment that adds one (a GeoIP/ASN lookup at search time, or in the
    // ingest pipeline) writes the number as src_asn/dest_asn, beside CIM's src_ip/dest_ip.
    search: { terms: exact('src_asn', 'dest_asn'), by: ['sourcetype', 'src_ip', 'dest_ip', 'src_asn', 'dest_asn'] },
    tstats: [],
  },
  'mitre-attack': {
    // Splunk ES risk events and notables carry ATT&CK annotations under these names.
    search: {
      terms: exact('annotations.mitre_attack.mitre_technique_id', 'mitre_technique_id'),
      by: ['sourcetype', 'risk_object', 'search_name'],
    },
    tstats: [
      {
        datamodel: 'Risk.All_Risk',
        terms: exact('annotations.mitre_attack.mitre_technique_id'),
        by: ['risk_object', 'risk_object_type', 'source'],
      },
    ],
  },
};
