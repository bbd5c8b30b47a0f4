/**
 * Errors Node's HTTP server meets before Fastify sees a request — a method or header it cannot
 * parse, headers over the size limit (431), a request not received in time (408), a body that
 * breaks the framing — answered on the raw socket in the catalog's envelope, with a request id
 * in the body and in `X-Request-Id`, then the connection is closed. When the request had
 * already reached the app (its body timed out or broke), its own request id is used.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ERROR_CATALOG, errorBody, type ErrorCode } from './errors.ts';

const REQUEST_ID = Symbol('verdict.requestId');
const CURRENT = Symbol('verdict.currentRequest');
type Tagged = IncomingMessage & { [REQUEST_ID]?: string };
type TrackedSocket = Socket & { [CURRENT]?: Tagged; _httpMessage?: ServerResponse | null };

/** Remembers the id given to a request, and the request as its connection's latest, for an error its socket meets later. */
export function tagRequest(req: IncomingMessage, id: string): string {
  (req as Tagged)[REQUEST_ID] = id;
  const socket = req.socket as TrackedSocket | null;
  if (socket) socket[CURRENT] = req as Tagged;
  return id;
}

interface Answer {
  code: ErrorCode;
  message?: string;
  details?: Record<string, unknown>;
}

/** What a parser or server error means in the catalog. */
export function clientErrorAnswer(errCode: string | undefined): Answer {
  switch (errCode) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { code: 'request_timeout' };
    case 'HPE_HEADER_OVERFLOW':
      return { code: 'headers_too_large' };
    case 'HPE_INVALID_METHOD':
      return { code: 'invalid_parameter', message: 'The request method is not one this service knows.', details: { parameter: 'method' } };
    case 'HPE_INVALID_URL':
      return { code: 'invalid_parameter', message: 'The request path is malformed.', details: { parameter: 'path' } };
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_UNEXPECTED_SPACE':
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return { code: 'invalid_parameter', message: 'A request header is malformed.', details: { parameter: 'headers' } };
    case 'HPE_INVALID_CHUNK_SIZE':
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { code: 'invalid_parameter', message: 'The request body is malformed.', details: { parameter: 'body' } };
    default:
      return { code: 'invalid_parameter', message: 'The request is not well-formed HTTP/1.1.', details: { parameter: 'request' } };
  }
}

/** How long a closed connection's socket may linger for the client to read the answer. */
const LINGER_MS = 2_000;

/**
 * The server's `clientError` handler. `newId` makes a request id for a request that never
 * reached the app; `onError` hears of each (for a debug line: these are the client's doing).
 */
export function createClientErrorHandler(newId: () => string, onError?: (err: Error, status: number) => void) {
  return function onClientError(err: Error & { code?: string }, socket: Socket): void {
    // a reset connection has no one to answer
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const tracked = socket as TrackedSocket;
    const pending = tracked._httpMessage;
    // The request the app was given last, if its body is still arriving: the error is about it.
    const current = tracked[CURRENT] !== undefined && !tracked[CURRENT].complete ? tracked[CURRENT] : undefined;
    // A response already under way (its headers sent) cannot be followed by another on this
    // connection, nor can a request that was answered already (refused before its body was
    // read, say) get a second answer: close the connection.
    if (!socket.writable || (pending != null && pending.headersSent) || (current !== undefined && pending == null)) {
      socket.destroy();
      return;
    }
    const answer = clientErrorAnswer(err.code);
    onError?.(err, ERROR_CATALOG[answer.code].status);
    answerOnSocket(socket, answer, current?.[REQUEST_ID] ?? newId());
  };
}

/** Writes the envelope as the connection's last answer and closes it. */
function answerOnSocket(socket: Socket, answer: Answer, id: string): void {
  const status = ERROR_CATALOG[answer.code].status;
  const body = JSON.stringify(errorBody(answer.code, id, answer.message, answer.details));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-Id: ${id}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
  // Half-closed: the client reads the answer and closes; closing at once could reset the
  // connection over unread request bytes and lose the answer. A client that never closes is
  // cut off after a moment (the app, if it was waiting for this request's body, then lets go).
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/**
 * The server's `connect` handler. Node hands CONNECT requests (proxy tunnels) to this event
 * rather than to the app, and without a handler closes the connection unanswered: this service
 * is no proxy, so the method is refused in the envelope like any method it does not serve.
 */
export function createConnectHandler(newId: () => string) {
  return function onConnect(_req: IncomingMessage, socket: Socket): void {
    socket.on('error', () => {});
    answerOnSocket(socket, { code: 'invalid_parameter', message: 'The CONNECT method is not served: this service is no proxy.', details: { parameter: 'method' } }, newId());
  };
}
