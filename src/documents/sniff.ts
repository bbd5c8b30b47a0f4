/**
 * What format a file is, from its first bytes; the file name decides only when the content
 * does not (a fragment of HTML in a `.html` file, a message with unusual headers in a `.eml`).
 * Formats Verdict does not read are named, so the error can say what the file is.
 */
import type { DocumentFormat } from './types.ts';

export type Sniffed = { ok: true; format: DocumentFormat } | { ok: false; looksLike: string };

const HEAD = 8 * 1024;

/** Binary formats recognised by their magic bytes, to name them in the error. */
const BINARY_MAGIC: readonly { bytes: readonly number[]; name: string }[] = [
  { bytes: [0x50, 0x4b, 0x03, 0x04], name: 'a ZIP archive (or an Office document: .docx, .xlsx, .pptx)' },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], name: 'an OLE compound file (an Outlook .msg or an old Office document)' },
  { bytes: [0x1f, 0x8b], name: 'a gzip file' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], name: 'a 7-Zip archive' },
  { bytes: [0x52, 0x61, 0x72, 0x21], name: 'a RAR archive' },
  { bytes: [0x89, 0x50, 0x4e, 0x47], name: 'a PNG image' },
  { bytes: [0xff, 0xd8, 0xff], name: 'a JPEG image' },
  { bytes: [0x47, 0x49, 0x46, 0x38], name: 'a GIF image' },
  { bytes: [0x4d, 0x5a], name: 'a Windows executable' },
  { bytes: [0x7f, 0x45, 0x4c, 0x46], name: 'an ELF executable' },
];

const PDF_MAGIC = '%PDF-';
/** A line of a message header: a field name, a colon (RFC 5322 §2.2). */
const HEADER_LINE = /^[!-9;-~]{1,76}:/;
/** Headers that only messages start with, or nearly only. */
const MAIL_HEADERS = new Set([
  'received', 'from', 'to', 'cc', 'subject', 'date', 'message-id', 'mime-version', 'return-path', 'reply-to',
  'delivered-to', 'content-type', 'sender', 'x-mailer', 'x-originating-ip', 'authentication-results', 'dkim-signature',
  'arc-seal', 'thread-topic', 'in-reply-to', 'references', 'x-ms-exchange-organization-authas', 'x-received',
]);
/** Markup an HTML document starts with (after white space, a BOM and comments). */
const HTML_START = /^(?:\s|<!--[\s\S]*?-->)*<(?:!doctype\s+html|html|head|body|meta|title|div|table|p|a|span|script|iframe|form|center|font|style|link|base)[\s>/]/i;
const HTML_ANYWHERE = /<(?:html|body|head)[\s>]|<a\s[^>]*href\s*=|<\/(?:p|div|table|span)>/i;

function startsWith(bytes: Uint8Array, magic: readonly number[], at = 0): boolean {
  if (bytes.length < at + magic.length) return false;
  return magic.every((b, i) => bytes[at + i] === b);
}

function extensionOf(name: string | undefined): string {
  if (!name) return '';
  const dot = name.lastIndexOf('.');
  return dot === -1 ? '' : name.slice(dot + 1).toLowerCase();
}

/** Whether the text opens with a block of message header lines, at least two of them mail headers. */
function looksLikeMessage(head: string, byName: boolean): boolean {
  let text = head;
  // an mbox file's "From " separator line
  if (text.startsWith('From ')) text = text.slice(text.indexOf('\n') + 1);
  let known = 0;
  let lines = 0;
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break;
    if (line[0] === ' ' || line[0] === '\t') {
      if (lines === 0) return false;
      continue;
    }
    if (!HEADER_LINE.test(line)) return false;
    lines++;
    if (MAIL_HEADERS.has(line.slice(0, line.indexOf(':')).toLowerCase())) known++;
    if (known >= 2) return true;
  }
  return byName && lines > 0;
}

/** The format of `bytes`: content first (PDF magic, message headers, HTML markup), then the name's extension. */
export function sniffFormat(bytes: Uint8Array, name?: string): Sniffed {
  const ext = extensionOf(name);
  const headBytes = bytes.subarray(0, HEAD);
  const latin1 = Buffer.from(headBytes.buffer, headBytes.byteOffset, headBytes.byteLength).toString('latin1');
  // a PDF may have bytes before its header (up to 1 KB, as readers accept)
  if (latin1.slice(0, 1024).includes(PDF_MAGIC)) return { ok: true, format: 'pdf' };
  for (const magic of BINARY_MAGIC) if (startsWith(bytes, magic.bytes)) return { ok: false, looksLike: magic.name };
  const utf16 = startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff]);
  if (!utf16 && headBytes.includes(0)) return { ok: false, looksLike: 'binary data (it holds NUL bytes)' };
  const head = utf16 ? new TextDecoder(bytes[0] === 0xff ? 'utf-16le' : 'utf-16be').decode(headBytes) : latin1.replace(/^\u00ef\u00bb\u00bf/, '');
  if (looksLikeMessage(head, ext === 'eml' || ext === 'mbox')) return { ok: true, format: 'eml' };
  if (HTML_START.test(head) || HTML_ANYWHERE.test(head)) return { ok: true, format: 'html' };
  if (ext === 'html' || ext === 'htm' || ext === 'xhtml') return { ok: true, format: 'html' };
  if (ext === 'pdf') return { ok: false, looksLike: 'a file named .pdf without a PDF header (%PDF-): not a PDF, or a damaged one' };
  return { ok: true, format: 'text' };
}
