// The monthly client-report email on the real Temporal dev server, with the real activities and a local SMTP
// server: the worker's start creates the Schedule (1st of the month, 01:00 UTC); a run for a fixed month mails
// each company's admins their own report (subject naming the month, the CSV attached, the printable page linked),
// skips who opted out and companies that turned it off, and a second run for the month mails nobody again.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReportMailActivities, type ReportMailResult } from '../../activities/report-mail.ts';
import { createMailer } from '../../lib/mailer.ts';
import { reportScheduleId } from '../../lib/report-schedule.ts';
import type { MonthlyReportResult } from '../../workflows/monthly-report.ts';
import { createCompany, createUser, type TestUser } from '../helpers/fixtures.ts';
import { pastAlert, pastIncident } from '../helpers/kpi-fixtures.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

const MONTH = '2026-10';
const PUBLIC_URL = 'https://aw.example.test';
let stack: Stack;
let smtp: SMTPServer;
let smtpPort = 0;
const inbox: ParsedMail[] = [];
/** Addresses the relay refuses once (a full mailbox, a greylisting relay), then takes. */
const refuseOnce = new Set<string>();

beforeAll(async () => {
  smtp = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onRcptTo(address, _session, cb) {
      if (!refuseOnce.delete(address.address)) return cb();
      cb(Object.assign(new Error('mailbox busy, try later'), { responseCode: 450 }));
    },
    onData(stream, _session, cb) {
      // Accepted only once parsed and kept: the mailer's send resolves after the message is in the inbox.
      simpleParser(stream)
        .then((mail) => inbox.push(mail))
        .then(() => cb(), cb);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  stack = await startStack({ startRouter: false, env: { SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, PUBLIC_URL } });
});
afterAll(async () => {
  await stack?.stop();
  await new Promise<void>((resolve) => smtp?.close(() => resolve()));
});

const mailsTo = (u: TestUser) => inbox.filter((m) => JSON.stringify(m.to ?? '').includes(u.email));
const csvOf = (m: ParsedMail) => m.attachments[0]!.content.toString('utf8').split('\r\n');

async function run(companyIds: string[]): Promise<MonthlyReportResult> {
  return stack.temporal.workflow.execute('monthlyReportWorkflow', {
    taskQueue: stack.config.taskQueue,
    workflowId: `monthly-report-test-${randomUUID()}`,
    args: [{ month: MONTH, companyIds }],
  });
}

describe('monthly report email', () => {
  it('is scheduled by the worker for 01:00 UTC on the 1st, one run at a time', async () => {
    const described = await stack.temporal.schedule.getHandle(reportScheduleId(stack.config.taskQueue)).describe();
    expect(described.action).toMatchObject({ workflowType: 'monthlyReportWorkflow' });
    expect(described.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    const next = described.info.nextActionTimes[0]!;
    expect([next.getUTCDate(), next.getUTCHours(), next.getUTCMinutes(), next.getUTCSeconds()]).toEqual([1, 1, 0, 0]);
  });

  it("mails each company's admins their own month once, and nobody who opted out or turned it off", async () => {
    const tag = randomUUID().slice(0, 6);
    const a = await createCompany(stack.sql, { name: `Monthly Acme ${tag}`, runbooks: [] });
    const b = await createCompany(stack.sql, { name: `Monthly Bravo ${tag}`, runbooks: [] });
    const off = await createCompany(stack.sql, {
      name: `Monthly Off ${tag}`,
      runbooks: [],
      settings: { reports: { monthlyEmail: false } },
    });
    // A: 4 alerts, 2 incidents (one self-healed, resolved after 10 min); B: 1 alert, 1 incident; Off: 1 incident.
    for (let i = 0; i < 4; i++)
      await pastAlert(stack.sql, a.companyId, 'acme-1', 'disk_full', `2026-10-0${i + 1}T10:00:00Z`);
    await pastAlert(stack.sql, b.companyId, 'bravo-1', 'cpu_high', '2026-10-05T10:00:00Z');
    const created = '2026-10-02T10:00:00Z';
    await pastIncident(stack.sql, a.companyId, {
      created,
      asset: 'acme-1',
      signature: 'disk_full',
      status: 'resolved',
      resolved: '2026-10-02T10:10:00Z',
      auto: true,
    });
    await pastIncident(stack.sql, a.companyId, {
      created: '2026-10-03T10:00:00Z',
      signature: 'disk_full',
      status: 'new',
    });
    await pastIncident(stack.sql, b.companyId, {
      created: '2026-10-05T10:00:00Z',
      signature: 'cpu_high',
      status: 'new',
    });
    await pastIncident(stack.sql, off.companyId, { created: '2026-10-05T10:00:00Z', status: 'new' });

    const aAdmin = await createUser(stack.sql, 'company_admin', [a.companyId]);
    const aOptedOut = await createUser(stack.sql, 'company_admin', [a.companyId]);
    await stack.sql`UPDATE users SET notification_prefs = ${stack.sql.json({ email: false })} WHERE id = ${aOptedOut.id}`;
    const aDisabled = await createUser(stack.sql, 'company_admin', [a.companyId]);
    await stack.sql`UPDATE users SET disabled_at = now() WHERE id = ${aDisabled.id}`;
    const aTech = await createUser(stack.sql, 'technician', [a.companyId]);
    const bAdmin = await createUser(stack.sql, 'company_admin', [b.companyId]);
    const offAdmin = await createUser(stack.sql, 'company_admin', [off.companyId]);
    const ours = [aAdmin, aOptedOut, aDisabled, aTech, bAdmin, offAdmin];
    const oursInInbox = () => inbox.filter((m) => ours.some((u) => JSON.stringify(m.to ?? '').includes(u.email)));

    const first = await run([a.companyId, b.companyId, off.companyId]);
    expect(first.failed).toEqual([]);
    expect(first.results).toEqual<ReportMailResult[]>([
      { companyId: a.companyId, month: MONTH, outcome: 'sent', recipients: 1 },
      { companyId: b.companyId, month: MONTH, outcome: 'sent', recipients: 1 },
      { companyId: off.companyId, month: MONTH, outcome: 'turned_off', recipients: 0 },
    ]);

    const [toA] = mailsTo(aAdmin);
    expect(mailsTo(aAdmin)).toHaveLength(1);
    expect(toA!.subject).toBe(`Monthly report: Monthly Acme ${tag}, October 2026`);
    expect(toA!.text).toContain(`${PUBLIC_URL}/#/reports/${a.companyId}/${MONTH}`);
    expect(toA!.text).toContain('Self-healed: 50.0 % (1 of 2)');
    expect(toA!.attachments).toHaveLength(1);
    expect(toA!.attachments[0]).toMatchObject({
      filename: `report-${a.companyId}-${MONTH}.csv`,
      contentType: 'text/csv',
    });
    const csvA = csvOf(toA!);
    // company, month, alerts, incidents, noise reduction %, MTTA, MTTR (600 s), self-healed, %, SLA %.
    expect(csvA[1]).toBe(`Monthly Acme ${tag},${MONTH},4,2,50.0,,600,1,50.0,100.0`);
    expect(csvA).toContain('disk_full,2,2,1');

    const [toB] = mailsTo(bAdmin);
    expect(mailsTo(bAdmin)).toHaveLength(1);
    expect(toB!.subject).toBe(`Monthly report: Monthly Bravo ${tag}, October 2026`);
    expect(csvOf(toB!)[1]).toBe(`Monthly Bravo ${tag},${MONTH},1,1,0.0,,,0,0.0,`);
    // B's mail carries nothing of A.
    const bWhole = `${toB!.subject}\n${toB!.text}\n${csvOf(toB!).join('\n')}`;
    expect(bWhole).not.toContain('Acme');
    expect(bWhole).not.toContain(a.companyId);

    for (const u of [aOptedOut, aDisabled, aTech, offAdmin]) expect(mailsTo(u)).toHaveLength(0);
    expect(oursInInbox()).toHaveLength(2);

    // Run again for the same month (a retried or re-run Schedule): nothing more goes out.
    const again = await run([a.companyId, b.companyId, off.companyId]);
    expect(again.results.map((r) => [r.companyId, r.outcome, r.recipients])).toEqual([
      [a.companyId, 'already_sent', 1],
      [b.companyId, 'already_sent', 1],
      [off.companyId, 'turned_off', 0],
    ]);
    expect(oursInInbox()).toHaveLength(2);
    const ledger = await stack.sql<{ companyId: string; status: string; recipients: number }[]>`
      SELECT company_id AS "companyId", status, recipients FROM report_mailings
      WHERE company_id IN ${stack.sql([a.companyId, b.companyId, off.companyId])} AND month = ${MONTH}
      ORDER BY company_id`;
    expect(ledger).toEqual(
      [
        { companyId: a.companyId, status: 'sent', recipients: 1 },
        { companyId: b.companyId, status: 'sent', recipients: 1 },
      ].sort((x, y) => x.companyId.localeCompare(y.companyId)),
    );
  });

  it('retried after a partial send, mails only who did not get it; a mailing held by another attempt waits', async () => {
    const mailer = createMailer({ smtpUrl: `smtp://127.0.0.1:${smtpPort}`, from: 'aw@example.test' });
    const activities = createReportMailActivities({ sql: stack.sql, mailer, publicUrl: PUBLIC_URL });
    try {
      const c = await createCompany(stack.sql, { name: 'Monthly Retry', runbooks: [] });
      const first = await createUser(stack.sql, 'company_admin', [c.companyId]);
      const second = await createUser(stack.sql, 'company_admin', [c.companyId]);
      refuseOnce.add(second.email);
      const input = { companyId: c.companyId, month: MONTH };
      await expect(activities.mailCompanyReport(input)).rejects.toThrow(/Monthly report not delivered: Email to/);
      expect([mailsTo(first).length, mailsTo(second).length]).toEqual([1, 0]);
      // Temporal's retry: the one left out gets it, the other is not mailed again.
      expect(await activities.mailCompanyReport(input)).toMatchObject({ outcome: 'sent', recipients: 2 });
      expect([mailsTo(first).length, mailsTo(second).length]).toEqual([1, 1]);

      // Another attempt holds the month (inside its lease): this one throws for Temporal to retry later, sends nothing.
      const held = await createCompany(stack.sql, { name: 'Monthly Held', runbooks: [] });
      const heldAdmin = await createUser(stack.sql, 'company_admin', [held.companyId]);
      await stack.sql`INSERT INTO report_mailings (company_id, month, status) VALUES (${held.companyId}, ${MONTH}, 'sending')`;
      await expect(activities.mailCompanyReport({ companyId: held.companyId, month: MONTH })).rejects.toThrow(
        /being mailed by another attempt/,
      );
      expect(mailsTo(heldAdmin)).toHaveLength(0);
    } finally {
      mailer.close();
    }
  });
});
