// The multi-process layout on a real Temporal server (1.28.1 on PostgreSQL, 4 history shards; scripts/cluster-up.ts):
// two APIs, two routers and two workers against one application database. During an alert storm spread over both
// APIs, one of each is SIGKILLed; afterwards every count is exact. Its own CI step (`npm run test:cluster`, its own
// vitest config): it builds on Go binaries the main suite does not need.
//   CLUSTER_STORM_ALERTS (20000 in CI; 100000 for the full storm)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { createSql, type Sql } from '../../db/sql.ts';
import { startCluster, type Cluster } from '../../scripts/cluster-up.ts';
import { createCompany } from '../helpers/fixtures.ts';
import { stormCounts, type StormCounts } from './counts.ts';
import { runStorm, stormAlerts, type StormPlan } from './storm.ts';

const TOTAL = Number(process.env.CLUSTER_STORM_ALERTS ?? 20_000);
const PLAN: StormPlan = {
  total: TOTAL,
  repeatedKeys: 100,
  // One auto-remediated incident each (disk_full has a low-risk runbook; dry run): the remediations run while
  // the worker is killed, so a retried activity that ran its command twice would show in executions.
  distinctKeys: 200,
  batch: 500,
  lanes: 4,
  tag: `cl${Date.now().toString(36)}`,
  // No runbook: these escalate and stay open, so every repeat joins its key's one incident.
  repeatedSignature: 'storm_check',
  distinctSignature: 'disk_full',
};

let dir = '';
let cluster: Cluster | null = null;
let sql: Sql | null = null;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'aw-cluster-test-'));
  cluster = await startCluster({
    dir,
    env: {
      REMEDIATION_MODE: 'dry_run',
      SSM_POLL_INTERVAL_MS: '200',
      GROUP_WAIT_SECONDS: '0',
      WEBHOOK_RATE_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
    },
  });
  sql = createSql(cluster.databaseUrl, { max: 4 });
}, 400_000);

afterAll(async () => {
  await sql?.end({ timeout: 5 });
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 300_000);

/** Polls until `done` holds for the counts, or until they stop moving for two minutes; returns the last counts. */
async function settle(read: () => Promise<StormCounts>, done: (c: StormCounts) => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  let changedAt = Date.now();
  while (!done(last) && Date.now() < deadline && Date.now() - changedAt < 120_000) {
    await new Promise((r) => setTimeout(r, 1000));
    const next = await read();
    if (JSON.stringify(next) !== JSON.stringify(last)) changedAt = Date.now();
    last = next;
  }
  return last;
}

describe('the cluster under an alert storm, one API, one router and one worker SIGKILLed mid-storm', () => {
  it(`routes ${TOTAL} alerts into exact incidents, remediates each once, loses and dead-letters nothing`, async () => {
    const c = cluster!;
    onTestFailed(() => {
      for (const p of c.processes()) console.error(`--- ${p.name} (${p.exitedHow() ?? 'running'}) ---\n${p.output()}`);
    });
    const company = await createCompany(sql!, {
      settings: { groupWaitSeconds: 0 },
      runbooks: [{ signature: 'disk_full', riskLevel: 'low', name: 'Clean temp files', actions: ['df -h /'] }],
    });
    const [api1, api2] = c.apis;
    const [router1] = c.routers;
    const [worker1] = c.workers;
    const victims = [api1!, router1!, worker1!];
    let killedAt = -1;
    const storm = await runStorm(stormAlerts(PLAN), PLAN, {
      apis: () => (killedAt < 0 ? [api1!.url!, api2!.url!] : [api2!.url!]),
      apiKey: company.apiKey,
      onProgress: (accepted) => {
        if (killedAt >= 0 || accepted < TOTAL / 3) return;
        killedAt = accepted;
        for (const p of victims) p.kill('SIGKILL');
      },
    });
    expect(killedAt).toBeGreaterThan(0);
    for (const p of victims) expect(await p.exited).toBe('was killed (SIGKILL)');
    expect(storm.accepted.size).toBe(TOTAL);

    const expected = PLAN.repeatedKeys + PLAN.distinctKeys;
    const counts = await settle(
      () => stormCounts(sql!, company.companyId, PLAN.distinctSignature),
      (n) =>
        n.alerts === TOTAL &&
        n.unlinked === 0 &&
        n.counted === TOTAL &&
        n.resolved === PLAN.distinctKeys &&
        n.executionsUnfinished === 0,
      360_000,
    );
    console.log(
      `cluster storm: ${TOTAL} alerts posted in ${(storm.elapsedMs / 1000).toFixed(1)} s, killed after ` +
        `${killedAt} accepted, retried posts ${JSON.stringify(storm.retried)}; ${JSON.stringify(counts)}`,
    );
    expect(counts).toEqual({
      alerts: TOTAL,
      duplicateDeliveries: 0,
      unrouted: 0,
      unlinked: 0,
      deadLettered: 0,
      incidents: expected,
      splitKeys: 0,
      counted: TOTAL,
      miscounted: 0,
      misplaced: 0,
      remediated: PLAN.distinctKeys,
      resolved: PLAN.distinctKeys,
      executions: PLAN.distinctKeys,
      executedTwice: 0,
      executionsUnfinished: 0,
    });
    // The survivors are still the ones serving.
    for (const p of [api2!, ...c.routers.slice(1), ...c.workers.slice(1)]) expect(p.exitedHow()).toBeNull();
  }, 900_000);
});
