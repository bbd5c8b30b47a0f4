/**
 * Each feed's vocabulary mapped onto Verdict's THREAT_TYPES, as data. A term missing from a
 * table leaves the threat type to the catalog entry's default.
 */
import { THREAT_TYPES, type ThreatType } from '../model.ts';

export const THREATFOX_THREAT_TYPES: Readonly<Record<string, ThreatType>> = {
  botnet_cc: 'botnet_cc',
  payload_delivery: 'payload_delivery',
  payload: 'payload',
  cc_skimming: 'malicious_infrastructure',
};

export const URLHAUS_THREATS: Readonly<Record<string, ThreatType>> = {
  malware_download: 'payload_delivery',
};

/** STIX 2.1 indicator-type-ov. */
export const STIX_INDICATOR_TYPES: Readonly<Record<string, ThreatType>> = {
  'malicious-activity': 'malicious_infrastructure',
  'anomalous-activity': 'suspicious',
  compromised: 'compromised',
  'attribution': 'malicious_infrastructure',
  'unknown': 'suspicious',
  'benign': 'allowlisted',
};

/** MISP attribute categories. */
export const MISP_CATEGORIES: Readonly<Record<string, ThreatType>> = {
  'Payload delivery': 'payload_delivery',
  'Payload installation': 'payload',
  'Artifacts dropped': 'payload',
  'Network activity': 'malicious_infrastructure',
  'Financial fraud': 'phishing',
};

/** OTX indicator `role` (set on some indicators of a pulse). */
export const OTX_ROLES: Readonly<Record<string, ThreatType>> = {
  command_and_control: 'botnet_cc',
  c2: 'botnet_cc',
  malware_hosting: 'payload_delivery',
  phishing: 'phishing',
  scanning_host: 'scanner',
  bruteforce: 'brute_force',
  bruteforcing: 'brute_force',
};

export function isThreatType(v: unknown): v is ThreatType {
  return typeof v === 'string' && (THREAT_TYPES as readonly string[]).includes(v);
}

/** Looks a feed term up in a table, case-insensitively; falls back to the default. */
export function mapThreat(table: Readonly<Record<string, ThreatType>>, term: string | null | undefined, fallback: ThreatType | null): ThreatType | null {
  if (term === null || term === undefined) return fallback;
  const t = term.trim();
  return table[t] ?? table[t.toLowerCase()] ?? (isThreatType(t) ? t : fallback);
}
