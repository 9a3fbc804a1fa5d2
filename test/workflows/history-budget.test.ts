// What a new incident costs Temporal before it waits (issue 16 item 3): on a single-shard dev server every history
// event is a disk write, so a storm of new incidents is bounded by events and workflow tasks per incident. One alert
// through the webhook and the router opens an incident with no runbook: it loads its context, saves, decides,
// escalates, looks for an assignee (hands it to the person on call, when there is one), pages, and waits for a
// person. The counts are printed so the bench notes can quote them.
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompany, createUser } from '../helpers/fixtures.ts';
import { eventually, postAlert, startStack, type Stack } from '../helpers/stack.ts';

// Before the short database steps ran as local activities (workflows/local-steps.ts; measured on 0bb21b5), with
// nobody on call: 56 events, 8 workflow tasks and 7 activity tasks. After: 33, 3 and 2 (the decision and the page).
// Handed to the person on call: 64, 9 and 8 before; 36, 3 and 2 after (one more save, the assignee attribute and the
// acknowledgement timer).
// Then a rules-only decision ran locally, and with no group wait its save stored the opening too
// (workflows/incident-decide.ts): 28, 2 and 1 with nobody on call (the page is the one activity task left); 31, 2
// and 1 handed to the person on call. Its patch marker and the TemporalChangeVersion upsert that comes with it are
// two of those events.
// Then one marker stood for every patch in new runs (workflows/patches.ts: the baseline), and a page that stays in the
// app ran as a local activity (paging.ts): 15 events, 1 workflow task and no activity task with nobody on call; 18, 1
// and 0 handed to the person on call. A new incident is now one workflow task from its start to its wait.
// The budgets leave room for one more workflow task (its three events and a marker's retry) that a loaded CI machine
// can cause, where a local activity outlasts a workflow task's heartbeat; still far below the figures before.
const BUDGET = { events: 15 + 4, workflowTasks: 1 + 1, activityTasks: 0 };
const BUDGET_ON_CALL = { events: 18 + 4, workflowTasks: 1 + 1, activityTasks: 0 };

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

interface Figures {
  events: number;
  workflowTasks: number;
  activityTasks: number;
  markers: number;
}

/** Opens an incident through the webhook and the router, waits until it waits for a person, counts its history. */
async function newIncidentHistory(apiKey: string, companyId: string): Promise<Figures> {
  const posted = await postAlert(stack.url, apiKey, {
    asset_name: 'budget-q-01',
    signature: 'queue_stuck',
    severity: 'high',
    message: 'consumers stalled',
    tool_source: 'Prometheus',
  });
  expect(posted.status).toBe(202);
  const workflowId = await eventually(async () => {
    const rows = await stack.sql<{ workflowId: string }[]>`
      SELECT workflow_id AS "workflowId" FROM incidents WHERE company_id = ${companyId}`;
    return rows[0]?.workflowId;
  }, 'the incident row');
  const handle = stack.temporal.workflow.getHandle(workflowId);

  // Waiting: the page is on the timeline and the run has no workflow task or activity open.
  const history = await eventually(async () => {
    const paged = await stack.sql`
      SELECT 1 FROM incident_events e JOIN incidents i ON i.id = e.incident_id
      WHERE i.workflow_id = ${workflowId} AND e.kind IN ('notified', 'notification_failed')`;
    if (paged.length === 0) return undefined;
    const d = await handle.describe();
    if (d.raw.pendingActivities?.length || d.raw.pendingWorkflowTask) return undefined;
    return handle.fetchHistory();
  }, 'the incident to wait for a person');

  const types = (history.events ?? []).map((e) => temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? '');
  const count = (suffix: string): number => types.filter((t) => t.endsWith(suffix)).length;
  // HISTORY_BUDGET_DUMP=1 lists the event types, to see where a new event came from.
  if (process.env.HISTORY_BUDGET_DUMP) console.log(types.join('\n'));
  return {
    events: types.length,
    workflowTasks: count('WORKFLOW_TASK_COMPLETED'),
    activityTasks: count('ACTIVITY_TASK_SCHEDULED'),
    markers: count('MARKER_RECORDED'),
  };
}

function expectWithin(what: string, figures: Figures, budget: Omit<Figures, 'markers'>): void {
  console.log(`history budget, ${what}: ${JSON.stringify(figures)} (budget ${JSON.stringify(budget)})`);
  expect(figures.events).toBeLessThanOrEqual(budget.events);
  expect(figures.workflowTasks).toBeLessThanOrEqual(budget.workflowTasks);
  expect(figures.activityTasks).toBeLessThanOrEqual(budget.activityTasks);
}

describe('history budget of a new incident', () => {
  it(`opens, decides, pages nobody on call and waits within ${BUDGET.events} events`, async () => {
    const company = await createCompany(stack.sql, { name: 'Budget Co', runbooks: [] });
    expectWithin('nobody on call', await newIncidentHistory(company.apiKey, company.companyId), BUDGET);
  });

  it(`opens, decides, hands to the person on call, pages and waits within ${BUDGET_ON_CALL.events} events`, async () => {
    const company = await createCompany(stack.sql, { name: 'Budget On Call Co', runbooks: [] });
    const tech = await createUser(stack.sql, 'technician', [company.companyId]);
    const layers = [{ userIds: [tech.id], rotationDays: 7, handoffTime: '09:00', startDate: '2026-01-05' }];
    await stack.sql`INSERT INTO on_call_schedules (id, company_id, name, layers)
      VALUES (${`oc-${company.companyId}`}, ${company.companyId}, 'Everything', ${stack.sql.json(layers)})`;
    const figures = await newIncidentHistory(company.apiKey, company.companyId);
    const [row] = await stack.sql<{ assigneeId: string | null }[]>`
      SELECT assignee_id AS "assigneeId" FROM incidents WHERE company_id = ${company.companyId}`;
    expect(row?.assigneeId).toBe(tech.id);
    expectWithin('handed to the person on call', figures, BUDGET_ON_CALL);
  });
});
