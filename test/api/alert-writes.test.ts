// An accepted alert is inserted once and then written only when its routing has an outcome: no claim, lease or
// placement of its own (router/routing/partitions.ts, passes.ts). A trigger on this file's companies counts every row
// version PostgreSQL writes for an alert, as a user of pg_stat would see them add up under a storm.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompany, FILE_COMPANY_SCOPE, type TestCompany } from '../helpers/fixtures.ts';
import { eventually, postAlert, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
let company: TestCompany;
beforeAll(async () => {
  stack = await startStack();
  company = await createCompany(stack.sql, { runbooks: [], settings: { groupWaitSeconds: 0 } });
  // Test-only: counts row versions of this file's alerts (the prefix is this file's fixture scope, no user input).
  await stack.sql`CREATE TABLE IF NOT EXISTS test_alert_writes (alert_id text NOT NULL, op text NOT NULL)`;
  await stack.sql.unsafe(`
    CREATE OR REPLACE FUNCTION test_count_alert_writes() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO test_alert_writes VALUES (NEW.id, TG_OP);
      RETURN NULL;
    END $$`);
  await stack.sql.unsafe(`
    CREATE TRIGGER test_alert_writes AFTER INSERT OR UPDATE ON alerts FOR EACH ROW
    WHEN (starts_with(NEW.company_id, '${FILE_COMPANY_SCOPE.idPrefix.replace(/'/g, "''")}'))
    EXECUTE FUNCTION test_count_alert_writes()`);
});
afterAll(async () => {
  if (!stack) return;
  await stack.sql`DROP TRIGGER IF EXISTS test_alert_writes ON alerts`;
  await stack.sql`DROP FUNCTION IF EXISTS test_count_alert_writes()`;
  await stack.sql`DROP TABLE IF EXISTS test_alert_writes`;
  await stack.stop();
});

let sent = 0;
async function raise(asset: string): Promise<string> {
  sent += 1;
  const res = await postAlert(stack.url, company.apiKey, {
    asset_name: asset,
    signature: 'disk_full',
    severity: 'high',
    message: `disk ${sent}`,
    tool_source: 'Zabbix',
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { alert_id: string }).alert_id;
}

/** Once the alert is routed and in its incident: how often its row was written, by kind. */
async function writesOf(alertId: string): Promise<{ inserts: number; updates: number }> {
  await eventually(async () => {
    const [a] = await stack.sql<{ done: boolean }[]>`
      SELECT routed_at IS NOT NULL AND incident_id IS NOT NULL AND group_id IS NOT NULL AS done
      FROM alerts WHERE id = ${alertId}`;
    return a?.done ? true : undefined;
  }, `alert ${alertId} to be routed into its incident`);
  const [w] = await stack.sql<{ inserts: number; updates: number }[]>`
    SELECT count(*) FILTER (WHERE op = 'INSERT')::int AS inserts, count(*) FILTER (WHERE op = 'UPDATE')::int AS updates
    FROM test_alert_writes WHERE alert_id = ${alertId}`;
  return w!;
}

describe('an accepted alert', () => {
  it('that opens an incident is written twice after its insert: routed with its group, then linked by the worker', async () => {
    const first = await raise('db-w1');
    expect(await writesOf(first)).toEqual({ inserts: 1, updates: 2 });
  });

  it('that repeats an open incident is written once after its insert: linked, counted and routed together', async () => {
    const first = await raise('db-w2');
    await writesOf(first);
    const repeat = await raise('db-w2');
    expect(await writesOf(repeat)).toEqual({ inserts: 1, updates: 1 });
    const [incident] = await stack.sql<{ alertCount: number }[]>`
      SELECT i.alert_count AS "alertCount" FROM alerts a JOIN incidents i ON i.id = a.incident_id
      WHERE a.id = ${repeat}`;
    expect(incident).toEqual({ alertCount: 2 });
    // Its group and why are on the row, as the incident page shows them.
    const [row] = await stack.sql<
      { rule: string }[]
    >`SELECT correlation->>'rule' AS rule FROM alerts WHERE id = ${repeat}`;
    expect(row!.rule).toBeTruthy();
  });
});
