/**
 * URLhaus CSV dump (`csv_recent`/`csv_online`): id, dateadded, url, url_status, last_online,
 * threat, tags, urlhaus_link, reporter. `dateadded` is first seen and `last_online` last seen;
 * a row without either takes the dump's `# Last updated` date.
 */
import type { SightingRecord } from '../../model.ts';
import { mapThreat, URLHAUS_THREATS } from '../threat-types.ts';
import { abusechRows } from './abusech-csv.ts';
import { withFileDate } from './file-date.ts';
import { toIndicator } from './indicator.ts';
import { splitTags, toIsoDate } from './text.ts';
import type { ByteSource, ParseContext } from './types.ts';

const HEADER = ['id', 'dateadded', 'url', 'url_status', 'last_online', 'threat', 'tags', 'urlhaus_link', 'reporter'];

export async function* parseUrlhausCsv(input: ByteSource, ctx: ParseContext): AsyncIterable<SightingRecord> {
  for await (const row of abusechRows(input, 'dateadded', HEADER)) {
    const url = row.get('url');
    const ind = url === null ? ({ ok: false, reason: 'no url' } as const) : toIndicator(url, 'url');
    if (!ind.ok) {
      ctx.tally.reject(row.raw, ind.reason, row.looksLike('url'));
      continue;
    }
    const lastOnline = toIsoDate(row.get('last_online'));
    const attributes: Record<string, unknown> = {};
    const id = row.get('id');
    if (id !== null) attributes.entry_id = id;
    const status = row.get('url_status');
    if (status !== null) attributes.status = status;
    if (lastOnline !== null) attributes.last_online = lastOnline;
    const reporter = row.get('reporter');
    if (reporter !== null) attributes.reporter = reporter;
    yield withFileDate(
      {
        type: ind.type,
        value: ind.value,
        firstSeen: toIsoDate(row.get('dateadded')),
        lastSeen: lastOnline,
        threatType: mapThreat(URLHAUS_THREATS, row.get('threat'), 'payload_delivery'),
        tags: splitTags(row.get('tags')),
        referenceUrl: row.get('urlhaus_link'),
        attributes,
      },
      row.fileDate,
    );
  }
}
