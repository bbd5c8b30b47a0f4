/**
 * KQL hunting rules as data: for each indicator type, the Defender XDR and Sentinel tables to
 * search, the columns that hold the indicator, and how each table's columns map onto one common
 * result shape (so that `union isfuzzy=true` can stack them and one `summarize` can count).
 * Table and column names come from the Microsoft schemas (see docs/hunting.md); the tests parse
 * every generated query against those schemas, so a misspelt column fails the build.
 */
import type { IndicatorType } from '../../indicators/types.ts';

/** How a column is compared with the indicator. `has` is the indexed term match. */
export type KqlOperator = '==' | '=~' | 'has' | 'contains' | 'endswith';

export interface KqlMatch {
  column: string;
  op: KqlOperator;
  /** The `let` variable compared with: `ioc` (the value) unless stated. */
  operand?: 'ioc' | 'ioc_bare';
}

export interface KqlLeg {
  table: string;
  /** The table's time column; null for snapshot tables (TVM), which are not time-filtered. */
  time: 'Timestamp' | 'TimeGenerated' | null;
  match: readonly KqlMatch[];
  /** Output column → expression over this table (every value is wrapped in tostring()). */
  project: Readonly<Record<string, string>>;
}

export interface KqlRule {
  /** Columns of the common result shape, in order; `summarize … by` these plus SourceTable. */
  columns: readonly string[];
  /** Extra `let` lines derived from `ioc` (never from the raw value, so it appears once). */
  lets?: readonly string[];
  legs: readonly KqlLeg[];
}

const NETWORK_COLUMNS = ['Host', 'Source', 'Destination'] as const;

const IP_LEGS = (v6: boolean): KqlLeg[] => [
  {
    table: 'DeviceNetworkEvents',
    time: 'Timestamp',
    match: [{ column: 'RemoteIP', op: v6 ? '=~' : '==' }, { column: 'LocalIP', op: v6 ? '=~' : '==' }],
    project: { Host: 'DeviceName', Source: 'LocalIP', Destination: 'strcat(RemoteIP, ":", RemotePort)' },
  },
  {
    table: 'DeviceLogonEvents',
    time: 'Timestamp',
    match: [{ column: 'RemoteIP', op: v6 ? '=~' : '==' }],
    project: { Host: 'DeviceName', Source: 'RemoteIP', Destination: 'strcat(AccountDomain, "\\\\", AccountName)' },
  },
  {
    table: 'IdentityLogonEvents',
    time: 'Timestamp',
    match: [{ column: 'IPAddress', op: v6 ? '=~' : '==' }, { column: 'DestinationIPAddress', op: v6 ? '=~' : '==' }],
    project: { Host: 'DeviceName', Source: 'IPAddress', Destination: 'AccountUpn' },
  },
  {
    table: 'EmailEvents',
    time: 'Timestamp',
    match: [{ column: v6 ? 'SenderIPv6' : 'SenderIPv4', op: v6 ? '=~' : '==' }],
    project: { Host: '""', Source: 'SenderFromAddress', Destination: 'RecipientEmailAddress' },
  },
  {
    table: 'UrlClickEvents',
    time: 'Timestamp',
    match: [{ column: 'IPAddress', op: v6 ? '=~' : '==' }],
    project: { Host: '""', Source: 'AccountUpn', Destination: 'Url' },
  },
  {
    table: 'CommonSecurityLog',
    time: 'TimeGenerated',
    match: [{ column: 'SourceIP', op: v6 ? '=~' : '==' }, { column: 'DestinationIP', op: v6 ? '=~' : '==' }],
    project: { Host: 'DeviceName', Source: 'SourceIP', Destination: 'strcat(DestinationIP, ":", DestinationPort)' },
  },
  {
    table: 'DnsEvents',
    time: 'TimeGenerated',
    match: [{ column: 'ClientIP', op: v6 ? '=~' : '==' }, { column: 'IPAddresses', op: 'has' }],
    project: { Host: 'Computer', Source: 'ClientIP', Destination: 'Name' },
  },
  {
    table: 'SigninLogs',
    time: 'TimeGenerated',
    match: [{ column: 'IPAddress', op: v6 ? '=~' : '==' }],
    project: { Host: 'AppDisplayName', Source: 'IPAddress', Destination: 'UserPrincipalName' },
  },
  {
    table: 'AlertEvidence',
    time: 'Timestamp',
    match: [{ column: 'RemoteIP', op: v6 ? '=~' : '==' }, { column: 'LocalIP', op: v6 ? '=~' : '==' }],
    project: { Host: 'DeviceName', Source: 'LocalIP', Destination: 'strcat(RemoteIP, " alert: ", Title)' },
  },
];

const HASH_LEGS = (column: 'MD5' | 'SHA1' | 'SHA256'): KqlLeg[] => {
  const fileLegs: KqlLeg[] = (['DeviceProcessEvents', 'DeviceFileEvents'] as const).map((table) => ({
    table,
    time: 'Timestamp',
    match: [{ column, op: '=~' }, { column: `InitiatingProcess${column}`, op: '=~' }],
    project: { Host: 'DeviceName', Source: 'InitiatingProcessFileName', Destination: 'FolderPath' },
  }));
  const legs: KqlLeg[] = [
    ...fileLegs,
    {
      table: 'DeviceImageLoadEvents',
      time: 'Timestamp',
      match: [{ column, op: '=~' }],
      project: { Host: 'DeviceName', Source: 'InitiatingProcessFileName', Destination: 'FolderPath' },
    },
    {
      table: 'DeviceEvents',
      time: 'Timestamp',
      match: [{ column, op: '=~' }],
      project: { Host: 'DeviceName', Source: 'ActionType', Destination: 'FolderPath' },
    },
  ];
  if (column === 'SHA256') {
    legs.push({
      table: 'EmailAttachmentInfo',
      time: 'Timestamp',
      match: [{ column: 'SHA256', op: '=~' }],
      project: { Host: '""', Source: 'SenderFromAddress', Destination: 'RecipientEmailAddress' },
    });
  }
  if (column !== 'MD5') {
    legs.push({
      table: 'AlertEvidence',
      time: 'Timestamp',
      match: [{ column, op: '=~' }],
      project: { Host: 'DeviceName', Source: 'Title', Destination: 'FolderPath' },
    });
  }
  legs.push(...SIEM_HASH_LEGS);
  return legs;
};

const SIEM_HASH_LEGS: KqlLeg[] = [
  {
    table: 'CommonSecurityLog',
    time: 'TimeGenerated',
    match: [{ column: 'FileHash', op: '=~' }],
    project: { Host: 'DeviceName', Source: 'SourceIP', Destination: 'FileName' },
  },
  {
    table: 'SecurityEvent',
    time: 'TimeGenerated',
    match: [{ column: 'FileHash', op: '=~' }],
    project: { Host: 'Computer', Source: 'Account', Destination: 'FilePath' },
  },
];

/** Alerts and findings: the affected entity, what was found, how bad, and which product said so. */
const ALERT_COLUMNS = ['Entity', 'Finding', 'Severity', 'Detector'] as const;

/** SecurityAlert (Sentinel) and AlertInfo (Defender XDR) legs matching `column has ioc`. */
const alertLegs = (securityAlert: readonly string[], alertInfo: readonly string[]): KqlLeg[] => [
  {
    table: 'SecurityAlert',
    time: 'TimeGenerated',
    match: securityAlert.map((column) => ({ column, op: 'has' as const })),
    project: { Entity: 'CompromisedEntity', Finding: 'AlertName', Severity: 'AlertSeverity', Detector: 'ProductName' },
  },
  {
    table: 'AlertInfo',
    time: 'Timestamp',
    match: alertInfo.map((column) => ({ column, op: 'has' as const })),
    // AlertInfo holds no entity; AlertEvidence (joined on AlertId) has them when needed.
    project: { Finding: 'Title', Severity: 'Severity', Detector: 'DetectionSource' },
  },
];

export const KQL_RULES: Readonly<Record<IndicatorType, KqlRule>> = {
  ipv4: { columns: NETWORK_COLUMNS, legs: IP_LEGS(false) },
  ipv6: { columns: NETWORK_COLUMNS, legs: IP_LEGS(true) },
  domain: {
    columns: NETWORK_COLUMNS,
    legs: [
      {
        table: 'DeviceNetworkEvents',
        time: 'Timestamp',
        match: [{ column: 'RemoteUrl', op: 'has' }],
        project: { Host: 'DeviceName', Source: 'InitiatingProcessFileName', Destination: 'strcat(RemoteUrl, " ", RemoteIP)' },
      },
      {
        table: 'DnsEvents',
        time: 'TimeGenerated',
        match: [{ column: 'Name', op: 'has' }],
        project: { Host: 'Computer', Source: 'ClientIP', Destination: 'strcat(Name, " ", IPAddresses)' },
      },
      {
        table: 'CommonSecurityLog',
        time: 'TimeGenerated',
        match: [{ column: 'DestinationHostName', op: 'has' }, { column: 'RequestURL', op: 'has' }],
        project: { Host: 'DeviceName', Source: 'SourceIP', Destination: 'coalesce(DestinationHostName, RequestURL)' },
      },
      {
        table: 'EmailUrlInfo',
        time: 'Timestamp',
        match: [{ column: 'UrlDomain', op: 'has' }],
        project: { Host: '""', Source: 'NetworkMessageId', Destination: 'Url' },
      },
      {
        table: 'EmailEvents',
        time: 'Timestamp',
        match: [{ column: 'SenderFromDomain', op: '=~' }, { column: 'SenderMailFromDomain', op: '=~' }],
        project: { Host: '""', Source: 'SenderFromAddress', Destination: 'RecipientEmailAddress' },
      },
      {
        table: 'UrlClickEvents',
        time: 'Timestamp',
        match: [{ column: 'Url', op: 'has' }],
        project: { Host: '""', Source: 'AccountUpn', Destination: 'Url' },
      },
    ],
  },
  url: {
    columns: NETWORK_COLUMNS,
    // Defender's RemoteUrl and many proxies log a URL without its scheme: match that form too.
    lets: ['let ioc_bare = trim_start(@"[A-Za-z][A-Za-z0-9+.-]*://", ioc);'],
    legs: [
      {
        table: 'UrlClickEvents',
        time: 'Timestamp',
        match: [{ column: 'Url', op: '=~' }, { column: 'UrlChain', op: 'contains', operand: 'ioc_bare' }],
        project: { Host: '""', Source: 'AccountUpn', Destination: 'Url' },
      },
      {
        table: 'EmailUrlInfo',
        time: 'Timestamp',
        match: [{ column: 'Url', op: '=~' }],
        project: { Host: '""', Source: 'NetworkMessageId', Destination: 'Url' },
      },
      {
        table: 'DeviceNetworkEvents',
        time: 'Timestamp',
        match: [{ column: 'RemoteUrl', op: 'contains', operand: 'ioc_bare' }],
        project: { Host: 'DeviceName', Source: 'InitiatingProcessFileName', Destination: 'RemoteUrl' },
      },
      {
        table: 'DeviceFileEvents',
        time: 'Timestamp',
        match: [{ column: 'FileOriginUrl', op: '=~' }, { column: 'FileOriginReferrerUrl', op: '=~' }],
        project: { Host: 'DeviceName', Source: 'FileOriginUrl', Destination: 'FolderPath' },
      },
      {
        table: 'CommonSecurityLog',
        time: 'TimeGenerated',
        match: [{ column: 'RequestURL', op: 'contains', operand: 'ioc_bare' }],
        project: { Host: 'DeviceName', Source: 'SourceIP', Destination: 'RequestURL' },
      },
    ],
  },
  md5: { columns: NETWORK_COLUMNS, legs: HASH_LEGS('MD5') },
  sha1: { columns: NETWORK_COLUMNS, legs: HASH_LEGS('SHA1') },
  sha256: { columns: NETWORK_COLUMNS, legs: HASH_LEGS('SHA256') },
  // Defender XDR records no SHA-512; CEF and Windows events carry whatever hash the product logs.
  sha512: { columns: NETWORK_COLUMNS, legs: SIEM_HASH_LEGS },
  email: {
    columns: ['Sender', 'Recipient', 'Detail'],
    legs: [
      {
        table: 'EmailEvents',
        time: 'Timestamp',
        match: [
          { column: 'SenderFromAddress', op: '=~' },
          { column: 'SenderMailFromAddress', op: '=~' },
          { column: 'RecipientEmailAddress', op: '=~' },
        ],
        project: { Sender: 'SenderFromAddress', Recipient: 'RecipientEmailAddress', Detail: 'strcat(DeliveryAction, ": ", Subject)' },
      },
      {
        table: 'EmailAttachmentInfo',
        time: 'Timestamp',
        match: [{ column: 'SenderFromAddress', op: '=~' }, { column: 'RecipientEmailAddress', op: '=~' }],
        project: { Sender: 'SenderFromAddress', Recipient: 'RecipientEmailAddress', Detail: 'strcat("attachment: ", FileName)' },
      },
      {
        table: 'EmailPostDeliveryEvents',
        time: 'Timestamp',
        match: [{ column: 'RecipientEmailAddress', op: '=~' }],
        project: { Recipient: 'RecipientEmailAddress', Detail: 'strcat(ActionType, ": ", Action)' },
      },
      {
        table: 'UrlClickEvents',
        time: 'Timestamp',
        match: [{ column: 'AccountUpn', op: '=~' }],
        project: { Recipient: 'AccountUpn', Detail: 'strcat(ActionType, ": ", Url)' },
      },
    ],
  },
  cve: {
    columns: ALERT_COLUMNS,
    legs: [
      // Vulnerable devices now (a snapshot table, hence no time filter) …
      {
        table: 'DeviceTvmSoftwareVulnerabilities',
        time: null,
        match: [{ column: 'CveId', op: '=~' }],
        project: {
          Entity: 'DeviceName',
          Finding: 'strcat("vulnerable: ", SoftwareVendor, " ", SoftwareName, " ", SoftwareVersion)',
          Severity: 'VulnerabilitySeverityLevel',
          Detector: '"Defender Vulnerability Management"',
        },
      },
      // … and alerts that name the CVE (exploitation attempts, IDS/EDR detections).
      ...alertLegs(['AlertName', 'Description', 'Entities', 'ExtendedProperties'], ['Title']),
      {
        table: 'CommonSecurityLog',
        time: 'TimeGenerated',
        match: [{ column: 'Activity', op: 'has' }, { column: 'DeviceEventClassID', op: 'has' }, { column: 'AdditionalExtensions', op: 'has' }],
        project: {
          Entity: 'coalesce(DestinationHostName, DestinationIP)',
          Finding: 'Activity',
          Severity: 'LogSeverity',
          Detector: 'strcat(DeviceVendor, " ", DeviceProduct)',
        },
      },
    ],
  },
  // Entra ID sign-ins record the AS they came from (as a string); Defender XDR's network tables and
  // ASIM have no AS column.
  asn: {
    columns: NETWORK_COLUMNS,
    legs: (['SigninLogs', 'AADNonInteractiveUserSignInLogs'] as const).map((table) => ({
      table,
      time: 'TimeGenerated',
      match: [{ column: 'AutonomousSystemNumber', op: '==' }],
      project: { Host: 'AppDisplayName', Source: 'IPAddress', Destination: 'UserPrincipalName' },
    })),
  },
  'mitre-attack': {
    columns: ALERT_COLUMNS,
    legs: alertLegs(['Techniques', 'SubTechniques'], ['AttackTechniques']),
  },
};
