/**
 * PDF through pdfjs-dist (its legacy build, which runs on Node 20), page by page: each page's
 * text runs become lines (pdf-text.ts), and the targets of its link annotations a part of their
 * own — a PDF's "Open the document" button is a link annotation, its target nowhere in the text.
 * The library is loaded with the first PDF, not at start. A PDF that needs a password, or that
 * the library cannot make sense of, is an error result; a page that fails is a warning.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pageLines, pageTexts, type PdfLine, type TextRun } from './pdf-text.ts';
import { documentError, type Document, type DocumentMetadata, type DocumentPart, type ReadResult, type SourceSpan } from './types.ts';

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
let library: Promise<PdfJs> | null = null;

/** pdfjs-dist, imported on first use; its package folder holds the CMaps that CJK fonts need. */
function pdfjs(): Promise<PdfJs> {
  library ??= import('pdfjs-dist/legacy/build/pdf.mjs');
  return library;
}

function packageDir(): string {
  return dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
}

interface LinkAnnotation {
  url: string;
  rect: [number, number, number, number];
}

function isTextItem(item: unknown): item is { str: string; transform: number[]; width: number; height: number; hasEOL: boolean } {
  return typeof (item as { str?: unknown }).str === 'string';
}

/** Text of the runs inside a rectangle (what a link annotation covers). */
function textUnder(runs: readonly TextRun[], [x1, y1, x2, y2]: LinkAnnotation['rect']): string {
  const [left, right] = x1 < x2 ? [x1, x2] : [x2, x1];
  const [bottom, top] = y1 < y2 ? [y1, y2] : [y2, y1];
  return runs
    .filter((r) => r.str.trim() !== '' && r.x + r.width / 2 >= left && r.x + r.width / 2 <= right && r.y + r.size / 3 >= bottom && r.y <= top)
    .map((r) => r.str)
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A link annotation's target and the text under it, or nothing when that text already shows the target. */
function linkLine(link: LinkAnnotation, runs: readonly TextRun[]): { label: string; url: string } | null {
  const url = link.url.trim().replace(/[\s<>]/g, (c) => encodeURIComponent(c));
  const label = textUnder(runs, link.rect).replace(/[[\]]/g, ' ').trim();
  const compact = label.replace(/\s+/g, '');
  const bare = url.replace(/^[a-z]+:\/\//i, '').replace(/\/$/, '');
  if (bare === '' || compact.includes(bare)) return null;
  return { label, url };
}

/**
 * A page's links as a part, one `[text under it](target)` per line: written as Markdown links so
 * that a titled link reads as a reference and "Open the document" as an indicator. Only the
 * targets are read for indicators (spans); the labels are the page's text, read with the page.
 */
function linkPart(links: readonly { label: string; url: string }[], page: number): DocumentPart {
  let text = '';
  const spans: SourceSpan[] = [];
  for (const { label, url } of links) {
    if (text !== '') text += '\n';
    text += `[${label}](`;
    spans.push({ start: text.length, end: text.length + url.length, source: 'pdf-link' });
    text += `${url})`;
  }
  return { text, source: 'pdf-link', page, spans };
}

const PDF_DATE = /^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(Z|[+-]\d{2}'?\d{2}'?)?/;

/** A PDF date (`D:20240301120000+01'00'`) as ISO 8601, if it reads as one. */
export function pdfDate(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const m = PDF_DATE.exec(raw);
  if (!m) return undefined;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', s = '00', zone] = m;
  const tz = zone === undefined || zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.replace(/'/g, '').slice(3, 5) || '00'}`;
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${tz}`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function infoString(info: Record<string, unknown>, key: string): string | undefined {
  const v = info[key];
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/**
 * Reads a PDF. pdf.js takes over the buffer it is given (it transfers it, even to the in-process
 * worker it runs on Node), so it gets a copy unless the caller said it may have the bytes — and
 * the bytes own their whole buffer (a small Buffer may share a pool with others).
 */
export async function readPdf(bytes: Uint8Array, transfer = false): Promise<ReadResult> {
  const { getDocument, VerbosityLevel } = await pdfjs();
  const dir = packageDir();
  const size = bytes.byteLength;
  const ownsBuffer = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
  const data = transfer && ownsBuffer ? new Uint8Array(bytes.buffer, 0, size) : new Uint8Array(bytes);
  const task = getDocument({
    data,
    cMapUrl: join(dir, 'cmaps') + '/',
    cMapPacked: true,
    standardFontDataUrl: join(dir, 'standard_fonts') + '/',
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    verbosity: VerbosityLevel.ERRORS,
    stopAtErrors: false,
  });
  let pdf;
  try {
    pdf = await task.promise;
  } catch (err) {
    await task.destroy().catch(() => undefined);
    const name = (err as { name?: string }).name;
    if (name === 'PasswordException') return documentError('encrypted', 'the PDF is encrypted: it needs a password to open, and its text cannot be read without it');
    return documentError('corrupt', `not a readable PDF: ${(err as Error).message}`);
  }
  try {
    const warnings: string[] = [];
    const pageLinesList: PdfLine[][] = [];
    const links: (DocumentPart | null)[] = [];
    for (let n = 1; n <= pdf.numPages; n++) {
      try {
        const page = await pdf.getPage(n);
        const content = await page.getTextContent();
        const runs: TextRun[] = [];
        for (const item of content.items) {
          if (!isTextItem(item)) continue;
          const [a = 0, b = 0, c = 0, d = 0, x = 0, y = 0] = item.transform;
          runs.push({ str: item.str, x, y, width: item.width, size: Math.hypot(c, d) || Math.hypot(a, b) || item.height, eol: item.hasEOL });
        }
        pageLinesList.push(pageLines(runs));
        const annotations = (await page.getAnnotations({ intent: 'display' })) as { subtype?: string; url?: string; unsafeUrl?: string; rect?: number[] }[];
        const lines: { label: string; url: string }[] = [];
        for (const a of annotations) {
          const url = a.url ?? a.unsafeUrl;
          if (a.subtype !== 'Link' || typeof url !== 'string' || !Array.isArray(a.rect) || a.rect.length !== 4) continue;
          const line = linkLine({ url, rect: a.rect as LinkAnnotation['rect'] }, runs);
          if (line !== null) lines.push(line);
        }
        links.push(lines.length > 0 ? linkPart(lines, n) : null);
        page.cleanup();
      } catch (err) {
        warnings.push(`page ${n}: its text could not be read (${(err as Error).message})`);
        pageLinesList.push([]);
        links.push(null);
      }
    }
    const texts = pageTexts(pageLinesList);
    const parts: DocumentPart[] = [];
    texts.forEach((text, i) => {
      parts.push({ text, source: 'page', page: i + 1 });
      const pageLinks = links[i];
      if (pageLinks) parts.push(pageLinks);
    });
    const metadata: DocumentMetadata = { pages: pdf.numPages };
    try {
      const info = ((await pdf.getMetadata()).info ?? {}) as Record<string, unknown>;
      const fields: [keyof DocumentMetadata, string][] = [['title', 'Title'], ['author', 'Author'], ['subject', 'Subject'], ['creator', 'Creator'], ['producer', 'Producer']];
      for (const [field, key] of fields) {
        const v = infoString(info, key);
        if (v !== undefined) (metadata as Record<string, unknown>)[field] = v;
      }
      const date = pdfDate(info.CreationDate);
      if (date !== undefined) metadata.date = date;
    } catch (err) {
      warnings.push(`the document information could not be read (${(err as Error).message})`);
    }
    if (texts.every((t) => t.trim() === '') && pdf.numPages > 0) warnings.push('no page has a text layer: a scanned PDF needs OCR first');
    const document: Document = { format: 'pdf', bytes: size, parts, attachments: [], metadata, warnings };
    return { ok: true, document };
  } finally {
    await task.destroy().catch(() => undefined);
  }
}
