/**
 * Sigma hunting rules as data: per indicator type, the logsource (from the Sigma taxonomy) and
 * the selections that match the value. Selections are OR-ed by `1 of selection_*`.
 */
import type { IndicatorType } from '../../indicators/types.ts';

export interface SigmaSelection {
  /** Suffix of the search identifier: `selection_<name>`. */
  name: string;
  /** Field name, with modifiers (`Hashes|contains`); null for a keyword (full-text) search. */
  field: string | null;
  /** Wildcards or fixed text around the value. */
  prefix?: string;
  suffix?: string;
}

export interface SigmaRule {
  /** What the value is, for the title and description ("IPv4 address"). */
  label: string;
  logsource: { category?: string; product?: string; service?: string };
  selections: readonly SigmaSelection[];
  falsepositives: readonly string[];
  /** A public page about the indicator itself, for values of the canonical form only. */
  reference?: { pattern: RegExp; url: (value: string) => string };
}

const ip = (label: string): SigmaRule => ({
  label,
  logsource: { category: 'firewall' },
  selections: [
    { name: 'destination', field: 'dst_ip' },
    { name: 'source', field: 'src_ip' },
  ],
  falsepositives: ['Shared hosting, CDN or cloud addresses reused by legitimate services'],
});

const hash = (label: string, algo: string | null): SigmaRule => ({
  label,
  logsource: { category: 'process_creation', product: 'windows' },
  // Sysmon writes `ALGO=HEX` pairs in Hashes; matching is case-insensitive.
  selections: [{ name: 'hash', field: 'Hashes|contains', prefix: algo === null ? '' : `${algo}=` }],
  falsepositives: ['Unlikely: a file hash identifies one file'],
});

export const SIGMA_RULES: Readonly<Record<IndicatorType, SigmaRule>> = {
  ipv4: ip('IPv4 address'),
  ipv6: ip('IPv6 address'),
  domain: {
    label: 'domain',
    logsource: { category: 'dns' },
    selections: [
      { name: 'domain', field: 'query' },
      { name: 'subdomain', field: 'query|endswith', prefix: '.' },
    ],
    falsepositives: ['Legitimate subdomains of a shared or parked domain'],
  },
  url: {
    label: 'URL',
    logsource: { category: 'proxy' },
    selections: [{ name: 'url', field: 'c-uri|contains' }],
    falsepositives: ['Security products and sandboxes fetching the URL for analysis'],
  },
  md5: hash('MD5 hash', 'MD5'),
  sha1: hash('SHA-1 hash', 'SHA1'),
  sha256: hash('SHA-256 hash', 'SHA256'),
  // Sysmon does not compute SHA-512; products that log it in Hashes are matched on the hex alone.
  sha512: hash('SHA-512 hash', null),
  email: {
    label: 'email address',
    logsource: { product: 'm365', service: 'exchange' },
    selections: [{ name: 'address', field: null }],
    falsepositives: ['Messages that only quote the address'],
  },
  cve: {
    label: 'CVE',
    // Antivirus/EDR signatures name exploited CVEs (e.g. Exploit:Win32/CVE-2017-11882).
    logsource: { category: 'antivirus' },
    selections: [{ name: 'signature', field: 'Signature|contains' }],
    falsepositives: ['Detections of exploit documents that were blocked before running'],
    reference: { pattern: /^CVE-\d{4}-\d{4,}$/, url: (v) => `https://nvd.nist.gov/vuln/detail/${v}` },
  },
  asn: {
    label: 'AS number',
    // The Sigma taxonomy names no AS field for network logs; Entra ID sign-in logs record the
    // AS of every sign-in (the column of Sentinel's SigninLogs table).
    logsource: { product: 'azure', service: 'signinlogs' },
    selections: [{ name: 'asn', field: 'AutonomousSystemNumber' }],
    falsepositives: ['Users signing in from a large hosting, mobile or ISP network that also hosts abuse'],
  },
  'mitre-attack': {
    label: 'ATT&CK technique',
    // Alerts tagged with a technique carry its id in free text; Sigma has no alert taxonomy.
    logsource: { product: 'm365', service: 'threat_detection' },
    selections: [{ name: 'technique', field: null }],
    falsepositives: ['Informational alerts mapped to the same technique'],
    reference: {
      pattern: /^(?:T\d{4}(?:\.\d{3})?|TA\d{4})$/,
      url: (v) => (v.startsWith('TA') ? `https://attack.mitre.org/tactics/${v}/` : `https://attack.mitre.org/techniques/${v.replace('.', '/')}/`),
    },
  },
};
