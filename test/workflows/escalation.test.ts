// Paging on Temporal's time-skipping server with the real activities, a local SMTP server and a local chat
// webhook: the on-call person gets the incident, an ack timeout hands it to the backup, then the chain goes up.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { createSql, type Sql } from '../../db/sql.ts';
import { loadConfig } from '../../lib/config.ts';
import { acknowledgeIncident, stateQuery } from '../../workflows/messages.ts';
import { createSecretBox } from '../../lib/secret-box.ts';
import { createCompany, createUser, TEST_ENCRYPTION_KEY, type TestUser } from '../helpers/fixtures.ts';
import { quietRuntime, workflowBundle } from '../helpers/stack.ts';
import { createTimeSkippingEnv } from '../helpers/time-skipping.ts';
import { actor, alert, sendAlert } from './helpers.ts';

let env: TestWorkflowEnvironment;
let sql: Sql;
let smtp: SMTPServer;
let chat: Server;
let smtpPort = 0;
let chatUrl = '';
const inbox: ParsedMail[] = [];
const posts: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  quietRuntime();
  env = await createTimeSkippingEnv();
  sql = createSql(inject('databaseUrl'));
  smtp = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _session, cb) {
      simpleParser(stream)
        .then((mail) => inbox.push(mail))
        .then(() => cb(), cb);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  let failOnce = true;
  chat = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      // The first delivery meets a hiccup: the activity retries it, and only it.
      if (failOnce) {
        failOnce = false;
        res.writeHead(503).end();
        return;
      }
      posts.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => chat.listen(0, '127.0.0.1', resolve));
  chatUrl = `http://127.0.0.1:${(chat.address() as AddressInfo).port}/hooks/ops`;
});
afterAll(async () => {
  await env?.teardown();
  await sql?.end();
  await new Promise<void>((resolve) => smtp?.close(() => resolve()));
  await new Promise<void>((resolve) => chat?.close(() => resolve()));
});

describe('escalation chain (time skipping)', () => {
  it('pages on call, hands an unacknowledged incident to the backup, then walks the chain by email, bell and chat', async () => {
    const company = await createCompany(sql, {
      runbooks: [],
      settings: {
        groupWaitSeconds: 0,
        sla: { responseMinutes: { high: 60 }, resolutionMinutes: { high: 120 } },
        onCall: { ackTimeoutMinutes: 5 },
        // Sealed as the API stores it: the worker opens it with the same ENCRYPTION_KEY.
        notifications: {
          webhooks: [{ name: 'ops', format: 'slack', urlSealed: createSecretBox(TEST_ENCRYPTION_KEY).seal(chatUrl) }],
        },
      },
    });
    const primary = await createUser(sql, 'technician', [company.companyId]);
    const backup = await createUser(sql, 'technician', [company.companyId]);
    const lead = await createUser(sql, 'company_admin', [company.companyId]);
    await sql`
      INSERT INTO on_call_schedules (id, company_id, name, category, layers)
      VALUES (${`sch-${randomUUID().slice(0, 8)}`}, ${company.companyId}, 'Databases', 'database', ${sql.json([
        { userIds: [primary.id], rotationDays: 7, handoffTime: '09:00', startDate: '2026-01-05' },
        { userIds: [backup.id], rotationDays: 7, handoffTime: '09:00', startDate: '2026-01-05' },
      ] as never)})`;

    const taskQueue = `escalation-${randomUUID()}`;
    const config = loadConfig({
      REMEDIATION_MODE: 'dry_run',
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      // The chat webhook is a local server: a lab's setting (test/api/outbound.test.ts covers the refusal).
      OUTBOUND_ALLOW_PRIVATE: 'true',
    });
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: createActivities({ sql, config }),
    });
    await worker.runUntil(async () => {
      // "replication_lag" is a database fault with no runbook: the rules hand it to a person.
      const first = alert('high', 'Zabbix');
      await sql`
        INSERT INTO alerts (id, company_id, delivery_id, asset_name, signature, aggregation_key, severity, message,
          tool_source, received_at)
        VALUES (${first.alertId}, ${company.companyId}, ${first.alertId}, 'db-01', 'replication_lag',
          'db-01|replication_lag', 'high', 'lag 300 s', 'Zabbix', now())`;
      const handle = await sendAlert(env.client, company.companyId, 'db-01', 'replication_lag', first, taskQueue);
      await env.sleep('1 minute');
      const paged = await handle.query(stateQuery);
      expect(paged).toMatchObject({ status: 'escalated', category: 'database', assignee: { userId: primary.id } });

      // Five minutes without an acknowledgement: the backup has it.
      await env.sleep('5 minutes');
      expect((await handle.query(stateQuery)).assignee).toMatchObject({ userId: backup.id, by: null });

      // Five more: nobody is left in line, so the chain goes up to the company's admins.
      await env.sleep('5 minutes');
      const up = await handle.query(stateQuery);
      expect(up.escalationLevel).toBe(2);
      const incidentId = up.incidentId;

      await handle.executeUpdate(acknowledgeIncident, {
        args: [
          {
            incidentId,
            actor: { ...actor('technician', [company.companyId]), userId: backup.id, email: backup.email },
          },
        ],
      });
      // Acknowledged: no more ack timeouts; the resolution SLA (120 min) still breaches and pages one level up.
      await env.sleep('2 hours');
      const breached = await handle.query(stateQuery);
      expect(breached).toMatchObject({ slaResolutionBreached: true, escalationLevel: 3, status: 'acknowledged' });

      const events = await sql<{ kind: string; message: string }[]>`
        SELECT kind, message FROM incident_events WHERE incident_id = ${incidentId} ORDER BY seq`;
      const pages = events.filter((e) => e.kind === 'notified' || e.kind === 'ack_timeout' || e.kind === 'assigned');
      expect(pages.map((e) => e.message)).toEqual([
        `Assigned to ${primary.email} (on call for database)`,
        `Paged the assignee: ${primary.email} (in app 1, email 1, chat 1)`,
        `Not acknowledged by ${primary.email} within 5 min; handed to ${backup.email}`,
        `Paged the assignee: ${backup.email} (in app 1, email 1, chat 1)`,
        `Not acknowledged by ${backup.email} within 5 min; nobody else is in line`,
        `Paged the company admins: ${lead.email} (in app 1, email 1, chat 1)`,
        `Paged the company admins: ${lead.email} (in app 1, email 1, chat 1)`,
      ]);
      await handle.terminate('test done');

      const mailTo = (u: TestUser) => inbox.filter((m) => m.to && JSON.stringify(m.to).includes(u.email));
      expect(mailTo(primary)).toHaveLength(1);
      expect(mailTo(backup)).toHaveLength(1);
      expect(mailTo(lead)).toHaveLength(2);
      expect(mailTo(lead)[0]!.subject).toMatch(/^\[HIGH\] .*: replication_lag on db-01 \(level 2\)$/);
      expect(mailTo(lead)[0]!.text).toContain(`/#/incidents/${incidentId}`);
      // The 503 was retried once; every page reached the channel exactly once.
      expect(posts).toHaveLength(4);
      expect(posts[0]).toMatchObject({ text: expect.stringContaining('replication_lag on db-01') });
      const bell = await sql<{ userId: string; n: number }[]>`
        SELECT user_id AS "userId", count(*)::int AS n FROM notifications WHERE incident_id = ${incidentId}
        GROUP BY user_id`;
      expect(Object.fromEntries(bell.map((b) => [b.userId, b.n]))).toEqual({
        [primary.id]: 1,
        [backup.id]: 1,
        [lead.id]: 2,
      });
    });
  });
});
