/** URLhaus CSV dump (`csv_recent`/`csv_online`): id, dateadded, url, url_status, last_online, threat, tags, urlhaus_link, reporter. */
import type { SightingRecord } from '../../model.ts';
import { mapThreat, URLHAUS_THREATS } from '../threat-types.ts';
import { abusechRows } from './abusech-csv.ts';
import { toIndicator } from './indicator.ts';
import { splitTags, toIsoDate } from './text.ts';
import type { ByteSource, ParseContext } from './types.ts';

const HEADER = ['id', 'dateadded', 'url', 'url_status', 'last_online', 'threat', 'tags', 'urlhaus_link', 'reporter'];

export async function* parseUrlhausCsv(input: ByteSource, ctx: ParseContext): AsyncIterable<SightingRecord> {
  for await (const row of abusechRows(input, 'dateadded', HEADER)) {
    const url = row.get('url');
    const ind = url === null ? ({ ok: false, reason: 'no url' } as const) : toIndicator(url, 'url');
    if (!ind.ok) {
      ctx.tally.reject(row.raw, ind.reason);
      continue;
    }
    const attributes: Record<string, unknown> = {};
    for (const k of ['id', 'url_status', 'reporter'] as const) {
      const v = row.get(k);
      if (v !== null) attributes[k] = v;
    }
    yield {
      type: ind.type,
      value: ind.value,
      firstSeen: toIsoDate(row.get('dateadded')),
      lastSeen: toIsoDate(row.get('last_online')),
      threatType: mapThreat(URLHAUS_THREATS, row.get('threat'), 'payload_delivery'),
      tags: splitTags(row.get('tags')),
      referenceUrl: row.get('urlhaus_link'),
      attributes,
    };
  }
}
