/**
 * The entries of a report feed: RSS 0.9x/1.0 (RDF)/2.0 and Atom, read by
 * @rowanmanning/feed-parser, which gives every layout one shape. Pure: a string in, entries out.
 */
import feedParser from '@rowanmanning/feed-parser';
import { FeedParseError } from '../parsers/types.ts';

export interface ReportEntry {
  /** The entry's guid/id, else its URL, else its title: what makes it the same entry next time. */
  key: string;
  title: string;
  url: string | null;
  /** The entry's published date, else its updated date (RFC 3339); null when it gives neither. */
  published: string | null;
  /** The entry's own HTML (content, else summary): read when its page cannot be. */
  content: string | null;
}

const iso = (d: Date | null): string | null => (d === null || Number.isNaN(d.getTime()) ? null : d.toISOString());

/** Only http(s) links are pages to read. */
function pageUrl(raw: string | null, base: string | null): string | null {
  if (raw === null || raw.trim() === '') return null;
  try {
    const u = base === null ? new URL(raw.trim()) : new URL(raw.trim(), base);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

/** The feed's entries in its own order; a document that is no RSS or Atom feed fails as a whole. */
export function readReportEntries(xml: string, base: string | null = null): ReportEntry[] {
  let feed: ReturnType<typeof feedParser.parseFeed>;
  try {
    feed = feedParser.parseFeed(xml);
  } catch (err) {
    throw new FeedParseError(`not an RSS or Atom feed (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
  const out: ReportEntry[] = [];
  for (const item of feed.items) {
    const url = pageUrl(item.url, base);
    const title = item.title?.trim() || url || item.id;
    const key = item.id?.trim() || url || title;
    if (!key || !title) continue;
    out.push({ key, title, url, published: iso(item.published) ?? iso(item.updated), content: item.content ?? item.description ?? null });
  }
  return out;
}
