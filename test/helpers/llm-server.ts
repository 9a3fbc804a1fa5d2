// The part the fake Gemini and Bedrock servers share: an HTTP server that answers per model id as a test scripts
// it (a text, an HTTP error, or holding the request open until the client gives up), and records what it was sent.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createH2cServer, type Http2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';

export type Scripted =
  // delayMs: the answer comes that long after the request ended, as a model's thinking time (bench:remediation).
  | { text: string; tokensIn?: number; tokensOut?: number; delayMs?: number }
  | { status: number; body: unknown }
  | { hold: true };

export interface SeenRequest {
  model: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface LlmServer {
  url: string;
  /** Every request, in arrival order. */
  seen: SeenRequest[];
  /** What the server answers for this model id (until changed). */
  script(model: string, reply: Scripted): void;
  close(): Promise<void>;
}

/** The parts of node:http's and node:http2's compatibility request and response this server uses. */
interface Req {
  method?: string | undefined;
  url?: string | undefined;
  headers: IncomingHttpHeaders;
  on(event: 'data', f: (c: Buffer) => void): unknown;
  on(event: 'end', f: () => void): unknown;
}
interface Res {
  writeHead(status: number, headers: Record<string, string>): unknown;
  end(body: string): unknown;
  on(event: 'close', f: () => void): unknown;
}

export async function startLlmServer(opts: {
  /** HTTP/2 without TLS (prior knowledge), as the Bedrock Runtime client speaks to an http:// endpoint. */
  h2c?: boolean;
  /** The model id from the request path, or null when the path is not this API's. */
  modelOf(path: string): string | null;
  /** The protocol's success body for a text answer. */
  success(reply: { text: string; tokensIn: number; tokensOut: number }): unknown;
}): Promise<LlmServer> {
  const scripts = new Map<string, Scripted>();
  const seen: SeenRequest[] = [];
  const held = new Set<Res>();
  const handle = (req: Req, res: Res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const model = req.method === 'POST' ? opts.modelOf(path) : null;
      if (model === null) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"message":"not found"}');
        return;
      }
      const text = Buffer.concat(chunks).toString();
      seen.push({ model, path, headers: req.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
      const reply = scripts.get(model) ?? { status: 404, body: { message: `no script for ${model}` } };
      if ('hold' in reply) {
        // No answer: the client's time limit ends the request (or close() does).
        held.add(res);
        res.on('close', () => held.delete(res));
        return;
      }
      if ('status' in reply) {
        res.writeHead(reply.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(reply.body));
        return;
      }
      const body = opts.success({
        text: reply.text,
        tokensIn: reply.tokensIn ?? 120,
        tokensOut: reply.tokensOut ?? 40,
      });
      const answer = () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (reply.delayMs) setTimeout(answer, reply.delayMs);
      else answer();
    });
  };
  const sessions = new Set<Http2Session>();
  const server = opts.h2c ? createH2cServer(handle) : createServer(handle);
  server.on('session', (s: Http2Session) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    script: (model, reply) => void scripts.set(model, reply),
    async close() {
      held.clear();
      for (const s of sessions) s.destroy();
      if ('closeAllConnections' in server) server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
