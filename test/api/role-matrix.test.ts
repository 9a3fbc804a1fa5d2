// Every query, mutation and subscription × every kind of caller, on company A's objects: the MSP admin, A's
// admin and technician, B's admin and technician (another company), an admin with no company, and no one
// signed in. The schema is introspected so an operation without a row here fails this test by name.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../api/graphql/schema.ts';
import type { Role } from '../../domain/types.ts';
import { createCompany, createUser, type TestCompany } from '../helpers/fixtures.ts';
import { eventually, graphql, login, postAlert, startStack, type Stack } from '../helpers/stack.ts';

const ACTORS = ['msp', 'adminA', 'techA', 'adminB', 'techB', 'noCompany', 'anon'] as const;
type ActorName = (typeof ACTORS)[number];

/**
 * ok: data, no error. refused: FORBIDDEN or NOT_FOUND and nothing returned. unauth: UNAUTHENTICATED.
 * hidden: answered, but nothing of company A in it. reached: past authorization (the workflow or the input may
 * still say no, but never UNAUTHENTICATED, FORBIDDEN or NOT_FOUND from scoping).
 */
type Outcome = 'ok' | 'refused' | 'unauth' | 'hidden' | 'reached';
type Expect = Record<ActorName, Outcome>;

const signedIn = (o: Partial<Expect> & { rest: Outcome }): Expect => ({
  msp: o.msp ?? o.rest,
  adminA: o.adminA ?? o.rest,
  techA: o.techA ?? o.rest,
  adminB: o.adminB ?? o.rest,
  techB: o.techB ?? o.rest,
  noCompany: o.noCompany ?? o.rest,
  anon: 'unauth',
});
/** A's admins only; A's technician is told no, everyone else cannot see A at all. */
const ADMIN_OF_A = signedIn({ msp: 'ok', adminA: 'ok', techA: 'refused', rest: 'refused' });
const MEMBER_OF_A_READ = signedIn({ msp: 'ok', adminA: 'ok', techA: 'ok', rest: 'hidden' });
/** Any member of A; everyone else cannot see A at all. */
const MEMBER_OF_A = signedIn({ msp: 'ok', adminA: 'ok', techA: 'ok', rest: 'refused' });
const MSP_ONLY = signedIn({ msp: 'ok', rest: 'refused' });
const SELF = signedIn({ rest: 'ok' });

let stack: Stack;
let A: TestCompany;
let B: TestCompany;
let incidentId = '';
const tokens = {} as Record<ActorName, string | undefined>;
const creds = {} as Record<ActorName, { role: Role; companies: () => string[] }>;

interface Op {
  expect: Expect;
  /** Runs the operation as `token`; fresh objects come from setup (run as the MSP admin or in SQL). */
  run: (
    token: string | undefined,
    actor: ActorName,
  ) => Promise<{ data: unknown; errors?: Array<{ extensions?: { code?: string } }> }>;
}

const gql =
  (query: string, variables: Record<string, unknown> = {}) =>
  (token: string | undefined) =>
    graphql(stack.url, query, variables, token);

async function asMsp<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const r = await graphql<T>(stack.url, query, variables, tokens.msp);
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  return r.data;
}

/** A fresh user like `actor` (same role and companies), signed in: for operations that end sessions. */
async function freshToken(actor: ActorName): Promise<string | undefined> {
  if (actor === 'anon') return undefined;
  const c = creds[actor];
  const u = await createUser(stack.sql, c.role, c.companies());
  return login(stack.url, u.email, u.password);
}

async function freshKey() {
  const r = await asMsp<{ createIntegrationKey: { key: { id: string } } }>(
    'mutation($c:ID!){ createIntegrationKey(companyId:$c,name:"matrix") { key { id } } }',
    { c: A.companyId },
  );
  return r.createIntegrationKey.key.id;
}

async function freshPerson() {
  const r = await asMsp<{ invitePerson: { person: { id: string } } }>(
    'mutation($i:InviteInput!){ invitePerson(input:$i) { person { id } } }',
    {
      i: {
        email: `m-${Math.random().toString(36).slice(2)}@a.example`,
        name: 'M',
        role: 'technician',
        companyIds: [A.companyId],
      },
    },
  );
  return r.invitePerson.person.id;
}

/** A fresh rotation of company A, with nobody in it but a new technician of A. */
async function scheduleOfA(): Promise<string> {
  const member = await createUser(stack.sql, 'technician', [A.companyId]);
  const id = `sch-${Math.random().toString(36).slice(2)}`;
  await stack.sql`INSERT INTO on_call_schedules (id, company_id, name, category, layers)
    VALUES (${id}, ${A.companyId}, ${id}, ${id}, ${stack.sql.json([
      { userIds: [member.id], rotationDays: 7, handoffTime: '09:00', startDate: '2026-01-05' },
    ] as never)})`;
  return id;
}

/** A fresh runbook of company A (its own signature, so saves never collide). */
async function runbookOfA(): Promise<string> {
  const r = await asMsp<{ saveRunbook: { id: string } }>('mutation($i:RunbookInput!){ saveRunbook(input:$i) { id } }', {
    i: {
      companyId: A.companyId,
      name: 'matrix',
      signatures: [`rb-${Math.random().toString(36).slice(2)}`],
      riskLevel: 'low',
      commands: ['echo {{asset}}'],
    },
  });
  return r.saveRunbook.id;
}

/** A month every report may ask for, whenever the suite runs. */
const LAST_MONTH = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() - 1, 1))
  .toISOString()
  .slice(0, 7);

const INCIDENT_COMMAND = signedIn({ msp: 'reached', adminA: 'reached', techA: 'reached', rest: 'refused' });

const OPS: Record<string, Op> = {
  // ---- queries
  me: { expect: { ...SELF, anon: 'ok' }, run: (t) => gql('{ me { id } }')(t) },
  incidents: { expect: MEMBER_OF_A_READ, run: (t) => gql('{ incidents { id companyId } }')(t) },
  incidentsConnection: {
    expect: MEMBER_OF_A_READ,
    run: (t) =>
      gql('query($c:ID){ incidentsConnection(filter:{companyId:$c}) { edges { node { id companyId } } } }', {
        c: A.companyId,
      })(t),
  },
  alertsConnection: {
    expect: MEMBER_OF_A_READ,
    run: (t) =>
      gql('query($c:ID){ alertsConnection(filter:{companyId:$c}) { edges { node { id companyId } } } }', {
        c: A.companyId,
      })(t),
  },
  incident: {
    expect: MEMBER_OF_A_READ,
    run: (t) => gql('query($id:ID!){ incident(id:$id) { id } }', { id: incidentId })(t),
  },
  incidentFailureDetail: {
    expect: MSP_ONLY,
    run: (t) => gql('query($id:ID!){ incidentFailureDetail(incidentId:$id, seq:1) }', { id: incidentId })(t),
  },
  deadLetteredAlerts: {
    expect: ADMIN_OF_A,
    run: (t) => gql('query($c:ID!){ deadLetteredAlerts(companyId:$c) { id } }', { c: A.companyId })(t),
  },
  rejectedDeliveries: {
    expect: ADMIN_OF_A,
    run: (t) => gql('query($c:ID!){ rejectedDeliveries(companyId:$c) { id } }', { c: A.companyId })(t),
  },
  mySessions: { expect: SELF, run: (t) => gql('{ mySessions { id current } }')(t) },
  correlationLab: {
    expect: MEMBER_OF_A,
    run: (t) =>
      gql('query($c:ID!){ correlationLab(companyId:$c, settings:{}) { alertCount proposed { incidentCount } } }', {
        c: A.companyId,
      })(t),
  },
  overview: {
    expect: MEMBER_OF_A,
    run: (t) => gql('query($c:ID){ overview(companyId:$c) { alerts topAssets { key } } }', { c: A.companyId })(t),
  },
  clientReport: {
    expect: MEMBER_OF_A,
    run: (t) =>
      gql('query($c:ID!,$m:String!){ clientReport(companyId:$c, month:$m) { companyId incidents } }', {
        c: A.companyId,
        m: LAST_MONTH,
      })(t),
  },
  clientReportCsv: {
    expect: MEMBER_OF_A,
    run: (t) =>
      gql('query($c:ID!,$m:String!){ clientReportCsv(companyId:$c, month:$m) }', { c: A.companyId, m: LAST_MONTH })(t),
  },
  notifications: { expect: SELF, run: (t) => gql('{ notifications { id title } }')(t) },
  unreadNotificationCount: { expect: SELF, run: (t) => gql('{ unreadNotificationCount }')(t) },
  myNotificationPreferences: { expect: SELF, run: (t) => gql('{ myNotificationPreferences { email } }')(t) },
  markNotificationsRead: { expect: SELF, run: (t) => gql('mutation { markNotificationsRead }')(t) },
  setMyNotificationPreferences: {
    expect: SELF,
    run: (t) => gql('mutation { setMyNotificationPreferences(email: true) { email } }')(t),
  },
  // ---- on-call rotations: company admins edit, the schedule's company scopes every id
  saveOnCallSchedule: {
    expect: ADMIN_OF_A,
    run: async (t) => {
      const member = await createUser(stack.sql, 'technician', [A.companyId]);
      const name = `m-${Math.random().toString(36).slice(2)}`;
      return gql(
        'mutation($c:ID!,$n:String!,$u:ID!){ saveOnCallSchedule(input:{companyId:$c,name:$n,category:$n,layers:[{userIds:[$u],rotationDays:7,handoffTime:"09:00",startDate:"2026-01-05"}]}) { id } }',
        { c: A.companyId, n: name, u: member.id },
      )(t);
    },
  },
  deleteOnCallSchedule: {
    expect: ADMIN_OF_A,
    run: async (t) => gql('mutation($id:ID!){ deleteOnCallSchedule(id:$id) }', { id: await scheduleOfA() })(t),
  },
  addOnCallOverride: {
    expect: ADMIN_OF_A,
    run: async (t) => {
      const member = await createUser(stack.sql, 'technician', [A.companyId]);
      return gql(
        'mutation($s:ID!,$u:ID!){ addOnCallOverride(input:{scheduleId:$s,userId:$u,startsAt:"2030-01-01T00:00:00Z",endsAt:"2030-01-02T00:00:00Z"}) { id } }',
        { s: await scheduleOfA(), u: member.id },
      )(t);
    },
  },
  removeOnCallOverride: {
    expect: ADMIN_OF_A,
    run: async (t) => {
      const member = await createUser(stack.sql, 'technician', [A.companyId]);
      const id = `ovr-${Math.random().toString(36).slice(2)}`;
      await stack.sql`INSERT INTO on_call_overrides (id, schedule_id, user_id, starts_at, ends_at)
        VALUES (${id}, ${await scheduleOfA()}, ${member.id}, '2030-01-01', '2030-01-02')`;
      return gql('mutation($id:ID!){ removeOnCallOverride(id:$id) { id } }', { id })(t);
    },
  },
  companies: { expect: MEMBER_OF_A_READ, run: (t) => gql('{ companies { id name } }')(t) },
  company: {
    expect: MEMBER_OF_A_READ,
    run: (t) =>
      gql(
        'query($c:ID!){ company(id:$c) { id name settings assets { name } silences { id } mutedAlerts { total } onCallSchedules { id onCallNow { email } } } }',
        { c: A.companyId },
      )(t),
  },
  people: {
    expect: signedIn({ msp: 'ok', adminA: 'ok', techA: 'ok', rest: 'refused' }),
    run: (t) => gql('query($c:ID!){ people(companyId:$c) { id email } }', { c: A.companyId })(t),
  },
  auditLog: {
    expect: ADMIN_OF_A,
    run: (t) => gql('query($c:ID!){ auditLog(companyId:$c) { id action } }', { c: A.companyId })(t),
  },
  auditLogCsv: {
    expect: ADMIN_OF_A,
    run: (t) => gql('query($c:ID!){ auditLogCsv(companyId:$c) }', { c: A.companyId })(t),
  },
  // ---- incident commands: the workflow decides state and role rules; scoping is asserted here
  acknowledgeIncident: {
    expect: INCIDENT_COMMAND,
    run: (t) => gql('mutation($id:ID!){ acknowledgeIncident(id:$id) { id } }', { id: incidentId })(t),
  },
  runRunbook: {
    // Members of A reach the workflow (its validator answers: the matrix's incident waits for an approval).
    expect: INCIDENT_COMMAND,
    run: async (t) =>
      gql('mutation($i:ID!,$r:ID!){ runRunbook(incidentId:$i, runbookId:$r) { id } }', {
        i: incidentId,
        r: await runbookOfA(),
      })(t),
  },
  redecideIncident: {
    // Members of A reach the workflow (its validator answers: the matrix's incident waits for an approval).
    expect: INCIDENT_COMMAND,
    run: (t) => gql('mutation($i:ID!){ redecideIncident(incidentId:$i) { id } }', { i: incidentId })(t),
  },
  pendingApprovals: {
    expect: MEMBER_OF_A_READ,
    run: (t) =>
      gql('{ pendingApprovals { incident { id companyId } runbook { name } deadline preview { commands } } }')(t),
  },
  approveIncident: {
    expect: INCIDENT_COMMAND,
    run: (t) => gql('mutation($id:ID!){ approveIncident(id:$id) { id } }', { id: incidentId })(t),
  },
  rejectIncident: {
    expect: INCIDENT_COMMAND,
    run: (t) => gql('mutation($id:ID!){ rejectIncident(id:$id) { id } }', { id: incidentId })(t),
  },
  startIncidentWork: {
    expect: INCIDENT_COMMAND,
    run: (t) => gql('mutation($id:ID!){ startIncidentWork(id:$id) { id } }', { id: incidentId })(t),
  },
  // An unknown assignee: the company scope is checked before the person, so outsiders still see NOT_FOUND.
  assignIncident: {
    expect: INCIDENT_COMMAND,
    run: (t) => gql('mutation($id:ID!){ assignIncident(id:$id, userId:"nobody") { id } }', { id: incidentId })(t),
  },
  reopenIncident: {
    expect: INCIDENT_COMMAND,
    run: (t) => gql('mutation($id:ID!){ reopenIncident(id:$id) { id } }', { id: incidentId })(t),
  },
  // Nothing to merge or split: the incident scope is checked first, so outsiders see NOT_FOUND and members a 4xx.
  mergeIncidents: {
    expect: INCIDENT_COMMAND,
    run: (t) => gql('mutation($id:ID!){ mergeIncidents(targetId:$id, sourceIds:[]) { id } }', { id: incidentId })(t),
  },
  splitIncident: {
    expect: INCIDENT_COMMAND,
    run: (t) => gql('mutation($id:ID!){ splitIncident(id:$id, alertIds:["nope"]) { id } }', { id: incidentId })(t),
  },
  resolveIncident: {
    expect: INCIDENT_COMMAND,
    run: (t) => gql('mutation($id:ID!){ resolveIncident(id:$id) { id } }', { id: incidentId })(t),
  },
  retryDeadLetteredAlerts: {
    expect: ADMIN_OF_A,
    run: (t) => gql('mutation($c:ID!){ retryDeadLetteredAlerts(companyId:$c) }', { c: A.companyId })(t),
  },
  // ---- your own account and sessions (fresh users, so the matrix's own sessions survive)
  login: {
    expect: { ...SELF, anon: 'ok' },
    run: async () => {
      const u = await createUser(stack.sql, 'technician', []);
      return graphql(stack.url, 'mutation($e:String!,$p:String!){ login(email:$e,password:$p) { accessToken } }', {
        e: u.email,
        p: u.password,
      });
    },
  },
  setPasswordWithLink: {
    // Public: the one-time token is the authority; a made-up one is bad input for anyone.
    expect: { ...signedIn({ rest: 'reached' }), anon: 'reached' },
    run: (t) =>
      gql('mutation { setPasswordWithLink(token:"made-up", password:"long enough password") { accessToken } }')(t),
  },
  changePassword: {
    expect: signedIn({ rest: 'reached' }),
    run: async (_t, actor) =>
      gql('mutation { changePassword(currentPassword:"wrong", newPassword:"long enough password") }')(
        await freshToken(actor),
      ),
  },
  logout: { expect: SELF, run: async (_t, actor) => gql('mutation { logout }')(await freshToken(actor)) },
  logoutAll: { expect: SELF, run: async (_t, actor) => gql('mutation { logoutAll }')(await freshToken(actor)) },
  revokeSession: {
    // Another person's session is never yours to end: not found, whoever asks.
    expect: signedIn({ rest: 'refused' }),
    run: async (t) => {
      const [s] = await stack.sql<
        { id: string }[]
      >`SELECT id FROM sessions WHERE user_id = 'user-matrix-victim' LIMIT 1`;
      return gql('mutation($id:ID!){ revokeSession(id:$id) }', { id: s!.id })(t);
    },
  },
  // ---- companies
  createCompany: {
    expect: MSP_ONLY,
    run: (t) => gql('mutation($n:String!){ createCompany(input:{name:$n}) { id } }', { n: `M ${Math.random()}` })(t),
  },
  updateCompany: {
    expect: ADMIN_OF_A,
    run: (t) =>
      gql('mutation($c:ID!){ updateCompany(id:$c, input:{settings:{groupWaitSeconds:0}}) { id } }', { c: A.companyId })(
        t,
      ),
  },
  archiveCompany: {
    expect: signedIn({ msp: 'ok', adminA: 'refused', techA: 'refused', rest: 'refused' }),
    run: async (t) => {
      const c = await createCompany(stack.sql);
      await stack.sql`INSERT INTO user_companies (user_id, company_id) SELECT user_id, ${c.companyId} FROM user_companies WHERE company_id = ${A.companyId}`;
      return gql('mutation($c:ID!){ archiveCompany(id:$c) { id } }', { c: c.companyId })(t);
    },
  },
  restoreCompany: {
    expect: signedIn({ msp: 'ok', adminA: 'refused', techA: 'refused', rest: 'refused' }),
    run: (t) => gql('mutation($c:ID!){ restoreCompany(id:$c) { id } }', { c: A.companyId })(t),
  },
  // ---- keys and secrets
  createIntegrationKey: {
    expect: ADMIN_OF_A,
    run: (t) =>
      gql('mutation($c:ID!){ createIntegrationKey(companyId:$c,name:"x") { apiKey } }', { c: A.companyId })(t),
  },
  rotateIntegrationKey: {
    expect: ADMIN_OF_A,
    run: async (t) =>
      gql('mutation($c:ID!,$k:ID!){ rotateIntegrationKey(companyId:$c,keyId:$k) { apiKey } }', {
        c: A.companyId,
        k: await freshKey(),
      })(t),
  },
  revokeIntegrationKey: {
    expect: ADMIN_OF_A,
    run: async (t) =>
      gql('mutation($c:ID!,$k:ID!){ revokeIntegrationKey(companyId:$c,keyId:$k) { id } }', {
        c: A.companyId,
        k: await freshKey(),
      })(t),
  },
  setIntegrationKeyPolicy: {
    expect: ADMIN_OF_A,
    run: async (t) =>
      gql('mutation($c:ID!,$k:ID!){ setIntegrationKeyPolicy(companyId:$c,keyId:$k,signing:unsigned_allowed) { id } }', {
        c: A.companyId,
        k: await freshKey(),
      })(t),
  },
  rotateSigningSecret: {
    expect: ADMIN_OF_A,
    run: (t) => gql('mutation($c:ID!){ rotateSigningSecret(companyId:$c) { secret } }', { c: A.companyId })(t),
  },
  removeSigningSecret: {
    expect: ADMIN_OF_A,
    run: (t) => gql('mutation($c:ID!){ removeSigningSecret(companyId:$c) }', { c: A.companyId })(t),
  },
  // ---- the company's own Gemini key for its decisions: its admins and MSP admins; answers carry the hint only
  setGeminiApiKey: {
    expect: ADMIN_OF_A,
    run: (t) =>
      gql(
        'mutation($c:ID!){ setGeminiApiKey(companyId:$c, apiKey:"matrix-gemini-key-0123456789") { geminiKeyHint } }',
        {
          c: A.companyId,
        },
      )(t),
  },
  removeGeminiApiKey: {
    expect: ADMIN_OF_A,
    run: (t) => gql('mutation($c:ID!){ removeGeminiApiKey(companyId:$c) { geminiKeyHint } }', { c: A.companyId })(t),
  },
  // ---- assets
  saveAsset: {
    expect: ADMIN_OF_A,
    run: (t) =>
      gql('mutation($c:ID!){ saveAsset(companyId:$c,input:{name:"m-asset"}) { name } }', { c: A.companyId })(t),
  },
  deleteAsset: {
    expect: ADMIN_OF_A,
    run: async (t) => {
      const name = `del-${Math.random().toString(36).slice(2)}`;
      await stack.sql`INSERT INTO assets (company_id, name) VALUES (${A.companyId}, ${name})`;
      return gql('mutation($c:ID!,$n:String!){ deleteAsset(companyId:$c,name:$n) }', { c: A.companyId, n: name })(t);
    },
  },
  importAssets: {
    expect: ADMIN_OF_A,
    run: (t) =>
      gql('mutation($c:ID!){ importAssets(companyId:$c,csv:"name\\nimp-1\\n") { created } }', { c: A.companyId })(t),
  },
  // ---- the company's own AWS account: its admins and MSP admins (a bad ARN keeps A unconnected, so the
  // connection test answers without calling AWS)
  awsConnection: {
    expect: ADMIN_OF_A,
    run: (t) => gql('query($c:ID!){ awsConnection(companyId:$c) { externalId } }', { c: A.companyId })(t),
  },
  saveAwsConnection: {
    expect: signedIn({ msp: 'reached', adminA: 'reached', techA: 'refused', rest: 'refused' }),
    run: (t) =>
      gql('mutation($c:ID!){ saveAwsConnection(companyId:$c,roleArn:"not-an-arn",region:"us-east-1") { roleArn } }', {
        c: A.companyId,
      })(t),
  },
  regenerateAwsExternalId: {
    expect: ADMIN_OF_A,
    run: (t) => gql('mutation($c:ID!){ regenerateAwsExternalId(companyId:$c) { externalId } }', { c: A.companyId })(t),
  },
  patchCompliance: {
    expect: MEMBER_OF_A,
    run: (t) => gql('query($c:ID!){ patchCompliance(companyId:$c) { instanceCount } }', { c: A.companyId })(t),
  },
  refreshPatchCompliance: {
    expect: ADMIN_OF_A,
    run: (t) =>
      gql('mutation($c:ID!){ refreshPatchCompliance(companyId:$c) { instanceCount } }', { c: A.companyId })(t),
  },
  testAwsConnection: {
    expect: ADMIN_OF_A,
    run: (t) => gql('mutation($c:ID!){ testAwsConnection(companyId:$c) { ok message } }', { c: A.companyId })(t),
  },
  // ---- silences: any member of the company
  createSilence: {
    expect: MEMBER_OF_A,
    run: (t) =>
      gql(
        'mutation($c:ID!){ createSilence(input:{companyId:$c,matchers:[{field:"asset",op:"=",value:"m-x"}],durationMinutes:5,comment:"matrix"}) { id } }',
        { c: A.companyId },
      )(t),
  },
  expireSilence: {
    expect: MEMBER_OF_A,
    run: async (t) => {
      const id = `sil-${Math.random().toString(36).slice(2)}`;
      await stack.sql`INSERT INTO silences (id, company_id, matchers, starts_at, ends_at, comment, created_by)
        VALUES (${id}, ${A.companyId}, '[{"field":"asset","op":"=","value":"x"}]', now(), now() + interval '1 hour', 'm', 'm')`;
      return gql('mutation($id:ID!){ expireSilence(id:$id) { id } }', { id })(t);
    },
  },
  // ---- inhibition rules: company admins and MSP admins write them (members read them on Company)
  createInhibitionRule: {
    expect: ADMIN_OF_A,
    run: (t) =>
      gql(
        'mutation($c:ID!){ createInhibitionRule(input:{companyId:$c,name:"matrix",sourceMatchers:[{field:"signature",op:"=",value:"m-src"}],targetMatchers:[{field:"signature",op:"=",value:"m-dst"}],equal:["asset"]}) { id } }',
        { c: A.companyId },
      )(t),
  },
  deleteInhibitionRule: {
    expect: ADMIN_OF_A,
    run: async (t) => {
      const id = `inh-${Math.random().toString(36).slice(2)}`;
      await stack.sql`INSERT INTO inhibition_rules (id, company_id, name, source_matchers, target_matchers, created_by)
        VALUES (${id}, ${A.companyId}, 'm', '[{"field":"signature","op":"=","value":"s"}]',
          '[{"field":"signature","op":"=","value":"t"}]', 'm')`;
      return gql('mutation($id:ID!){ deleteInhibitionRule(id:$id) }', { id })(t);
    },
  },
  // ---- runbooks: members read and preview, company admins write
  runbooks: {
    expect: MEMBER_OF_A,
    run: (t) => gql('query($c:ID!){ runbooks(companyId:$c) { id current { name } } }', { c: A.companyId })(t),
  },
  runbook: {
    expect: MEMBER_OF_A,
    run: async (t) =>
      gql('query($id:ID!){ runbook(id:$id) { id versions { version } } }', { id: await runbookOfA() })(t),
  },
  runbookPreview: {
    expect: MEMBER_OF_A,
    run: async (t) =>
      gql('query($r:ID!,$i:ID!){ runbookPreview(runbookId:$r, incidentId:$i) { commands } }', {
        r: await runbookOfA(),
        i: incidentId,
      })(t),
  },
  saveRunbook: {
    expect: ADMIN_OF_A,
    run: (t) =>
      gql('mutation($i:RunbookInput!){ saveRunbook(input:$i) { id } }', {
        i: {
          companyId: A.companyId,
          name: 'matrix',
          signatures: [`m-${Math.random().toString(36).slice(2)}`],
          riskLevel: 'low',
          commands: ['true'],
        },
      })(t),
  },
  archiveRunbook: {
    expect: ADMIN_OF_A,
    run: async (t) => gql('mutation($id:ID!){ archiveRunbook(id:$id) { id } }', { id: await runbookOfA() })(t),
  },
  importRunbookCatalogue: {
    expect: ADMIN_OF_A,
    run: (t) =>
      gql('mutation($c:ID!){ importRunbookCatalogue(companyId:$c, names:["linux-flush-dns"]) { skipped { key } } }', {
        c: A.companyId,
      })(t),
  },
  // ---- people
  invitePerson: {
    expect: ADMIN_OF_A,
    run: (t) =>
      gql('mutation($i:InviteInput!){ invitePerson(input:$i) { url } }', {
        i: {
          email: `i-${Math.random().toString(36).slice(2)}@a.example`,
          name: 'I',
          role: 'technician',
          companyIds: [A.companyId],
        },
      })(t),
  },
  updatePerson: {
    expect: ADMIN_OF_A,
    run: async (t) =>
      gql('mutation($id:ID!){ updatePerson(id:$id,input:{name:"N"}) { id } }', { id: await freshPerson() })(t),
  },
  disablePerson: {
    expect: ADMIN_OF_A,
    run: async (t) => gql('mutation($id:ID!){ disablePerson(id:$id) { id } }', { id: await freshPerson() })(t),
  },
  enablePerson: {
    expect: ADMIN_OF_A,
    run: async (t) => gql('mutation($id:ID!){ enablePerson(id:$id) { id } }', { id: await freshPerson() })(t),
  },
  issuePasswordLink: {
    expect: ADMIN_OF_A,
    run: async (t) => gql('mutation($id:ID!){ issuePasswordLink(id:$id) { url } }', { id: await freshPerson() })(t),
  },
};

/** Does the answer mention anything of company A? */
function mentionsA(data: unknown): boolean {
  const text = JSON.stringify(data ?? null);
  return text.includes(A.companyId) || text.includes(incidentId);
}

/** Every outcome an answer satisfies. */
function outcomeOf(r: { data: unknown; errors?: Array<{ extensions?: { code?: string } }> }): Outcome[] {
  const code = r.errors?.[0]?.extensions?.code;
  if (code === 'UNAUTHENTICATED') return ['unauth'];
  const found: Outcome[] = [];
  const scoped = code === 'FORBIDDEN' || code === 'NOT_FOUND';
  if (!r.errors?.length) found.push('ok');
  if (!mentionsA(r.data)) found.push(scoped ? 'refused' : 'hidden');
  if (!scoped) found.push('reached');
  return found.length ? found : ['reached'];
}

beforeAll(async () => {
  stack = await startStack();
  A = await createCompany(stack.sql, { name: 'Matrix A' });
  B = await createCompany(stack.sql, { name: 'Matrix B' });
  creds.msp = { role: 'msp_admin', companies: () => [] };
  creds.adminA = { role: 'company_admin', companies: () => [A.companyId] };
  creds.techA = { role: 'technician', companies: () => [A.companyId] };
  creds.adminB = { role: 'company_admin', companies: () => [B.companyId] };
  creds.techB = { role: 'technician', companies: () => [B.companyId] };
  creds.noCompany = { role: 'company_admin', companies: () => [] };
  for (const a of ACTORS) tokens[a] = await freshToken(a);
  // Someone whose session nobody else may end.
  await stack.sql`INSERT INTO users (id, email, name, role) VALUES ('user-matrix-victim', 'victim@matrix.example', 'V', 'technician')
    ON CONFLICT DO NOTHING`;
  await stack.sql`INSERT INTO sessions (id, user_id, expires_at) VALUES (${`sess-victim-${Date.now()}`}, 'user-matrix-victim', now() + interval '1 day')`;
  await postAlert(stack.url, A.apiKey, {
    asset_name: 'srv-matrix',
    signature: 'service_down:nginx',
    severity: 'critical',
    message: 'down',
    tool_source: 'Prometheus',
  });
  incidentId = await eventually(async () => {
    const [row] = await stack.sql<{ id: string }[]>`SELECT id FROM incidents WHERE company_id = ${A.companyId}`;
    return row?.id;
  }, 'company A’s incident');
});

afterAll(async () => {
  await stack?.stop();
});

describe('role × operation matrix', () => {
  it('covers every query, mutation and subscription of the schema', () => {
    const fields = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((t) =>
      Object.keys(t!.getFields()),
    );
    // Subscriptions are checked below (incidentUpdated) and in their own files (decisionProgress: decision-stream).
    expect([...Object.keys(OPS), 'incidentUpdated', 'notificationAdded', 'decisionProgress'].sort()).toEqual(
      fields.sort(),
    );
  });

  it('answers each caller as the policy says, leaking nothing of company A outside it', async () => {
    const table: string[] = [];
    const wrong: string[] = [];
    let cells = 0;
    // Incident commands change state: resolve runs last so the others meet an open incident.
    const order = Object.keys(OPS).sort((x, y) => Number(x === 'resolveIncident') - Number(y === 'resolveIncident'));
    for (const name of order) {
      const op = OPS[name]!;
      const row: string[] = [];
      for (const actor of ACTORS) {
        const r = await op.run(tokens[actor], actor);
        const got = outcomeOf(r);
        const want = op.expect[actor];
        cells++;
        row.push(`${actor}:${got.includes(want) ? want : `✗${got[0]}`}`);
        if (!got.includes(want))
          wrong.push(`${name} as ${actor}: wanted ${want}, got ${JSON.stringify(r).slice(0, 200)}`);
      }
      table.push(`${name.padEnd(24)} ${row.join(' ')}`);
    }
    console.log(`\n${table.join('\n')}\n${cells} cells`);
    expect(wrong).toEqual([]);
    expect(cells).toBe(Object.keys(OPS).length * ACTORS.length);
  });

  it('streams company A’s incident only to those who may see it; signed out is refused at connect', async () => {
    const results: Record<string, { got: string[]; closed: number | null }> = {};
    const clients = ACTORS.map((actor) => {
      results[actor] = { got: [], closed: null };
      const client = createClient({
        url: `${stack.url.replace('http', 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: tokens[actor] ? { authorization: `Bearer ${tokens[actor]}` } : {},
        retryAttempts: 0,
        on: { closed: (e) => (results[actor]!.closed = (e as { code: number }).code) },
      });
      client.subscribe<{ incidentUpdated: { id: string } }>(
        { query: 'subscription { incidentUpdated { id } }' },
        {
          next: (v) => v.data && results[actor]!.got.push(v.data.incidentUpdated.id),
          error: () => {},
          complete: () => {},
        },
      );
      return client;
    });
    try {
      await new Promise((r) => setTimeout(r, 500));
      await stack.sql`UPDATE incidents SET updated_at = now() WHERE id = ${incidentId}`;
      await stack.sql`SELECT pg_notify('incident_updated', ${incidentId})`;
      await eventually(
        async () => ['msp', 'adminA', 'techA'].every((a) => results[a]!.got.includes(incidentId)),
        'A’s members',
      );
      await new Promise((r) => setTimeout(r, 500));
      for (const a of ['adminB', 'techB', 'noCompany']) expect(results[a]!.got, a).not.toContain(incidentId);
      expect(results.anon!.closed).toBe(4403);
    } finally {
      await Promise.all(clients.map((c) => c.dispose()));
    }
  });
});
