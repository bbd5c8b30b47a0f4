/**
 * Documents: what `readDocument` makes of a file (its format, the texts it holds and where each
 * came from, its attachments) and what `extractFromDocument` reports for each indicator in it.
 * Every list of names is written once here; the unions are derived from them.
 */
import type { IndicatorRole, StoredType } from '../indicators/index.ts';

export const DOCUMENT_FORMATS = ['text', 'html', 'pdf', 'eml'] as const;
export type DocumentFormat = (typeof DOCUMENT_FORMATS)[number];

/** Message headers whose text is read for indicators (sender identity, subject, client address). */
export const MESSAGE_HEADERS = ['from', 'sender', 'reply-to', 'return-path', 'subject', 'x-originating-ip'] as const;
export type MessageHeader = (typeof MESSAGE_HEADERS)[number];

/**
 * Where a text of a document comes from:
 * - `text`: a plain text document, or the text/plain body of a message;
 * - `page`: one page of a PDF (with its number);
 * - `pdf-link`: the targets of a PDF page's link annotations, each written `[text under it](target)`;
 * - `html-text`: the visible text of an HTML document or message body, links written `[text](href)`;
 * - `html-script`: inline scripts and event-handler attributes; `html-comment`: comments;
 * - `header:<name>`: one message header (MESSAGE_HEADERS); `received`: the `Received:` headers, one per line.
 */
export const PART_SOURCES = ['text', 'page', 'pdf-link', 'html-text', 'html-script', 'html-comment', ...MESSAGE_HEADERS.map((h) => `header:${h}` as const), 'received'] as const;
export type PartSource = (typeof PART_SOURCES)[number];

/**
 * Ranges of an HTML text that were not visible text but attribute values written into it:
 * `html-href` for where a link, form or refresh leads (`href`, `action`, `formaction`,
 * `<meta http-equiv="refresh">`), `html-src` for what the page loads (`src`, `srcset`, `data`,
 * `poster`, `background`, `<link href>`, and URL-valued `data-*` attributes); `pdf-link` for the
 * targets in a `pdf-link` part (the labels beside them are the page's own text, read with the page).
 */
export const SPAN_SOURCES = ['html-href', 'html-src', 'pdf-link'] as const;
export type SpanSource = (typeof SPAN_SOURCES)[number];

/** What an extracted indicator says about where it came from: a part's source, a span's, or an attachment's digest. */
export const INDICATOR_SOURCES = [...PART_SOURCES, ...SPAN_SOURCES, 'attachment'] as const;
export type IndicatorSource = (typeof INDICATOR_SOURCES)[number];

export interface SourceSpan {
  start: number;
  end: number;
  source: SpanSource;
}

export interface DocumentPart {
  text: string;
  source: PartSource;
  /** PDF pages and their links: the page number, from 1. */
  page?: number;
  /** Ranges of `text` with a source of their own (sorted, not overlapping). */
  spans?: SourceSpan[];
  /** For a part of an attached document (a PDF or a forwarded message in a mail): the attachment names, outermost first. */
  within?: string[];
}

export interface DocumentAttachment {
  /** The file name the message gave, or `part <id> (<type>)`. */
  name: string;
  contentType: string;
  size: number;
  md5: string;
  sha1: string;
  sha256: string;
  within?: string[];
  /** Set when the attachment was read as a document too (its parts carry `within`). */
  format?: DocumentFormat;
}

export interface DocumentMetadata {
  title?: string;
  author?: string;
  subject?: string;
  /** ISO 8601, when the document states one (a message's Date, a PDF's creation date). */
  date?: string;
  messageId?: string;
  creator?: string;
  producer?: string;
  pages?: number;
  /** The character encoding a text or HTML document was decoded from. */
  encoding?: string;
}

export interface Document {
  format: DocumentFormat;
  /** Size of the bytes read. */
  bytes: number;
  parts: DocumentPart[];
  attachments: DocumentAttachment[];
  metadata: DocumentMetadata;
  /** What could not be read, without failing the whole document (a page, an attachment too large to open). */
  warnings: string[];
}

export const DOCUMENT_ERROR_CODES = ['unsupported_format', 'encrypted', 'corrupt'] as const;
export type DocumentErrorCode = (typeof DOCUMENT_ERROR_CODES)[number];

export interface DocumentError {
  code: DocumentErrorCode;
  message: string;
}

export type ReadResult = { ok: true; document: Document } | { ok: false; error: DocumentError };

export interface ReadOptions {
  /** The file name, if known: a hint when the content alone does not tell the format. */
  name?: string;
  /** Read as this format, whatever the content looks like. */
  format?: DocumentFormat;
  /**
   * The caller will not use the bytes again: a PDF's are handed to pdf.js (which takes them over,
   * leaving the caller's buffer empty) instead of copied — one copy less of a large file.
   */
  transfer?: boolean;
}

/** One indicator found in a document, and where. */
export interface DocumentIndicator {
  type: StoredType;
  value: string;
  role: IndicatorRole;
  source: IndicatorSource;
  page?: number;
  /** For `source: 'attachment'`: the attachment whose digest this is. */
  attachment?: string;
  within?: string[];
  /** Index in `Document.parts`; `start` and `end` are offsets in that part's text (UTF-16 code units, end exclusive). Not set for attachment digests. */
  part?: number;
  start?: number;
  end?: number;
  partOf?: { type: StoredType; value: string };
}

export function documentError(code: DocumentErrorCode, message: string): { ok: false; error: DocumentError } {
  return { ok: false, error: { code, message } };
}
