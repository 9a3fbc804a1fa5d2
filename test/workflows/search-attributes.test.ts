// Incident runs carry search attributes (company, asset, signature, severity, status, assignee) that change with the
// incident, so `temporal workflow list --query` finds "critical incidents of this company, escalated"; and a
// summary and details Temporal Web lists instead of a workflow id.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTemporalCli } from '../../lib/temporal-dev-server.ts';
import { createCompany } from '../helpers/fixtures.ts';
import { eventually, postAlert, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('incident search attributes', () => {
  it('are upserted as the incident changes and answer a temporal CLI query', async () => {
    // No runbook: the incident escalates and stays open.
    const company = await createCompany(stack.sql, { name: 'Search Co', runbooks: [] });
    const posted = await postAlert(stack.url, company.apiKey, {
      asset_name: 'search-db-01',
      signature: 'replication_lag',
      severity: 'critical',
      message: 'replica 300 s behind',
      tool_source: 'Prometheus',
    });
    expect(posted.status).toBe(202);
    const [row] = await eventually(async () => {
      const rows = await stack.sql<{ workflowId: string; status: string }[]>`
        SELECT workflow_id AS "workflowId", status FROM incidents WHERE company_id = ${company.companyId}`;
      return rows[0]?.status === 'escalated' ? rows : undefined;
    }, 'the incident to escalate');

    const described = await eventually(async () => {
      const d = await stack.temporal.workflow.getHandle(row!.workflowId).describe();
      return d.searchAttributes.AwStatus?.[0] === 'escalated' ? d : undefined;
    }, 'AwStatus to read escalated');
    expect(described.searchAttributes).toMatchObject({
      AwCompanyId: [company.companyId],
      AwAsset: ['search-db-01'],
      AwSignature: ['replication_lag'],
      AwSeverity: ['critical'],
      AwStatus: ['escalated'],
    });

    // Temporal Web's list reads the run's summary; its page the details.
    expect(await described.staticSummary()).toBe('replication_lag on search-db-01');
    expect(await described.staticDetails()).toContain(`Company: ${company.companyId}`);
    // Its current details (the run page's, read through the SDK's metadata query) say where it stands now.
    const metadata = await stack.temporal.workflow
      .getHandle(row!.workflowId)
      .query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toContain('Status: escalated · severity critical · 1 alert');
    expect(metadata.currentDetails).toContain('**replication_lag on search-db-01**');

    const cli = findTemporalCli();
    if (!cli) throw new Error('the temporal CLI is not on PATH or in .venv/bin');
    const query = `AwCompanyId='${company.companyId}' AND AwSeverity='critical' AND AwStatus='escalated'`;
    const listed = await eventually(async () => {
      const out = execFileSync(
        cli,
        ['workflow', 'list', '--address', stack.config.temporalAddress, '--query', query, '--output', 'json'],
        { encoding: 'utf8' },
      );
      const runs = (out.trim() ? JSON.parse(out) : []) as Array<{ execution: { workflowId: string } }>;
      return runs.length > 0 ? runs : undefined;
    }, 'the CLI to list the run');
    expect(listed.map((r) => r.execution.workflowId)).toEqual([row!.workflowId]);
  });
});
