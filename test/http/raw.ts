/**
 * Raw HTTP over a socket, for what a client library would refuse to send: unknown and lower-case
 * methods, bad header bytes, huge headers, stalled bodies. One request per connection; the
 * answer is read until the server closes the connection or a whole response has arrived.
 */
import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Every byte the server sent. */
  raw: Buffer;
  /** Ms from connecting to the end of the response (or of the connection). */
  elapsedMs: number;
}

/** The first final (non-1xx) response in `raw`, or null when none is complete. */
export function parseResponse(raw: Buffer, headRequest = false): Omit<RawResponse, 'raw' | 'elapsedMs'> | null {
  let offset = 0;
  for (;;) {
    const end = raw.indexOf('\r\n\r\n', offset);
    if (end < 0) return null;
    const head = raw.subarray(offset, end).toString('latin1');
    const [statusLine, ...lines] = head.split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '');
    if (m === null) return null;
    const status = Number(m[1]);
    const headers: Record<string, string> = {};
    for (const l of lines) {
      const i = l.indexOf(':');
      if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    const bodyStart = end + 4;
    if (status < 200) {
      offset = bodyStart;
      continue;
    }
    if (headRequest || status === 204 || status === 304) return { status, headers, body: '' };
    if (headers['content-length'] !== undefined) {
      const len = Number(headers['content-length']);
      if (raw.length - bodyStart < len) return null;
      return { status, headers, body: raw.subarray(bodyStart, bodyStart + len).toString('utf8') };
    }
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      let p = bodyStart;
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = raw.indexOf('\r\n', p);
        if (lineEnd < 0) return null;
        const size = parseInt(raw.subarray(p, lineEnd).toString('latin1'), 16);
        if (Number.isNaN(size)) return null;
        if (size === 0) return { status, headers, body: Buffer.concat(parts).toString('utf8') };
        if (raw.length < lineEnd + 2 + size + 2) return null;
        parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
        p = lineEnd + 2 + size + 2;
      }
    }
    return null; // read to the end of the connection
  }
}

export interface RawOptions {
  /** Give up (and report what arrived) after this long. */
  timeoutMs?: number;
  /** Bytes sent after a pause, to stall the request in between. */
  later?: { afterMs: number; bytes: Buffer | string };
  head?: boolean;
}

/** Sends `bytes` to 127.0.0.1:`port` and reads the answer. */
export function rawRequest(port: number, bytes: Buffer | string, opts: RawOptions = {}): Promise<RawResponse> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = net.connect(port, '127.0.0.1');
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (later) clearTimeout(later);
      socket.destroy();
      const raw = Buffer.concat(chunks);
      const parsed = parseResponse(raw, opts.head) ?? tail(raw);
      if (parsed === null) {
        reject(Object.assign(new Error(`no complete response (${raw.length} bytes): ${raw.subarray(0, 200).toString('latin1')}`), { raw }));
        return;
      }
      resolve({ ...parsed, raw, elapsedMs: performance.now() - started });
    };
    // a response without a length ends with the connection
    const tail = (raw: Buffer) => {
      const end = raw.indexOf('\r\n\r\n');
      if (end < 0) return null;
      const head = parseResponse(Buffer.concat([raw.subarray(0, end + 4), Buffer.from('')]), true);
      return head === null ? null : { ...head, body: raw.subarray(end + 4).toString('utf8') };
    };
    const timer = setTimeout(finish, opts.timeoutMs ?? 10_000);
    let later: NodeJS.Timeout | undefined;
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (parseResponse(Buffer.concat(chunks), opts.head) !== null) finish();
    });
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', () => finish());
    socket.on('connect', () => {
      socket.write(bytes);
      if (opts.later) {
        const { afterMs, bytes: rest } = opts.later;
        later = setTimeout(() => {
          if (!socket.destroyed) socket.write(rest);
        }, afterMs);
      }
    });
  });
}
