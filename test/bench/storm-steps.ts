// The wide-storm bench's steps (storm.bench.ts): posting the storm, sampling new incidents' histories, reading the
// worker's task latencies, timing acknowledgements through GraphQL, and the raw signalWithStart reference.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import protos from '@temporalio/proto';
import type { Sql } from '../../db/sql.ts';
import type { TestUser } from '../helpers/fixtures.ts';

const BATCH = 50;
const POSTING_LANES = 8;

const pct = (sorted: number[], p: number): number =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]! : NaN;

/** Posts `keys` alerts, each on its own asset (so its own key), in batches of 50 over a few connections. */
export async function postStorm(
  base: string,
  apiKey: string,
  keys: number,
): Promise<{ accepted: number; failures: number }> {
  const url = `${base}/api/webhooks/alerts?api_key=${encodeURIComponent(apiKey)}`;
  const tag = randomUUID().slice(0, 8);
  let next = 0;
  let accepted = 0;
  let failures = 0;
  const lane = async (): Promise<void> => {
    while (next < keys) {
      const from = next;
      next = Math.min(next + BATCH, keys);
      const alerts = Array.from({ length: next - from }, (_, j) => ({
        asset_name: `storm-${from + j}`,
        signature: 'storm_check',
        severity: 'high',
        message: `CPU above 95 % for 5 minutes on storm-${from + j}`,
        tool_source: 'Prometheus',
        delivery_id: `${tag}-${from + j}`,
      }));
      const r = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ alerts }),
      });
      const text = await r.text();
      if (r.status === 202) accepted += Number(/"accepted":(\d+)/.exec(text)?.[1] ?? 0);
      else failures += 1;
    }
  };
  await Promise.all(Array.from({ length: POSTING_LANES }, lane));
  return { accepted, failures };
}

/** Events, workflow tasks and activity tasks in the histories of `n` of the company's incidents, picked at random. */
export async function historySample(sql: Sql, temporal: Client, companyId: string, n: number) {
  const rows = await sql<{ workflowId: string }[]>`
    SELECT workflow_id AS "workflowId" FROM incidents WHERE company_id = ${companyId} ORDER BY random() LIMIT ${n}`;
  const figures = await Promise.all(
    rows.map(async ({ workflowId }) => {
      const h = await temporal.workflow.getHandle(workflowId).fetchHistory();
      const types = (h.events ?? []).map((e) => protos.temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? '');
      const count = (suffix: string) => types.filter((t) => t.endsWith(suffix)).length;
      return {
        events: types.length,
        workflowTasks: count('WORKFLOW_TASK_COMPLETED'),
        activityTasks: count('ACTIVITY_TASK_SCHEDULED'),
      };
    }),
  );
  const mean = (k: keyof (typeof figures)[number]) => figures.reduce((a, f) => a + f[k], 0) / figures.length;
  return {
    n: figures.length,
    events: mean('events'),
    maxEvents: Math.max(...figures.map((f) => f.events)),
    workflowTasks: mean('workflowTasks'),
    activityTasks: mean('activityTasks'),
  };
}

/** The means of the worker's Temporal latency histograms (its Prometheus endpoint), in ms, on one line. */
export async function workerLatencies(address: string): Promise<string> {
  const text = await (await fetch(`http://${address}/metrics`)).text();
  const sums = new Map<string, { sum: number; count: number }>();
  for (const line of text.split('\n')) {
    const m = /^(temporal_\w+_latency(?:_seconds)?)_(sum|count)(?:\{[^}]*\})? ([\d.e+-]+)$/.exec(line);
    if (!m) continue;
    const e = sums.get(m[1]!) ?? { sum: 0, count: 0 };
    e[m[2] as 'sum' | 'count'] += Number(m[3]);
    sums.set(m[1]!, e);
  }
  return [...sums]
    .filter(([, e]) => e.count > 0)
    .map(([k, e]) => `${k.replace(/^temporal_|_latency(_seconds)?$/g, '')} ${((e.sum / e.count) * 1000).toFixed(0)} ms`)
    .join(', ');
}

/** acknowledgeIncident through GraphQL on `n` open incidents, one after another, as a company admin. */
export async function ackLatencies(sql: Sql, base: string, user: TestUser, companyId: string, n: number) {
  const gql = async (query: string, variables: object, token?: string) => {
    const r = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await r.json()) as { data: Record<string, { accessToken?: string } | null> | null; errors?: unknown[] };
  };
  const login = await gql('mutation($e:String!,$p:String!){login(email:$e,password:$p){accessToken}}', {
    e: user.email,
    p: user.password,
  });
  const token = login.data?.login?.accessToken;
  if (!token) throw new Error(`login failed: ${JSON.stringify(login.errors)}`);
  const rows = await sql<{ id: string }[]>`
    SELECT id FROM incidents WHERE company_id = ${companyId} AND status = 'escalated' ORDER BY random() LIMIT ${n}`;
  const took: number[] = [];
  let errors = 0;
  for (const { id } of rows) {
    const t = performance.now();
    const r = await gql('mutation($id:ID!){acknowledgeIncident(id:$id){id status}}', { id }, token);
    took.push(performance.now() - t);
    if (r.errors?.length) errors += 1;
  }
  took.sort((a, b) => a - b);
  return { n: took.length, p50: pct(took, 50), p99: pct(took, 99), errors };
}

/**
 * signalWithStart of `n` fresh ids of `workflowType` (the signal "poke"), `inFlight` at a time, as the router's lanes
 * start incidents. Resolves when the last call returned.
 */
export async function startMany(
  temporal: Client,
  o: { n: number; inFlight: number; workflowType: string; taskQueue: string; args?: unknown[] },
): Promise<void> {
  const tag = randomUUID().slice(0, 8);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < o.n) {
      const i = next++;
      await temporal.workflow.signalWithStart(o.workflowType, {
        workflowId: `${o.workflowType}-${tag}-${i}`,
        taskQueue: o.taskQueue,
        args: o.args ?? [],
        signal: 'poke',
        signalArgs: [],
      });
    }
  };
  await Promise.all(Array.from({ length: o.inFlight }, lane));
}

/** signalWithStart of `n` fresh ids on a task queue no worker polls, `inFlight` at a time: the server's own pace. */
export async function rawSignalWithStart(temporal: Client, n: number, inFlight: number) {
  const t = performance.now();
  await startMany(temporal, {
    n,
    inFlight,
    workflowType: 'rawStormReference',
    taskQueue: `storm-raw-${randomUUID().slice(0, 8)}`,
  });
  return { n, perSecond: (n / (performance.now() - t)) * 1000 };
}
