// Outcome memory on the real stack (PostgreSQL, Temporal, the API; remediation in dry-run mode): after three failed
// SSM runs of the disk runbook on an asset, a new disk_full alert there is not remediated by itself (rules or
// Gemini alike): it waits for approval, and the decision row says why. GraphQL shows the memory sentence, the
// model was shown it (captured by the local Gemini server), and Runbook.runStats counts the same runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompanySettings } from '../../domain/company-settings.ts';
import { createCompany, createUser, type TestCompany } from '../helpers/fixtures.ts';
import { startGeminiServer } from '../helpers/gemini-server.ts';
import type { LlmServer } from '../helpers/llm-server.ts';
import { diskRunbookOf, failingHistory, type PastRunCompany } from '../helpers/outcome-runs.ts';
import { eventually, graphql, login, postAlert, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
let gemini: LlmServer;

beforeAll(async () => {
  gemini = await startGeminiServer();
  stack = await startStack({
    env: { GEMINI_API_KEY: 'memory-key', GEMINI_BASE_URL: gemini.url, DECISION_TIMEOUT_MS: '20000' },
  });
});

afterAll(async () => {
  await stack?.stop();
  await gemini?.close();
});

async function company(decision?: NonNullable<CompanySettings['decision']>) {
  const c = await createCompany(stack.sql, { settings: { groupWaitSeconds: 0, ...(decision ? { decision } : {}) } });
  return { ...c, diskRunbook: await diskRunbookOf(stack.sql, c.companyId) };
}

const history = (c: TestCompany & PastRunCompany) => failingHistory(stack.sql, c, 'srv-mem-01');

type Seen = {
  incident: {
    id: string;
    status: string;
    decision: { action: string; source: string; runbookName: string | null; memoryReason: string | null } | null;
    decisions: Array<{ action: string | null; memoryReason: string | null; promptVersion: string | null }>;
    memory: {
      sentence: string;
      company: { incidents: number; fixed: number; medianSecondsToResolve: number | null };
      asset: { incidents: number; fixed: number };
      recent: Array<{ status: string; succeeded: boolean; runbookVersion: number | null; approvedBy: string | null }>;
    };
  } | null;
};

const QUERY = `
  query($id: ID!) {
    incident(id: $id) {
      id status
      decision { action source runbookName memoryReason }
      decisions(limit: 5) { action memoryReason promptVersion }
      memory {
        sentence
        company { incidents fixed medianSecondsToResolve }
        asset { incidents fixed }
        recent { status succeeded runbookVersion approvedBy }
      }
    }
  }`;

async function decidedIncident(
  c: TestCompany,
  token: string,
  assetName: string,
): Promise<NonNullable<Seen['incident']>> {
  const posted = await postAlert(stack.url, c.apiKey, {
    asset_name: assetName,
    signature: 'disk_full',
    severity: 'high',
    message: `disk 97% on ${assetName}`,
    tool_source: 'Datadog',
  });
  expect(posted.status).toBe(202);
  const [row] = await eventually(async () => {
    const rows = await stack.sql<{ id: string }[]>`
        SELECT id FROM incidents WHERE company_id = ${c.companyId} AND asset_name = ${assetName}
          AND workflow_id NOT LIKE 'past:%' AND decision IS NOT NULL`;
    return rows.length ? rows : undefined;
  }, `the decided incident on ${assetName}`);
  const r = await graphql<Seen>(stack.url, QUERY, { id: row!.id }, token);
  if (r.errors) throw new Error(JSON.stringify(r.errors));
  return r.data!.incident!;
}

const SENTENCE =
  'Fixed 2 of the last 5 disk_full incidents for this client, median 40 s; on srv-mem-01: 0 of the last 3.';
const REASON =
  'Runbook "Clean temp files" failed the last 3 times it ran on srv-mem-01, so it does not run again without a ' +
  'person approving it.';

describe('outcome memory', () => {
  it('the rules: three failed runs on the asset → the incident waits for approval, reason in the decision row', async () => {
    const c = await company();
    await history(c);
    const tech = await createUser(stack.sql, 'technician', [c.companyId]);
    const token = await login(stack.url, tech.email, tech.password);

    const held = await decidedIncident(c, token, 'srv-mem-01');
    expect(held.decision).toMatchObject({
      action: 'request_approval',
      source: 'rules',
      runbookName: 'Clean temp files',
    });
    expect(held.decision!.memoryReason).toBe(REASON);
    expect(held.decisions).toEqual([{ action: 'request_approval', memoryReason: REASON, promptVersion: null }]);
    const waiting = await eventually(async () => {
      const r = await graphql<Seen>(stack.url, QUERY, { id: held.id }, token);
      return r.data?.incident?.status === 'awaiting_approval' ? r.data.incident : undefined;
    }, 'the held-back incident waiting for approval');
    expect(waiting.memory.sentence).toBe(SENTENCE);
    expect(waiting.memory.company).toEqual({ incidents: 5, fixed: 2, medianSecondsToResolve: 40 });
    expect(waiting.memory.asset).toEqual({ incidents: 3, fixed: 0 });
    expect(waiting.memory.recent).toHaveLength(3);
    expect(waiting.memory.recent[0]).toEqual({
      status: 'Failed',
      succeeded: false,
      runbookVersion: 1,
      approvedBy: null,
    });

    // Another asset of the same company has no failures: its disk_full runs by itself (a dry run here).
    const free = await decidedIncident(c, token, 'srv-fresh-01');
    expect(free.decision).toMatchObject({ action: 'auto_remediate', memoryReason: null });
    expect(free.memory.sentence).toBe(
      'Fixed 2 of the last 5 disk_full incidents for this client, median 40 s; none on srv-fresh-01 yet.',
    );

    // Runbook.runStats counts the same SSM runs (the dry run of srv-fresh-01 apart).
    const stats = await eventually(async () => {
      const r = await graphql<{ runbook: { runStats: Record<string, unknown> } }>(
        stack.url,
        'query($id: ID!) { runbook(id: $id) { runStats { runs succeeded dryRuns successRate medianSeconds } } }',
        { id: c.diskRunbook },
        token,
      );
      const s = r.data?.runbook.runStats;
      return s && s.dryRuns === 1 ? s : undefined;
    }, 'the dry run counted');
    expect(stats).toEqual({ runs: 5, succeeded: 2, dryRuns: 1, successRate: 0.4, medianSeconds: 40 });
  });

  it('Gemini: the model is shown the memory, its pick is held back the same way', async () => {
    const c = await company({ provider: 'gemini', model: 'gem-memory' });
    await history(c);
    gemini.script('gem-memory', {
      text: JSON.stringify({ action: 'execute', runbookId: c.diskRunbook, confidence: 0.9, reasoning: 'Clean it.' }),
      tokensIn: 200,
      tokensOut: 20,
    });
    const tech = await createUser(stack.sql, 'technician', [c.companyId]);
    const token = await login(stack.url, tech.email, tech.password);

    const held = await decidedIncident(c, token, 'srv-mem-01');
    expect(held.decision).toMatchObject({ action: 'request_approval', source: 'gemini', memoryReason: REASON });
    expect(held.decisions).toEqual([{ action: 'request_approval', memoryReason: REASON, promptVersion: 'decide-v2' }]);

    const sent = gemini.seen.filter((s) => s.model === 'gem-memory');
    expect(sent).toHaveLength(1);
    const prompt = JSON.stringify(sent[0]!.body.contents);
    // The prompt is JSON inside JSON here: compare without the escaping.
    expect(prompt.replace(/\\+"/g, '"')).toContain(`"summary": "${SENTENCE}"`);
    expect(prompt).toContain('onThisAsset');
  });

  it("counts an approver's rejection as a person overriding the decision, with who and why", async () => {
    const c = await company();
    const id = `inc-${c.companyId}-rejected`;
    const approval = {
      status: 'rejected',
      riskLevel: 'low',
      requestedAt: new Date(Date.now() - 120_000).toISOString(),
      deadline: new Date(Date.now() + 3_600_000).toISOString(),
      decidedBy: 'lead@example.test',
      decidedAt: new Date(Date.now() - 60_000).toISOString(),
      comment: 'not during month-end',
    };
    const decision = {
      action: 'request_approval',
      runbook: { id: c.diskRunbook, name: 'Clean temp files', version: 1 },
    };
    await stack.sql`
      INSERT INTO incidents (id, company_id, workflow_id, run_id, aggregation_key, asset_name, signature, severity,
        status, priority_score, alert_count, decision, approval, sla_response_deadline, sla_resolution_deadline,
        version, created_at)
      VALUES (${id}, ${c.companyId}, ${`past:${id}`}, ${id}, 'srv-rej-01|disk_full', 'srv-rej-01', 'disk_full', 'high',
        'escalated', 10, 1, ${stack.sql.json(decision)}, ${stack.sql.json(approval)}, now() + interval '30 minutes',
        now() + interval '1 day', 1, now() - interval '2 minutes')`;
    const tech = await createUser(stack.sql, 'technician', [c.companyId]);
    const token = await login(stack.url, tech.email, tech.password);
    const seen = await decidedIncident(c, token, 'srv-rej-02');
    expect(seen.memory.sentence).toBe(
      'No runbook has run on disk_full incidents for this client yet. ' +
        'Approvers rejected the runbook on the last incident that asked.',
    );
    const r = await graphql<{ incident: { memory: Record<string, unknown> } }>(
      stack.url,
      `
        query ($id: ID!) {
          incident(id: $id) {
            memory {
              approvals {
                answered
                rejected
              }
              overrides {
                incidentId
                assetName
                runbookName
                runbookVersion
                decidedBy
                comment
              }
            }
          }
        }
      `,
      { id: seen.id },
      token,
    );
    expect(r.data!.incident.memory).toEqual({
      approvals: { answered: 1, rejected: 1 },
      overrides: [
        {
          incidentId: id,
          assetName: 'srv-rej-01',
          runbookName: 'Clean temp files',
          runbookVersion: 1,
          decidedBy: 'lead@example.test',
          comment: 'not during month-end',
        },
      ],
    });
  });

  it('another company sees none of it', async () => {
    const c = await company();
    await history(c);
    const other = await company();
    const tech = await createUser(stack.sql, 'technician', [other.companyId]);
    const token = await login(stack.url, tech.email, tech.password);
    const mine = await decidedIncident(other, token, 'srv-mem-01');
    expect(mine.decision).toMatchObject({ action: 'auto_remediate', memoryReason: null });
    expect(mine.memory.sentence).toBe('No runbook has run on disk_full incidents for this client yet.');
    expect(mine.memory.recent).toEqual([]);
  });
});
