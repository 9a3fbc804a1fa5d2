// Approvals people act on (issue 14, items 4 and 1): the people who may approve a waiting runbook are paged (bell,
// email) and nobody else; a person runs a runbook on an incident through the same gate; four-eyes refuses the
// requester. A real Temporal server, real PostgreSQL, the real activities with a mailer that keeps what it sends.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { loadRunbooks } from '../../db/runbooks.ts';
import { createSql, type Sql } from '../../db/sql.ts';
import { loadConfig } from '../../lib/config.ts';
import type { MailMessage, Mailer } from '../../lib/mailer.ts';
import { approveIncident, runRunbook, stateQuery } from '../../workflows/messages.ts';
import type { Actor, IncidentState, RunRunbookCommand } from '../../workflows/types.ts';
import { createSecretBox } from '../../lib/secret-box.ts';
import {
  TEST_ENCRYPTION_KEY,
  createCompany,
  createUser,
  type TestCompany,
  type TestUser,
} from '../helpers/fixtures.ts';
import { eventually, startStack, type Stack } from '../helpers/stack.ts';
import { alert, sendAlert, stateWhen } from './helpers.ts';

// An instance id belongs to one company in the whole (shared) test database: this file's own.
const INSTANCE = `i-0${randomBytes(8).toString('hex')}`;

let stack: Stack;
let chat: Server;
const chatBodies: string[] = [];
let sql: Sql;
let acme: TestCompany;
let other: TestCompany;
const sent: MailMessage[] = [];
const mailer: Mailer = { send: async (m) => void sent.push(m), close: () => undefined };
let people: Record<'msp' | 'msp2' | 'admin' | 'tech' | 'otherAdmin' | 'otherTech', TestUser>;

beforeAll(async () => {
  sql = createSql(inject('databaseUrl'));
  chat = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      chatBodies.push(body);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => chat.listen(0, '127.0.0.1', resolve));
  const hook = `http://127.0.0.1:${(chat.address() as AddressInfo).port}/hook`;
  acme = await createCompany(sql, {
    settings: {
      groupWaitSeconds: 0,
      notifications: {
        webhooks: [{ name: 'ops', format: 'slack', urlSealed: createSecretBox(TEST_ENCRYPTION_KEY).seal(hook) }],
      },
    },
    assets: [{ name: 'srv-app-01', instanceId: INSTANCE }],
  });
  other = await createCompany(sql);
  people = {
    msp: await createUser(sql, 'msp_admin', []),
    msp2: await createUser(sql, 'msp_admin', []),
    admin: await createUser(sql, 'company_admin', [acme.companyId]),
    tech: await createUser(sql, 'technician', [acme.companyId]),
    otherAdmin: await createUser(sql, 'company_admin', [other.companyId]),
    otherTech: await createUser(sql, 'technician', [other.companyId]),
  };
  // The real activities, with a mailer that keeps what it sends.
  stack = await startStack({
    startRouter: false,
    activities: createActivities({
      sql,
      // The chat channel is a local server.
      config: loadConfig({
        REMEDIATION_MODE: 'dry_run',
        OUTBOUND_ALLOW_PRIVATE: 'true',
        ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      }),
      mailer,
    }),
  });
});
afterAll(async () => {
  await stack?.stop();
  await sql?.end({ timeout: 5 });
  await new Promise((resolve) => chat?.close(resolve));
});

const raise = (asset: string, signature: string) =>
  sendAlert(stack.temporal, acme.companyId, asset, signature, alert('high'), stack.config.taskQueue);

const actorOf = (u: TestUser): Actor => ({ userId: u.id, email: u.email, role: u.role, companyIds: u.companyIds });

/** Who has a bell notification of the approval request of this incident. */
async function belled(incidentId: string): Promise<string[]> {
  const rows = await stack.sql<{ userId: string }[]>`
    SELECT user_id AS "userId" FROM notifications
    WHERE incident_id = ${incidentId} AND kind = 'approval' ORDER BY user_id`;
  return rows.map((r) => r.userId);
}

async function runbookOf(company: TestCompany, name: string) {
  const rb = (await loadRunbooks(stack.sql, company.companyId)).find((r) => r.name === name);
  if (!rb) throw new Error(`no runbook ${name}`);
  return rb;
}

async function refusal(p: Promise<unknown>): Promise<{ type: string | null | undefined; message: string }> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause as ApplicationFailure;
  return { type: cause.type, message: cause.message };
}

async function runOn(handle: WorkflowHandle, s: IncidentState, cmd: Partial<RunRunbookCommand> & { actor: Actor }) {
  return handle.executeUpdate(runRunbook, {
    args: [
      { incidentId: s.incidentId, runbookId: 'rb-x', runbook: null, runbookCompanyId: null, fourEyes: false, ...cmd },
    ],
  });
}

describe('approvals', () => {
  it('pages the approvers of a medium-risk runbook (company admins and MSP admins), by bell and email, not others', async () => {
    const handle = await raise('srv-app-01', 'memory_high');
    const pending = await stateWhen(handle, (s) => s.status === 'awaiting_approval', 'approval to be requested');
    const ids = await eventually(async () => {
      const b = await belled(pending.incidentId);
      return b.includes(people.admin.id) && b.includes(people.msp.id) ? b : undefined;
    }, 'approvers to be belled');
    expect(ids).toContain(people.msp2.id);
    // A technician may not approve a medium-risk runbook; another company's people never hear of it.
    for (const u of [people.tech, people.otherAdmin, people.otherTech]) expect(ids).not.toContain(u.id);

    const event = await eventually(async () => {
      const [row] = await stack.sql<{ message: string }[]>`
        SELECT message FROM incident_events WHERE incident_id = ${pending.incidentId} AND kind = 'approvers_paged'`;
      return row;
    }, 'the approvers_paged event');
    // The company's own approver by address; MSP staff only counted.
    expect(event.message).toContain(people.admin.email);
    expect(event.message).not.toContain(people.msp.email);
    expect(event.message).toMatch(/\d+ MSP admins?/);

    // The activity ended (the event is recorded after it): every mail has gone out.
    const mail = sent.filter((m) => m.text.includes(pending.incidentId));
    expect(mail.map((m) => m.to)).toEqual(expect.arrayContaining([people.admin.email, people.msp.email]));
    expect(mail.map((m) => m.to)).not.toContain(people.tech.email);
    expect(mail.map((m) => m.to)).not.toContain(people.otherAdmin.email);
    const toAdmin = mail.find((m) => m.to === people.admin.email)!;
    expect(toAdmin.subject).toContain('medium-risk runbook "Recycle app pool"');
    expect(toAdmin.text).toContain(`/#/incidents/${pending.incidentId}`);
    // The company's chat channel hears of it too, with the link.
    const posted = chatBodies.find((b) => b.includes(pending.incidentId));
    expect(posted).toContain('Review approval');
    expect(posted).toContain('medium-risk runbook');
    expect((await handle.query(stateQuery)).status).toBe('awaiting_approval');
  });

  it('runs a runbook by hand through the approval gate; with four-eyes the requester cannot approve; dry run resolves', async () => {
    // No runbook handles this signature: the automation escalates it, and a person picks one.
    const handle = await raise('srv-app-01', 'nginx_stuck');
    const escalated = await stateWhen(handle, (s) => s.status === 'escalated', 'escalation');
    const restart = await runbookOf(acme, 'Restart nginx');

    const unknown = await refusal(runOn(handle, escalated, { actor: actorOf(people.admin), runbookId: 'rb-nope' }));
    expect(unknown).toEqual({
      type: 'UnknownRunbook',
      message: "Runbook rb-nope not found among this incident's company's runbooks",
    });
    const theirs = await runbookOf(other, 'Restart nginx');
    const foreign = await refusal(
      runOn(handle, escalated, {
        actor: actorOf(people.admin),
        runbookId: theirs.id,
        runbook: theirs,
        runbookCompanyId: other.companyId,
      }),
    );
    expect(foreign.type).toBe('ForeignRunbook');
    const outsider = await refusal(
      runOn(handle, escalated, {
        actor: actorOf(people.otherAdmin),
        runbookId: restart.id,
        runbook: restart,
        runbookCompanyId: acme.companyId,
      }),
    );
    expect(outsider.type).toBe('Forbidden');

    const asked = await runOn(handle, escalated, {
      actor: actorOf(people.msp),
      runbookId: restart.id,
      runbook: restart,
      runbookCompanyId: acme.companyId,
      fourEyes: true,
      comment: 'nginx hangs again',
    });
    expect(asked.status).toBe('awaiting_approval');
    expect(asked.approval).toMatchObject({
      status: 'pending',
      riskLevel: 'high',
      requestedBy: { userId: people.msp.id },
      fourEyes: true,
    });
    expect(asked.decision).toMatchObject({ action: 'request_approval', runbook: { id: restart.id } });

    const again = await refusal(
      runOn(handle, asked, {
        actor: actorOf(people.admin),
        runbookId: restart.id,
        runbook: restart,
        runbookCompanyId: acme.companyId,
      }),
    );
    expect(again.type).toBe('RunInFlight');

    // High risk: MSP admins are paged, except the requester (four-eyes); nobody of the company.
    const ids = await eventually(async () => {
      const b = await belled(asked.incidentId);
      return b.includes(people.msp2.id) ? b : undefined;
    }, 'the other MSP admin to be belled');
    for (const u of [people.msp, people.admin, people.tech, people.otherAdmin]) expect(ids).not.toContain(u.id);

    const self = await refusal(
      handle.executeUpdate(approveIncident, { args: [{ incidentId: asked.incidentId, actor: actorOf(people.msp) }] }),
    );
    expect(self).toEqual({
      type: 'FourEyes',
      message: 'Four-eyes approval is on for this company: another person must approve the run you requested',
    });
    await handle.executeUpdate(approveIncident, {
      args: [{ incidentId: asked.incidentId, actor: actorOf(people.msp2) }],
    });
    const done = await stateWhen(handle, (s) => s.status === 'resolved', 'the run to resolve the incident');
    expect(done.execution).toMatchObject({
      executor: 'dry_run',
      status: 'Success',
      instanceIds: [INSTANCE],
      commands: ['sudo systemctl restart nginx'],
    });
    // A person asked for it and another approved it: not self-healed.
    expect(done.autoRemediated).toBe(false);
    const kinds = await eventually(async () => {
      const rows = await stack.sql<{ kind: string; message: string }[]>`
        SELECT kind, message FROM incident_events WHERE incident_id = ${asked.incidentId} ORDER BY seq`;
      return rows.some((r) => r.kind === 'resolved') ? rows : undefined;
    }, 'the resolution to be saved');
    expect(kinds.map((k) => k.kind)).toEqual(
      expect.arrayContaining(['run_requested', 'approval_requested', 'approved', 'remediation_started', 'resolved']),
    );
    expect(kinds.find((k) => k.kind === 'resolved')!.message).toBe(
      `Resolved by dry-run runbook "Restart nginx" run at the request of ${people.msp.email}`,
    );
  });

  it('runs a low-risk runbook by hand at once, without approval', async () => {
    const handle = await raise('srv-app-01', 'cpu_weird');
    const escalated = await stateWhen(handle, (s) => s.status === 'escalated', 'escalation');
    const clean = await runbookOf(acme, 'Clean temp files');
    const asked = await runOn(handle, escalated, {
      actor: actorOf(people.tech),
      runbookId: clean.id,
      runbook: clean,
      runbookCompanyId: acme.companyId,
    });
    expect(asked.status).toBe('remediating');
    expect(asked.approval).toBeNull();
    const done = await stateWhen(handle, (s) => s.status === 'resolved', 'the run to resolve the incident');
    expect(done.execution).toMatchObject({ executor: 'dry_run', status: 'Success' });
    expect(await belled(done.incidentId)).toEqual([]);
  });
});
