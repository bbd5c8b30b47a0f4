/**
 * Bytes to text: a byte-order mark decides (UTF-8, UTF-16), then a charset the document declares
 * (an HTML `<meta charset>`), then UTF-8 if the bytes are valid UTF-8, else Windows-1252 (what
 * "Latin-1" text from the field nearly always is).
 */
import { isAscii, isUtf8 } from 'node:buffer';

export interface DecodedText {
  text: string;
  encoding: string;
}

/** How much of a text is looked at for a non-ASCII byte before the whole is scanned. */
const ASCII_PROBE = 64 * 1024;

const META_CHARSET = /<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]{1,40})/i;

/** The charset an HTML document declares in its first 1024 bytes, if any. */
export function declaredHtmlCharset(bytes: Uint8Array): string | undefined {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1024)).toString('latin1');
  return META_CHARSET.exec(head)?.[1]?.toLowerCase();
}

function decoderFor(label: string): TextDecoder | null {
  try {
    return new TextDecoder(label);
  } catch {
    return null; // a label the platform does not know
  }
}

export function decodeText(bytes: Uint8Array, declared?: string): DecodedText {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { text: utf8(bytes.subarray(3)), encoding: 'utf-8' };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'utf-16le' };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'utf-16be' };
  if (declared !== undefined && declared !== 'utf-8' && declared !== 'utf8') {
    const decoder = decoderFor(declared);
    if (decoder) return { text: decoder.decode(bytes), encoding: decoder.encoding };
  }
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // ASCII (most logs) is copied as it is, into a one-byte string; isUtf8 is a fast validation pass.
  // A text with a non-ASCII byte near its start is not scanned for ASCII at all.
  if (isAscii(buffer.subarray(0, ASCII_PROBE)) && isAscii(buffer)) return { text: buffer.toString('latin1'), encoding: 'utf-8' };
  if (isUtf8(buffer)) return { text: utf8(bytes), encoding: 'utf-8' };
  return { text: new TextDecoder('windows-1252').decode(bytes), encoding: 'windows-1252' };
}

function utf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}
