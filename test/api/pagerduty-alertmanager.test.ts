// A real Alertmanager's pagerduty_configs events (test/fixtures/receivers/alertmanager-pagerduty-*.json, captured
// from v0.28.1) through the real Events API v2 endpoint: one incident per (asset, signature) on the alerts'
// own hosts, the alert joining the group lands on its own host's incident, and each resolution recovers what
// its trigger opened.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCompany } from '../helpers/fixtures.ts';
import { eventually, startStack, type Stack } from '../helpers/stack.ts';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/receivers/${name}`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;
const GROUP_KEY = '3b79310eee3bf400dba568d5811aabdce8caba835436a256df2204785f4d7d4a';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { WEBHOOK_RATE_PER_MINUTE: '0' } });
});
afterAll(async () => {
  await stack?.stop();
});

interface IncidentRow {
  id: string;
  assetName: string;
  signature: string;
  status: string;
  sourceResolvedAt: string | null;
}

describe('Alertmanager through the Events API v2 intake', () => {
  it('opens one incident per host and signature, and resolves each at source', async () => {
    const company = await createCompany(stack.sql);
    const send = async (name: string) => {
      const res = await fetch(`${stack.url}/api/webhooks/events/v2/enqueue`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...fixture(name), routing_key: company.apiKey }),
      });
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ status: 'success', message: 'Event processed', dedup_key: GROUP_KEY });
    };
    const incidents = () => stack.sql<IncidentRow[]>`
      SELECT id, asset_name AS "assetName", signature, status, source_resolved_at AS "sourceResolvedAt"
      FROM incidents WHERE company_id = ${company.companyId} ORDER BY asset_name`;
    /** Once every firing alert has joined an incident, the incidents if `ready` holds for them. */
    const routed = (what: string, ready: (rows: IncidentRow[]) => boolean) =>
      eventually(
        async () => {
          const [pending] = await stack.sql<{ n: number }[]>`
            SELECT count(*)::int AS n FROM alerts
            WHERE company_id = ${company.companyId} AND status = 'firing' AND incident_id IS NULL`;
          const rows = await incidents();
          return pending!.n === 0 && ready(rows) && rows;
        },
        what,
        60_000,
      );
    const pairs = (rows: IncidentRow[]) => rows.map((r) => `${r.assetName}|${r.signature}`);

    await send('alertmanager-pagerduty-trigger.json');
    const first = await routed('two incidents', (rows) => rows.length === 2 && rows.every((r) => r.status !== 'new'));
    expect(pairs(first)).toEqual(['srv-web-01.example.com|ServiceDown', 'srv-web-02.example.com|ServiceDown']);

    // [FIRING:3]: the two known alerts again and srv-db-01 joining the group.
    await send('alertmanager-pagerduty-trigger-joined.json');
    const joined = await routed(
      'a third incident',
      (rows) => rows.length === 3 && rows.every((r) => r.status !== 'new'),
    );
    expect(pairs(joined)).toEqual([
      'srv-db-01.example.com|ServiceDown',
      'srv-web-01.example.com|ServiceDown',
      'srv-web-02.example.com|ServiceDown',
    ]);
    expect(joined.filter((r) => r.assetName.startsWith('srv-web')).map((r) => r.id)).toEqual(first.map((r) => r.id));

    // srv-db-01 recovers while the web servers still fire.
    await send('alertmanager-pagerduty-trigger-partly-resolved.json');
    const partly = await routed('srv-db-01 resolved at source', (rows) => rows[0]!.status === 'resolved');
    expect(partly.map((r) => [r.assetName, r.status === 'resolved', r.sourceResolvedAt !== null])).toEqual([
      ['srv-db-01.example.com', true, true],
      ['srv-web-01.example.com', false, false],
      ['srv-web-02.example.com', false, false],
    ]);

    await send('alertmanager-pagerduty-resolve.json');
    const done = await routed('every incident resolved', (rows) => rows.every((r) => r.status === 'resolved'));
    expect(done.every((r) => r.sourceResolvedAt !== null)).toBe(true);
    expect(done.map((r) => r.id).sort()).toEqual(joined.map((r) => r.id).sort());

    const assets = await stack.sql<{ assetName: string; status: string }[]>`
      SELECT DISTINCT asset_name AS "assetName", status FROM alerts WHERE company_id = ${company.companyId}
      ORDER BY 1, 2`;
    expect(assets.map((a) => `${a.assetName} ${a.status}`)).toEqual([
      'srv-db-01.example.com firing',
      'srv-db-01.example.com resolved',
      'srv-web-01.example.com firing',
      'srv-web-01.example.com resolved',
      'srv-web-02.example.com firing',
      'srv-web-02.example.com resolved',
    ]);
  });
});
