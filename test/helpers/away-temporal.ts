// A Temporal that is down or hung, for the router's fault tests (test/api/router-stop.test.ts,
// router-fold-limits.test.ts): a port nothing listens on (connections refused, the client retrying until each call's
// deadline) and a server that takes connections and never answers (each call pending until its deadline or its
// cancellation), and clients of them that count what the router tried.
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Client, Connection, type WorkflowClientInterceptor } from '@temporalio/client';
import { AlertRouter } from '../../router/alert-router.ts';
import type { TestCompany } from './fixtures.ts';
import { postAlert, type Stack } from './stack.ts';

export interface AwayServers {
  refusedPort: number;
  hungPort: number;
  close(): Promise<void>;
}

export async function startAwayServers(): Promise<AwayServers> {
  const held: Socket[] = [];
  const hung = createServer((socket) => void held.push(socket));
  await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
  const refusedPort = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  return {
    refusedPort,
    hungPort: (hung.address() as AddressInfo).port,
    async close() {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => hung.close(resolve));
    },
  };
}

/** A client of the Temporal on `port`, counting the lanes signalled, the incidents told and the Updates sent. */
export function awayTemporal(port: number) {
  const tried = new Set<string>();
  const told: string[] = [];
  const updates: string[] = [];
  const counting: WorkflowClientInterceptor = {
    signalWithStart: (input, next) => {
      tried.add(input.options.workflowId);
      return next(input);
    },
    signal: (input, next) => {
      told.push(input.workflowExecution.workflowId);
      return next(input);
    },
    startUpdate: (input, next) => {
      updates.push(input.workflowExecution.workflowId);
      return next(input);
    },
  };
  const connection = Connection.lazy({ address: `127.0.0.1:${port}` });
  const client = new Client({ connection, namespace: 'default', interceptors: { workflow: [counting] } });
  return { client, tried, told, updates, close: () => connection.close() };
}

/** The company's router, on the stack's real Temporal. */
export function realRouter(stack: Stack, company: TestCompany): AlertRouter {
  return new AlertRouter({ ...stack.routerOptions, companyIds: [company.companyId] });
}

/** The company's router on a Temporal that is away, each call ending at `deadlineMs` (or at the router's stop). */
export function awayRouter(
  stack: Stack,
  company: TestCompany,
  away: { client: Client },
  deadlineMs: number,
): AlertRouter {
  return new AlertRouter({
    ...stack.routerOptions,
    temporal: away.client,
    companyIds: [company.companyId],
    signalDeadlineMs: deadlineMs,
    log: () => undefined,
  });
}

/**
 * `lanes` alerts of the company on distinct keys (web-0, web-1…), posted one at a time so the router signals their
 * lanes in that order. Throws unless each was accepted.
 */
export async function raiseOnDistinctKeys(stack: Stack, company: TestCompany, lanes: number): Promise<void> {
  for (let i = 0; i < lanes; i++) {
    const res = await postAlert(stack.url, company.apiKey, {
      asset_name: `web-${i}`,
      signature: 'http_5xx_rate',
      severity: 'high',
      message: `5xx on web-${i}`,
      tool_source: 'Prometheus',
    });
    if (res.status !== 202) throw new Error(`alert web-${i}: ${res.status} ${await res.text()}`);
  }
}
