// A resolution that arrives while its firing alert is still in the router's queue (held back by a retry delay after
// a failed routing attempt, an outage, a muting budget): it waits for that alert, however many passes that takes,
// and is applied to the incident the alert opens, which resolves at source (issue 16, item 5).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LINK_WAITS } from '../../router/routing/resolutions.ts';
import { createCompany } from '../helpers/fixtures.ts';
import { eventually, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
beforeAll(async () => {
  // The test runs the router's passes itself until the firing alert is let go.
  stack = await startStack({ env: { WEBHOOK_RATE_PER_MINUTE: '0' }, startRouter: false });
});
afterAll(async () => {
  await stack?.stop();
});

interface AlertRow {
  id: string;
  status: string;
  assetName: string;
  routedAt: string | null;
  routeAttempts: number;
  routeError: string | null;
  incidentId: string | null;
}

describe('a resolution that arrived before its firing alert was routed', () => {
  it('waits for the alert and is applied to the incident it opens', async () => {
    const company = await createCompany(stack.sql);
    const dedupKey = `db-01/repl-lag-${randomUUID()}`;
    const send = async (event: Record<string, unknown>) => {
      const res = await fetch(`${stack.url}/api/webhooks/events/v2/enqueue`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ routing_key: company.apiKey, dedup_key: dedupKey, ...event }),
      });
      expect(res.status).toBe(202);
    };
    const alerts = () => stack.sql<AlertRow[]>`
      SELECT id, status, asset_name AS "assetName", routed_at AS "routedAt", route_attempts AS "routeAttempts",
        route_error AS "routeError", incident_id AS "incidentId"
      FROM alerts WHERE company_id = ${company.companyId} ORDER BY received_at`;

    await send({
      event_action: 'trigger',
      payload: { summary: 'Replication lag 300 s on db-01', source: 'db-01', severity: 'critical', class: 'repl_lag' },
    });
    // Its first routing attempt failed: it waits out a retry delay in the queue, as after an outage.
    await stack.sql`
      UPDATE alerts SET route_next_at = now() + interval '1 hour', route_error = 'Temporal unavailable'
      WHERE company_id = ${company.companyId}`;
    await send({ event_action: 'resolve' });
    const [firing, resolve] = await alerts();
    expect([firing!.status, resolve!.status]).toEqual(['firing', 'resolved']);

    // More passes than a resolution waits for firing alerts to be linked: it keeps waiting while its alert is queued.
    for (let pass = 0; pass < MAX_LINK_WAITS + 3; pass++) {
      await stack.sql`UPDATE alerts SET route_next_at = now() WHERE id = ${resolve!.id}`;
      await stack.router.routeBatch();
    }
    const held = await alerts();
    expect(held.map((a) => [a.status, a.routedAt, a.incidentId])).toEqual([
      ['firing', null, null],
      ['resolved', null, null],
    ]);
    expect(held[1]!.routeAttempts).toBeLessThan(MAX_LINK_WAITS);
    expect(held[1]!.routeError).toMatch(/routed/);

    // The firing alert's delay runs out: it opens its incident, and the resolution is applied to it.
    await stack.sql`UPDATE alerts SET route_next_at = now() WHERE id = ${firing!.id}`;
    await stack.router.start();
    const incident = await eventually(
      async () => {
        const [i] = await stack.sql<{ id: string; status: string; sourceResolvedAt: string | null }[]>`
          SELECT id, status, source_resolved_at AS "sourceResolvedAt" FROM incidents
          WHERE company_id = ${company.companyId}`;
        return i?.status === 'resolved' && i;
      },
      'the incident the firing alert opened to resolve at source',
      60_000,
    );
    expect(incident.sourceResolvedAt).not.toBeNull();
    const done = await alerts();
    expect(done.map((a) => [a.status, a.assetName, a.incidentId, a.routedAt !== null])).toEqual([
      ['firing', 'db-01', incident.id, true],
      ['resolved', 'db-01', incident.id, true],
    ]);
  }, 120_000);
});
