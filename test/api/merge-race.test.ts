// Alerts in flight when their incident is merged (issue 16 item 5): the router is held between its claim and its
// signal by a hook the test controls, and the merge runs meanwhile. Whether the merge commits before the router's
// look-up of the lane or between the look-up and the signal, the alerts end in the target incident and no incident
// opens for the source's key.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AlertRouter } from '../../router/alert-router.ts';
import { createCompany, createUser, type TestCompany } from '../helpers/fixtures.ts';
import { eventually, graphql, login, postAlert, startStack, type Stack } from '../helpers/stack.ts';

type Stage = 'placed' | 'signalling';

/** Holds the router once at `stage`, on the first pass carrying an alert `match` accepts, until the test lets it go. */
class Gate {
  private armed: { stage: Stage; match: (ids: string[]) => Promise<boolean>; reached: () => void } | null = null;
  private letGo: () => void = () => {};
  private release: Promise<void> = Promise.resolve();

  arm(stage: Stage, match: (ids: string[]) => Promise<boolean>): Promise<void> {
    this.release = new Promise<void>((r) => (this.letGo = r));
    return new Promise((reached) => (this.armed = { stage, match, reached }));
  }

  open(): void {
    this.armed = null;
    this.letGo();
  }

  readonly hold = async (stage: Stage, alertIds: string[]): Promise<void> => {
    const a = this.armed;
    if (!a || a.stage !== stage || alertIds.length === 0 || !(await a.match(alertIds))) return;
    this.armed = null;
    a.reached();
    await this.release;
  };
}

let stack: Stack;
let company: TestCompany;
let token: string;
const gate = new Gate();

beforeAll(async () => {
  stack = await startStack({ startRouter: false });
  company = await createCompany(stack.sql);
  // Scoped to this file's company: another file's alerts in the shared database never reach the held router.
  stack.router = new AlertRouter({
    sql: stack.sql,
    temporal: stack.temporal,
    pollIntervalMs: 200,
    taskQueue: stack.config.taskQueue,
    hold: gate.hold,
    companyIds: [company.companyId],
  });
  await stack.router.start();
  const tech = await createUser(stack.sql, 'technician', [company.companyId]);
  token = await login(stack.url, tech.email, tech.password);
});
// A failed test must not leave the router held for the next.
afterEach(() => gate.open());
afterAll(async () => {
  await stack?.stop();
});

let sent = 0;
async function raise(asset: string, signature: string, tool = 'Datadog'): Promise<string> {
  sent += 1;
  const res = await postAlert(stack.url, company.apiKey, {
    asset_name: asset,
    signature,
    severity: 'high',
    message: `${signature} on ${asset} #${sent}`,
    tool_source: tool,
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { alert_id: string }).alert_id;
}

interface IncidentRow {
  id: string;
  status: string;
  workflowId: string;
  runId: string;
  alertCount: number;
}

async function incidentOf(alertId: string): Promise<IncidentRow> {
  return eventually(async () => {
    const [r] = await stack.sql<IncidentRow[]>`
      SELECT i.id, i.status, i.workflow_id AS "workflowId", i.run_id AS "runId", i.alert_count AS "alertCount"
      FROM alerts a JOIN incidents i ON i.id = a.incident_id WHERE a.id = ${alertId}`;
    return r && r.status !== 'new' ? r : undefined;
  }, `the incident of alert ${alertId}`);
}

async function merge(target: string, source: string): Promise<void> {
  const r = await graphql(
    stack.url,
    'mutation($t: ID!, $s: [ID!]!) { mergeIncidents(targetId: $t, sourceIds: $s) { id } }',
    { t: target, s: [source] },
    token,
  );
  expect(r.errors).toBeUndefined();
}

/** A pass carrying the company's alert on `asset` from the second tool. */
const ofAsset = (asset: string) => async (ids: string[]) =>
  (
    await stack.sql`SELECT 1 FROM alerts WHERE id = ANY(${ids}) AND company_id = ${company.companyId}
      AND asset_name = ${asset} AND tool_source = 'Zabbix'`
  ).length > 0;

const alert = async (id: string) =>
  (
    await stack.sql<{ incidentId: string | null; routedAt: string | null }[]>`
      SELECT incident_id AS "incidentId", routed_at AS "routedAt" FROM alerts WHERE id = ${id}`
  )[0]!;

/** The newest run of a workflow ID (read from Temporal's store, not its visibility index). */
const latestRun = (workflowId: string) => stack.temporal.workflow.getHandle(workflowId).describe();

const incidentsOfWorkflow = (workflowId: string) =>
  stack.sql<{ id: string }[]>`SELECT id FROM incidents WHERE workflow_id = ${workflowId}`;

describe('the merge race', () => {
  it('alerts in flight when their incident is merged land in the target, and no run opens for the source key', async () => {
    const source = await incidentOf(await raise('web-1', 'checkout_errors'));
    const target = await incidentOf(await raise('storage-1', 'psp_timeout'));

    // Another tool on the source's key: a change of its incident, so the router signals it (not a counted repeat).
    const held = gate.arm('signalling', ofAsset('web-1'));
    const inFlight = await raise('web-1', 'checkout_errors', 'Zabbix');
    await held;
    // The router has looked up the lane (the source, open) and waits to signal it; the merge commits now.
    await merge(target.id, source.id);
    expect((await alert(inFlight)).incidentId).toBe(target.id);
    // The source's run has ended: the signal below starts a fresh run of its workflow ID.
    await stack.temporal.workflow.getHandle(source.workflowId, source.runId).result();
    gate.open();

    await eventually(async () => (await alert(inFlight)).routedAt !== null, 'the router to finish its pass');
    // The signal started a fresh run of the source's workflow ID, which opened nothing: its alert is the target's.
    const latest = await latestRun(source.workflowId);
    expect(latest.runId).not.toBe(source.runId);
    const run = stack.temporal.workflow.getHandle(source.workflowId, latest.runId);
    // Opening an incident would keep it running.
    await eventually(async () => (await run.describe()).status.name !== 'RUNNING', 'the fresh run to end');
    expect(await run.result()).toBeNull();
    expect(await incidentsOfWorkflow(source.workflowId)).toEqual([{ id: source.id }]);
    expect((await alert(inFlight)).incidentId).toBe(target.id);
    const [t] = await stack.sql<{ alertCount: number; linked: number }[]>`
      SELECT alert_count AS "alertCount", (SELECT count(*)::int FROM alerts WHERE incident_id = ${target.id}) AS linked
      FROM incidents WHERE id = ${target.id}`;
    expect(t).toEqual({ alertCount: 3, linked: 3 });
  });

  it('alerts placed before a merge that commits before the lane is looked up go to the target, no run starting', async () => {
    const source = await incidentOf(await raise('web-2', 'checkout_errors'));
    const target = await incidentOf(await raise('storage-2', 'psp_timeout'));

    const placed = gate.arm('placed', ofAsset('web-2'));
    const inFlight = await raise('web-2', 'checkout_errors', 'Zabbix');
    await placed;
    await merge(target.id, source.id);
    gate.open();

    await eventually(async () => (await alert(inFlight)).routedAt !== null, 'the router to finish its pass');
    expect((await alert(inFlight)).incidentId).toBe(target.id);
    // Not signalled at all: the source's workflow ID has no run but the merged one.
    expect((await latestRun(source.workflowId)).runId).toBe(source.runId);
    expect(await incidentsOfWorkflow(source.workflowId)).toEqual([{ id: source.id }]);
  });

  it('a lane whose group was merged into another group (as a host fault takes a symptom) goes to that incident', async () => {
    const source = await incidentOf(await raise('web-3', 'checkout_errors'));
    const target = await incidentOf(await raise('storage-3', 'psp_timeout'));

    const placed = gate.arm('placed', ofAsset('web-3'));
    const inFlight = await raise('web-3', 'checkout_errors', 'Zabbix');
    await placed;
    // Another router's placement points the group at the target's, as a host fault's does with its symptoms, before
    // any incident is folded: the alert this router placed in the source's group is not linked anywhere yet.
    await stack.sql`
      UPDATE correlation_groups SET merged_into = (SELECT id FROM correlation_groups WHERE workflow_id = ${target.workflowId})
      WHERE workflow_id = ${source.workflowId}`;
    expect((await alert(inFlight)).incidentId).toBeNull();
    gate.open();

    await eventually(async () => (await alert(inFlight)).incidentId === target.id, 'the alert to join the target');
    expect((await latestRun(source.workflowId)).runId).toBe(source.runId);
    const counts = await stack.sql<{ id: string; alertCount: number }[]>`
      SELECT id, alert_count AS "alertCount" FROM incidents WHERE id = ANY(${[source.id, target.id]})`;
    expect(Object.fromEntries(counts.map((c) => [c.id, c.alertCount]))).toEqual({ [source.id]: 1, [target.id]: 2 });
  });

  it("a split's own change to the incident row is newer than the workflow's save, so a live header shows it", async () => {
    const first = await raise('db-9', 'slow_queries');
    const incident = await incidentOf(first);
    const second = await raise('db-9', 'slow_queries', 'Zabbix');
    await eventually(async () => (await alert(second)).incidentId === incident.id, 'the second alert to join');
    const r = await graphql(
      stack.url,
      'mutation($id: ID!, $a: [ID!]!) { splitIncident(id: $id, alertIds: $a) { id } }',
      { id: incident.id, a: [second] },
      token,
    );
    expect(r.errors).toBeUndefined();
    // The workflow saved the split (its event and updated_at); the count the API corrects after it moves the row on.
    const [row] = await stack.sql<{ updatedAt: string; splitAt: string }[]>`
      SELECT i.updated_at AS "updatedAt",
        (SELECT max(created_at) FROM incident_events WHERE incident_id = i.id AND kind = 'split') AS "splitAt"
      FROM incidents i WHERE i.id = ${incident.id}`;
    expect(Date.parse(row!.updatedAt)).toBeGreaterThan(Date.parse(row!.splitAt));
    const split = await incidentOf(second);
    expect(split.id).not.toBe(incident.id);
  });
});
