/**
 * The export formats behind one call: items (a lookup's result, a list, the catalogue's stream)
 * in, text chunks out, with the media type to serve them as. docs/exports.md maps every field.
 */
import type { HuntingQueryBuilder } from '../model.ts';
import { cefLines } from './cef.ts';
import { mispEvent } from './misp.ts';
import { openIoc } from './openioc.ts';
import { sigmaRules } from './sigma.ts';
import { STIX_MEDIA_TYPE, stixBundle } from './stix.ts';
import { syslogLines } from './syslog.ts';
import type { ExportFormat, ExportItems, ExportOptions } from './types.ts';

export { EXPORT_FORMATS, type ExportFormat, type ExportItem, type ExportItems, type ExportOptions } from './types.ts';
export { TLP_LEVELS, parseTlp, type TlpLevel } from './tlp.ts';

export const EXPORT_MEDIA_TYPES: Readonly<Record<ExportFormat, string>> = {
  stix: STIX_MEDIA_TYPE,
  misp: 'application/json; charset=utf-8',
  cef: 'text/plain; charset=utf-8',
  syslog: 'text/plain; charset=utf-8',
  openioc: 'application/xml; charset=utf-8',
  sigma: 'application/yaml; charset=utf-8',
};

/** File name extension of each format, for Content-Disposition. */
export const EXPORT_EXTENSIONS: Readonly<Record<ExportFormat, string>> = {
  stix: 'json',
  misp: 'json',
  cef: 'cef',
  syslog: 'log',
  openioc: 'ioc',
  sigma: 'yml',
};

export function renderExport(format: ExportFormat, items: ExportItems, opts: ExportOptions & { hunting: HuntingQueryBuilder }): AsyncIterable<string> {
  switch (format) {
    case 'stix':
      return stixBundle(items, opts);
    case 'misp':
      return mispEvent(items, opts);
    case 'cef':
      return cefLines(items, opts);
    case 'syslog':
      return syslogLines(items, opts);
    case 'openioc':
      return openIoc(items, opts);
    case 'sigma':
      return sigmaRules(items, opts.hunting);
  }
}
