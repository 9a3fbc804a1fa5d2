// Search and cursor paging on real PostgreSQL: the page edges (empty, one page, exactly a page, a row inserted
// between pages), text matched literally (`%` and `_` are characters), every filter, and the scope: another
// company's rows never appear, whatever the filter names.
import { randomUUID } from 'node:crypto';
import { graphql } from 'graphql';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { schema } from '../../api/graphql/schema.ts';
import { timelinePage } from '../../api/incident-pages.ts';
import { PagingInputError } from '../../domain/paging.ts';
import { insertPatchAlerts } from '../../db/patch-compliance.ts';
import { createSql, type Sql } from '../../db/sql.ts';
import { AlertWriter, type AlertRow } from '../../api/ingest/alert-writer.ts';
import { searchAlerts, searchIncidents, type AlertSearch, type IncidentSearch } from '../../api/search-queries.ts';
import { createCompany } from '../helpers/fixtures.ts';

let sql: Sql;
let C: string;
let D: string;
/** Unique to this run: the database is shared with other test files. */
const tag = `srch${randomUUID().slice(0, 6)}`;

interface IncidentOpts {
  asset: string;
  created: string;
  signature?: string;
  severity?: string;
  status?: string;
  assignee?: string;
  id?: string;
}

async function incident(companyId: string, o: IncidentOpts): Promise<string> {
  const id = o.id ?? `inc-${randomUUID().slice(0, 8)}`;
  const assignee = o.assignee ? sql.json({ userId: o.assignee, email: 'a@example.test', at: o.created }) : null;
  await sql`
    INSERT INTO incidents (id, company_id, workflow_id, run_id, aggregation_key, asset_name, signature, severity,
      status, priority_score, alert_count, sla_response_deadline, sla_resolution_deadline, version, created_at, assignee)
    VALUES (${id}, ${companyId}, ${`wf-${id}`}, ${randomUUID()}, 'k', ${o.asset}, ${o.signature ?? 'cpu_high'},
      ${o.severity ?? 'high'}, ${o.status ?? 'new'}, 10, 1, ${o.created}, ${o.created}, 1, ${o.created}, ${assignee})`;
  return id;
}

async function alert(
  companyId: string,
  o: { asset: string; at: string; message?: string; incidentId?: string; tool?: string; muted?: boolean },
) {
  const id = `al-${randomUUID()}`;
  // With its search row (migration 030), as every writer of alerts stores one.
  await sql`
    WITH added AS (
      INSERT INTO alerts (id, company_id, delivery_id, asset_name, signature, aggregation_key, severity, message,
        tool_source, received_at, routed_at, incident_id, muted_by)
      VALUES (${id}, ${companyId}, ${randomUUID()}, ${o.asset}, 'cpu_high', 'k', 'high', ${o.message ?? 'fixture'},
        ${o.tool ?? 'Prometheus'}, ${o.at}, ${o.at}, ${o.incidentId ?? null},
        ${o.muted ? sql.json({ kind: 'silence', id: 'sil-1' }) : null})
      RETURNING id, message, asset_name, signature)
    INSERT INTO alert_search (alert_id, body) SELECT id, alert_search_text(message, asset_name, signature) FROM added`;
  return id;
}

const ids = (page: { edges: Array<{ node: { id: string } }> }) => page.edges.map((e) => e.node.id);
const inc = (filter: IncidentSearch, first?: number, after?: string | null, scope: string[] | null = [C]) =>
  searchIncidents(sql, scope, filter, { first, after });
const alerts = (filter: AlertSearch, first?: number, after?: string | null, scope: string[] | null = [C]) =>
  searchAlerts(sql, scope, filter, { first, after });

/** Every id of a search, page by page. */
async function all(filter: IncidentSearch, first: number): Promise<string[]> {
  const out: string[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await inc(filter, first, after);
    out.push(...ids(page));
    if (!page.pageInfo.hasNextPage) return out;
    after = page.pageInfo.endCursor;
  }
}

beforeAll(async () => {
  sql = createSql(inject('databaseUrl'));
  C = (await createCompany(sql, { name: `Search C ${tag}` })).companyId;
  D = (await createCompany(sql, { name: `Search D ${tag}` })).companyId;
});

afterAll(async () => {
  await sql?.end();
});

describe('incidentsConnection paging', () => {
  it('returns an empty page with no cursor when nothing matches', async () => {
    const page = await inc({ text: `${tag}-nothing` });
    expect(page).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it('returns one page, newest first, when everything fits', async () => {
    const t = `${tag}-one`;
    const a = await incident(C, { asset: `${t}-a`, created: '2026-01-01T10:00:00Z' });
    const b = await incident(C, { asset: `${t}-b`, created: '2026-01-01T11:00:00Z' });
    const page = await inc({ text: t }, 5);
    expect(ids(page)).toEqual([b, a]);
    expect(page.pageInfo.hasNextPage).toBe(false);
    expect(page.pageInfo.endCursor).toBe(page.edges[1]!.cursor);
  });

  it('says there is no next page when the rows fill exactly one page, and the page after is empty', async () => {
    const t = `${tag}-exact`;
    for (let i = 0; i < 3; i++) await incident(C, { asset: `${t}-${i}`, created: `2026-01-02T0${i}:00:00Z` });
    const page = await inc({ text: t }, 3);
    expect(page.edges).toHaveLength(3);
    expect(page.pageInfo.hasNextPage).toBe(false);
    const next = await inc({ text: t }, 3, page.pageInfo.endCursor);
    expect(next.edges).toEqual([]);
    expect(next.pageInfo).toEqual({ hasNextPage: false, endCursor: null });
  });

  it('neither repeats nor skips older rows when a row is inserted between pages', async () => {
    const t = `${tag}-insert`;
    const older: string[] = [];
    for (let i = 0; i < 5; i++)
      older.push(await incident(C, { asset: `${t}-${i}`, created: `2026-01-03T0${i}:00:00Z` }));
    const first = await inc({ text: t }, 2);
    expect(ids(first)).toEqual([older[4], older[3]]);
    // A newer incident, and one created at the very instant of the page's last row: the key's id orders them.
    await incident(C, { asset: `${t}-new`, created: '2026-01-04T00:00:00Z' });
    await incident(C, { asset: `${t}-tie`, created: '2026-01-03T03:00:00Z', id: `${older[3]}~` });
    const rest: string[] = [];
    let after = first.pageInfo.endCursor;
    for (;;) {
      const page = await inc({ text: t }, 2, after);
      rest.push(...ids(page));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(rest).toEqual([older[2], older[1], older[0]]);
  });

  it('keeps microseconds in the cursor: rows within one millisecond are neither skipped nor repeated', async () => {
    const t = `${tag}-micro`;
    const made = [];
    for (let i = 1; i <= 4; i++)
      made.push(await incident(C, { asset: `${t}-${i}`, created: `2026-01-05T00:00:00.00012${i}Z` }));
    expect(await all({ text: t }, 1)).toEqual([...made].reverse());
  });

  it('refuses a cursor it did not make, a page below one and over-long text, naming the argument', async () => {
    await expect(inc({}, 5, 'not a cursor')).rejects.toMatchObject({ field: 'after' });
    await expect(inc({}, 5, Buffer.from('{"a":1}').toString('base64url'))).rejects.toBeInstanceOf(PagingInputError);
    await expect(inc({}, 0)).rejects.toMatchObject({ field: 'first' });
    await expect(inc({ text: 'x'.repeat(201) })).rejects.toMatchObject({ field: 'filter.text' });
    await expect(inc({ from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' })).rejects.toMatchObject({
      field: 'filter.to',
    });
  });

  it('clamps a page to 200 rows', async () => {
    const page = await inc({}, 10_000, null, null);
    expect(page.edges.length).toBeLessThanOrEqual(200);
  });
});

describe('incidentsConnection search', () => {
  it('treats % and _ in the text as plain characters', async () => {
    const t = `${tag}-lit`;
    const pct = await incident(C, { asset: `${t}-cpu 100%`, created: '2026-01-06T01:00:00Z' });
    await incident(C, { asset: `${t}-cpu 1000`, created: '2026-01-06T02:00:00Z' });
    const under = await incident(C, { asset: `${t}-a_b`, created: '2026-01-06T03:00:00Z' });
    await incident(C, { asset: `${t}-axb`, created: '2026-01-06T04:00:00Z' });
    const slash = await incident(C, { asset: `${t}-c\\d`, created: '2026-01-06T05:00:00Z' });
    expect(ids(await inc({ text: `${t}-cpu 100%` }))).toEqual([pct]);
    expect(ids(await inc({ text: `${t}-a_b` }))).toEqual([under]);
    expect(ids(await inc({ text: `${t}-c\\d` }))).toEqual([slash]);
    expect(ids(await inc({ text: `${t.toUpperCase()}-A_B` }))).toEqual([under]);
  });

  it("finds an incident by its asset, its signature or one of its alerts' messages", async () => {
    const t = `${tag}-text`;
    const byAsset = await incident(C, { asset: `${t}-web`, created: '2026-01-07T01:00:00Z' });
    const bySig = await incident(C, { asset: 'plain', signature: `${t}-disk_full`, created: '2026-01-07T02:00:00Z' });
    const byMsg = await incident(C, { asset: 'plain', created: '2026-01-07T03:00:00Z' });
    await alert(C, {
      asset: 'plain',
      at: '2026-01-07T03:00:00Z',
      message: `kernel ${t}-oom killed`,
      incidentId: byMsg,
    });
    expect(ids(await inc({ text: `${t}-web` }))).toEqual([byAsset]);
    expect(ids(await inc({ text: `${t}-disk` }))).toEqual([bySig]);
    expect(ids(await inc({ text: `${t}-oom` }))).toEqual([byMsg]);
  });

  it('filters by status, severity, assignee and time range', async () => {
    const t = `${tag}-filt`;
    const a = await incident(C, { asset: t, created: '2026-01-08T01:00:00Z', status: 'resolved', severity: 'low' });
    const b = await incident(C, { asset: t, created: '2026-01-08T02:00:00Z', severity: 'critical', assignee: 'u-x' });
    const c = await incident(C, { asset: t, created: '2026-01-08T03:00:00Z', status: 'escalated' });
    expect(ids(await inc({ text: t, status: 'resolved' }))).toEqual([a]);
    expect(ids(await inc({ text: t, severity: 'critical' }))).toEqual([b]);
    expect(ids(await inc({ text: t, assigneeId: 'u-x' }))).toEqual([b]);
    expect(ids(await inc({ text: t, from: '2026-01-08T02:00:00Z', to: '2026-01-08T03:00:00Z' }))).toEqual([b]);
    expect(ids(await inc({ text: t, from: '2026-01-08T02:00:00Z' }))).toEqual([c, b]);
  });

  it("never shows another company's incidents, whatever the filter names", async () => {
    const t = `${tag}-scope`;
    const mine = await incident(C, { asset: t, created: '2026-01-09T01:00:00Z' });
    const theirs = await incident(D, { asset: t, created: '2026-01-09T02:00:00Z' });
    expect(ids(await inc({ text: t }))).toEqual([mine]);
    expect(ids(await inc({ text: t, companyId: D }))).toEqual([]);
    expect(ids(await inc({ text: t }, 10, null, []))).toEqual([]);
    expect(ids(await inc({ text: t }, 10, null, null))).toEqual([theirs, mine]);
    expect(ids(await inc({ text: t, companyId: D }, 10, null, null))).toEqual([theirs]);
  });
});

describe('alertsConnection', () => {
  it('searches message, asset and signature literally, with every filter, newest first', async () => {
    const t = `${tag}-al`;
    const a1 = await alert(C, { asset: `${t}-web`, at: '2026-01-10T01:00:00Z', message: 'load 100% on cpu' });
    const a2 = await alert(C, { asset: `${t}-web`, at: '2026-01-10T02:00:00Z', message: 'load 1000', tool: 'Datadog' });
    const a3 = await alert(C, { asset: `${t}-db`, at: '2026-01-10T03:00:00Z', muted: true });
    await alert(D, { asset: `${t}-web`, at: '2026-01-10T04:00:00Z', message: 'load 100% on cpu' });
    expect(ids(await alerts({ text: t }))).toEqual([a3, a2, a1]);
    expect(ids(await alerts({ text: t, muted: true }))).toEqual([a3]);
    expect(ids(await alerts({ text: t, muted: false }))).toEqual([a2, a1]);
    expect(ids(await alerts({ text: t, toolSource: 'Datadog' }))).toEqual([a2]);
    expect(ids(await alerts({ text: `${t}-web`, from: '2026-01-10T01:30:00Z' }))).toEqual([a2]);
    expect(ids(await alerts({ text: `${t}-web`, to: '2026-01-10T01:30:00Z' }))).toEqual([a1]);
    expect(ids(await alerts({ companyId: C, text: '100%' }))).toContain(a1);
    expect(ids(await alerts({ companyId: C, text: '100%' }))).not.toContain(a2);
    expect(ids(await alerts({ text: t, companyId: D }))).toEqual([]);
    const page1 = await alerts({ text: t }, 2);
    expect(ids(page1)).toEqual([a3, a2]);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = await alerts({ text: t }, 2, page1.pageInfo.endCursor);
    expect(ids(page2)).toEqual([a1]);
    expect(page2.pageInfo.hasNextPage).toBe(false);
    expect(page2.edges[0]!.node).toMatchObject({ companyId: C, muted: false, message: 'load 100% on cpu' });
  });

  it('matches a text within one field, never one across the end of the asset and the start of the signature', async () => {
    const t = `${tag}-span`;
    const id = await alert(C, { asset: `${t}-web01`, at: '2026-01-10T05:00:00Z', message: `${t} load high` });
    // The fixture's signature is cpu_high: "web01" ends the asset and "cpu" starts the signature.
    expect(ids(await alerts({ text: `${t}-web01cpu` }))).toEqual([]);
    expect(ids(await alerts({ text: `${t}-web01 cpu` }))).toEqual([]);
    expect(ids(await alerts({ text: `${t}-web01\u001fcpu` }))).toEqual([]);
    expect(ids(await alerts({ text: `high${t}` }))).toEqual([]);
    expect(ids(await alerts({ text: `${t}-WEB01` }))).toEqual([id]);
    expect(ids(await alerts({ text: `${t} load` }))).toEqual([id]);
    expect(ids(await alerts({ companyId: C, text: 'CPU_HIGH' }))).toContain(id);
    expect(ids(await alerts({ companyId: C, text: 'cpu_high' }))).toContain(id);
  });

  it('stores one search row per alert: a delivery posted twice adds none, a deleted alert takes its row along', async () => {
    const writer = new AlertWriter({ sql });
    const row = (id: string): AlertRow => ({
      id,
      companyId: C,
      deliveryId: `${tag}-twice`,
      assetName: `${tag}-twice-web`,
      signature: 'disk_full',
      aggregationKey: `${tag}-twice-web|disk_full`,
      severity: 'high',
      message: `${tag} disk 97% full`,
      toolSource: 'Prometheus',
      status: 'firing',
      sourceKey: null,
      labels: {},
      receiver: 'alerts',
    });
    const first = await writer.write({ companyId: C, ratePerMinute: 0, alerts: [row(`al-${randomUUID()}`)] });
    const again = await writer.write({ companyId: C, ratePerMinute: 0, alerts: [row(`al-${randomUUID()}`)] });
    expect(first).toMatchObject({ kind: 'stored', alerts: [{ duplicate: false }] });
    expect(again).toMatchObject({ kind: 'stored', alerts: [{ duplicate: true }] });
    const id = first.kind === 'stored' ? first.alerts[0]!.alertId : '';
    const rows = await sql<{ alert_id: string; body: string }[]>`
      SELECT s.alert_id, s.body FROM alert_search s JOIN alerts a ON a.id = s.alert_id
      WHERE a.company_id = ${C} AND a.delivery_id = ${`${tag}-twice`}`;
    expect(rows).toEqual([{ alert_id: id, body: `${tag} disk 97% full\u001f${tag}-twice-web\u001fdisk_full` }]);
    expect(ids(await alerts({ text: `${tag}-twice-web` }))).toEqual([id]);
    await sql`DELETE FROM alerts WHERE id = ${id}`;
    expect(await sql`SELECT 1 FROM alert_search WHERE alert_id = ${id}`).toHaveLength(0);
    expect(ids(await alerts({ text: `${tag}-twice-web` }))).toEqual([]);
  });

  it('finds a patch compliance alert: its writer stores the search row too, once per scan', async () => {
    const patch = {
      instanceId: 'i-0abc',
      assetName: `${tag}-patch-web`,
      deliveryId: `${tag}-scan-1`,
      signature: 'patch_missing_critical',
      severity: 'high' as const,
      message: `${tag}-patch 3 critical patches missing`,
    };
    expect(await insertPatchAlerts(sql, C, [patch])).toBe(1);
    expect(await insertPatchAlerts(sql, C, [patch])).toBe(0);
    const found = ids(await alerts({ text: `${tag}-patch 3 critical` }));
    expect(found).toHaveLength(1);
    expect(await sql`SELECT 1 FROM alert_search WHERE alert_id = ${found[0]!}`).toHaveLength(1);
    expect(ids(await alerts({ text: `${tag}-patch-WEB` }))).toEqual(found);
  });

  it('uses the trigram indexes of migrations 024 and 030: the incidents per field, the alerts in alert_search', async () => {
    const [ext] = await sql`SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'`;
    expect(ext).toBeDefined();
    const idx = await sql<{ tablename: string; indexname: string }[]>`
      SELECT tablename, indexname FROM pg_indexes WHERE indexname LIKE '%_trgm' ORDER BY indexname`;
    expect(idx.map((r) => r.indexname)).toEqual(
      expect.arrayContaining(['alert_search_body_trgm', 'incidents_asset_trgm', 'incidents_signature_trgm']),
    );
    // The alert row itself carries no trigram index: its routing update (not HOT) would rewrite every entry.
    expect(idx.filter((r) => r.tablename === 'alerts')).toEqual([]);
    // The planner may prefer a scan of a small test table; with scans priced out, the searches' own statements (their
    // generic plans: the parameters as placeholders) must be able to use the trigram index for the alerts' text,
    // the incident search too when it looks for the text in all alerts at once rather than by incident.
    const statements: string[] = [];
    const spy = createSql(inject('databaseUrl'), { max: 1, onQuery: (q) => statements.push(q) });
    try {
      await searchAlerts(spy, null, { text: 'disk full' }, { first: 5 });
      await searchIncidents(spy, null, { text: 'disk full' }, { first: 5 });
    } finally {
      await spy.end();
    }
    const [alertSearch, incidentSearch] = statements.filter((q) => q.includes('ILIKE'));
    expect(alertSearch).toContain('alert_search');
    expect(incidentSearch).toContain('FROM incidents');
    const plan = (statement: string) =>
      sql.begin(async (tx) => {
        await tx`SET LOCAL enable_seqscan = off`;
        const rows = await tx.unsafe<{ 'QUERY PLAN': string }[]>(`EXPLAIN (GENERIC_PLAN) ${statement}`);
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      });
    expect(await plan(alertSearch!)).toContain('alert_search_body_trgm');
    expect(await plan(incidentSearch!)).toContain('alert_search_body_trgm');
    expect(await plan(incidentSearch!)).not.toMatch(/Seq Scan on alert/);
  });
});

interface GqlData {
  incidentsConnection: {
    edges: Array<{
      node: {
        id: string;
        alertsConnection: { edges: Array<{ node: { id: string } }>; pageInfo: { hasNextPage: boolean } };
        timelineConnection: { edges: unknown[] };
      };
    }>;
  };
}

describe("an incident's alerts and timeline by cursor", () => {
  it('pages the timeline newest first, and refuses a cursor of another incident', async () => {
    const id = await incident(C, { asset: `${tag}-tl`, created: '2026-01-11T00:00:00Z' });
    const other = await incident(C, { asset: `${tag}-tl2`, created: '2026-01-11T00:00:00Z' });
    for (let seq = 1; seq <= 5; seq++) {
      await sql`INSERT INTO incident_events (incident_id, seq, kind, message, created_at)
        VALUES (${id}, ${seq}, 'note', ${`event ${seq}`}, '2026-01-11T00:00:00Z')`;
    }
    const seqs: number[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await timelinePage(sql, id, { first: 2, after });
      seqs.push(...page.edges.map((e) => e.node.seq));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seqs).toEqual([5, 4, 3, 2, 1]);
    const first = await timelinePage(sql, id, { first: 2 });
    await expect(timelinePage(sql, other, { after: first.pageInfo.endCursor })).rejects.toMatchObject({
      field: 'after',
    });
  });

  it('serves both through GraphQL, and names a bad argument in a BAD_USER_INPUT error', async () => {
    const id = await incident(C, { asset: `${tag}-gql`, created: '2026-01-12T00:00:00Z' });
    const a1 = await alert(C, { asset: `${tag}-gql`, at: '2026-01-12T00:00:01Z', incidentId: id });
    const a2 = await alert(C, { asset: `${tag}-gql`, at: '2026-01-12T00:00:02Z', incidentId: id });
    await alert(C, { asset: `${tag}-gql`, at: '2026-01-12T00:00:03Z' });
    const user = { id: 'u-search', email: 's@example.test', name: 'S', role: 'technician', companyIds: [C] };
    const run = (source: string, variableValues: Record<string, unknown> = {}) =>
      graphql({ schema, source, variableValues, contextValue: { sql, user } });
    const q = `query($t:String){ incidentsConnection(filter:{text:$t}) {
      edges { node { id alertsConnection(first:1) { edges { node { id } } pageInfo { hasNextPage endCursor } }
        timelineConnection { edges { cursor } } } } } }`;
    const r = await run(q, { t: `${tag}-gql` });
    expect(r.errors).toBeUndefined();
    const node = (r.data as unknown as GqlData).incidentsConnection.edges[0]!.node;
    expect(node.id).toBe(id);
    expect(node.alertsConnection.edges.map((e) => e.node.id)).toEqual([a2]);
    expect(node.alertsConnection.pageInfo.hasNextPage).toBe(true);
    expect(node.timelineConnection.edges).toEqual([]);
    const bad = await run('{ alertsConnection(first: 0) { edges { cursor } } }');
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    const long = await run('query($t:String){ incidentsConnection(filter:{text:$t}) { edges { cursor } } }', {
      t: 'x'.repeat(201),
    });
    expect(long.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.text' });
    expect(a1).not.toBe(a2);
  });
});
