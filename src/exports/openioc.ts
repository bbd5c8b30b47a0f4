/**
 * OpenIOC 1.0 (Mandiant, namespace http://schemas.mandiant.com/2010/ioc): one `<ioc>` whose
 * definition is an OR of one IndicatorItem per indicator, with the 1.0 terms for its type
 * (PortItem/remoteIP, DnsEntryItem/Host, UrlHistoryItem/URL, FileItem/Md5sum, …). Types with no
 * OpenIOC term (CVE, ATT&CK id, AS number) are left out. Text and attributes are XML-escaped.
 */
import { randomUUID } from 'node:crypto';
import { uuidV5 } from '../hunting/uuid.ts';
import type { StoredType } from '../indicators/types.ts';
import { STIX_NAMESPACE } from './stix.ts';
import { eachItem, type ExportItems, type ExportOptions } from './types.ts';

/** Verdict type → OpenIOC 1.0 Context document, search term and Content type. */
export const OPENIOC_TERMS: Readonly<Partial<Record<StoredType, { document: string; search: string; content: string }>>> = {
  ipv4: { document: 'PortItem', search: 'PortItem/remoteIP', content: 'IP' },
  ipv6: { document: 'PortItem', search: 'PortItem/remoteIP', content: 'IP' },
  domain: { document: 'DnsEntryItem', search: 'DnsEntryItem/Host', content: 'string' },
  url: { document: 'UrlHistoryItem', search: 'UrlHistoryItem/URL', content: 'string' },
  md5: { document: 'FileItem', search: 'FileItem/Md5sum', content: 'md5' },
  sha1: { document: 'FileItem', search: 'FileItem/Sha1sum', content: 'string' },
  sha256: { document: 'FileItem', search: 'FileItem/Sha256sum', content: 'string' },
  sha512: { document: 'FileItem', search: 'FileItem/Sha512sum', content: 'string' },
  email: { document: 'Email', search: 'Email/From', content: 'string' },
};

// eslint-disable-next-line no-control-regex
const XML_INVALID = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

export function xmlEscape(s: string): string {
  return s.replace(XML_INVALID, '').replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&apos;');
}

export async function* openIoc(items: ExportItems, opts: ExportOptions): AsyncIterable<string> {
  const now = opts.now.toISOString().replace(/\.\d{3}Z$/, '');
  const id = opts.documentId ?? randomUUID();
  let buf =
    '<?xml version="1.0" encoding="utf-8"?>\n' +
    `<ioc xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" id="${id}" last-modified="${now}" xmlns="http://schemas.mandiant.com/2010/ioc">\n` +
    '  <short_description>Verdict export</short_description>\n' +
    `  <description>Indicators exported by Verdict on ${now}Z with their risk level and sources.</description>\n` +
    '  <authored_by>Verdict</authored_by>\n' +
    `  <authored_date>${now}</authored_date>\n` +
    '  <links />\n' +
    '  <definition>\n' +
    `    <Indicator operator="OR" id="${uuidV5(STIX_NAMESPACE, `openioc-indicator:${id}`)}">\n`;
  for await (const item of eachItem(items)) {
    const term = OPENIOC_TERMS[item.type];
    if (term === undefined || !item.found) continue;
    const itemId = uuidV5(STIX_NAMESPACE, `openioc-item:${item.type}:${item.value}`);
    buf +=
      `      <IndicatorItem id="${itemId}" condition="is">\n` +
      `        <Context document="${term.document}" search="${term.search}" type="mir" />\n` +
      `        <Content type="${term.content}">${xmlEscape(item.value)}</Content>\n` +
      '      </IndicatorItem>\n';
    if (buf.length >= 64 * 1024) {
      yield buf;
      buf = '';
    }
  }
  yield buf + '    </Indicator>\n  </definition>\n</ioc>\n';
}
