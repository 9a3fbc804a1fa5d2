// A dedup_key used again after its resolve, through the real Events API v2 endpoint: as at PagerDuty, the key's
// next trigger is a new alert (a new incident, recurring after the first) and its resolve resolves it, while an
// event sent twice is still one alert.
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EPISODE_RETENTION_DAYS, EventEpisodes } from '../../db/event-episodes.ts';
import { createCompany, type TestCompany } from '../helpers/fixtures.ts';
import { eventually, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { WEBHOOK_RATE_PER_MINUTE: '0' } });
});
afterAll(async () => {
  await stack?.stop();
});

interface IncidentRow {
  id: string;
  status: string;
  sourceResolvedAt: string | null;
  recurrenceOf: string | null;
}

function events(company: TestCompany, dedupKey: string) {
  const post = async (event: Record<string, unknown>) => {
    const res = await fetch(`${stack.url}/api/webhooks/events/v2/enqueue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ routing_key: company.apiKey, dedup_key: dedupKey, ...event }),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: 'success', message: 'Event processed', dedup_key: dedupKey });
  };
  return {
    trigger: () =>
      post({
        event_action: 'trigger',
        // A signature no runbook fixes: the incident waits for people (escalated) until the source resolves it.
        payload: {
          summary: 'Replication lag 300 s on db-01',
          source: 'db-01',
          severity: 'critical',
          class: 'repl_lag',
        },
      }),
    resolve: () => post({ event_action: 'resolve' }),
  };
}

/** The company's alerts by status, e.g. ["firing", "firing", "resolved"]. */
async function alertStatuses(companyId: string): Promise<string[]> {
  const rows = await stack.sql<{ status: string }[]>`
    SELECT status FROM alerts WHERE company_id = ${companyId} ORDER BY status`;
  return rows.map((r) => r.status);
}

/** The company's incidents (oldest first) once every firing alert joined one, if `ready` holds for them. */
function incidentsWhen(companyId: string, what: string, ready: (rows: IncidentRow[]) => boolean) {
  return eventually(
    async () => {
      const [pending] = await stack.sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM alerts
        WHERE company_id = ${companyId} AND status = 'firing' AND incident_id IS NULL`;
      const rows = await stack.sql<IncidentRow[]>`
        SELECT i.id, i.status, i.source_resolved_at AS "sourceResolvedAt", g.recurrence_of AS "recurrenceOf"
        FROM incidents i LEFT JOIN correlation_groups g ON g.workflow_id = i.workflow_id
        WHERE i.company_id = ${companyId} ORDER BY i.created_at`;
      return pending!.n === 0 && rows.length > 0 && ready(rows) && rows;
    },
    what,
    60_000,
  );
}

describe('Events API v2: a dedup_key used again after its resolve', () => {
  it('opens a new incident for the next trigger, resolved by the next resolve; a retry stays one alert', async () => {
    const company = await createCompany(stack.sql);
    const key = `db-01/repl-lag-${randomUUID()}`;
    const pd = events(company, key);
    const resolvedAtSource = (r: IncidentRow) => r.status === 'resolved' && r.sourceResolvedAt !== null;

    await pd.trigger();
    await pd.trigger(); // the sender's retry (or a repeat while open): PagerDuty de-duplicates it
    expect(await alertStatuses(company.companyId)).toEqual(['firing']);
    const [first] = await incidentsWhen(company.companyId, 'the first incident', (r) => r[0]!.status === 'escalated');

    await pd.resolve();
    await pd.resolve();
    expect(await alertStatuses(company.companyId)).toEqual(['firing', 'resolved']);
    await incidentsWhen(company.companyId, 'the first incident resolved at source', (r) => resolvedAtSource(r[0]!));

    // The key again: a new alert, and an incident of its own that recurs after the first.
    await pd.trigger();
    await pd.trigger();
    expect(await alertStatuses(company.companyId)).toEqual(['firing', 'firing', 'resolved']);
    const again = await incidentsWhen(
      company.companyId,
      'a second incident',
      (r) => r.length === 2 && r[1]!.status === 'escalated',
    );
    expect(again[0]!.id).toBe(first!.id);
    expect(resolvedAtSource(again[0]!)).toBe(true);
    expect(again[1]!.recurrenceOf).not.toBeNull();

    await pd.resolve();
    await pd.resolve();
    expect(await alertStatuses(company.companyId)).toEqual(['firing', 'firing', 'resolved', 'resolved']);
    const done = await incidentsWhen(company.companyId, 'both incidents resolved at source', (r) =>
      r.every(resolvedAtSource),
    );
    expect(done.map((r) => r.id)).toEqual(again.map((r) => r.id));

    // Each resolve resolved its own trigger's alert and took its asset and signature.
    const alerts = await stack.sql<{ status: string; assetName: string; resolved: boolean; incidentId: string }[]>`
      SELECT status, asset_name AS "assetName", resolved_at IS NOT NULL AS resolved, incident_id AS "incidentId"
      FROM alerts WHERE company_id = ${company.companyId} ORDER BY received_at`;
    expect(alerts.map((a) => [a.status, a.assetName, a.incidentId])).toEqual([
      ['firing', 'db-01', done[0]!.id],
      ['resolved', 'db-01', done[0]!.id],
      ['firing', 'db-01', done[1]!.id],
      ['resolved', 'db-01', done[1]!.id],
    ]);
    expect(alerts.filter((a) => a.status === 'firing').every((a) => a.resolved)).toBe(true);
  }, 240_000);
});

describe('EventEpisodes', () => {
  it('moves a key on only when a trigger finds it resolved, so any retry lands in the same episode', async () => {
    const company = await createCompany(stack.sql);
    const episodes = new EventEpisodes(stack.sql);
    const key = `k-${randomUUID()}`;
    const steps = ['trigger', 'trigger', 'resolve', 'resolve', 'trigger', 'trigger', 'resolve', 'trigger'] as const;
    const seen: number[] = [];
    for (const action of steps) seen.push(await episodes.advance(company.companyId, key, action));
    expect(seen).toEqual([1, 1, 1, 1, 2, 2, 2, 3]);

    // A resolve for a key never triggered closes an episode of its own: the key's first trigger is a new one.
    const other = `k-${randomUUID()}`;
    expect(await episodes.advance(company.companyId, other, 'resolve')).toBe(1);
    expect(await episodes.advance(company.companyId, other, 'trigger')).toBe(2);
  });

  it('gives concurrent retries of one event one episode', async () => {
    const company = await createCompany(stack.sql);
    const episodes = new EventEpisodes(stack.sql);
    const key = `k-${randomUUID()}`;
    await episodes.advance(company.companyId, key, 'trigger');
    await episodes.advance(company.companyId, key, 'resolve');
    const raced = await Promise.all(
      Array.from({ length: 8 }, () => episodes.advance(company.companyId, key, 'trigger')),
    );
    expect(raced).toEqual(Array(8).fill(2));
  });
});

describe('migration 026', () => {
  it('puts keys stored before episodes were counted in episode 1, resolved when their resolve is stored', async () => {
    const company = await createCompany(stack.sql);
    const long = `k-${'x'.repeat(240)}`; // its ids were hashed past 200 characters (api/webhooks/delivery-ids.ts)
    const hashed = (id: string) => `sha256:${createHash('sha256').update(id).digest('hex')}`;
    const stored: Array<[key: string, deliveryId: string, status: 'firing' | 'resolved']> = [
      ['open', 'events_v2:open:trigger', 'firing'],
      ['closed', 'events_v2:closed:trigger', 'firing'],
      ['closed', 'events_v2:closed:resolve', 'resolved'],
      [long, hashed(`events_v2:${long}:trigger`), 'firing'],
      [long, hashed(`events_v2:${long}:resolve`), 'resolved'],
      ['by-header', 'X-Delivery-ID-1', 'firing'], // the sender's own ids: no legacy ids to step past
    ];
    for (const [key, deliveryId, status] of stored) {
      await stack.sql`
        INSERT INTO alerts (id, company_id, delivery_id, asset_name, signature, aggregation_key, severity, message,
          tool_source, status, source_key, receiver, routed_at)
        VALUES (${randomUUID()}, ${company.companyId}, ${deliveryId}, 'db-01', 'repl_lag', 'db-01|repl_lag', 'low',
          'm', 'PagerDuty Events API', ${status}, ${key}, 'events_v2', now())`;
    }
    const migration = readFileSync(new URL('../../db/migrations/026_event_episodes.sql', import.meta.url), 'utf8');
    const seed = /^SELECT a\.company_id[\s\S]*?(?=;\s*$)/m.exec(migration)![0];
    const rows = await stack.sql.unsafe<{ dedupKey: string; episode: number; open: boolean }[]>(
      `SELECT s.source_key AS "dedupKey", s.episode, s.open FROM (${seed}) s
       WHERE s.company_id = $1 ORDER BY 1`,
      [company.companyId],
    );
    expect(rows.map((r) => [r.dedupKey, r.episode, r.open])).toEqual([
      ['closed', 1, false],
      [long, 1, false],
      ['open', 1, true],
    ]);
  });
});

describe('event_episodes retention', () => {
  const aged = (companyId: string, keys: string[]) => stack.sql`
    UPDATE event_episodes SET changed_at = now() - make_interval(days => ${EPISODE_RETENTION_DAYS + 1})
    WHERE company_id = ${companyId} AND dedup_key IN ${stack.sql(keys)}`;
  const keysOf = async (companyId: string) =>
    (
      await stack.sql<{ dedupKey: string; episode: number }[]>`
        SELECT dedup_key AS "dedupKey", episode FROM event_episodes WHERE company_id = ${companyId} ORDER BY 1`
    ).map((r) => [r.dedupKey, r.episode]);

  it('deletes keys resolved past the retention in bounded batches, never an open or recent key', async () => {
    const company = await createCompany(stack.sql);
    const episodes = new EventEpisodes(stack.sql, { batch: 2 });
    const old = ['old-1', 'old-2', 'old-3', 'old-4', 'old-5'];
    for (const key of old) await episodes.advance(company.companyId, key, 'resolve');
    await episodes.advance(company.companyId, 'old-open', 'trigger');
    await episodes.advance(company.companyId, 'recent', 'resolve');
    await aged(company.companyId, [...old, 'old-open']);

    const batches: number[] = [];
    for (let n = -1; n !== 0;) batches.push((n = await episodes.prune()));
    expect(batches[0]).toBe(2);
    expect(batches.every((n) => n <= 2)).toBe(true);
    expect(await keysOf(company.companyId)).toEqual([
      ['old-open', 1],
      ['recent', 1],
    ]);
  });

  it('prunes a batch off the request path as events arrive, at most once per period', async () => {
    const company = await createCompany(stack.sql);
    await new EventEpisodes(stack.sql).advance(company.companyId, 'stale', 'resolve');
    await aged(company.companyId, ['stale']);
    const episodes = new EventEpisodes(stack.sql, { everyMs: 0 });
    await episodes.advance(company.companyId, 'live', 'trigger');
    await eventually(async () => (await keysOf(company.companyId)).length === 1, 'the stale key pruned', 30_000);
    expect(await keysOf(company.companyId)).toEqual([['live', 1]]);
  });

  it("numbers a pruned key's next trigger past its stored alerts' episodes: no duplicate", async () => {
    const company = await createCompany(stack.sql);
    // The long key's delivery ids are hashed past 200 characters (api/webhooks/delivery-ids.ts).
    const keys = [`k-${randomUUID()}`, `k-${'x'.repeat(200)}-${randomUUID()}`];
    for (const key of keys) {
      const pd = events(company, key);
      for (const step of [pd.trigger, pd.resolve, pd.trigger, pd.resolve]) await step();
    }
    expect(await alertStatuses(company.companyId)).toHaveLength(8);
    await aged(company.companyId, keys);
    const episodes = new EventEpisodes(stack.sql);
    while ((await episodes.prune()) > 0);
    expect(await keysOf(company.companyId)).toEqual([]);

    for (const key of keys) await events(company, key).trigger();
    expect((await alertStatuses(company.companyId)).filter((s) => s === 'firing')).toHaveLength(6);
    expect(await keysOf(company.companyId)).toEqual(keys.map((k) => [k, 3]).sort());
    // A key never seen before still starts at episode 1.
    expect(await episodes.advance(company.companyId, `k-${randomUUID()}`, 'trigger')).toBe(1);
  });
});
