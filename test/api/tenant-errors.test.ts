// What a tenant reads when something fails, on the real stack: live SSM through the AWS SDK to moto (behind a proxy
// that refuses some commands the way AWS does), email to a capture SMTP server and to a closed port, chat to a local
// HTTP server. No raw AWS, SMTP or PostgreSQL text reaches a tenant's GraphQL answers, emails or chat messages; MSP
// admins read the raw error; MSP staff are never named in a tenant's timeline; and a save PostgreSQL refuses ends in
// a clear escalation while the incident's Updates still answer.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import type { EscalationInput } from '../../activities/notify.ts';
import { createSql, type Sql } from '../../db/sql.ts';
import { loadConfig } from '../../lib/config.ts';
import { createMailer, type Mailer } from '../../lib/mailer.ts';
import { createSecretBox } from '../../lib/secret-box.ts';
import { freePort } from '../../lib/temporal-dev-server.ts';
import { acknowledgeIncident } from '../../workflows/messages.ts';
import type { IncidentState, TimelineEvent } from '../../workflows/types.ts';
import { createCompany, createUser, TEST_ENCRYPTION_KEY, type TestCompany } from '../helpers/fixtures.ts';
import { startMoto, type Moto } from '../helpers/moto.ts';
import { eventually, graphql, login, postAlert, startStack, type Stack } from '../helpers/stack.ts';

// The SDK's default credential chain reads these; moto accepts any key.
process.env.AWS_ACCESS_KEY_ID = 'testing';
process.env.AWS_SECRET_ACCESS_KEY = 'testing';
process.env.AWS_REGION = 'us-east-1';

const ACCOUNT = '123456789012';
const WORKER_ROLE = `arn:aws:sts::${ACCOUNT}:assumed-role/aw-worker/i-0f00f00f00f00f00f`;
/** Mail to this domain goes to a relay port nothing listens on. */
const DOWN = 'down.example';

let moto: Moto;
let aws: Server;
let smtp: SMTPServer;
let chat: Server;
let chatUrl = '';
let closedPort = 0;
let activitySql: Sql;
let stack: Stack;
const inbox: ParsedMail[] = [];
const posts: Array<{ path: string; body: string }> = [];
/** Instance id → the error AWS answers SendCommand with, as its JSON protocol carries it. */
const refusals = new Map<string, { __type: string; message: string }>();
/** Companies whose decision fails on PostgreSQL, and whose first two saves carry a NUL PostgreSQL refuses. */
const failingDecisions = new Set<string>();
const refusedSaves = new Map<string, number>();

/** SSM's JSON API: moto answers, except a SendCommand this test has AWS refuse. */
function awsProxy(motoUrl: string): Server {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const refusal =
        req.headers['x-amz-target'] === 'AmazonSSM.SendCommand'
          ? ((JSON.parse(body.toString()) as { InstanceIds?: string[] }).InstanceIds ?? [])
              .map((id) => refusals.get(id))
              .find((r) => r !== undefined)
          : undefined;
      if (refusal) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
        res.end(JSON.stringify(refusal));
        return;
      }
      const headers = Object.fromEntries(
        Object.entries(req.headers)
          .filter(([k]) => !['host', 'connection', 'content-length'].includes(k))
          .map(([k, v]) => [k, String(v)]),
      );
      fetch(`${motoUrl}${req.url ?? '/'}`, { method: req.method ?? 'POST', headers, body })
        .then(async (upstream) => {
          res.writeHead(upstream.status, {
            'content-type': upstream.headers.get('content-type') ?? 'application/json',
          });
          res.end(Buffer.from(await upstream.arrayBuffer()));
        })
        .catch((err: Error) => res.writeHead(502).end(err.message));
    });
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  moto = await startMoto();
  aws = awsProxy(moto.url);
  const awsUrl = await listen(aws);
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
  closedPort = await freePort();
  chat = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      posts.push({ path: req.url ?? '', body });
      res.writeHead(200).end('ok');
    });
  });
  chatUrl = await listen(chat);

  const from = 'MSP Ops <ops@msp.example>';
  const relay = createMailer({ smtpUrl: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`, from });
  const deadRelay = createMailer({ smtpUrl: `smtp://127.0.0.1:${closedPort}`, from });
  const mailer: Mailer = {
    send: (m) => (m.to.endsWith(`@${DOWN}`) ? deadRelay : relay).send(m),
    close: () => {
      relay.close();
      deadRelay.close();
    },
  };
  activitySql = createSql(inject('databaseUrl'));
  const env = {
    REMEDIATION_MODE: 'ssm',
    SSM_ENDPOINT: awsUrl,
    SSM_POLL_INTERVAL_MS: '200',
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    OUTBOUND_ALLOW_PRIVATE: 'true',
  };
  const real = createActivities({ sql: activitySql, config: loadConfig(env), mailer });
  stack = await startStack({
    env,
    activities: {
      ...real,
      // The real activity retries a failed delivery for about 20 minutes; the test takes its first failure, with
      // the relay's own words, as the last.
      notifyEscalation: async (input: EscalationInput) => {
        try {
          return await real.notifyEscalation(input);
        } catch (err) {
          throw ApplicationFailure.nonRetryable((err as Error).message, (err as Error).name);
        }
      },
      // A real PostgreSQL error (the table is not there), as the decision sees it once its retries are spent.
      decideIncident: async (input: Parameters<typeof real.decideIncident>[0]) => {
        if (!failingDecisions.has(input.companyId)) return real.decideIncident(input);
        try {
          await activitySql`SELECT id FROM runbook_catalog WHERE company_id = ${input.companyId}`;
        } catch (err) {
          throw ApplicationFailure.nonRetryable((err as Error).message, (err as Error).name);
        }
        throw new Error('runbook_catalog exists');
      },
      // The first two saves carry a NUL in a text column: the real store meets PostgreSQL's real refusal.
      saveIncident: async (input: { state: IncidentState; events: TimelineEvent[]; newAlertIds: string[] }) => {
        const left = refusedSaves.get(input.state.companyId) ?? 0;
        if (left === 0) return real.saveIncident(input);
        refusedSaves.set(input.state.companyId, left - 1);
        return real.saveIncident({ ...input, state: { ...input.state, assetName: `${input.state.assetName}\u0000` } });
      },
    },
  });
});

afterAll(async () => {
  await stack?.stop();
  await activitySql?.end({ timeout: 5 });
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
  await new Promise<void>((resolve) => (chat ? chat.close(() => resolve()) : resolve()));
  await new Promise<void>((resolve) => (aws ? aws.close(() => resolve()) : resolve()));
  await moto?.stop();
});

const instanceId = (): string => `i-${randomBytes(8).toString('hex')}`;
const hook = (name: string) => ({
  name,
  format: 'slack' as const,
  urlSealed: createSecretBox(TEST_ENCRYPTION_KEY).seal(`${chatUrl}/hooks/${name}`),
});

interface Seen {
  id: string;
  status: string;
  escalationReason: string | null;
  decision: { reasoning: string } | null;
  execution: { error: string | null; internalDetail: string | null } | null;
  timeline: Array<{ seq: number; kind: string; message: string }>;
}
const INCIDENT = `query($id: ID!) { incident(id: $id) {
  id status escalationReason decision { reasoning } execution { error internalDetail } timeline { seq kind message }
} }`;

/** Every GraphQL answer a tenant got, checked at the end of each test for raw text. */
const tenantAnswers: string[] = [];

async function asTenant(token: string, id: string): Promise<Seen> {
  const r = await graphql<{ incident: Seen }>(stack.url, INCIDENT, { id }, token);
  tenantAnswers.push(JSON.stringify(r));
  if (!r.data?.incident) throw new Error(JSON.stringify(r.errors));
  return r.data.incident;
}

async function failureDetail(token: string, id: string, seq: number) {
  return graphql<{ incidentFailureDetail: string | null }>(
    stack.url,
    'query($id: ID!, $seq: Int!) { incidentFailureDetail(incidentId: $id, seq: $seq) }',
    { id, seq },
    token,
  );
}

async function raise(company: TestCompany, asset: string, signature: string): Promise<string> {
  const res = await postAlert(stack.url, company.apiKey, {
    asset_name: asset,
    signature,
    severity: 'high',
    message: 'it broke',
    tool_source: 'Datadog',
  });
  expect(res.status).toBe(202);
  return eventually(async () => {
    const [r] = await stack.sql<{ id: string }[]>`
      SELECT id FROM incidents WHERE company_id = ${company.companyId} AND asset_name = ${asset}`;
    return r?.id;
  }, `the incident on ${asset}`);
}

/** Waits until the incident's timeline has an event of `kind` (the page after an escalation, say). */
async function eventOf(id: string, kind: string, timeoutMs = 60_000): Promise<{ seq: number; message: string }> {
  return eventually(
    async () => {
      const [e] = await stack.sql<{ seq: number; message: string }[]>`
        SELECT seq, message FROM incident_events WHERE incident_id = ${id} AND kind = ${kind} ORDER BY seq LIMIT 1`;
      return e;
    },
    `a ${kind} event on ${id}`,
    timeoutMs,
  );
}

/** Raw text of the failures these tests cause: none of it may reach a tenant. */
function expectNoRawText(texts: string[], extra: string[] = []): void {
  const raw = [
    ACCOUNT,
    'arn:aws',
    'AccessDeniedException',
    'InvalidInstanceId',
    'not authorized',
    'not in a valid state',
    'ECONNREFUSED',
    `127.0.0.1:${closedPort}`,
    `oncall@${DOWN}`,
    'SQLSTATE',
    'invalid byte sequence',
    'runbook_catalog',
    'PostgresError',
    'does not exist',
    ...extra,
  ];
  for (const text of texts) for (const r of raw) expect(text).not.toContain(r);
}

describe('failures a tenant reads', () => {
  it('AWS refusals and a dead mail relay read as sentences; MSP admins read the raw error; MSP staff go unnamed', async () => {
    const denied = instanceId();
    const gone = instanceId();
    refusals.set(denied, {
      __type: 'AccessDeniedException',
      message:
        `User: ${WORKER_ROLE} is not authorized to perform: ssm:SendCommand on resource: ` +
        `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/${denied} because no identity-based policy allows the ssm:SendCommand action`,
    });
    refusals.set(gone, {
      __type: 'InvalidInstanceId',
      message: `Instances [[${gone}]] not in a valid state for account ${ACCOUNT}`,
    });
    // Acme has no admin of its own: its escalation pages the MSP admins. Beta's pages its admin, and an address
    // whose relay is down.
    const acme = await createCompany(stack.sql, {
      assets: [{ name: 'srv-denied', instanceId: denied }],
      settings: { groupWaitSeconds: 0, notifications: { webhooks: [hook('acme')] } },
    });
    const beta = await createCompany(stack.sql, {
      assets: [{ name: 'srv-gone', instanceId: gone }],
      settings: {
        groupWaitSeconds: 0,
        notifications: { emails: [`oncall@${DOWN}`], webhooks: [hook('beta')] },
      },
    });
    const acmeTech = await createUser(stack.sql, 'technician', [acme.companyId]);
    const betaAdmin = await createUser(stack.sql, 'company_admin', [beta.companyId]);
    const msp = await createUser(stack.sql, 'msp_admin', []);
    const acmeToken = await login(stack.url, acmeTech.email, acmeTech.password);
    const betaToken = await login(stack.url, betaAdmin.email, betaAdmin.password);
    const mspToken = await login(stack.url, msp.email, msp.password);

    const acmeId = await raise(acme, 'srv-denied', 'disk_full');
    const betaId = await raise(beta, 'srv-gone', 'disk_full');
    const paged = await eventOf(acmeId, 'notified');
    const escalated = await eventOf(acmeId, 'escalated');
    // InvalidInstanceId may pass (an agent registering): five tries over about 30 s before the escalation.
    const undelivered = await eventOf(betaId, 'notification_failed', 120_000);
    const betaEscalated = await eventOf(betaId, 'escalated');

    const a = await asTenant(acmeToken, acmeId);
    expect(a).toMatchObject({
      status: 'escalated',
      escalationReason: 'The runbook could not be sent: AWS refused access',
      execution: null,
    });
    expect(a.timeline.map((e) => e.message)).toContain(
      'Escalated to level 1: The runbook could not be sent: AWS refused access',
    );
    // The MSP admins were paged (this one among them), counted, not named.
    expect(paged.message).toMatch(/^Paged the MSP admins \(\d+ (person|people); in app \d+, email \d+, chat 1\)$/);
    expect(inbox.some((m) => JSON.stringify(m.to).includes(msp.email))).toBe(true);

    const b = await asTenant(betaToken, betaId);
    expect(b.escalationReason).toBe('The runbook could not be sent: the instance is not managed by Systems Manager');
    expect(undelivered.message).toBe('Paging did not reach everyone: an email could not be sent');
    expect(b.timeline.map((e) => e.message)).toContain(undelivered.message);

    // The raw errors are the MSP admins' alone.
    const denial = await failureDetail(mspToken, acmeId, escalated.seq);
    expect(denial.data?.incidentFailureDetail).toContain('AccessDeniedException');
    expect(denial.data?.incidentFailureDetail).toContain(WORKER_ROLE);
    expect((await failureDetail(mspToken, betaId, betaEscalated.seq)).data?.incidentFailureDetail).toContain(
      'InvalidInstanceId',
    );
    const relay = await failureDetail(mspToken, betaId, undelivered.seq);
    expect(relay.data?.incidentFailureDetail).toContain('ECONNREFUSED');
    expect(relay.data?.incidentFailureDetail).toContain(`oncall@${DOWN}`);
    for (const [token, id, seq] of [
      [acmeToken, acmeId, escalated.seq],
      [betaToken, betaId, undelivered.seq],
    ] as const) {
      const refused = await failureDetail(token, id, seq);
      tenantAnswers.push(JSON.stringify(refused));
      expect(refused.data?.incidentFailureDetail ?? null).toBeNull();
      expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }

    // What reached the tenants' channels and inboxes says the sentence, and nothing raw.
    const acmeChat = await eventually(async () => posts.find((p) => p.path === '/hooks/acme'), 'Acme chat message');
    const betaChat = await eventually(async () => posts.find((p) => p.path === '/hooks/beta'), 'Beta chat message');
    const betaMail = await eventually(
      async () => inbox.find((m) => JSON.stringify(m.to).includes(betaAdmin.email)),
      "the Beta admin's email",
    );
    expect(acmeChat.body).toContain('The runbook could not be sent: AWS refused access');
    expect(betaChat.body).toContain('the instance is not managed by Systems Manager');
    expect(betaMail.text).toContain('the instance is not managed by Systems Manager');
    const mails = inbox.map((m) => `${m.subject}\n${m.text}`);
    expectNoRawText([...tenantAnswers, acmeChat.body, betaChat.body, ...mails]);
    // No MSP staff address in a tenant's answers (their own paging mails go to them, not to the tenant).
    expectNoRawText(tenantAnswers, [msp.email]);
  }, 180_000);

  it('a decision that fails on PostgreSQL reads as a sentence', async () => {
    const gamma = await createCompany(stack.sql, { settings: { groupWaitSeconds: 0 } });
    failingDecisions.add(gamma.companyId);
    const tech = await createUser(stack.sql, 'technician', [gamma.companyId]);
    const msp = await createUser(stack.sql, 'msp_admin', []);
    const id = await raise(gamma, 'srv-db-09', 'disk_full');
    const decided = await eventOf(id, 'decided');
    await eventOf(id, 'notified');

    const seen = await asTenant(await login(stack.url, tech.email, tech.password), id);
    const sentence = 'No decision could be made: the database reported an error; a technician must investigate.';
    expect(seen).toMatchObject({ status: 'escalated', escalationReason: sentence, decision: { reasoning: sentence } });
    const detail = await failureDetail(await login(stack.url, msp.email, msp.password), id, decided.seq);
    expect(detail.data?.incidentFailureDetail).toContain('relation "runbook_catalog" does not exist');
    expectNoRawText(tenantAnswers, [msp.email]);
  });

  it('a save PostgreSQL refuses ends in a clear escalation, and the incident still answers its Updates', async () => {
    const delta = await createCompany(stack.sql, { settings: { groupWaitSeconds: 0 } });
    refusedSaves.set(delta.companyId, 2);
    const tech = await createUser(stack.sql, 'technician', [delta.companyId]);
    const msp = await createUser(stack.sql, 'msp_admin', []);
    const token = await login(stack.url, tech.email, tech.password);
    const id = await raise(delta, 'srv-q-07', 'queue_stuck');
    const refused = await eventOf(id, 'save_failed');
    await eventOf(id, 'notified');

    const reason = 'The incident could not be saved in full: the database refused some of its text';
    const seen = await asTenant(token, id);
    expect(seen).toMatchObject({ status: 'escalated', escalationReason: reason });
    // The first save's entries could be stored only blanked; the escalation says why in plain words. The rules decide
    // in the opening's workflow task, so that save holds the opening, the decision and its escalation (level 1).
    expect(seen.timeline.map((e) => e.message).slice(0, 4)).toEqual([
      'This entry could not be stored',
      'This entry could not be stored',
      'This entry could not be stored',
      `Escalated to level 2: ${reason}`,
    ]);
    const detail = await failureDetail(await login(stack.url, msp.email, msp.password), id, refused.seq);
    expect(detail.data?.incidentFailureDetail).toContain('SQLSTATE 22021');

    // People's Updates answer, and saves work again.
    for (const [mutation, status] of [
      ['acknowledgeIncident', 'acknowledged'],
      ['resolveIncident', 'resolved'],
    ] as const) {
      const r = await graphql<Record<string, { status: string }>>(
        stack.url,
        `mutation($id: ID!) { ${mutation}(id: $id) { status } }`,
        { id },
        token,
      );
      tenantAnswers.push(JSON.stringify(r));
      expect(r.data?.[mutation]).toEqual({ status });
      await eventually(async () => {
        const [row] = await stack.sql<{ status: string }[]>`SELECT status FROM incidents WHERE id = ${id}`;
        return row?.status === status;
      }, `the row to be ${status}`);
    }
    expectNoRawText(tenantAnswers, [msp.email]);
  });

  it('a NUL that reaches the workflow in a comment is stored without it, and the Update answers', async () => {
    // The API refuses such a comment; this sends it to the workflow directly, as an older API or a bug might.
    const epsilon = await createCompany(stack.sql, { settings: { groupWaitSeconds: 0 } });
    const tech = await createUser(stack.sql, 'technician', [epsilon.companyId]);
    const id = await raise(epsilon, 'srv-q-08', 'queue_stuck');
    await eventOf(id, 'notified');
    const [row] = await stack.sql<
      { workflowId: string }[]
    >`SELECT workflow_id AS "workflowId" FROM incidents WHERE id = ${id}`;
    const state = await stack.temporal.workflow.getHandle(row!.workflowId).executeUpdate(acknowledgeIncident, {
      args: [
        {
          incidentId: id,
          actor: { userId: tech.id, email: tech.email, role: 'technician', companyIds: [epsilon.companyId] },
          comment: 'nul \u0000 here',
        },
      ],
    });
    expect(state.status).toBe('acknowledged');
    await eventOf(id, 'save_failed');

    const seen = await asTenant(await login(stack.url, tech.email, tech.password), id);
    expect(seen.status).toBe('acknowledged');
    expect(seen.escalationReason).toBe(
      'The incident could not be saved in full: the database refused some of its text',
    );
    expect(seen.timeline.map((e) => e.message)).toContain(`Acknowledged by ${tech.email}: nul \uFFFD here`);
    expectNoRawText(tenantAnswers);
  });
});
