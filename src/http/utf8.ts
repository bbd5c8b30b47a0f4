/**
 * Response text as UTF-8 bytes. Most of what Verdict writes is ASCII (JSON escapes control
 * characters; non-ASCII comes only from what sources named), and ASCII text's UTF-8 bytes are
 * its Latin-1 bytes: those are copied as they are, then checked, and only text that turns out
 * not to be ASCII goes through the UTF-8 encoder. Measuring the UTF-8 length first, as
 * Buffer.from does, costs a pass over the text of its own (a 6 KB answer: 2–3 µs in a server).
 */
import { isAscii } from 'node:buffer';

/** A UTF-16 unit above 0xFF. A text V8 holds in one byte a character can never match it, and the test then returns at once. */
const WIDE = /[\u0100-\uffff]/;

/**
 * Writes `text` as UTF-8 into `buf` at `at`, which must have room for `text.length * 3` bytes
 * (the most UTF-8 takes per UTF-16 unit); returns the bytes written.
 */
function writeUtf8(buf: Buffer, text: string, at: number): number {
  // No unit above 0xFF: the Latin-1 bytes are one per unit, and UTF-8 when none is above 0x7F.
  if (!WIDE.test(text)) {
    const n = buf.write(text, at, 'latin1');
    if (isAscii(buf.subarray(at, at + n))) return n;
  }
  return buf.write(text, at, 'utf8');
}

/** Response text as UTF-8 bytes, in a buffer of its own. */
export function utf8Bytes(text: string): Buffer {
  if (WIDE.test(text)) return Buffer.from(text, 'utf8');
  const bytes = Buffer.allocUnsafe(text.length);
  bytes.write(text, 0, 'latin1');
  return isAscii(bytes) ? bytes : Buffer.from(text, 'utf8');
}

/**
 * Texts written one after another into chunks of about `size` bytes, for a streamed response.
 * Each text is written as bytes when it is added. Joining texts into one large string first
 * cost more than the lookups that made them: bench:bulk's 1,000 answers (5.9 MB), gathered in
 * 64 KB strings, spent some 30 µs an answer joining them, against 1 µs here.
 */
export class Utf8Chunks {
  #chunk: Buffer;
  #used = 0;
  #full: Buffer[] = [];

  constructor(readonly size = 64 * 1024) {
    this.#chunk = Buffer.allocUnsafe(size);
  }

  add(text: string): void {
    if (this.#used + text.length * 3 <= this.size) {
      this.#used += writeUtf8(this.#chunk, text, this.#used);
      return;
    }
    // near the chunk's end: whether the text still fits is a matter of its exact length
    const bytes = Buffer.byteLength(text, 'utf8');
    if (this.#used + bytes > this.size) {
      this.#close();
      // a text larger than a chunk is a chunk of its own
      if (bytes > this.size) {
        this.#full.push(utf8Bytes(text));
        return;
      }
    }
    this.#used += this.#chunk.write(text, this.#used, 'utf8');
  }

  /** The chunks filled so far (each handed out once). */
  full(): Buffer[] {
    const out = this.#full;
    this.#full = [];
    return out;
  }

  /** What is left: the filled chunks and the last, partial one. */
  end(): Buffer[] {
    this.#close();
    return this.full();
  }

  #close(): void {
    if (this.#used === 0) return;
    this.#full.push(this.#chunk.subarray(0, this.#used));
    this.#chunk = Buffer.allocUnsafe(this.size);
    this.#used = 0;
  }
}
