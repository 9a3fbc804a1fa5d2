// MSP staff on a tenant's incident, on the real stack: an MSP admin acknowledges, takes, approves, rejects,
// reopens, resolves, merges and splits Acme's incidents and is paged as an assignee. Acme's company admin and
// technician read the incidents, their timelines and their bells, and receive the emails and chat messages: the
// MSP admin is named "Name (MSP)" there, never by address. The MSP admin still sees who did what.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompany, createUser, type TestCompany, type TestUser } from '../helpers/fixtures.ts';
import { eventually, graphql, login, postAlert, startStack, type Stack } from '../helpers/stack.ts';

const MSP_NAME = 'Dana Scully';
const LABEL = `${MSP_NAME} (MSP)`;
const SAVE = 'mutation($c:ID!,$s:JSON){ updateCompany(id:$c,input:{settings:$s}) { id } }';
const INCIDENT = `query($id: ID!) { incident(id: $id) {
  id status assetName acknowledgedBy escalationReason resolutionNote
  assignee { userId email by } approval { status decidedBy comment }
  execution { status output error internalDetail } timeline(limit: 200) { seq kind message actor } } }`;
const BELL = '{ notifications(limit: 100) { kind title body incidentId } }';

interface Incident {
  id: string;
  status: string;
  acknowledgedBy: string | null;
  escalationReason: string | null;
  assignee: { userId: string; email: string; by: string | null } | null;
  approval: { status: string; decidedBy: string | null } | null;
  timeline: Array<{ kind: string; message: string; actor: string | null }>;
}

// Each incident its own high-risk runbook, so the runbook waits for a person and the alerts never correlate.
const SIGNATURES = ['svc_a_down', 'svc_b_down', 'svc_c_down', 'svc_d_down'] as const;
const RUNBOOKS = SIGNATURES.map((signature) => ({
  signature,
  riskLevel: 'high' as const,
  name: `Restart ${signature}`,
  actions: ['sudo systemctl restart app'],
}));
const ASSETS = SIGNATURES.map((s, i) => ({ name: `acme-${s}`, instanceId: `i-0${String(i + 1).repeat(16)}` }));

let stack: Stack;
let smtp: SMTPServer;
let chat: Server;
const inbox: ParsedMail[] = [];
const chatBodies: string[] = [];
let acme: TestCompany;
let msp: TestUser;
let admin: TestUser;
let tech: TestUser;
const token: Record<'msp' | 'admin' | 'tech', string> = { msp: '', admin: '', tech: '' };

async function call<T>(who: keyof typeof token, query: string, variables: Record<string, unknown> = {}) {
  const r = await graphql<T>(stack.url, query, variables, token[who]);
  expect(r.errors, `${who}: ${query.slice(0, 60)}`).toBeUndefined();
  return r.data!;
}

let sent = 0;
/** Raises an alert on the asset of `signature` and waits until its incident waits for approval. */
async function awaitingApproval(signature: (typeof SIGNATURES)[number]): Promise<string> {
  sent += 1;
  const asset = ASSETS[SIGNATURES.indexOf(signature)]!.name;
  const res = await postAlert(stack.url, acme.apiKey, {
    asset_name: asset,
    signature,
    severity: 'high',
    message: `${signature} on ${asset} #${sent}`,
    tool_source: 'Datadog',
  });
  expect(res.status).toBe(202);
  const { alert_id: alertId } = (await res.json()) as { alert_id: string };
  return eventually(async () => {
    const [r] = await stack.sql<{ id: string; status: string }[]>`
      SELECT i.id, i.status FROM alerts a JOIN incidents i ON i.id = a.incident_id WHERE a.id = ${alertId}`;
    return r?.status === 'awaiting_approval' ? r.id : undefined;
  }, `the ${signature} incident to wait for approval`);
}

const read = async (who: keyof typeof token, id: string) =>
  (await call<{ incident: Incident }>(who, INCIDENT, { id })).incident;

/** Waits until the incident's timeline holds an event of `kind` (as the MSP admin reads it). */
const untilEvent = (id: string, kind: string, what = kind) =>
  eventually(async () => {
    const i = await read('msp', id);
    return i.timeline.find((e) => e.kind === kind) ? i : undefined;
  }, `${what} on ${id}`);

const mutate = (id: string, name: string, extra = '') =>
  call<Record<string, { id: string }>>('msp', `mutation($id: ID!) { ${name}(id: $id${extra}) { id } }`, { id });

beforeAll(async () => {
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
  chat = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      chatBodies.push(body);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => chat.listen(0, '127.0.0.1', resolve));
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  stack = await startStack({ env: { SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, MAIL_FROM: 'ops@msp.example' } });

  acme = await createCompany(stack.sql, { name: 'Acme Corp', runbooks: RUNBOOKS, assets: ASSETS });
  msp = await createUser(stack.sql, 'msp_admin', []);
  await stack.sql`UPDATE users SET name = ${MSP_NAME} WHERE id = ${msp.id}`;
  admin = await createUser(stack.sql, 'company_admin', [acme.companyId]);
  tech = await createUser(stack.sql, 'technician', [acme.companyId]);
  for (const who of ['msp', 'admin', 'tech'] as const) {
    const u = { msp, admin, tech }[who];
    token[who] = await login(stack.url, u.email, u.password);
  }
  const hook = { name: 'ops', format: 'slack', url: `http://127.0.0.1:${(chat.address() as AddressInfo).port}/hook` };
  await call('admin', SAVE, { c: acme.companyId, s: { groupWaitSeconds: 0, notifications: { webhooks: [hook] } } });
});

afterAll(async () => {
  await stack?.stop();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
  await new Promise<void>((resolve) => (chat ? chat.close(() => resolve()) : resolve()));
});

describe("an MSP admin's work on a tenant's incidents", () => {
  const ids: Record<string, string> = {};

  it('is recorded under their label: acknowledge, take, approve, reopen, start work, resolve', async () => {
    const a = await awaitingApproval('svc_a_down');
    ids.a = a;
    await mutate(a, 'acknowledgeIncident');
    await call('msp', 'mutation($id: ID!, $u: ID!) { assignIncident(id: $id, userId: $u) { id } }', {
      id: a,
      u: msp.id,
    });
    await mutate(a, 'approveIncident', ', comment: "change window open"');
    await eventually(async () => ((await read('msp', a)).status === 'resolved' ? true : undefined), 'the runbook');
    await mutate(a, 'reopenIncident', ', comment: "back again"');
    await mutate(a, 'startIncidentWork');
    await mutate(a, 'resolveIncident', ', comment: "restarted by hand"');

    const seen = await read('msp', a);
    expect(seen).toMatchObject({
      status: 'resolved',
      acknowledgedBy: LABEL,
      assignee: { userId: msp.id, email: LABEL, by: LABEL },
      approval: { status: 'approved', decidedBy: LABEL },
    });
    const messages = seen.timeline.map((e) => e.message);
    for (const line of [
      `Acknowledged by ${LABEL}`,
      `Taken by ${LABEL}`,
      `Runbook approved by ${LABEL}: change window open`,
      `Reopened by ${LABEL}: back again`,
      `Work started by ${LABEL}`,
      `Resolved by ${LABEL}: restarted by hand`,
    ]) {
      expect(messages).toContain(line);
    }
    expect(seen.timeline.filter((e) => e.actor !== null).every((e) => e.actor === LABEL)).toBe(true);
  });

  it('is recorded under their label when they reject, assign, are paged, merge and split', async () => {
    const [b, c, d] = await Promise.all([
      awaitingApproval('svc_b_down'),
      awaitingApproval('svc_c_down'),
      awaitingApproval('svc_d_down'),
    ]);
    Object.assign(ids, { b, c, d });
    // B: given to Acme's technician, then rejected: the technician is paged with the reason.
    await call('msp', 'mutation($id: ID!, $u: ID!) { assignIncident(id: $id, userId: $u) { id } }', {
      id: b,
      u: tech.id,
    });
    await mutate(b, 'rejectIncident');
    // C: nobody has it: the rejection pages Acme's company admins.
    await mutate(c, 'rejectIncident');
    // D: the MSP admin takes it and rejects it: they are the assignee the escalation pages.
    await call('msp', 'mutation($id: ID!, $u: ID!) { assignIncident(id: $id, userId: $u) { id } }', {
      id: d,
      u: msp.id,
    });
    await mutate(d, 'rejectIncident');
    const [pagedB, pagedC, pagedD] = await Promise.all([
      untilEvent(b, 'notified', 'the page'),
      untilEvent(c, 'notified', 'the page'),
      untilEvent(d, 'notified', 'the page'),
    ]);
    expect(pagedB.escalationReason).toBe(`Runbook rejected by ${LABEL}`);
    expect(pagedB.timeline.map((e) => e.message)).toContain(`Assigned to ${tech.email} by ${LABEL}`);
    expect(pagedC.timeline.find((e) => e.kind === 'notified')!.message).toMatch(/^Paged the company admins: /);
    expect(pagedD.timeline.find((e) => e.kind === 'notified')!.message).toMatch(
      new RegExp(`^Paged the assignee: ${LABEL.replace(/[()]/g, '\\$&')} \\(in app 1, email 1, chat 1\\)$`),
    );

    await call('msp', 'mutation($t: ID!, $s: [ID!]!) { mergeIncidents(targetId: $t, sourceIds: $s) { id } }', {
      t: b,
      s: [d],
    });
    const alerts = await call<{ incident: { alerts: Array<{ id: string }> } }>(
      'msp',
      'query($id: ID!) { incident(id: $id) { alerts { id } } }',
      { id: b },
    );
    expect(alerts.incident.alerts).toHaveLength(2);
    await call('msp', 'mutation($id: ID!, $a: [ID!]!) { splitIncident(id: $id, alertIds: $a) { id } }', {
      id: b,
      a: [alerts.incident.alerts[1]!.id],
    });
    const merged = (await read('msp', b)).timeline.map((e) => e.message);
    expect(merged.some((m) => m.startsWith('Took in ') && m.endsWith(`, merged by ${LABEL}`))).toBe(true);
    expect(merged).toContain(`1 alert(s) split off into a new incident by ${LABEL}`);
    expect((await read('msp', d)).timeline.map((e) => e.message).some((m) => m.endsWith(` by ${LABEL}`))).toBe(true);
  });

  it("never shows their address to Acme's company admin and technician: incidents, timelines, bells", async () => {
    for (const who of ['admin', 'tech'] as const) {
      const incidents = await Promise.all(Object.values(ids).map((id) => read(who, id)));
      const bell = await call<{ notifications: Array<{ body: string }> }>(who, BELL);
      const json = JSON.stringify({ incidents, bell });
      expect(json, who).not.toContain(msp.email);
      // What they read names the MSP admin: the redaction did not just leave things out.
      expect(incidents[0]).toMatchObject({ acknowledgedBy: LABEL, approval: { decidedBy: LABEL } });
      expect(
        bell.notifications.some((n) => n.body.includes(`Runbook rejected by ${LABEL}`)),
        who,
      ).toBe(true);
    }
  });

  it("names them by label on the silences Acme's technician reads", async () => {
    await call(
      'msp',
      `mutation($c: ID!) { createSilence(input: { companyId: $c, durationMinutes: 60, comment: "patching",
        matchers: [{ field: "asset", op: "=", value: "acme-patched" }] }) { id } }`,
      { c: acme.companyId },
    );
    const q = 'query($c: ID!) { company(id: $c) { silences { createdBy comment } } }';
    const { company } = await call<{ company: { silences: Array<{ createdBy: string; comment: string }> } }>(
      'tech',
      q,
      { c: acme.companyId },
    );
    expect(JSON.stringify(company)).not.toContain(msp.email);
    expect(company.silences).toContainEqual({ createdBy: LABEL, comment: 'patching' });
  });

  it('never shows their address in the emails and chat messages Acme receives', async () => {
    const toAcme = () =>
      inbox.filter((m) => [admin.email, tech.email].some((a) => JSON.stringify(m.to ?? '').includes(a)));
    await eventually(async () => toAcme().length >= 2 || undefined, "the pages' emails to Acme's people");
    await eventually(async () => chatBodies.length >= 3 || undefined, "the pages' chat messages");
    const mails = toAcme().map((m) => `${m.subject}\n${m.text}`);
    expect(mails.join('\n')).toContain(`Runbook rejected by ${LABEL}`);
    expect(mails.join('\n')).not.toContain(msp.email);
    expect(chatBodies.join('\n')).toContain(`Runbook rejected by ${LABEL}`);
    expect(chatBodies.join('\n')).not.toContain(msp.email);
  });

  it('names them by label when the on-call rotation gives them an incident and pages them', async () => {
    const rotation = { userIds: [msp.id], rotationDays: 7, handoffTime: '09:00', startDate: '2026-01-05' };
    await call('msp', 'mutation($i: OnCallScheduleInput!) { saveOnCallSchedule(input: $i) { id } }', {
      i: { companyId: acme.companyId, name: 'Everything', layers: [rotation] },
    });
    // No runbook for this signature: the incident escalates at once and pages whoever is on call.
    const res = await postAlert(stack.url, acme.apiKey, {
      asset_name: 'acme-replica',
      signature: 'replication_lag',
      severity: 'high',
      message: 'replica 400 s behind',
      tool_source: 'Prometheus',
    });
    const { alert_id: alertId } = (await res.json()) as { alert_id: string };
    const id = await eventually(async () => {
      const [r] = await stack.sql<{ id: string }[]>`SELECT incident_id AS id FROM alerts WHERE id = ${alertId}`;
      return r?.id ?? undefined;
    }, 'the replication_lag incident');
    const paged = await untilEvent(id, 'notified', 'the page');
    const messages = paged.timeline.map((e) => e.message);
    expect(paged.assignee).toMatchObject({ userId: msp.id, email: LABEL, by: null });
    expect(messages.some((m) => m.startsWith(`Assigned to ${LABEL} (on call`))).toBe(true);
    expect(messages.some((m) => m.startsWith(`Paged the assignee: ${LABEL} (`))).toBe(true);
    for (const who of ['admin', 'tech'] as const) {
      expect(JSON.stringify(await read(who, id)), who).not.toContain(msp.email);
    }
  });

  it('still lets the MSP admin see who did what, down to the address in the audit log', async () => {
    const a = await read('msp', ids.a!);
    expect(a.assignee).toMatchObject({ userId: msp.id, email: LABEL });
    const log = await call<{ auditLog: Array<{ action: string; actorEmail: string; targetId: string }> }>(
      'msp',
      'query($c: ID!) { auditLog(companyId: $c, action: "incident.") { action actorEmail targetId } }',
      { c: acme.companyId },
    );
    const onA = log.auditLog.filter((e) => e.targetId === ids.a).map((e) => [e.action, e.actorEmail]);
    expect(onA).toContainEqual(['incident.acknowledged', msp.email]);
    expect(onA).toContainEqual(['incident.approved', msp.email]);
  });
});
