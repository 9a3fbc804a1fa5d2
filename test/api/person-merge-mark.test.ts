// A person's merge whose API goes away between its steps (router/incident-fold.ts, merge-marks.ts): the durable mark
// written with the fence lets a router finish it as the person asked (router/routing/person-merges.ts), with one
// audit line, or undo the fence when the source refused meanwhile. The API's death is a Temporal client that fails
// the call the process would have made next; everything else is the real stack.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FOLD_SIDE, foldIncident, type FoldSide } from '../../router/incident-fold.ts';
import { finishPersonMerges } from '../../router/routing/person-merges.ts';
import type { Actor } from '../../workflows/types.ts';
import { createCompany, createUser, type TestCompany, type TestUser } from '../helpers/fixtures.ts';
import { eventually, graphql, login, postAlert, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
let company: TestCompany;
let tech: TestUser;
let actor: Actor;

beforeAll(async () => {
  stack = await startStack();
  company = await createCompany(stack.sql);
  tech = await createUser(stack.sql, 'technician', [company.companyId]);
  actor = { userId: tech.id, email: tech.email, role: 'technician', companyIds: [company.companyId] };
});
afterAll(async () => {
  await stack?.stop();
});

let sent = 0;
async function incident(asset: string, signature: string): Promise<FoldSide & { status: string }> {
  sent += 1;
  const res = await postAlert(stack.url, company.apiKey, {
    asset_name: asset,
    signature,
    severity: 'high',
    message: `${signature} on ${asset} #${sent}`,
    tool_source: 'Datadog',
  });
  expect(res.status).toBe(202);
  const { alert_id: alertId } = (await res.json()) as { alert_id: string };
  return eventually(async () => {
    const [r] = await stack.sql<Array<FoldSide & { status: string }>>`
      SELECT ${stack.sql.unsafe(FOLD_SIDE('i'))} FROM alerts a JOIN incidents i ON i.id = a.incident_id
      WHERE a.id = ${alertId}`;
    return r && r.status !== 'new' ? r : undefined;
  }, `the incident of alert ${alertId}`);
}

/** The Temporal client of an API process that goes away when it would send its Update to `workflowId`. */
function goneAt(workflowId: string): Client {
  const t = stack.temporal;
  const workflow = new Proxy(t.workflow, {
    get(w, key) {
      if (key !== 'getHandle') return Reflect.get(w, key, w) as unknown;
      return (id: string) => {
        const handle = w.getHandle(id);
        if (id !== workflowId) return handle;
        return { ...handle, executeUpdate: () => Promise.reject(new Error('the API process went away')) };
      };
    },
  });
  return new Proxy(t, { get: (c, key) => (key === 'workflow' ? workflow : (Reflect.get(c, key, c) as unknown)) });
}

const person = (target: FoldSide, source: FoldSide) => ({
  id: randomUUID(),
  audit: {
    actor: { id: tech.id, email: tech.email, ip: '203.0.113.9' },
    entry: {
      companyId: company.companyId,
      action: 'incident.merged',
      targetType: 'incident',
      targetId: target.id,
      data: { source: source.id, comment: 'one outage' },
    },
  },
});

const marks = async (id: string) =>
  (await stack.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM incident_merges WHERE id = ${id}`)[0]!.n;
const auditLines = (target: string) =>
  stack.sql<{ actorEmail: string; data: { source: string; alertCount: number; comment: string } }[]>`
    SELECT actor_email AS "actorEmail", data FROM audit_log
    WHERE action = 'incident.merged' AND target_id = ${target}`;
const finish = (waitSeconds = 0) =>
  finishPersonMerges(stack.sql, stack.temporal, { scope: { companyIds: [company.companyId] }, waitSeconds });
const status = async (id: string) =>
  (
    await stack.sql<{ status: string; mergedInto: string | null; alertCount: number }[]>`
      SELECT status, merged_into AS "mergedInto", alert_count AS "alertCount" FROM incidents WHERE id = ${id}`
  )[0]!;

/** The target took the source in: its alerts and the source's are the target's, and it counts them. */
async function absorbed(source: FoldSide, target: FoldSide): Promise<void> {
  await eventually(
    async () => (await status(target.id)).alertCount === 2 && (await status(source.id)).status === 'resolved',
    'the target to count the source alert',
  );
  const [{ n }] = (await stack.sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM alerts WHERE incident_id = ${target.id}`) as unknown as [{ n: number }];
  expect(n).toBe(2);
  expect(await status(source.id)).toMatchObject({ status: 'resolved', mergedInto: target.id });
}

describe("a person's merge left half done", () => {
  it('is finished by the router when the API went away after the source closed, with one audit line', async () => {
    const source = await incident('mark-a1', 'checkout_errors');
    const target = await incident('mark-a2', 'psp_timeout');
    const merge = person(target, source);
    await expect(
      foldIncident(stack.sql, goneAt(target.workflowId), source, target, {
        actor,
        comment: 'one outage',
        person: merge,
      }),
    ).rejects.toThrow(/went away/);
    // The source closed into the target; the target was never told, and the mark says so.
    await eventually(async () => (await status(source.id)).mergedInto === target.id, 'the source to close');
    expect((await status(target.id)).alertCount).toBe(1);
    expect(await marks(merge.id)).toBe(1);
    // A fresh mark is the API's: a router leaves it for the command deadline and more.
    await finish(180);
    expect(await marks(merge.id)).toBe(1);
    expect(await auditLines(target.id)).toEqual([]);

    expect(await finish()).toBe(0);
    await absorbed(source, target);
    expect(await marks(merge.id)).toBe(0);
    expect(await auditLines(target.id)).toEqual([
      {
        actorEmail: tech.email,
        data: expect.objectContaining({ source: source.id, alertCount: 1, comment: 'one outage' }),
      },
    ]);
    // Nothing left to finish, and nothing written twice.
    expect(await finish()).toBe(0);
    expect(await auditLines(target.id)).toHaveLength(1);
  });

  it('is finished when the API went away after the fence, before the source closed', async () => {
    const source = await incident('mark-b1', 'checkout_errors');
    const target = await incident('mark-b2', 'psp_timeout');
    const merge = person(target, source);
    await expect(
      foldIncident(stack.sql, goneAt(source.workflowId), source, target, { actor, person: merge }),
    ).rejects.toThrow(/went away/);
    // The fence holds (later alerts of the source's key go to the target) and the source is still open.
    const [group] = await stack.sql<{ mergedInto: string | null }[]>`
      SELECT merged_into AS "mergedInto" FROM correlation_groups WHERE workflow_id = ${source.workflowId}`;
    expect(group!.mergedInto).not.toBeNull();
    expect((await status(source.id)).status).not.toBe('resolved');

    expect(await finish()).toBe(0);
    await absorbed(source, target);
    expect(await marks(merge.id)).toBe(0);
    expect(await auditLines(target.id)).toHaveLength(1);
  });

  it('undoes the fence, with no audit line, when the source was resolved meanwhile', async () => {
    const source = await incident('mark-c1', 'checkout_errors');
    const target = await incident('mark-c2', 'psp_timeout');
    const merge = person(target, source);
    await expect(
      foldIncident(stack.sql, goneAt(source.workflowId), source, target, { actor, person: merge }),
    ).rejects.toThrow(/went away/);
    const token = await login(stack.url, tech.email, tech.password);
    const r = await graphql(
      stack.url,
      'mutation($id: ID!) { resolveIncident(id: $id, comment: "fixed by hand") { status } }',
      { id: source.id },
      token,
    );
    expect(r.errors).toBeUndefined();
    await eventually(async () => (await status(source.id)).status === 'resolved', 'the source to resolve');

    expect(await finish()).toBe(0);
    expect(await marks(merge.id)).toBe(0);
    expect(await status(source.id)).toMatchObject({ status: 'resolved', mergedInto: null });
    expect((await status(target.id)).alertCount).toBe(1);
    const [group] = await stack.sql<{ mergedInto: string | null }[]>`
      SELECT merged_into AS "mergedInto" FROM correlation_groups WHERE workflow_id = ${source.workflowId}`;
    expect(group!.mergedInto).toBeNull();
    expect(await auditLines(target.id)).toEqual([]);
  });

  it('leaves no mark and one audit line when the API finishes the merge itself', async () => {
    const source = await incident('mark-d1', 'checkout_errors');
    const target = await incident('mark-d2', 'psp_timeout');
    const token = await login(stack.url, tech.email, tech.password);
    const r = await graphql<{ mergeIncidents: { id: string; alertCount: number } }>(
      stack.url,
      'mutation($t: ID!, $s: [ID!]!) { mergeIncidents(targetId: $t, sourceIds: $s, comment: "same PSP") { id alertCount } }',
      { t: target.id, s: [source.id] },
      token,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.mergeIncidents).toMatchObject({ id: target.id, alertCount: 2 });
    const [{ n }] = (await stack.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM incident_merges WHERE source_id = ${source.id}`) as unknown as [{ n: number }];
    expect(n).toBe(0);
    expect(await auditLines(target.id)).toEqual([
      {
        actorEmail: tech.email,
        data: expect.objectContaining({ source: source.id, alertCount: 1, comment: 'same PSP' }),
      },
    ]);
  });
});
