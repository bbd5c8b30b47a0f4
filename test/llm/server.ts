/**
 * A loopback server that speaks the OpenAI chat-completions protocol as Ollama, vLLM and the
 * hosted APIs do: POST /v1/chat/completions with a JSON body, a Bearer key, a JSON completion
 * back. Each test sets how it answers and reads what it was sent.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Behaviour = 'answer' | 'slow' | 'error500' | 'malformed' | 'no-choices';

export interface SeenRequest {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: {
    model?: unknown;
    messages?: { role: string; content: string }[];
    temperature?: unknown;
    max_tokens?: unknown;
  };
}

export interface ChatServer {
  /** Base URL, `http://127.0.0.1:PORT/v1`. */
  base: string;
  requests: SeenRequest[];
  behaviour: Behaviour;
  /** What `answer` says. */
  reply: string;
  /** How long `slow` waits before answering (ms). */
  slowMs: number;
  close(): Promise<void>;
}

export const SERVER_MODEL = 'llama3.1:8b-instruct-q4';

export async function startChatServer(key: string | null): Promise<ChatServer> {
  const state: ChatServer = {
    base: '',
    requests: [],
    behaviour: 'answer',
    reply: 'Reported by CISA Alerts as a botnet C2 (T1071); risk high.',
    slowMs: 2_000,
    close: async () => {},
  };
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: SeenRequest['body'] = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as SeenRequest['body'];
      } catch {
        // recorded as empty: the test's assertions on the body then fail
      }
      state.requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, contentType: req.headers['content-type'], body });
      const json = (status: number, doc: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(doc));
      };
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return json(404, { error: { message: 'not found', type: 'invalid_request_error' } });
      if (key !== null && req.headers.authorization !== `Bearer ${key}`) {
        return json(401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } });
      }
      const completion = {
        id: 'chatcmpl-test',
        object: 'chat.completion',
        created: 1_764_504_000,
        model: SERVER_MODEL,
        choices: [{ index: 0, message: { role: 'assistant', content: state.reply }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 900, completion_tokens: 30, total_tokens: 930 },
      };
      switch (state.behaviour) {
        case 'answer':
          return json(200, completion);
        case 'slow': {
          const t = setTimeout(() => {
            timers.delete(t);
            if (!res.destroyed) json(200, completion);
          }, state.slowMs);
          timers.add(t);
          return undefined;
        }
        case 'error500':
          return json(500, { error: { message: 'model crashed', type: 'server_error' } });
        case 'malformed':
          res.writeHead(200, { 'content-type': 'application/json' });
          return res.end('{"id": "chatcmpl-test", "choices": [');
        case 'no-choices':
          return json(200, { ...completion, choices: [] });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  state.close = async () => {
    for (const t of timers) clearTimeout(t);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}
