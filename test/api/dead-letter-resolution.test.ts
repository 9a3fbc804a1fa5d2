// A firing alert parked as dead-lettered, whose resolution arrives while it is parked: the resolution finds no
// incident to tell then. When an admin retries the alert, the incident it opens is told of that resolution and
// resolves at source, as when a resolution arrives before its firing alert is routed (issue 16 item 5). The router
// that parks it is scoped to its company (AlertRouterOptions.companyIds): another company's alert is not touched.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertRouter } from '../../router/alert-router.ts';
import { createCompany, createUser } from '../helpers/fixtures.ts';
import { eventually, graphql, login, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
beforeAll(async () => {
  // The test runs the refusing router's passes itself, then starts the stack's router for the retry.
  stack = await startStack({ env: { WEBHOOK_RATE_PER_MINUTE: '0' }, startRouter: false });
});
afterAll(async () => {
  await stack?.stop();
});

interface AlertRow {
  status: string;
  routed: boolean;
  deadLettered: boolean;
  resolved: boolean;
  incidentId: string | null;
}

describe('a dead-lettered firing alert retried after its resolution arrived', () => {
  it('opens its incident, which is told of the resolution and resolves at source', async () => {
    const company = await createCompany(stack.sql);
    const dedupKey = `web-04/5xx-${randomUUID()}`;
    const other = await createCompany(stack.sql);
    const send = async (event: Record<string, unknown>, routingKey = company.apiKey) => {
      const res = await fetch(`${stack.url}/api/webhooks/events/v2/enqueue`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ routing_key: routingKey, dedup_key: dedupKey, ...event }),
      });
      expect(res.status).toBe(202);
    };
    const alerts = () => stack.sql<AlertRow[]>`
      SELECT status, routed_at IS NOT NULL AS routed, dead_lettered_at IS NOT NULL AS "deadLettered",
        resolved_at IS NOT NULL AS resolved, incident_id AS "incidentId"
      FROM alerts WHERE company_id = ${company.companyId} ORDER BY received_at`;

    // Temporal refuses every workflow ID this router makes (over its length limit): the alert is parked at once.
    // Scoped to its company, it leaves another company's alert in the shared queue alone.
    const refusing = new AlertRouter({
      sql: stack.sql,
      temporal: stack.temporal,
      taskQueue: stack.config.taskQueue,
      maxAttempts: 1,
      workflowIdFor: () => 'x'.repeat(1500),
      companyIds: [company.companyId],
    });
    const trigger = {
      event_action: 'trigger',
      payload: { summary: '5xx rate 12% on web-04', source: 'web-04', severity: 'critical', class: 'http_5xx' },
    };
    await send(trigger, other.apiKey);
    await send(trigger);
    await refusing.routeBatch();
    expect(await alerts()).toEqual([
      { status: 'firing', routed: false, deadLettered: true, resolved: false, incidentId: null },
    ]);
    const [untouched] = await stack.sql<{ routeAttempts: number; deadLettered: boolean }[]>`
      SELECT route_attempts AS "routeAttempts", dead_lettered_at IS NOT NULL AS "deadLettered"
      FROM alerts WHERE company_id = ${other.companyId}`;
    expect(untouched).toEqual({ routeAttempts: 0, deadLettered: false });

    // The resolution arrives while the alert is parked: it marks it resolved, finds no incident, and is done.
    await send({ event_action: 'resolve' });
    await refusing.routeBatch();
    expect(await alerts()).toEqual([
      { status: 'firing', routed: false, deadLettered: true, resolved: true, incidentId: null },
      { status: 'resolved', routed: true, deadLettered: false, resolved: false, incidentId: null },
    ]);

    const admin = await createUser(stack.sql, 'company_admin', [company.companyId]);
    const retry = await graphql<{ retryDeadLetteredAlerts: number }>(
      stack.url,
      'mutation($c:ID!){retryDeadLetteredAlerts(companyId:$c)}',
      { c: company.companyId },
      await login(stack.url, admin.email, admin.password),
    );
    expect(retry.data?.retryDeadLetteredAlerts).toBe(1);

    await stack.router.start();
    const incident = await eventually(
      async () => {
        const [i] = await stack.sql<{ id: string; status: string; sourceResolvedAt: string | null }[]>`
          SELECT id, status, source_resolved_at AS "sourceResolvedAt" FROM incidents
          WHERE company_id = ${company.companyId}`;
        return i?.status === 'resolved' && i;
      },
      'the incident the retried alert opened to resolve at source',
      60_000,
    );
    expect(incident.sourceResolvedAt).not.toBeNull();
    expect(await alerts()).toEqual([
      { status: 'firing', routed: true, deadLettered: false, resolved: true, incidentId: incident.id },
      { status: 'resolved', routed: true, deadLettered: false, resolved: false, incidentId: incident.id },
    ]);
  }, 120_000);
});
