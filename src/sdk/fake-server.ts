import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the fake server received, body read in full. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** Answers one request: return a reply, or write to `res` yourself (streams) and return nothing. */
export type FakeHandler = (req: RecordedRequest, res: ServerResponse) => FakeReply | void | Promise<FakeReply | void>;

/** A canned answer; objects are sent as JSON. */
export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/**
 * A tiny HTTP server for SDK and CLI unit tests, recording what it receives.
 * @internal
 */
export async function startFakeServer(handler: FakeHandler) {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => void serve(req, res));
  async function serve(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const recorded = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks) };
    requests.push(recorded);
    const reply = await handler(recorded, res);
    if (reply) send(res, reply);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, reply: FakeReply) {
  const isText = typeof reply.body === 'string' || reply.body === undefined;
  const headers = { ...(isText ? {} : { 'content-type': 'application/json' }), ...reply.headers };
  res.writeHead(reply.status ?? 200, headers);
  res.end(isText ? reply.body : JSON.stringify(reply.body));
}
