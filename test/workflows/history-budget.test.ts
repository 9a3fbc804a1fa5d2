// What a new incident costs Temporal before it waits (issue 16 item 3): on a single-shard dev server every history
// event is a disk write, so a storm of new incidents is bounded by events and workflow tasks per incident. One alert
// through the webhook and the router opens an incident with no runbook and nobody on call: it loads its context,
// saves, decides, escalates, looks for an assignee, pages, and waits for a person. The counts are printed so the
// bench notes can quote them.
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompany } from '../helpers/fixtures.ts';
import { eventually, postAlert, startStack, type Stack } from '../helpers/stack.ts';

// Before the short database steps ran as local activities (workflows/local-steps.ts; measured on 33bd6fa): 56
// events, 8 workflow tasks and 7 activity tasks. After: 33, 3 and 2 (the decision and the page).
const BUDGET = { events: 33, workflowTasks: 3, activityTasks: 2 };

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('history budget of a new incident', () => {
  it(`opens, decides, pages and waits within ${BUDGET.events} events`, async () => {
    const company = await createCompany(stack.sql, { name: 'Budget Co', runbooks: [] });
    const posted = await postAlert(stack.url, company.apiKey, {
      asset_name: 'budget-q-01',
      signature: 'queue_stuck',
      severity: 'high',
      message: 'consumers stalled',
      tool_source: 'Prometheus',
    });
    expect(posted.status).toBe(202);
    const workflowId = await eventually(async () => {
      const rows = await stack.sql<{ workflowId: string }[]>`
        SELECT workflow_id AS "workflowId" FROM incidents WHERE company_id = ${company.companyId}`;
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
    const figures = {
      events: types.length,
      workflowTasks: count('WORKFLOW_TASK_COMPLETED'),
      activityTasks: count('ACTIVITY_TASK_SCHEDULED'),
      markers: count('MARKER_RECORDED'),
    };
    // HISTORY_BUDGET_DUMP=1 lists the event types, to see where a new event came from.
    if (process.env.HISTORY_BUDGET_DUMP) console.log(types.join('\n'));
    console.log(`history budget of a new incident: ${JSON.stringify(figures)} (budget ${JSON.stringify(BUDGET)})`);
    expect(figures.events).toBeLessThanOrEqual(BUDGET.events);
    expect(figures.workflowTasks).toBeLessThanOrEqual(BUDGET.workflowTasks);
    expect(figures.activityTasks).toBeLessThanOrEqual(BUDGET.activityTasks);
  });
});
