// Pre-check and post-check on the real stack: live SSM through the real AWS SDK to moto, behind the proxy that
// records what SendCommand carried and stands in for how the instance ended (moto runs nothing). The wrapper
// script is what SSM receives; its exit code decides the sentence the incident escalates with.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { insertRunbook } from '../../db/runbooks.ts';
import { createSql, type Sql } from '../../db/sql.ts';
import { CHECK_WRAPPER_HEADER } from '../../domain/runbook-checks.ts';
import { runDeadlineMs } from '../../domain/ssm-timing.ts';
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

/** A company with three assets and a low-risk restart runbook gated by a pre-check and a post-check. */
async function setUp() {
  const assets = ['srv-pre', 'srv-post', 'srv-ok'].map((name) => ({ name, instanceId: instanceId() }));
  const company = await createCompany(stack.sql, { settings: { groupWaitSeconds: 0 }, assets, runbooks: [] });
  await stack.sql.begin((tx) =>
    insertRunbook(
      tx,
      `rb-${randomUUID()}`,
      company.companyId,
      {
        name: 'Restart nginx checked',
        description: '',
        signatures: ['service_down:nginx'],
        riskLevel: 'low',
        documentName: 'AWS-RunShellScript',
        preCheck: ['systemctl cat -- {{param.svc}} >/dev/null'],
        commands: ['systemctl restart -- {{param.svc}}'],
        postCheck: ['systemctl is-active -- {{param.svc}}'],
        parameters: { svc: 'nginx' },
        timeoutSeconds: 120,
      },
      'test',
    ),
  );
  const instance = (name: string) => assets.find((a) => a.name === name)!.instanceId;
  return { company, instance };
}

describe('runbook checks through SSM', () => {
  it('sends the wrapper and escalates with which check failed; passes resolve', async () => {
    const { company, instance } = await setUp();
    const raise = (asset: string) =>
      sendAlert(stack.temporal, company.companyId, asset, 'service_down:nginx', alert('high'), stack.config.taskQueue);

    proxy.endings.set(instance('srv-pre'), {
      status: 'Failed',
      exitCode: 212,
      stderr: 'Alert Whisperer: pre-check failed (exit 1), nothing was changed',
    });
    proxy.endings.set(instance('srv-post'), {
      status: 'Failed',
      exitCode: 213,
      stderr: 'Alert Whisperer: post-check failed (exit 3) after the actions ran',
    });

    const pre = await raise('srv-pre');
    const s1 = await stateWhen(pre, (x) => x.status === 'escalated', 'the failed pre-check to escalate');
    expect(s1.escalationReason).toBe(
      'The runbook "Restart nginx checked" failed on the instance: Pre-check failed, nothing was changed\n' +
        'Alert Whisperer: pre-check failed (exit 1), nothing was changed',
    );
    expect(s1.autoRemediated).toBe(false);
    const sent = proxy.sentCommands[proxy.sends.findIndex((ids) => ids.includes(instance('srv-pre')))]!;
    expect(sent[0]).toBe(CHECK_WRAPPER_HEADER);
    expect(sent).toContain("systemctl cat -- 'nginx' >/dev/null");
    expect(sent).toContain("systemctl restart -- 'nginx'");
    expect(sent).toContain("systemctl is-active -- 'nginx'");
    const [row] = await stack.sql<{ status: string; error: string; commands: string[]; deadlineSeconds: number }[]>`
      SELECT status, error, commands,
        extract(epoch FROM deadline_at - started_at)::float8 AS "deadlineSeconds"
      FROM executions WHERE incident_id = ${s1.incidentId}`;
    expect(row).toMatchObject({ status: 'Failed', commands: sent });
    // The version's execution timeout (120 s) sets how long the run counts as running, not the 600 s default.
    expect(Math.abs(row!.deadlineSeconds - runDeadlineMs(120) / 1000)).toBeLessThan(5);
    expect(row!.error).toMatch(/^Pre-check failed, nothing was changed\n/);

    const post = await raise('srv-post');
    const s2 = await stateWhen(post, (x) => x.status === 'escalated', 'the failed post-check to escalate');
    expect(s2.escalationReason).toBe(
      'The runbook "Restart nginx checked" failed on the instance: ' +
        'Post-check failed after the actions ran, so the problem may remain\n' +
        'Alert Whisperer: post-check failed (exit 3) after the actions ran',
    );

    const ok = (await (await raise('srv-ok')).result()) as IncidentState;
    expect(ok).toMatchObject({ status: 'resolved', autoRemediated: true });
    await pre.terminate('test over');
    await post.terminate('test over');
  });
});
