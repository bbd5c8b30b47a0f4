/**
 * A threat report's text → what it names: the indicators of role `indicator` (references — the
 * links a write-up cites, the vendor's own site — are left out), its CVE ids and ATT&CK ids.
 * Pure but for the document readers, which load their libraries with the first document.
 */
import { documentDistinct, readDocument, type ReadOptions } from '../documents/index.ts';
import type { StoredType } from '../indicators/types.ts';
import type { ReportRecord } from '../store/types.ts';

export type ReportContent = Pick<ReportRecord, 'indicators' | 'attackIds' | 'cves'>;

export const EMPTY_CONTENT: ReportContent = { indicators: [], attackIds: [], cves: [] };

/** What a read document names, each once in order of first mention. */
export function contentOf(named: readonly { type: StoredType; value: string; role: string }[]): ReportContent {
  const out: ReportContent = { indicators: [], attackIds: [], cves: [] };
  for (const x of named) {
    if (x.role !== 'indicator') continue;
    if (x.type === 'cve') out.cves.push(x.value);
    else if (x.type === 'mitre-attack') out.attackIds.push(x.value);
    else out.indicators.push({ type: x.type, value: x.value });
  }
  return out;
}

export type ReadReport = { ok: true; content: ReportContent; title: string | null } | { ok: false; message: string };

/** Reads a report's bytes (an HTML page, a PDF, a message, text) and what it names. */
export async function readReport(bytes: Uint8Array, options: ReadOptions = {}): Promise<ReadReport> {
  const read = await readDocument(bytes, options);
  if (!read.ok) return { ok: false, message: read.error.message };
  const title = typeof read.document.metadata.title === 'string' && read.document.metadata.title.trim() !== '' ? read.document.metadata.title.trim() : null;
  return { ok: true, content: contentOf(documentDistinct(read.document)), title };
}
