/**
 * A streaming bzip2 decoder: compressed chunks in, decompressed pieces of at most 64 KiB out, as
 * an async iterable, so that whoever reads it can stop at any byte (a cap on unpacked bytes) and
 * memory stays bounded whatever the ratio. One block's compressed bits (under 1 MB) and its
 * Burrows–Wheeler vector (900,000 entries at most, 3.6 MB) are held at a time; the run-length
 * expansion that makes bzip2 bombs so dense (one block can unpack to ~46 MB) happens piece by
 * piece, as the reader asks for more.
 *
 * Written here rather than taken from npm: the streaming decoders there either collect a whole
 * block's output in a JavaScript array of numbers, or decode every buffered block before the
 * reader can say stop, and the others decode a whole buffer synchronously.
 *
 * Concatenated streams (pbzip2, `cat a.bz2 b.bz2`) are read one after the other; bytes after the
 * last stream that are not another stream are ignored, as `bzip2 -d` does. Every block's CRC and
 * each stream's combined CRC are checked; randomised blocks (not written since bzip2 0.9.5) are
 * refused.
 */

/** The bzip2 data is not valid (or ends early). */
export class Bzip2Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Bzip2Error';
  }
}

/** Thrown inside a synchronous decoding step that ran out of buffered input: retried with more. */
class NeedInput extends Error {}
const NEED_INPUT = new NeedInput();

const PIECE = 64 * 1024;
const GROUP_SIZE = 50;
const MAX_GROUPS = 6;
const MAX_CODE_LENGTH = 20;
const MAX_SYMBOLS = 258;
/** Compressed bytes to have at hand before decoding a block of `level` × 100k: more than any real block needs. */
const blockInputFor = (level: number): number => 100_000 * level + 25_000;

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c;
  }
  return t;
})();

/** Bits, most significant first, over the compressed bytes buffered so far. */
class BitInput {
  private buf = new Uint8Array(0);
  private pos = 0;
  private acc = 0;
  private count = 0;
  private readonly pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private eof = false;

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  get ended(): boolean {
    return this.eof && this.available() === 0;
  }

  /** Whole bytes not yet read, buffered or pending. */
  available(): number {
    return this.buf.length - this.pos + this.pendingBytes;
  }

  /** Reads from the source until `bytes` are at hand or it ends; then the synchronous reads see them. */
  async fill(bytes: number): Promise<void> {
    while (!this.eof && this.available() < bytes) {
      const next = await this.source.next();
      if (next.done === true) this.eof = true;
      else if (next.value.length > 0) {
        this.pending.push(next.value);
        this.pendingBytes += next.value.length;
      }
    }
    if (this.pendingBytes > 0) {
      const rest = this.buf.subarray(this.pos);
      const joined = new Uint8Array(rest.length + this.pendingBytes);
      joined.set(rest, 0);
      let at = rest.length;
      for (const p of this.pending) {
        joined.set(p, at);
        at += p.length;
      }
      this.pending.length = 0;
      this.pendingBytes = 0;
      this.buf = joined;
      this.pos = 0;
    }
  }

  /** Whether more input may still come (a failed synchronous step can be retried after `fill`). */
  get more(): boolean {
    return !this.eof;
  }

  save(): [number, number, number] {
    return [this.pos, this.acc, this.count];
  }

  restore([pos, acc, count]: [number, number, number]): void {
    this.pos = pos;
    this.acc = acc;
    this.count = count;
  }

  /**
   * Huffman symbols until the end-of-block symbol, handed to `onSymbol` (which returns false to
   * stop early): the block's hot loop, with the bit buffer in locals and codes found by peeking
   * at `maxLen` bits at once instead of reading them one at a time.
   */
  symbols(tables: readonly HuffmanTable[], selectors: Uint8Array, onSymbol: (sym: number) => boolean): void {
    const buf = this.buf;
    let pos = this.pos;
    let acc = this.acc;
    let count = this.count;
    let selector = 0;
    let groupLeft = 0;
    let table = tables[0] as HuffmanTable;
    for (;;) {
      if (groupLeft === 0) {
        if (selector >= selectors.length) throw new Bzip2Error('bzip2 block runs past its selectors');
        table = tables[selectors[selector++] as number] as HuffmanTable;
        groupLeft = GROUP_SIZE;
      }
      groupLeft--;
      const maxLen = table.maxLen;
      while (count < maxLen && pos < buf.length) {
        acc = ((acc << 8) | (buf[pos++] as number)) & 0x0fffffff;
        count += 8;
      }
      // near the end of the buffered input, the missing bits read as zeros until a code needs them
      const peek = count >= maxLen ? (acc >>> (count - maxLen)) & ((1 << maxLen) - 1) : (acc << (maxLen - count)) & ((1 << maxLen) - 1);
      const limit = table.limit;
      let len = table.minLen;
      let v = peek >>> (maxLen - len);
      while (v > (limit[len] as number)) {
        if (++len > maxLen) throw new Bzip2Error('bzip2 Huffman code not in its table');
        v = peek >>> (maxLen - len);
      }
      if (len > count) throw NEED_INPUT;
      count -= len;
      acc &= (1 << count) - 1;
      if (!onSymbol(table.perm[(table.base[len] as number) + v] as number)) break;
    }
    this.pos = pos;
    this.acc = acc;
    this.count = count;
  }

  /** `n` bits (1 to 24) as a number; throws NeedInput when the buffered bytes run out. */
  bits(n: number): number {
    while (this.count < n) {
      if (this.pos >= this.buf.length) throw NEED_INPUT;
      this.acc = (this.acc << 8) | (this.buf[this.pos++] as number);
      this.count += 8;
    }
    this.count -= n;
    const v = (this.acc >>> this.count) & ((1 << n) - 1);
    this.acc &= (1 << this.count) - 1;
    return v;
  }

  bit(): number {
    return this.bits(1);
  }

  /** Drops the bits left in the current byte (a stream ends on a byte boundary). */
  alignToByte(): void {
    this.acc = 0;
    this.count = 0;
  }
}

/** One Huffman table in canonical form: codes of each length are consecutive. */
interface HuffmanTable {
  minLen: number;
  maxLen: number;
  /** Largest code of each length (−1 when none). */
  limit: Int32Array;
  /** Index in `perm` of the first code of each length, minus that code. */
  base: Int32Array;
  perm: Uint16Array;
}

function huffmanTable(lengths: Uint8Array, symbols: number): HuffmanTable {
  let minLen = MAX_CODE_LENGTH;
  let maxLen = 0;
  for (let i = 0; i < symbols; i++) {
    const l = lengths[i] as number;
    if (l < minLen) minLen = l;
    if (l > maxLen) maxLen = l;
  }
  const perm = new Uint16Array(symbols);
  const limit = new Int32Array(MAX_CODE_LENGTH + 2).fill(-1);
  const base = new Int32Array(MAX_CODE_LENGTH + 2);
  let p = 0;
  let code = 0;
  for (let len = minLen; len <= maxLen; len++) {
    const first = p;
    for (let s = 0; s < symbols; s++) if (lengths[s] === len) perm[p++] = s;
    base[len] = first - code;
    code += p - first;
    limit[len] = code - 1;
    code <<= 1;
  }
  return { minLen, maxLen, limit, base, perm };
}

/** A block read into its Burrows–Wheeler vector, ready to be written out. */
interface Block {
  crc: number;
  /** Low byte: the block byte; upper 24 bits: the index of the next one. */
  tt: Int32Array;
  length: number;
  origPtr: number;
}

/** Reads one block after its magic (throws NeedInput if the buffered input ends inside it). */
function readBlock(input: BitInput, level: number, tt: Int32Array): Block {
  const crc = ((input.bits(16) << 16) | input.bits(16)) >>> 0;
  if (input.bit() !== 0) throw new Bzip2Error('randomised bzip2 blocks (bzip2 before 0.9.5) are not supported');
  const origPtr = input.bits(24);
  const capacity = 100_000 * level;

  // the byte values the block uses
  const symToByte = new Uint8Array(256);
  let used = 0;
  const groupsUsed = input.bits(16);
  for (let i = 0; i < 16; i++) {
    if ((groupsUsed & (0x8000 >> i)) === 0) continue;
    const bitsOf = input.bits(16);
    for (let j = 0; j < 16; j++) if ((bitsOf & (0x8000 >> j)) !== 0) symToByte[used++] = i * 16 + j;
  }
  if (used === 0) throw new Bzip2Error('bzip2 block uses no byte values');
  const symbols = used + 2;

  const groups = input.bits(3);
  if (groups < 2 || groups > MAX_GROUPS) throw new Bzip2Error(`bzip2 block has ${groups} Huffman tables`);
  const selectorCount = input.bits(15);
  if (selectorCount === 0) throw new Bzip2Error('bzip2 block has no selectors');
  const selectors = new Uint8Array(selectorCount);
  const groupMtf = [0, 1, 2, 3, 4, 5];
  for (let i = 0; i < selectorCount; i++) {
    let j = 0;
    while (input.bit() === 1) if (++j >= groups) throw new Bzip2Error('bzip2 selector out of range');
    const v = groupMtf[j] as number;
    for (; j > 0; j--) groupMtf[j] = groupMtf[j - 1] as number;
    groupMtf[0] = v;
    selectors[i] = v;
  }

  const tables: HuffmanTable[] = [];
  const lengths = new Uint8Array(MAX_SYMBOLS);
  for (let g = 0; g < groups; g++) {
    let len = input.bits(5);
    for (let s = 0; s < symbols; s++) {
      for (;;) {
        if (len < 1 || len > MAX_CODE_LENGTH) throw new Bzip2Error('bzip2 Huffman code length out of range');
        if (input.bit() === 0) break;
        len += input.bit() === 0 ? 1 : -1;
      }
      lengths[s] = len;
    }
    tables.push(huffmanTable(lengths, symbols));
  }

  // Huffman → MTF/RLE2 symbols → bytes, counted for the inverse BWT
  const counts = new Int32Array(256);
  const mtf = new Uint8Array(256);
  for (let i = 0; i < 256; i++) mtf[i] = i;
  const eob = symbols - 1;
  let length = 0;
  let run = 0;
  let runWeight = 0;
  input.symbols(tables, selectors, (sym) => {
    if (sym <= 1) {
      // RUNA (0) and RUNB (1) spell a run length of the front byte in bijective base 2
      if (runWeight === 0) {
        runWeight = 1;
        run = 0;
      }
      run += runWeight << sym;
      runWeight <<= 1;
      if (run > capacity) throw new Bzip2Error('bzip2 run longer than its block');
      return true;
    }
    if (runWeight !== 0) {
      runWeight = 0;
      if (length + run > capacity) throw new Bzip2Error('bzip2 block longer than its declared size');
      const b = symToByte[mtf[0] as number] as number;
      counts[b] = (counts[b] as number) + run;
      tt.fill(b, length, length + run);
      length += run;
    }
    if (sym === eob) return false;
    if (length >= capacity) throw new Bzip2Error('bzip2 block longer than its declared size');
    const i = sym - 1;
    const m = mtf[i] as number;
    if (i < 16) for (let j = i; j > 0; j--) mtf[j] = mtf[j - 1] as number;
    else mtf.copyWithin(1, 0, i);
    mtf[0] = m;
    const b = symToByte[m] as number;
    counts[b] = (counts[b] as number) + 1;
    tt[length++] = b;
    return true;
  });
  if (origPtr >= length) throw new Bzip2Error('bzip2 block start pointer out of range');

  // inverse Burrows–Wheeler: link each byte to the next in the upper bits
  let sum = 0;
  for (let i = 0; i < 256; i++) {
    const c = counts[i] as number;
    counts[i] = sum;
    sum += c;
  }
  for (let i = 0; i < length; i++) {
    const b = (tt[i] as number) & 0xff;
    const at = counts[b] as number;
    tt[at] = (tt[at] as number) | (i << 8);
    counts[b] = at + 1;
  }
  return { crc, tt, length, origPtr };
}

/** The block's bytes with bzip2's initial run-length coding undone, in pieces; checks the block CRC. */
function* blockBytes(block: Block): Generator<Uint8Array> {
  const { tt, length } = block;
  let out = Buffer.allocUnsafe(PIECE);
  let n = 0;
  let crc = -1;
  // the entry at origPtr only says where the block's first byte is
  let pos = (tt[block.origPtr] as number) >>> 8;
  let last = -1;
  let same = 0;
  for (let i = 0; i < length; i++) {
    const e = tt[pos] as number;
    let b = e & 0xff;
    pos = e >>> 8;
    let times = 1;
    if (same === 4) {
      // after four equal bytes, the next one counts further repeats
      times = b;
      b = last;
      same = 0;
    } else if (b === last) same++;
    else {
      last = b;
      same = 1;
    }
    for (; times > 0; times--) {
      out[n++] = b;
      crc = (crc << 8) ^ (CRC_TABLE[((crc >>> 24) ^ b) & 0xff] as number);
      if (n === PIECE) {
        yield out;
        out = Buffer.allocUnsafe(PIECE);
        n = 0;
      }
    }
  }
  if (n > 0) yield out.subarray(0, n);
  if ((~crc >>> 0) !== block.crc) throw new Bzip2Error('bzip2 data is corrupt (block CRC mismatch)');
}

/** Runs a synchronous read, with more input and again whenever the buffered bytes ran out. */
async function readWithRetry<T>(input: BitInput, read: () => T, want: number): Promise<T> {
  await input.fill(want);
  for (;;) {
    const mark = input.save();
    try {
      return read();
    } catch (err) {
      if (err !== NEED_INPUT) throw err;
      input.restore(mark);
      if (!input.more) throw new Bzip2Error('bzip2 data ends early (truncated file?)');
      await input.fill(input.available() + 256 * 1024);
    }
  }
}

const isMagic = (hi: number, lo: number, h: number, l: number): boolean => hi === h && lo === l;

/** Decompresses a bzip2 byte stream (one or more concatenated bzip2 streams). */
export async function* bunzip2(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  const input = new BitInput(iterator);
  let tt: Int32Array | null = null;
  let streams = 0;
  try {
    for (;;) {
      // stream header: "BZh" and the block size, 1 to 9 (× 100k)
      const level = await readWithRetry(
        input,
        () => {
          if (input.ended) return 0;
          const b = input.bits(8);
          const z = input.bits(8);
          const h = input.bits(8);
          const l = input.bits(8) - 0x30;
          if (b !== 0x42 || z !== 0x5a || h !== 0x68 || l < 1 || l > 9) return -1;
          return l;
        },
        4,
      ).catch((err: unknown) => {
        if (streams > 0 && err instanceof Bzip2Error) return 0;
        throw err;
      });
      // bytes after a complete stream that do not start another are ignored, as bzip2 does
      if (level <= 0 && streams > 0) return;
      if (level <= 0) throw new Bzip2Error('not bzip2 data (no "BZh" header)');
      streams++;
      if (tt === null || tt.length < 100_000 * level) tt = new Int32Array(100_000 * level);
      const vector = tt;
      let combined = 0;
      for (;;) {
        const next = await readWithRetry(
          input,
          (): Block | { end: number } => {
            const hi = input.bits(24);
            const lo = input.bits(24);
            if (isMagic(hi, lo, 0x177245, 0x385090)) return { end: ((input.bits(16) << 16) | input.bits(16)) >>> 0 };
            if (!isMagic(hi, lo, 0x314159, 0x265359)) throw new Bzip2Error('bzip2 data is corrupt (no block or end-of-stream marker)');
            return readBlock(input, level, vector);
          },
          blockInputFor(level),
        );
        if ('end' in next) {
          if (next.end !== combined) throw new Bzip2Error('bzip2 data is corrupt (stream CRC mismatch)');
          input.alignToByte();
          break;
        }
        yield* blockBytes(next);
        combined = (((combined << 1) | (combined >>> 31)) ^ next.crc) >>> 0;
      }
    }
  } finally {
    await iterator.return?.();
  }
}
