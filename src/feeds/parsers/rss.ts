/**
 * A saved report feed (RSS or Atom) read alone: each entry's own text in the feed (content, else
 * summary), no page fetched. A run fetches the pages (../reports/source.ts) and imports go through
 * `reportsFromFile`, which also stores the reports; this is the table's parser for the same file.
 */
import { reportId, reportSightings } from '../../reports/records.ts';
import { entryContent } from '../reports/source.ts';
import { readReportEntries } from '../reports/entries.ts';
import type { SightingRecord } from '../../model.ts';
import type { ByteSource, ParseContext } from './types.ts';

async function text(input: ByteSource): Promise<string> {
  if (typeof input === 'string') return input;
  if (input instanceof Uint8Array) return Buffer.from(input).toString('utf8');
  const chunks: Uint8Array[] = [];
  for await (const c of input) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

export async function* parseReportFeed(input: ByteSource, ctx: ParseContext): AsyncIterable<SightingRecord> {
  const feedId = typeof ctx.options.feedId === 'string' ? ctx.options.feedId : 'rss';
  for (const e of readReportEntries(await text(input))) {
    const content = await entryContent(e);
    yield* reportSightings({ id: reportId(feedId, e.key), feedId, title: e.title, url: e.url, published: e.published, fetched: new Date(0).toISOString(), ...content });
  }
}
