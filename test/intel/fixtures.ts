/**
 * Evidence builders for the intelligence tests. FeedInfo values are the ones docs/scoring.md
 * assumes for the shipped catalog (category and Admiralty reliability per feed).
 */
import type { ContextSighting, Evidence, EvidenceSighting, FeedInfo, Override } from '../../src/model.ts';
import type { IndicatorType, StoredType } from '../../src/indicators/types.ts';

export const NOW = new Date('2026-11-30T12:00:00Z');

export const FEEDS = {
  kev: { id: 'cisa-kev', name: 'CISA Known Exploited Vulnerabilities', category: 'government', reliability: 'A' },
  urlhaus: { id: 'urlhaus', name: 'URLhaus', category: 'community', reliability: 'B' },
  threatfox: { id: 'threatfox', name: 'ThreatFox', category: 'community', reliability: 'B' },
  feodo: { id: 'feodotracker', name: 'Feodo Tracker', category: 'community', reliability: 'B' },
  bazaar: { id: 'malwarebazaar', name: 'MalwareBazaar', category: 'community', reliability: 'B' },
  drop: { id: 'spamhaus-drop', name: 'Spamhaus DROP', category: 'commercial', reliability: 'A' },
  et: { id: 'et-compromised', name: 'ET Compromised IPs', category: 'community', reliability: 'C' },
  openphish: { id: 'openphish', name: 'OpenPhish', category: 'community', reliability: 'B' },
  blocklistde: { id: 'blocklist-de', name: 'blocklist.de', category: 'community', reliability: 'C' },
  cins: { id: 'cins-army', name: 'CINS Army', category: 'commercial', reliability: 'C' },
  tor: { id: 'tor-exits', name: 'Tor exit nodes', category: 'research', reliability: 'A' },
  lowDomains: { id: 'example-domain-list', name: 'Example domain blocklist', category: 'community', reliability: 'D' },
  allow: { id: 'internal-allowlist', name: 'Internal allowlist', category: 'internal', reliability: 'A', verdict: 'allow' },
  deny: { id: 'internal-denylist', name: 'Internal denylist', category: 'internal', reliability: 'A', verdict: 'deny' },
} satisfies Record<string, FeedInfo>;

export function daysAgo(days: number, now = NOW): string {
  return new Date(now.getTime() - days * 86_400_000).toISOString();
}

export interface SightingSpec {
  feed: FeedInfo;
  lastSeenDaysAgo: number;
  firstSeenDaysAgo?: number;
  threatType?: EvidenceSighting['threatType'];
  malwareFamily?: string;
  confidence?: number;
  tags?: string[];
  attackIds?: string[];
  attributes?: Record<string, unknown>;
  listed?: boolean;
  dateSource?: EvidenceSighting['dateSource'];
}

export function sighting(type: StoredType, value: string, spec: SightingSpec, now = NOW): EvidenceSighting {
  return {
    type,
    value,
    feedId: spec.feed.id,
    feed: spec.feed,
    firstSeen: daysAgo(spec.firstSeenDaysAgo ?? spec.lastSeenDaysAgo, now),
    lastSeen: daysAgo(spec.lastSeenDaysAgo, now),
    dateSource: spec.dateSource ?? 'feed',
    threatType: spec.threatType ?? null,
    malwareFamily: spec.malwareFamily ?? null,
    tags: spec.tags ?? [],
    confidence: spec.confidence ?? null,
    referenceUrl: null,
    attackIds: spec.attackIds ?? [],
    attributes: spec.attributes ?? {},
    listed: spec.listed ?? true,
    updatedAt: daysAgo(0, now),
  };
}

export function rangeContext(cidr: string, spec: SightingSpec): ContextSighting {
  return { ...sighting('cidr', cidr, spec), relation: 'range' };
}

export function evidence(type: IndicatorType, value: string, specs: SightingSpec[] = [], extra: { context?: ContextSighting[]; override?: Override } = {}): Evidence {
  return { type, value, sightings: specs.map((s) => sighting(type, value, s)), context: extra.context ?? [], override: extra.override ?? null };
}

/** KEV entries copied verbatim from the CISA catalog (CC0), catalog 2025.08.25. */
export const KEV_RANSOMWARE = {
  "cveID": "CVE-2025-49704",
  "vendorProject": "Microsoft",
  "product": "SharePoint",
  "vulnerabilityName": "Microsoft SharePoint Code Injection Vulnerability",
  "dateAdded": "2025-07-22",
  "shortDescription": "Microsoft SharePoint contains a code injection vulnerability that could allow an authorized attacker to execute code over a network. This vulnerability could be chained with CVE-2025-49706. CVE-2025-53770 is a patch bypass for CVE-2025-49704, and the updates for CVE-2025-53770 include more robust protection than those for CVE-2025-49704.",
  "requiredAction": "Disconnect public-facing versions of SharePoint Server that have reached their end-of-life (EOL) or end-of-service (EOS) to include SharePoint Server 2013 and earlier versions. For supported versions, please follow the mitigations according to CISA (URL listed below in Notes) and vendor instructions (URL listed below in Notes). Adhere to the applicable BOD 22-01 guidance for cloud services or discontinue use of the product if mitigations are not available.",
  "dueDate": "2025-07-23",
  "knownRansomwareCampaignUse": "Known",
  "notes": "CISA Mitigation Instructions: https://www.cisa.gov/news-events/alerts/2025/07/20/microsoft-releases-guidance-exploitation-sharepoint-vulnerability-cve-2025-53770; https://www.microsoft.com/en-us/security/blog/2025/07/22/disrupting-active-exploitation-of-on-premises-sharepoint-vulnerabilities/ ; https://msrc.microsoft.com/update-guide/vulnerability/CVE-2025-49704 ; https://nvd.nist.gov/vuln/detail/CVE-2025-49704",
  "cwes": [
    "CWE-94"
  ]
};

export const KEV_UNKNOWN = {
  "cveID": "CVE-2025-48384",
  "vendorProject": "Git",
  "product": "Git",
  "vulnerabilityName": "Git Link Following Vulnerability",
  "dateAdded": "2025-08-25",
  "shortDescription": "Git contains a link following vulnerability that stems from Git’s inconsistent handling of carriage return characters in configuration files.",
  "requiredAction": "Apply mitigations per vendor instructions, follow applicable BOD 22-01 guidance for cloud services, or discontinue use of the product if mitigations are unavailable.",
  "dueDate": "2025-09-15",
  "knownRansomwareCampaignUse": "Unknown",
  "notes": "This vulnerability affects a common open-source component, third-party library, or a protocol used by different products. For more information, please see: https://github.com/git/git/security/advisories/GHSA-vwqx-4fm8-6qc9 ; https://access.redhat.com/errata/RHSA-2025:13933 ; https://alas.aws.amazon.com/AL2/ALAS2-2025-2941.html ; https://linux.oracle.com/errata/ELSA-2025-11534.html ; https://msrc.microsoft.com/update-guide/vulnerability/CVE-2025-48384 ; https://nvd.nist.gov/vuln/detail/CVE-2025-48384",
  "cwes": [
    "CWE-59",
    "CWE-436"
  ]
};

export const KEV_CLIENT = {
  "cveID": "CVE-2007-0671",
  "vendorProject": "Microsoft",
  "product": "Office",
  "vulnerabilityName": "Microsoft Office Excel Remote Code Execution Vulnerability",
  "dateAdded": "2025-08-12",
  "shortDescription": "Microsoft Office Excel contains a remote code execution vulnerability that can be exploited when a specially crafted Excel file is opened. This malicious file could be delivered as an email attachment or hosted on a malicious website. An attacker could leverage this vulnerability by creating a specially crafted Excel file, which, when opened, allowing an attacker to execute remote code on the affected system.",
  "requiredAction": "Apply mitigations per vendor instructions, follow applicable BOD 22-01 guidance for cloud services, or discontinue use of the product if mitigations are unavailable.",
  "dueDate": "2025-09-02",
  "knownRansomwareCampaignUse": "Unknown",
  "notes": "https://learn.microsoft.com/en-us/security-updates/securitybulletins/2007/ms07-015 ; https://nvd.nist.gov/vuln/detail/CVE-2007-0671",
  "cwes": []
};

export const KEV_PRIVESC = {
  "cveID": "CVE-2021-1732",
  "vendorProject": "Microsoft",
  "product": "Win32k",
  "vulnerabilityName": "Microsoft Win32k Privilege Escalation Vulnerability",
  "dateAdded": "2021-11-03",
  "shortDescription": "Microsoft Win32k contains an unspecified vulnerability that allows for privilege escalation.",
  "requiredAction": "Apply updates per vendor instructions.",
  "dueDate": "2021-11-17",
  "knownRansomwareCampaignUse": "Known",
  "notes": "https://nvd.nist.gov/vuln/detail/CVE-2021-1732",
  "cwes": [
    "CWE-787"
  ]
};

/** More KEV entries copied verbatim from the same catalog, for the ATT&CK mapping rules. */

/** A document exploit: the ActiveX control Office documents embed. */
export const KEV_OCX = {
  "cveID": "CVE-2012-0158",
  "vendorProject": "Microsoft",
  "product": "MSCOMCTL.OCX",
  "vulnerabilityName": "Microsoft MSCOMCTL.OCX Remote Code Execution Vulnerability",
  "dateAdded": "2021-11-03",
  "shortDescription": "Microsoft MSCOMCTL.OCX contains an unspecified vulnerability that allows for remote code execution, allowing an attacker to take complete control of an affected system under the context of the current user.",
  "requiredAction": "Apply updates per vendor instructions.",
  "dueDate": "2022-05-03",
  "knownRansomwareCampaignUse": "Unknown",
  "notes": "https://nvd.nist.gov/vuln/detail/CVE-2012-0158",
  "cwes": [
    "CWE-94"
  ]
};

/** A wormable remote service (EternalBlue); not in the CTID mappings. */
export const KEV_SMB = {
  "cveID": "CVE-2017-0144",
  "vendorProject": "Microsoft",
  "product": "SMBv1",
  "vulnerabilityName": "Microsoft SMBv1 Remote Code Execution Vulnerability",
  "dateAdded": "2022-02-10",
  "shortDescription": "The SMBv1 server in multiple Microsoft Windows versions allows remote attackers to execute arbitrary code via crafted packets.",
  "requiredAction": "Apply updates per vendor instructions.",
  "dueDate": "2022-08-10",
  "knownRansomwareCampaignUse": "Known",
  "notes": "https://nvd.nist.gov/vuln/detail/CVE-2017-0144",
  "cwes": [
    "CWE-20"
  ]
};

/** Typed CTID mappings: an exploitation technique and secondary impacts. */
export const KEV_LOG4J = {
  "cveID": "CVE-2021-44228",
  "vendorProject": "Apache",
  "product": "Log4j2",
  "vulnerabilityName": "Apache Log4j2 Remote Code Execution Vulnerability",
  "dateAdded": "2021-12-10",
  "shortDescription": "Apache Log4j2 contains a vulnerability where JNDI features do not protect against attacker-controlled JNDI-related endpoints, allowing for remote code execution.",
  "requiredAction": "For all affected software assets for which updates exist, the only acceptable remediation actions are: 1) Apply updates; OR 2) remove affected assets from agency networks. Temporary mitigations using one of the measures provided at https://www.cisa.gov/uscert/ed-22-02-apache-log4j-recommended-mitigation-measures are only acceptable until updates are available.",
  "dueDate": "2021-12-24",
  "knownRansomwareCampaignUse": "Known",
  "notes": "https://nvd.nist.gov/vuln/detail/CVE-2021-44228",
  "cwes": [
    "CWE-20",
    "CWE-400",
    "CWE-502"
  ]
};

/** A remote service named as a privilege escalation (Zerologon). */
export const KEV_NETLOGON = {
  "cveID": "CVE-2020-1472",
  "vendorProject": "Microsoft",
  "product": "Netlogon",
  "vulnerabilityName": "Microsoft Netlogon Privilege Escalation Vulnerability",
  "dateAdded": "2021-11-03",
  "shortDescription": "Microsoft's Netlogon Remote Protocol (MS-NRPC) contains a privilege escalation vulnerability when an attacker establishes a vulnerable Netlogon secure channel connection to a domain controller. An attacker who successfully exploits the vulnerability could run a specially crafted application on a device on the network. The vulnerability is also known under the moniker of Zerologon.",
  "requiredAction": "Apply updates per vendor instructions.",
  "dueDate": "2020-09-21",
  "knownRansomwareCampaignUse": "Known",
  "notes": "Reference CISA's ED 20-04 (https://www.cisa.gov/news-events/directives/ed-20-04-mitigate-netlogon-elevation-privilege-vulnerability-august-2020-patch-tuesday) for further guidance and requirements. Note: The due date for addressing this vulnerability aligns with the requirements outlined in ED 20-04. https://nvd.nist.gov/vuln/detail/CVE-2020-1472",
  "cwes": [
    "CWE-330"
  ]
};

/** A print spooler flaw exploited locally: privilege escalation only, not a remote service. */
export const KEV_SPOOLER_LPE = {
  "cveID": "CVE-2022-41073",
  "vendorProject": "Microsoft",
  "product": "Windows",
  "vulnerabilityName": "Microsoft Windows Print Spooler Privilege Escalation Vulnerability",
  "dateAdded": "2022-11-08",
  "shortDescription": "Microsoft Windows Print Spooler contains an unspecified vulnerability that allows an attacker to gain SYSTEM-level privileges.",
  "requiredAction": "Apply updates per vendor instructions.",
  "dueDate": "2022-12-09",
  "knownRansomwareCampaignUse": "Known",
  "notes": "https://portal.msrc.microsoft.com/en-US/security-guidance/advisory/CVE-2022-41073;  https://nvd.nist.gov/vuln/detail/CVE-2022-41073",
  "cwes": [
    "CWE-787"
  ]
};

/** A server product whose entry says "in the context of the current user". */
export const KEV_SERVER_USER_CONTEXT = {
  "cveID": "CVE-2023-26359",
  "vendorProject": "Adobe",
  "product": "ColdFusion",
  "vulnerabilityName": "Adobe ColdFusion Deserialization of Untrusted Data Vulnerability",
  "dateAdded": "2023-08-21",
  "shortDescription": "Adobe ColdFusion contains a deserialization of untrusted data vulnerability that could result in code execution in the context of the current user.",
  "requiredAction": "Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable.",
  "dueDate": "2023-09-11",
  "knownRansomwareCampaignUse": "Unknown",
  "notes": "https://helpx.adobe.com/security/products/coldfusion/apsb23-25.html;  https://nvd.nist.gov/vuln/detail/CVE-2023-26359",
  "cwes": [
    "CWE-502"
  ]
};
