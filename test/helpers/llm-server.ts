// The part the fake Gemini and Bedrock servers share: an HTTP server that answers per model id as a test scripts
// it (a text, an HTTP error, or holding the request open until the client gives up), and records what it was sent.
// On the streaming path (streamGenerateContent, converse-stream) a text answer goes out in pieces, each framed as
// the protocol frames it, `gapMs` apart; a script may stop a stream midway (hold it open, or send a broken frame).
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createH2cServer, type Http2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';

export type Scripted =
  // delayMs: the answer comes that long after the request ended, as a model's thinking time (bench:remediation).
  | {
      text: string;
      tokensIn?: number;
      tokensOut?: number;
      delayMs?: number;
      /** Streaming only: the text in this many pieces (default 4), `gapMs` apart (default 30). */
      pieces?: number;
      gapMs?: number;
      /** Streaming only: after `pieces - 1` pieces, hold the stream open or send a frame the client cannot read. */
      breakAfter?: 'hold' | 'malformed';
      /** Streaming only: the first piece waits for this too (a test's subscriber connecting first). */
      gate?: Promise<unknown>;
      /** Streaming only: before piece `piece`, wait for `until` (a test looking at the answer half way). */
      pauseAt?: { piece: number; until: Promise<unknown> };
    }
  | { status: number; body: unknown }
  | { hold: true };

export interface SeenRequest {
  model: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  streaming: boolean;
}

/** How a protocol frames a stream's pieces. */
export interface StreamFraming {
  contentType: string;
  /** One piece of the answer's text (the first opens the message). */
  piece(text: string, index: number): Buffer | string;
  /** After the last piece: stop reason and token counts. */
  end(reply: { tokensIn: number; tokensOut: number }): Buffer | string;
  /** A frame the client's parser refuses. */
  malformed(): Buffer | string;
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
  write(chunk: Buffer | string): unknown;
  end(body: string | Uint8Array): unknown;
  on(event: 'close', f: () => void): unknown;
}

/** The text cut into `n` pieces of about equal length (by code point), none empty. */
export function piecesOf(text: string, n: number): string[] {
  const chars = Array.from(text);
  const size = Math.max(1, Math.ceil(chars.length / Math.max(1, n)));
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out.length ? out : [''];
}

export async function startLlmServer(opts: {
  /** HTTP/2 without TLS (prior knowledge), as the Bedrock Runtime client speaks to an http:// endpoint. */
  h2c?: boolean;
  /** The model id from the request path, or null when the path is not this API's. */
  modelOf(path: string): string | null;
  /** The protocol's success body for a text answer. */
  success(reply: { text: string; tokensIn: number; tokensOut: number }): unknown;
  /** The model id from a streaming request's path, or null. */
  streamModelOf?(path: string): string | null;
  stream?: StreamFraming;
}): Promise<LlmServer> {
  const scripts = new Map<string, Scripted>();
  const seen: SeenRequest[] = [];
  const held = new Set<Res>();
  const handle = (req: Req, res: Res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const streamModel = req.method === 'POST' ? (opts.streamModelOf?.(path) ?? null) : null;
      const model = req.method === 'POST' ? (streamModel ?? opts.modelOf(path)) : null;
      if (model === null) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"message":"not found"}');
        return;
      }
      const text = Buffer.concat(chunks).toString();
      seen.push({
        model,
        path,
        headers: req.headers,
        body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
        streaming: streamModel !== null,
      });
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
      if (streamModel !== null && opts.stream) {
        streamAnswer(res, opts.stream, reply, held);
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

/** A text answer as a stream of the protocol's frames, or cut short as the script says. */
function streamAnswer(
  res: Res,
  framing: StreamFraming,
  reply: Extract<Scripted, { text: string }>,
  held: Set<Res>,
): void {
  const pieces = piecesOf(reply.text, reply.pieces ?? 4);
  const gapMs = reply.gapMs ?? 30;
  let closed = false;
  let paused = false;
  res.on('close', () => (closed = true));
  res.writeHead(200, { 'content-type': framing.contentType });
  const send = (i: number) => {
    if (closed) return;
    if (reply.breakAfter && i === pieces.length - 1) {
      if (reply.breakAfter === 'hold') {
        held.add(res);
        res.on('close', () => held.delete(res));
      } else {
        res.end(framing.malformed());
      }
      return;
    }
    const pause = reply.pauseAt;
    if (pause && i === pause.piece && !paused) {
      paused = true;
      void pause.until.then(() => send(i));
      return;
    }
    if (i < pieces.length) {
      res.write(framing.piece(pieces[i]!, i));
      setTimeout(() => send(i + 1), gapMs);
      return;
    }
    res.end(framing.end({ tokensIn: reply.tokensIn ?? 120, tokensOut: reply.tokensOut ?? 40 }));
  };
  void Promise.resolve(reply.gate).then(() => setTimeout(() => send(0), reply.delayMs ?? 0));
}
