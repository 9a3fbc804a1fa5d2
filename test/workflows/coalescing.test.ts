// incidentWorkflow with the router's coalesced signals and resolve at source, on a real Temporal server.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceResolved } from '../../workflows/messages.ts';
import type { AlertSignal, IncidentState } from '../../workflows/types.ts';
import { createCompany, type TestCompany } from '../helpers/fixtures.ts';
import { eventually, startStack, type Stack } from '../helpers/stack.ts';
import { alert, sendAlerts, stateWhen } from './helpers.ts';

let stack: Stack;
let acme: TestCompany;
beforeAll(async () => {
  stack = await startStack({ startRouter: false });
  acme = await createCompany(stack.sql);
});
afterAll(async () => {
  await stack?.stop();
});

/** A coalesced lane for Acme on this file's task queue, as the router sends it. */
const raise = (asset: string, signature: string, alerts: AlertSignal[], repeatIds: string[] = []) =>
  sendAlerts(stack.temporal, acme.companyId, asset, signature, alerts, repeatIds, stack.config.taskQueue);

describe('coalesced alerts and resolve at source', () => {
  it('counts repeats sent by id without keeping them, and drops a redelivered batch', async () => {
    const first = alert('high');
    const repeats = Array.from({ length: 300 }, () => randomUUID());
    const handle = await raise('srv-c', 'coalesce_check', [first], repeats);
    const s = await stateWhen(
      handle,
      (x) => x.status === 'escalated' && x.alertCount === 301,
      'the batch to be absorbed',
    );
    await raise('srv-c', 'coalesce_check', [first], repeats.slice(0, 50));
    await raise('srv-c', 'coalesce_check', [alert('critical', 'Zabbix')]);
    const after = await stateWhen(handle, (x) => x.severity === 'critical', 'the worse alert');
    expect(after.alertCount).toBe(302);
    expect(after.toolSources).toEqual(['Prometheus', 'Zabbix']);
    // State keeps a bounded window of ids, never the whole storm.
    expect(after.recentAlertIds.length).toBeLessThanOrEqual(200);
    expect(JSON.stringify(after).length).toBeLessThan(20_000);
    // The row follows the state once the save activity has run.
    await eventually(async () => {
      const [row] = await stack.sql<
        { alert_count: number }[]
      >`SELECT alert_count FROM incidents WHERE id = ${s.incidentId}`;
      return row!.alert_count === 302;
    }, 'the row to count 302 alerts');
  });

  it('resolves when the source recovers, ignoring a recovery meant for an earlier incident', async () => {
    const handle = await raise('srv-d', 'recovery_check', [alert('high')]);
    const s = await stateWhen(handle, (x) => x.status === 'escalated', 'escalation');
    await handle.signal(sourceResolved, { incidentId: 'an-older-incident', resolvedAt: new Date().toISOString() });
    await handle.signal(sourceResolved, { incidentId: s.incidentId, resolvedAt: new Date().toISOString() });
    const done = (await handle.result()) as IncidentState;
    expect(done.status).toBe('resolved');
    expect(done.sourceResolvedAt).toBeTruthy();
    expect(done.autoRemediated).toBe(false);
    const events = await stack.sql<{ kind: string; message: string }[]>`
      SELECT kind, message FROM incident_events WHERE incident_id = ${s.incidentId} ORDER BY seq`;
    // Paging the escalation may still finish after the resolution: the resolution is there, once.
    expect(events.filter((e) => e.kind === 'resolved')).toEqual([
      { kind: 'resolved', message: 'Resolved: every alert recovered at its source' },
    ]);
  });
});
