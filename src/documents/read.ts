/**
 * readDocument: bytes in, the texts `extract()` should read out, each with where it came from.
 * The format is sniffed from the content (the name only breaks ties); each format's library (pdf.js,
 * mailparser, htmlparser2) is loaded with the first document that needs it, not at start. Never throws: what cannot be read is an error result that says why.
 */
import { sniffFormat } from './sniff.ts';
import { decodeText, declaredHtmlCharset } from './text.ts';
import { documentError, type Document, type DocumentFormat, type ReadOptions, type ReadResult } from './types.ts';

/** How deep attachments are opened: a PDF in a message forwarded in a message is read; deeper ones are only hashed. */
const MAX_DEPTH = 3;

async function readAs(format: DocumentFormat, bytes: Uint8Array, depth: number, transfer: boolean): Promise<ReadResult> {
  switch (format) {
    case 'pdf':
      return (await import('./pdf.ts')).readPdf(bytes, transfer);
    case 'eml':
      // mailparser and its encodings are loaded with the first message, as pdf.js with the first PDF
      // an attachment's bytes are the message reader's own copy: they may be handed over
      return (await import('./eml.ts')).readEml(bytes, async (content, name) => (depth + 1 >= MAX_DEPTH ? null : read(content, { name, transfer: true }, depth + 1)));
    case 'html': {
      const decoded = decodeText(bytes, declaredHtmlCharset(bytes));
      const html = (await import('./html.ts')).readHtml(decoded.text);
      const document: Document = { format, bytes: bytes.byteLength, parts: html.parts, attachments: [], metadata: { encoding: decoded.encoding }, warnings: [] };
      if (html.title !== undefined) document.metadata.title = html.title;
      return { ok: true, document };
    }
    case 'text': {
      const decoded = decodeText(bytes);
      const document: Document = { format, bytes: bytes.byteLength, parts: [{ text: decoded.text, source: 'text' }], attachments: [], metadata: { encoding: decoded.encoding }, warnings: [] };
      return { ok: true, document };
    }
  }
}

async function read(bytes: Uint8Array, options: ReadOptions, depth: number): Promise<ReadResult> {
  let format = options.format;
  if (format === undefined) {
    const sniffed = sniffFormat(bytes, options.name);
    if (!sniffed.ok) return documentError('unsupported_format', `${sniffed.looksLike}: Verdict reads PDF, HTML, email (.eml) and text documents`);
    format = sniffed.format;
  }
  try {
    return await readAs(format, bytes, depth, options.transfer === true);
  } catch (err) {
    // the libraries are trusted to fail with an error, not to crash the process; say which
    return documentError('corrupt', `the ${format} document could not be read: ${(err as Error).message}`);
  }
}

/** Reads a document: its format, its texts with their sources, its attachments (hashed) and metadata. */
export function readDocument(bytes: Uint8Array, options: ReadOptions = {}): Promise<ReadResult> {
  return read(bytes, options, 0);
}
