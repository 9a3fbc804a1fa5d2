// Runbook targets by asset tag on the real stack: live SSM through the real AWS SDK to moto, behind the proxy that
// records each SendCommand's instances. A tag run goes to the incident's company's tagged instances only (another
// company's assets with the same tag are never targets), and past the company's concurrent-run limit to none.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../activities/index.ts';
import { insertRunbook } from '../../db/runbooks.ts';
import { createSql, type Sql } from '../../db/sql.ts';
import type { CompanySettings } from '../../domain/company-settings.ts';
import { loadConfig } from '../../lib/config.ts';
import type { IncidentState } from '../../workflows/types.ts';
import { createCompany } from '../helpers/fixtures.ts';
import { startMoto, type Moto } from '../helpers/moto.ts';
import { startStack, type Stack } from '../helpers/stack.ts';
import { alert, sendAlert, stateWhen } from '../workflows/helpers.ts';
import { startSsmProxy, type SsmProxy } from './ssm-proxy.ts';

process.env.AWS_ACCESS_KEY_ID = 'testing';
process.env.AWS_SECRET_ACCESS_KEY = 'testing';
process.env.AWS_REGION = 'us-east-1';

const instanceId = (): string => `i-${randomBytes(8).toString('hex')}`;

let moto: Moto;
let proxy: SsmProxy;
let stack: Stack;
let activitySql: Sql;

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startSsmProxy(moto.url);
  const env = { REMEDIATION_MODE: 'ssm', SSM_POLL_INTERVAL_MS: '200', SSM_ENDPOINT: proxy.url };
  activitySql = createSql(inject('databaseUrl'));
  stack = await startStack({
    env,
    startRouter: false,
    activities: createActivities({ sql: activitySql, config: loadConfig(env) }),
  });
});

afterAll(async () => {
  await stack?.stop();
  await activitySql?.end({ timeout: 5 });
  await proxy?.close();
  await moto?.stop();
});

type Asset = { name: string; instanceId?: string; tags: string[] };

/** A company whose assets carry tags, with a low-risk runbook that runs on the assets tagged "web". */
async function companyWith(assets: Asset[], settings: CompanySettings = { groupWaitSeconds: 0 }) {
  const company = await createCompany(stack.sql, { settings, assets, runbooks: [] });
  for (const a of assets) {
    await stack.sql`UPDATE assets SET tags = ${a.tags} WHERE company_id = ${company.companyId} AND name = ${a.name}`;
  }
  await stack.sql.begin((tx) =>
    insertRunbook(
      tx,
      `rb-${randomUUID()}`,
      company.companyId,
      {
        name: 'Flush web caches',
        description: '',
        signatures: ['cache_stale'],
        riskLevel: 'low',
        documentName: 'AWS-RunShellScript',
        commands: ['echo flush {{asset}}'],
        parameters: {},
        timeoutSeconds: 120,
        targetTag: 'web',
      },
      'test',
    ),
  );
  return company;
}

const raise = (companyId: string, asset: string) =>
  sendAlert(stack.temporal, companyId, asset, 'cache_stale', alert('high'), stack.config.taskQueue);

describe('runbook targets by tag', () => {
  it("sends to the company's own tagged instances only, never another company's with the same tag", async () => {
    const [web1, web2, db, otherWeb] = [instanceId(), instanceId(), instanceId(), instanceId()];
    // Another company with the same tag, created first so its rows come first in any unscoped read.
    await companyWith([{ name: 'b-web-1', instanceId: otherWeb, tags: ['web'] }]);
    const a = await companyWith([
      { name: 'a-web-2', instanceId: web2, tags: ['web', 'eu'] },
      { name: 'a-web-1', instanceId: web1, tags: ['web'] },
      { name: 'a-web-unregistered', tags: ['web'] },
      { name: 'a-db', instanceId: db, tags: ['db'] },
    ]);
    const done = (await (await raise(a.companyId, 'a-db')).result()) as IncidentState;
    expect(done).toMatchObject({ status: 'resolved', autoRemediated: true });
    expect(done.execution?.instanceIds).toEqual([web1, web2]);
    const sent = proxy.sends.filter((ids) => ids.includes(web1));
    expect(sent).toEqual([[web1, web2]]);
    expect(proxy.sends.some((ids) => ids.includes(otherWeb) || ids.includes(db))).toBe(false);
  });

  it("runs on none when the tag reaches more instances than the company's concurrent-run limit", async () => {
    const assets = Array.from({ length: 3 }, (_, i) => ({
      name: `c-web-${i}`,
      instanceId: instanceId(),
      tags: ['web'],
    }));
    const c = await companyWith(assets, { groupWaitSeconds: 0, remediation: { maxConcurrentRuns: 2 } });
    const h = await raise(c.companyId, 'c-web-0');
    const s = await stateWhen(h, (x) => x.status === 'escalated', 'the over-wide tag run to be refused');
    expect(s.escalationReason).toBe(
      'Not run: more than 2 assets of this company are tagged "web", more than it may run on at once (limit 2)',
    );
    expect(s.execution).toBeNull();
    expect(proxy.sends.some((ids) => assets.some((x) => ids.includes(x.instanceId)))).toBe(false);
    await h.terminate('test over');
  });
});
