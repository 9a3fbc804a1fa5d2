// A local HTTP proxy in front of moto speaking SSM's JSON protocol, for the real AWS SDK: it counts every
// SendCommand that reached moto, can hold moto's answer to the next one (the worker or its database session is
// killed meanwhile), and can stand in for SSM's output of an instance (moto's is always empty).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface SsmProxy {
  url: string;
  /** Instance ids of each SendCommand moto accepted, in order. */
  sends: string[][];
  /** When each SendCommand reached this proxy (performance.now() of this process), by instance id; bench:remediation. */
  sendArrivals: Map<string, number>;
  /** The next SendCommand reaches moto, then its answer waits until `release()`; `reached` resolves once moto took it. */
  holdNextSend(): { reached: Promise<void>; release(): void };
  /** GetCommandInvocation for this instance answers with this stdout. */
  outputs: Map<string, string>;
  /** Instances whose invocations still run (moto ends every one at once): GetCommandInvocation says InProgress. */
  inProgress: Set<string>;
  /** GetCommandInvocation for this instance ends with this status, exit code and stderr (moto's always succeed). */
  endings: Map<string, { status: string; exitCode: number; stderr: string }>;
  /** The `commands` parameter of each SendCommand moto accepted, in order. */
  sentCommands: string[][];
  close(): Promise<void>;
}

interface Hold {
  reached: () => void;
  released: Promise<void>;
}

export async function startSsmProxy(motoUrl: string): Promise<SsmProxy> {
  const sends: string[][] = [];
  const sendArrivals = new Map<string, number>();
  const outputs = new Map<string, string>();
  const inProgress = new Set<string>();
  const endings: SsmProxy['endings'] = new Map();
  const sentCommands: string[][] = [];
  let hold: Hold | null = null;

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const arrived = performance.now();
      void (async () => {
        const body = Buffer.concat(chunks);
        const target = String(req.headers['x-amz-target'] ?? '');
        if (target === 'AmazonSSM.SendCommand') {
          for (const id of (JSON.parse(body.toString()) as { InstanceIds?: string[] }).InstanceIds ?? []) {
            if (!sendArrivals.has(id)) sendArrivals.set(id, arrived);
          }
        }
        const headers = Object.fromEntries(
          Object.entries(req.headers)
            .filter(([k]) => !['host', 'connection', 'content-length'].includes(k))
            .map(([k, v]) => [k, String(v)]),
        );
        const upstream = await fetch(`${motoUrl}${req.url ?? '/'}`, { method: req.method ?? 'POST', headers, body });
        let answer = Buffer.from(await upstream.arrayBuffer());
        if (target === 'AmazonSSM.SendCommand' && upstream.ok) {
          const sent = JSON.parse(body.toString()) as { InstanceIds?: string[]; Parameters?: { commands?: string[] } };
          sends.push(sent.InstanceIds ?? []);
          sentCommands.push(sent.Parameters?.commands ?? []);
          const h = hold;
          hold = null;
          if (h) {
            h.reached();
            await h.released;
          }
        }
        if (target === 'AmazonSSM.GetCommandInvocation' && upstream.ok) {
          const asked = JSON.parse(body.toString()) as { InstanceId?: string };
          const out = asked.InstanceId ? outputs.get(asked.InstanceId) : undefined;
          const running = asked.InstanceId ? inProgress.has(asked.InstanceId) : false;
          const ending = asked.InstanceId ? endings.get(asked.InstanceId) : undefined;
          if (out !== undefined || running || ending) {
            const inv = JSON.parse(answer.toString()) as Record<string, unknown>;
            answer = Buffer.from(
              JSON.stringify({
                ...inv,
                ...(out !== undefined ? { StandardOutputContent: out } : {}),
                ...(ending
                  ? {
                      Status: ending.status,
                      StatusDetails: ending.status,
                      ResponseCode: ending.exitCode,
                      StandardErrorContent: ending.stderr,
                    }
                  : {}),
                ...(running ? { Status: 'InProgress', StatusDetails: 'InProgress' } : {}),
              }),
            );
          }
        }
        if (res.destroyed || req.socket.destroyed) return;
        res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
        res.end(answer);
      })().catch((err: Error) => {
        if (!res.headersSent) res.writeHead(502);
        res.end(err.message);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sends,
    sendArrivals,
    outputs,
    inProgress,
    endings,
    sentCommands,
    holdNextSend() {
      let reached!: () => void;
      let release!: () => void;
      const reachedP = new Promise<void>((r) => (reached = r));
      const released = new Promise<void>((r) => (release = r));
      hold = { reached, released };
      return { reached: reachedP, release };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
