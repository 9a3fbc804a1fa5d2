// A host fault's fold, run by the router (router/routing/symptoms.ts), calls Temporal with Updates. Against a workflow
// that never answers (its worker gone) the fold ends at the router's signal deadline or at its stop, keeps its mark,
// and a later pass finishes it: it no longer holds up the router's loop, its routing or its shutdown.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awayRouter, awayTemporal, realRouter, startAwayServers, type AwayServers } from '../helpers/away-temporal.ts';
import { createCompany } from '../helpers/fixtures.ts';
import { eventually, postAlert, startStack, type Stack } from '../helpers/stack.ts';

/** Each call's deadline for the router of the Temporal that never answers (10 s in production). */
const DEADLINE_MS = 3_000;

let stack: Stack;
let servers: AwayServers;
beforeAll(async () => {
  stack = await startStack({ startRouter: false });
  servers = await startAwayServers();
});
afterAll(async () => {
  await servers?.close();
  await stack?.stop();
});

describe('a host fault fold whose workflows do not answer', () => {
  it('ends at its deadline or at a stop, keeps its mark, and the next router finishes it', async () => {
    const company = await createCompany(stack.sql, { runbooks: [] });
    const ids: string[] = [];
    // Two hosts: two incidents (on one host, the fault would take the symptom in as it is routed).
    for (const [asset, signature] of [
      ['srv-k', 'queue_stuck'],
      ['srv-k2', 'host_down'],
    ]) {
      const res = await postAlert(stack.url, company.apiKey, {
        asset_name: asset,
        signature,
        severity: 'high',
        message: `${signature} on ${asset}`,
        tool_source: 'Zabbix',
      });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { alert_id: string }).alert_id);
    }
    const incidents = async () =>
      stack.sql<{ id: string; workflowId: string; mergedInto: string | null }[]>`
        SELECT i.id, i.workflow_id AS "workflowId", i.merged_into AS "mergedInto" FROM alerts a
        JOIN incidents i ON i.id = a.incident_id WHERE a.id = ANY(${ids}) ORDER BY a.received_at`;
    const opener = realRouter(stack, company);
    await opener.start();
    const [symptom, fault] = await eventually(async () => {
      const rows = await incidents();
      return rows.length === 2 && rows[0]!.id !== rows[1]!.id ? rows : undefined;
    }, 'two incidents').finally(() => opener.stop());
    // A fold a router marked and did not finish: the symptom's group points at the fault's.
    await stack.sql`
      UPDATE correlation_groups SET absorb_pending = true,
        merged_into = (SELECT id FROM correlation_groups WHERE workflow_id = ${fault!.workflowId})
      WHERE workflow_id = ${symptom!.workflowId}`;
    const pending = async () =>
      (
        await stack.sql<{ n: number }[]>`
          SELECT count(*)::int AS n FROM correlation_groups WHERE workflow_id = ${symptom!.workflowId} AND absorb_pending`
      )[0]!.n;

    // The router sweeps folds on its first pass: the symptom's Update waits on a Temporal that never answers.
    const timed = awayTemporal(servers.hungPort);
    const atDeadline = awayRouter(stack, company, timed, DEADLINE_MS);
    try {
      expect(await atDeadline.routeBatch()).toBe(0);
      expect(timed.updates.length).toBeGreaterThan(0);
      expect(await pending()).toBe(1);
    } finally {
      await atDeadline.stop();
      await timed.close();
    }

    const stopped = awayTemporal(servers.hungPort);
    // Longer than the test: only the stop may end the Update.
    const untilStopped = awayRouter(stack, company, stopped, 600_000);
    try {
      await untilStopped.start();
      await eventually(async () => (stopped.updates.length > 0 ? true : undefined), 'the fold under way');
      await untilStopped.stop();
      expect(await pending()).toBe(1);
    } finally {
      await untilStopped.stop();
      await stopped.close();
    }

    const next = realRouter(stack, company);
    try {
      await eventually(async () => {
        await next.routeBatch();
        const [s] = (await incidents()).filter((i) => i.id === symptom!.id);
        return (await pending()) === 0 && !s ? true : undefined;
      }, 'the fold finished: both alerts in the fault');
    } finally {
      await next.stop();
    }
    expect((await incidents()).map((i) => i.id)).toEqual([fault!.id, fault!.id]);
  });
});
