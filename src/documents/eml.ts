/**
 * RFC 5322 / MIME messages through mailparser, which decodes transfer encodings
 * (quoted-printable, base64), charsets and encoded words. What a message holds for an analyst:
 * - the sender's identity: `From`, `Sender`, `Reply-To`, `Return-Path` (and `Subject`,
 *   `X-Originating-IP`), each a part `header:<name>`;
 * - every relay: the `Received:` headers, one per line, in a part `received` (only their
 *   addresses are reported: the relays' names are mostly the receiving side's own);
 * - the text/plain body (`text`) and the HTML body (read as HTML: `html-text`, `html-href`, …);
 * - every attachment's name, type, size and MD5/SHA-1/SHA-256, hashed as it streams. An
 *   attachment that is itself a document (a PDF, HTML, a text, a forwarded message) and not too
 *   large is read too, its parts marked `within` its name — so a message forwarded as an
 *   attachment, the usual way a phishing mail is reported, is read whole.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { MailParser, type AddressObject, type AttachmentStream, type HeaderValue, type MessageText } from 'mailparser';
import { readHtml } from './html.ts';
import { sniffFormat } from './sniff.ts';
import { documentError, type Document, type DocumentAttachment, type DocumentMetadata, type DocumentPart, type MessageHeader, type ReadResult } from './types.ts';

/** Reads an attachment's bytes as a document of its own (read.ts's readDocument, one level deeper), or says why not. */
export type NestedReader = (bytes: Uint8Array, name: string) => Promise<ReadResult | null>;

/** Attachments up to this size are read as documents; larger ones are only hashed. */
export const MAX_NESTED_BYTES = 32 * 1024 * 1024;
const FEED_CHUNK = 64 * 1024;

function isAddressObject(v: unknown): v is AddressObject {
  return typeof v === 'object' && v !== null && Array.isArray((v as AddressObject).value) && typeof (v as AddressObject).text === 'string';
}

/** A header's value as text: addresses as `"Name" <address>`, lists one per line. */
function headerText(value: HeaderValue | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return (value as unknown[]).map((v) => headerText(v as HeaderValue)).join('\n');
  if (isAddressObject(value)) return value.text;
  if (typeof (value as { value?: unknown }).value === 'string') return (value as { value: string }).value;
  return '';
}

const HEADER_PARTS: readonly MessageHeader[] = ['from', 'sender', 'reply-to', 'return-path', 'subject', 'x-originating-ip'];
/** `[IPv6:2001:db8::1]` in a Received header: the tag would glue to the address. */
const IPV6_TAG = /IPv6:/gi;

function* slices(bytes: Uint8Array): Generator<Buffer> {
  for (let i = 0; i < bytes.byteLength; i += FEED_CHUNK) {
    const end = Math.min(bytes.byteLength, i + FEED_CHUNK);
    yield Buffer.from(bytes.buffer, bytes.byteOffset + i, end - i);
  }
}

interface Digest {
  size: number;
  md5: string;
  sha1: string;
  sha256: string;
  /** The content, when it looks like a document Verdict reads and is not too large; else null. */
  bytes: Buffer | null;
  /** Why a document-looking attachment was not kept. */
  tooLarge: boolean;
}

/** Hashes an attachment as it streams; keeps it only if its first bytes are a document's (not an archive, image or program). */
async function consume(att: AttachmentStream, name: string): Promise<Digest> {
  const md5 = createHash('md5');
  const sha1 = createHash('sha1');
  const sha256 = createHash('sha256');
  let kept: Buffer[] | null = null;
  let size = 0;
  for await (const chunk of att.content) {
    const buf = chunk as Buffer;
    if (size === 0 && sniffFormat(buf, name).ok) kept = [];
    md5.update(buf);
    sha1.update(buf);
    sha256.update(buf);
    size += buf.length;
    kept?.push(buf);
  }
  const tooLarge = kept !== null && size > MAX_NESTED_BYTES;
  const bytes = kept !== null && !tooLarge ? Buffer.concat(kept, size) : null;
  return { size, md5: md5.digest('hex'), sha1: sha1.digest('hex'), sha256: sha256.digest('hex'), bytes, tooLarge };
}

export async function readEml(bytes: Uint8Array, readNested: NestedReader): Promise<ReadResult> {
  // ignoreEmbedded: a forwarded message is an attachment (hashed, then read as a message of its
  // own) rather than folded into this one's text
  const parser = new MailParser({ skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true, checksumAlgo: false, ignoreEmbedded: true } as ConstructorParameters<typeof MailParser>[0]);
  const parts: DocumentPart[] = [];
  const attachments: DocumentAttachment[] = [];
  const warnings: string[] = [];
  const metadata: DocumentMetadata = {};
  const nested: { name: string; result: ReadResult }[] = [];
  let text: MessageText | null = null;
  parser.once('headers', (headers) => {
    for (const name of HEADER_PARTS) {
      const value = headerText(headers.get(name)).trim();
      if (value !== '') parts.push({ text: value, source: `header:${name}` });
    }
    const received = headers.get('received');
    const relays = received === undefined ? [] : Array.isArray(received) ? received : [received];
    const lines = relays.map((r) => headerText(r as HeaderValue).replace(/\s+/g, ' ').replace(IPV6_TAG, 'IPv6 ').trim()).filter((l) => l !== '');
    if (lines.length > 0) parts.push({ text: lines.join('\n'), source: 'received' });
    const subject = headers.get('subject');
    if (typeof subject === 'string' && subject.trim() !== '') metadata.subject = subject.trim();
    const date = headers.get('date');
    if (date instanceof Date && !Number.isNaN(date.getTime())) metadata.date = date.toISOString();
    const messageId = headers.get('message-id');
    if (typeof messageId === 'string') metadata.messageId = messageId;
    const from = headers.get('from');
    if (isAddressObject(from)) metadata.author = from.text;
  });
  const input = Readable.from(slices(bytes), { objectMode: false });
  input.pipe(parser);
  try {
    let unnamed = 0;
    for await (const item of parser as AsyncIterable<AttachmentStream | MessageText>) {
      if (item.type === 'text') {
        text = item;
        continue;
      }
      const name = item.filename ?? `part ${item.partId ?? ++unnamed} (${item.contentType})`;
      const digest = await consume(item, name);
      item.release?.();
      attachments.push({ name, contentType: item.contentType, size: digest.size, md5: digest.md5, sha1: digest.sha1, sha256: digest.sha256 });
      if (digest.tooLarge) warnings.push(`attachment ${name}: larger than ${MAX_NESTED_BYTES / 1024 / 1024} MiB, hashed but not read`);
      if (digest.bytes === null) continue;
      // read now, so that only its text is kept while the rest of the message streams
      const result = await readNested(digest.bytes, name);
      if (result !== null) nested.push({ name, result });
    }
  } catch (err) {
    input.destroy();
    return documentError('corrupt', `not a readable message: ${(err as Error).message}`);
  }
  const body = text as MessageText | null;
  if (body !== null && typeof body.text === 'string' && body.text.trim() !== '') parts.push({ text: body.text, source: 'text' });
  if (body !== null && typeof body.html === 'string' && body.html.trim() !== '') {
    const html = readHtml(body.html);
    parts.push(...html.parts);
    if (metadata.title === undefined && html.title !== undefined) metadata.title = html.title;
  }
  // attachments that are documents themselves: read one level deeper, their parts marked with where they came from
  for (const { name, result } of nested) {
    const attachment = attachments.find((a) => a.name === name && a.format === undefined);
    if (!result.ok) {
      if (result.error.code !== 'unsupported_format') warnings.push(`attachment ${name}: ${result.error.message}`);
      continue;
    }
    if (attachment) attachment.format = result.document.format;
    for (const part of result.document.parts) parts.push({ ...part, within: [name, ...(part.within ?? [])] });
    for (const inner of result.document.attachments) attachments.push({ ...inner, within: [name, ...(inner.within ?? [])] });
    for (const w of result.document.warnings) warnings.push(`attachment ${name}: ${w}`);
  }
  const document: Document = { format: 'eml', bytes: bytes.byteLength, parts, attachments, metadata, warnings };
  return { ok: true, document };
}
