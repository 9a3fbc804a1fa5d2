// The blast-radius guard on the real stack: live SSM through the real AWS SDK to moto, behind a proxy that counts
// SendCommand. The fourth run on an asset within the hour escalates with the reason and sends nothing; incidents
// racing for a company's last concurrent slots cannot all pass.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { createSql, type Sql } from '../../db/sql.ts';
import { loadConfig } from '../../lib/config.ts';
import type { IncidentState } from '../../workflows/types.ts';
import { createCompany } from '../helpers/fixtures.ts';
import { startMoto, type Moto } from '../helpers/moto.ts';
import { startStack, type Stack } from '../helpers/stack.ts';
import { alert, sendAlert, stateWhen } from '../workflows/helpers.ts';
import { startSsmProxy, type SsmProxy } from './ssm-proxy.ts';

process.env.AWS_ACCESS_KEY_ID = 'testing';
process.env.AWS_SECRET_ACCESS_KEY = 'testing';
process.env.AWS_REGION = 'us-east-1';

const instanceId = (): string => `i-${randomBytes(8).toString('hex')}`;

let moto: Moto;
let proxy: SsmProxy;
let stack: Stack;
let activitySql: Sql;

const sendsTo = (instance: string): number => proxy.sends.filter((ids) => ids.includes(instance)).length;

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startSsmProxy(moto.url);
  const env = { REMEDIATION_MODE: 'ssm', SSM_POLL_INTERVAL_MS: '200', SSM_ENDPOINT: proxy.url };
  activitySql = createSql(inject('databaseUrl'));
  stack = await startStack({
    env,
    startRouter: false,
    activities: createActivities({ sql: activitySql, config: loadConfig(env) }),
  });
});

afterAll(async () => {
  await stack?.stop();
  await activitySql?.end({ timeout: 5 });
  await proxy?.close();
  await moto?.stop();
});

const raise = (companyId: string, asset: string) =>
  sendAlert(stack.temporal, companyId, asset, 'disk_full', alert('high'), stack.config.taskQueue);

describe('blast-radius guard', () => {
  it('escalates the fourth run on an asset within the hour, with the reason, and sends nothing for it', async () => {
    const instance = instanceId();
    // The install default: 3 runs per asset per hour.
    const company = await createCompany(stack.sql, { assets: [{ name: 'srv-loop-01', instanceId: instance }] });
    for (let n = 1; n <= 3; n++) {
      const done = (await (await raise(company.companyId, 'srv-loop-01')).result()) as IncidentState;
      expect(done).toMatchObject({ status: 'resolved', autoRemediated: true });
    }
    expect(sendsTo(instance)).toBe(3);

    const fourth = await raise(company.companyId, 'srv-loop-01');
    const s = await stateWhen(fourth, (x) => x.status === 'escalated', 'the fourth run to be refused');
    expect(s.escalationReason).toBe('Not run: this asset already had 3 runbook runs in the last hour (limit 3)');
    expect(s.execution).toBeNull();
    expect(s.autoRemediated).toBe(false);
    expect(sendsTo(instance)).toBe(3);
    expect(await stack.sql`SELECT 1 FROM executions WHERE incident_id = ${s.incidentId}`).toHaveLength(0);
    await fourth.terminate('test over');
  });

  it("holds a company's concurrent runs to its limit when incidents race for the last slots", async () => {
    const assets = Array.from({ length: 5 }, (_, i) => ({ name: `srv-par-${i}`, instanceId: instanceId() }));
    const company = await createCompany(stack.sql, {
      settings: { groupWaitSeconds: 0, remediation: { maxConcurrentRuns: 2 } },
      assets,
    });
    // The runs stay in progress at SSM until the test lets them end.
    for (const a of assets) proxy.inProgress.add(a.instanceId);
    const handles = await Promise.all(assets.map((a) => raise(company.companyId, a.name)));
    const states = await Promise.all(
      handles.map((h) =>
        stateWhen(
          h,
          (x) => x.status === 'escalated' || (x.status === 'remediating' && x.execution !== null),
          'each incident to run or be held back',
        ),
      ),
    );
    const running = states.filter((x) => x.status === 'remediating');
    const held = states.filter((x) => x.status === 'escalated');
    expect(running).toHaveLength(2);
    expect(held).toHaveLength(3);
    for (const h of held) {
      expect(h.escalationReason).toBe('Not run: 2 runbook runs already in progress for this company (limit 2 at once)');
    }
    expect(assets.reduce((n, a) => n + sendsTo(a.instanceId), 0)).toBe(2);

    for (const a of assets) proxy.inProgress.delete(a.instanceId);
    for (const r of running) {
      const h = handles[states.indexOf(r)]!;
      expect(((await h.result()) as IncidentState).status).toBe('resolved');
    }
    // Slots free again: a new incident on a held asset runs (the held incidents wait for a person: end them first).
    for (const h of handles.filter((_, i) => states[i]!.status === 'escalated')) await h.terminate('test over');
    const again = (await (await raise(company.companyId, held[0]!.assetName)).result()) as IncidentState;
    expect(again).toMatchObject({ status: 'resolved', autoRemediated: true });
  });
});
