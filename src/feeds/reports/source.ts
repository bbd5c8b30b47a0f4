/**
 * A report feed (`format: rss`): the feed document lists reports; each new entry's page is
 * fetched — within the fetcher's limits: its timeout, retries, egress rules (a page off the
 * feed's origin must be on a public address, and gets none of the feed's headers) and a size cap
 * of its own, `options.maxPageBytes` — and read with the document readers. An entry whose page
 * cannot be fetched or read is read from the feed's own text of it (content, else summary),
 * counted in the run's `skipped` and logged with why. Entries already stored are not fetched again.
 *
 * The reports are gathered before the store's transaction opens (a slow blog never holds the
 * write lock); their sightings go in as the run's records, the reports themselves once the
 * run has committed.
 */
import { readFile } from 'node:fs/promises';
import type { SightingRecord, ThreatType } from '../../model.ts';
import { THREAT_TYPES } from '../../model.ts';
import { contentOf, EMPTY_CONTENT, readReport, type ReportContent } from '../../reports/read.ts';
import { reportId, reportSightings } from '../../reports/records.ts';
import { documentDistinct, readDocument } from '../../documents/index.ts';
import type { ReportRecord, Store } from '../../store/types.ts';
import { download, type FetchDeps, type FetchSettings } from '../fetcher.ts';
import { formatBytes } from '../parsers/text.ts';
import type { ParseContext } from '../parsers/types.ts';
import type { FeedDefinition } from '../types.ts';
import { readReportEntries, type ReportEntry } from './entries.ts';

export const DEFAULT_MAX_ENTRIES = 30;
export const DEFAULT_MAX_PAGE_BYTES = 10 * 1024 * 1024;
/** The run's `skipped` kind of an entry whose page could not be fetched or read (then read from the feed's own text). */
export const PAGE_NOT_READ = 'report page not read';

export interface GatheredReports {
  reports: ReportRecord[];
  records: SightingRecord[];
  /** Stores the reports: called once the run's sightings are in. */
  commit(store: Store): Promise<void>;
}

function threatTypeOf(def: FeedDefinition): ThreatType | null {
  const t = def.options?.threatType;
  return typeof t === 'string' && (THREAT_TYPES as readonly string[]).includes(t) ? (t as ThreatType) : null;
}

const positive = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : fallback);

/** What the feed's own text of an entry names (its HTML content or summary). */
export async function entryContent(entry: ReportEntry): Promise<ReportContent> {
  if (entry.content === null || entry.content.trim() === '') return EMPTY_CONTENT;
  const read = await readDocument(Buffer.from(entry.content, 'utf8'), { format: 'html' });
  return read.ok ? contentOf(documentDistinct(read.document)) : EMPTY_CONTENT;
}

/** The reports of entries and the sightings they make. */
export function gathered(def: FeedDefinition, reports: ReportRecord[]): GatheredReports {
  const threatType = threatTypeOf(def);
  return {
    reports,
    records: reports.flatMap((r) => reportSightings(r, threatType)),
    async commit(store) {
      for (const r of reports) await store.reports.put(r);
    },
  };
}

const named = (c: ReportContent): number => c.indicators.length + c.cves.length + c.attackIds.length;

/** A report feed's file (an import): each entry read from its own text in the feed, no page fetched. */
export async function reportsFromFile(def: FeedDefinition, path: string, now: string): Promise<GatheredReports> {
  const entries = readReportEntries(await readFile(path, 'utf8'));
  const reports: ReportRecord[] = [];
  for (const e of entries) reports.push({ id: reportId(def.id, e.key), feedId: def.id, title: e.title, url: e.url, published: e.published, fetched: now, ...(await entryContent(e)) });
  return gathered(def, reports);
}

/** Fetches a report feed and the pages of its new entries. */
export async function fetchReportFeed(
  def: FeedDefinition,
  url: string,
  feedFile: string,
  ctx: ParseContext,
  settings: FetchSettings,
  deps: FetchDeps,
  io: { store: Store; now: string; onPageError?: (url: string, message: string) => void },
): Promise<GatheredReports> {
  const opts = def.options ?? {};
  const maxEntries = positive(opts.maxEntries, DEFAULT_MAX_ENTRIES);
  const pageSettings: FetchSettings = { ...settings, maxBytes: positive(opts.maxPageBytes, DEFAULT_MAX_PAGE_BYTES), capOption: 'options.maxPageBytes' };
  const entries = readReportEntries(await readFile(feedFile, 'utf8'), url).slice(0, maxEntries);
  const origin = new URL(url).origin;
  const reports: ReportRecord[] = [];
  for (const e of entries) {
    const id = reportId(def.id, e.key);
    if ((await io.store.reports.get(id)) !== null) continue;
    let content: ReportContent | null = null;
    let title = e.title;
    if (e.url !== null) {
      const page = await fetchPage(e.url, origin, pageSettings, deps);
      if (page.ok) {
        content = page.content;
        if (title === e.url && page.title !== null) title = page.title;
      } else {
        // not a malformed row: counted apart, so a blog that is down does not fail the run
        ctx.tally.skip(PAGE_NOT_READ);
        io.onPageError?.(e.url, page.message);
      }
    }
    if (content === null || named(content) === 0) {
      const own = await entryContent(e);
      if (content === null || named(own) > 0) content = own;
    }
    reports.push({ id, feedId: def.id, title, url: e.url, published: e.published, fetched: io.now, ...content });
  }
  return gathered(def, reports);
}

async function fetchPage(url: string, feedOrigin: string, settings: FetchSettings, deps: FetchDeps): Promise<{ ok: true; content: ReportContent; title: string | null } | { ok: false; message: string }> {
  let d: Awaited<ReturnType<typeof download>>;
  try {
    d = await download({ url, trustedOrigin: feedOrigin }, settings, deps);
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
  if (d.kind !== 'body') return { ok: false, message: 'unexpected 304' };
  try {
    const bytes = await readFile(d.path);
    const name = new URL(url).pathname.split('/').pop() ?? undefined;
    const read = await readReport(bytes, name === undefined || name === '' ? {} : { name });
    if (!read.ok) return { ok: false, message: `${read.message} (${formatBytes(bytes.byteLength)})` };
    return read;
  } finally {
    await d.cleanup();
  }
}
