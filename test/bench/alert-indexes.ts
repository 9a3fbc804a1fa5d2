// `npx tsx test/bench/alert-indexes.ts [--alerts 20000] [--reps 3]`: what the alerts table's trigram indexes cost
// the alert path (issue 16). On embedded PostgreSQL, for each layout of the alerts' search indexes — (a) one per
// field as migration 024 made them, (b) one over the three fields joined, (c) none, (d) none on alerts but one on the
// joined text in a table of its own (alert_search), filled by the same statement as the alert — it inserts
// `alerts` realistic alerts in batches of 500 with the alert writer's unnest INSERT, updates each with a routing
// outcome in batches of 500 (routed_at, group_id, correlation, incident_id: non-HOT, as the router's markRouted and
// linkRepeats write), then VACUUMs the table (autovacuum's share of the upkeep, run here at a known time). Layouts
// are interleaved `reps` times on an emptied table. Prints wall time, rows/s and the CPU time of every PostgreSQL
// process. Figures only: it fails (exit code 1) only when it cannot run.
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startEmbeddedPostgres } from '../../db/embedded.ts';
import { migrate } from '../../db/migrate.ts';
import { createSql, type Sql } from '../../db/sql.ts';
import { freePort } from '../../lib/temporal-dev-server.ts';
import { createCompany } from '../helpers/fixtures.ts';

const { values: flags } = parseArgs({
  options: { alerts: { type: 'string', default: '20000' }, reps: { type: 'string', default: '3' } },
});
const ALERTS = Number(flags.alerts);
const REPS = Number(flags.reps);
const BATCH = 500;
if (!Number.isInteger(ALERTS) || ALERTS < BATCH) throw new Error(`--alerts must be an integer ≥ ${BATCH}`);
if (!Number.isInteger(REPS) || REPS < 1) throw new Error('--reps must be a positive integer');

// The joined text of layouts (b) and (d), as migration 030 defines it; made here unless the database has it already.
const SEARCH_FN = `CREATE FUNCTION alert_search_text(message text, asset_name text, signature text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN message || chr(31) || asset_name || chr(31) || signature`;
// Layout (d)'s table, as migration 030 creates it; made here unless the database has it already.
const SEARCH_TABLE = `CREATE TABLE alert_search (
  alert_id text PRIMARY KEY REFERENCES alerts (id) ON DELETE CASCADE, body text NOT NULL)`;
const ALL_TRGM = [
  'alerts_asset_trgm',
  'alerts_signature_trgm',
  'alerts_message_trgm',
  'alerts_search_trgm',
  'alert_search_body_trgm',
];
/** searchTable: the insert fills alert_search as well (api/ingest/alert-writer.ts's CTE). */
const LAYOUTS: Record<string, { label: string; ddl: string[]; searchTable?: boolean }> = {
  a: {
    label: '(a) three per-field',
    ddl: [
      'CREATE INDEX alerts_asset_trgm ON alerts USING gin (asset_name gin_trgm_ops)',
      'CREATE INDEX alerts_signature_trgm ON alerts USING gin (signature gin_trgm_ops)',
      'CREATE INDEX alerts_message_trgm ON alerts USING gin (message gin_trgm_ops)',
    ],
  },
  b: {
    label: '(b) one joined',
    ddl: [
      `CREATE INDEX alerts_search_trgm ON alerts
         USING gin (alert_search_text(message, asset_name, signature) gin_trgm_ops)`,
    ],
  },
  c: { label: '(c) none', ddl: [] },
  d: {
    label: '(d) alert_search table',
    ddl: ['CREATE INDEX alert_search_body_trgm ON alert_search USING gin (body gin_trgm_ops)'],
    searchTable: true,
  },
};

const SIGNATURES = ['cpu_high', 'memory_high', 'disk_full', 'service_down:nginx', 'http_5xx_rate', 'ssl_cert_expiry'];
const ROLES = ['web', 'api', 'db', 'cache', 'worker', 'lb'];
const TOOLS = ['Prometheus', 'Datadog', 'Zabbix', 'Nagios'];
const GROUPS = 1000;

/** The i-th alert of a fleet of 240 hosts, six signatures, messages as monitoring tools write them. */
function alertRow(companyId: string, i: number) {
  const host = `${ROLES[i % ROLES.length]}-${String(i % 40).padStart(2, '0')}.prod.eu-west-1`;
  const signature = SIGNATURES[Math.floor(i / 7) % SIGNATURES.length]!;
  const value = (50 + ((i * 37) % 50)).toFixed(1);
  const message =
    `${signature.replace(/[_:]/g, ' ')} on ${host}: value ${value} % above threshold 90 % for 5m ` +
    `(instance ${host}:9100, job node, sample ${i})`;
  return {
    id: `al-${randomUUID()}`,
    companyId,
    deliveryId: randomUUID(),
    assetName: host,
    signature,
    aggregationKey: `${host}|${signature}`,
    severity: ['critical', 'high', 'medium', 'low'][i % 4]!,
    message,
    toolSource: TOOLS[i % TOOLS.length]!,
    status: 'firing',
    sourceKey: `fp-${(i * 2654435761) % 4294967296}`,
    labels: JSON.stringify({ alertname: signature, instance: `${host}:9100`, job: 'node', env: 'prod' }),
    receiver: 'alertmanager',
  };
}
type Row = ReturnType<typeof alertRow>;

/**
 * api/ingest/alert-writer.ts's INSERT, one transaction per batch as the writer commits them; with `searchTable`, as a
 * CTE that also writes the alert_search row of each alert it added.
 */
async function insertBatch(sql: Sql, rows: Row[], searchTable: boolean): Promise<void> {
  const col = <K extends keyof Row>(k: K) => rows.map((r) => r[k]);
  await sql.begin(
    (tx) => tx`
    ${searchTable ? tx`WITH added AS (` : tx``}
    INSERT INTO alerts (id, company_id, delivery_id, asset_name, signature, aggregation_key, severity, message,
                        tool_source, status, source_key, labels, receiver)
    SELECT id, company_id, delivery_id, asset_name, signature, aggregation_key, severity, message,
           tool_source, status, source_key, labels::jsonb, receiver
    FROM unnest(${col('id')}::text[], ${col('companyId')}::text[], ${col('deliveryId')}::text[],
                ${col('assetName')}::text[], ${col('signature')}::text[], ${col('aggregationKey')}::text[],
                ${col('severity')}::text[], ${col('message')}::text[], ${col('toolSource')}::text[],
                ${col('status')}::text[], ${col('sourceKey')}::text[], ${col('labels')}::text[],
                ${col('receiver')}::text[])
      AS t(id, company_id, delivery_id, asset_name, signature, aggregation_key, severity, message,
           tool_source, status, source_key, labels, receiver)
    ON CONFLICT (company_id, delivery_id) DO NOTHING
    ${
      searchTable
        ? tx`RETURNING id, company_id, delivery_id, message, asset_name, signature),
          s AS (INSERT INTO alert_search (alert_id, body)
                SELECT id, alert_search_text(message, asset_name, signature) FROM added)
          SELECT id, company_id, delivery_id FROM added`
        : tx``
    }`,
  );
}

/** The routing outcome as router/routing/queue.ts writes it (markRouted's placement, linkRepeats' incident). */
async function routeBatch(sql: Sql, ids: string[], groupIds: string[]): Promise<void> {
  const why = JSON.stringify({ rule: 'same_key', matched: ['asset', 'signature'] });
  await sql`
    UPDATE alerts a SET routed_at = now(), route_error = NULL, group_id = v.group_id,
      correlation = v.why::jsonb, incident_id = 'inc-' || v.group_id
    FROM unnest(${ids}::text[], ${groupIds}::text[], ${ids.map(() => why)}::text[]) AS v(id, group_id, why)
    WHERE a.id = v.id AND a.routed_at IS NULL`;
}

/** CPU seconds (user + system) of the server and all its processes, ended ones included (the postmaster's cutime). */
function pgCpuSeconds(rootPid: number): number {
  const tick = 100; // USER_HZ on Linux
  const stats = new Map<number, string[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const raw = readFileSync(`/proc/${name}/stat`, 'utf8');
      stats.set(Number(name), raw.slice(raw.lastIndexOf(')') + 2).split(' '));
    } catch {
      // Ended between the listing and the read.
    }
  }
  const tree = new Set([rootPid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, f] of stats) {
      if (tree.has(pid) || !tree.has(Number(f[1]))) continue;
      tree.add(pid);
      grew = true;
    }
  }
  let ticks = 0;
  for (const pid of tree) {
    const f = stats.get(pid);
    if (!f) continue;
    // Fields after the name: state ppid ... utime(11) stime(12) cutime(13) cstime(14).
    ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  }
  return ticks / tick;
}

interface Run {
  layout: string;
  rep: number;
  insertMs: number;
  updateMs: number;
  vacuumMs: number;
  /** PostgreSQL's CPU seconds for the inserts and updates; the VACUUM's apart. */
  cpuS: number;
  vacuumCpuS: number;
  indexes: number;
  trgmMb: number;
}

async function runOnce(sql: Sql, pgPid: number, companyId: string, layout: string, rep: number): Promise<Run> {
  await sql`TRUNCATE alerts CASCADE`;
  await sql.unsafe(`DROP INDEX IF EXISTS ${ALL_TRGM.join(', ')}`);
  for (const ddl of LAYOUTS[layout]!.ddl) await sql.unsafe(ddl);
  await sql`CHECKPOINT`;
  const searchTable = LAYOUTS[layout]!.searchTable ?? false;
  // The indexes each alert write maintains: alert_search's (its key and its trigrams) only where it is filled.
  const tables = searchTable ? ['alerts', 'alert_search'] : ['alerts'];
  const [{ n: indexes }] = await sql<
    [{ n: number }]
  >`SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = ANY(${tables})`;
  const rows = Array.from({ length: ALERTS }, (_, i) => alertRow(companyId, i));
  const cpu0 = pgCpuSeconds(pgPid);
  const t0 = performance.now();
  for (let i = 0; i < rows.length; i += BATCH) await insertBatch(sql, rows.slice(i, i + BATCH), searchTable);
  const t1 = performance.now();
  for (let i = 0; i < rows.length; i += BATCH) {
    const ids = rows.slice(i, i + BATCH).map((r) => r.id);
    await routeBatch(
      sql,
      ids,
      ids.map((_, j) => `grp-${(i + j) % GROUPS}`),
    );
  }
  const t2 = performance.now();
  const cpu1 = pgCpuSeconds(pgPid);
  await sql`VACUUM alerts, alert_search`;
  const t3 = performance.now();
  const cpu2 = pgCpuSeconds(pgPid);
  const [{ bytes }] = await sql<[{ bytes: number }]>`
    SELECT coalesce(sum(pg_relation_size(indexrelid)), 0)::float8 AS bytes FROM pg_index
    WHERE indexrelid::regclass::text = ANY(${ALL_TRGM})`;
  return {
    layout,
    rep,
    insertMs: t1 - t0,
    updateMs: t2 - t1,
    vacuumMs: t3 - t2,
    cpuS: cpu1 - cpu0,
    vacuumCpuS: cpu2 - cpu1,
    indexes,
    trgmMb: bytes / 2 ** 20,
  };
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const f0 = (v: number) => v.toFixed(0);
const rate = (ms: number) => f0((ALERTS / ms) * 1000);

const pct = (v: number, base: number) => `${(((v - base) / base) * 100).toFixed(0)} %`;

function printTable(runs: Run[]): void {
  console.log('\n| layout | rep | indexes | insert ms | update ms | vacuum ms | PG CPU s | vacuum CPU s | trgm MB |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of runs) {
    console.log(
      `| ${LAYOUTS[r.layout]!.label} | ${r.rep} | ${r.indexes} | ${f0(r.insertMs)} | ${f0(r.updateMs)} | ` +
        `${f0(r.vacuumMs)} | ${r.cpuS.toFixed(2)} | ${r.vacuumCpuS.toFixed(2)} | ${r.trgmMb.toFixed(1)} |`,
    );
  }
  const base = runs.filter((r) => r.layout === 'a');
  const baseCost = median(base.map((r) => r.insertMs + r.updateMs));
  const baseCpu = median(base.map((r) => r.cpuS));
  console.log('\nMedians of the repetitions (insert + update; PG CPU of those two phases, VACUUM apart):\n');
  console.log(
    '| layout | insert rows/s | update rows/s | insert + update ms | vs (a) | PG CPU s | vs (a) | vacuum ms |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const layout of Object.keys(LAYOUTS)) {
    const rs = runs.filter((r) => r.layout === layout);
    const cost = median(rs.map((r) => r.insertMs + r.updateMs));
    const cpu = median(rs.map((r) => r.cpuS));
    console.log(
      `| ${LAYOUTS[layout]!.label} | ${rate(median(rs.map((r) => r.insertMs)))} | ` +
        `${rate(median(rs.map((r) => r.updateMs)))} | ${f0(cost)} | ${pct(cost, baseCost)} | ${cpu.toFixed(2)} | ` +
        `${pct(cpu, baseCpu)} | ${f0(median(rs.map((r) => r.vacuumMs)))} |`,
    );
  }
}

async function main(): Promise<void> {
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(1))
      .join(' ');
  console.log(`Alert index layouts: ${ALERTS} alerts, batches of ${BATCH}, ${REPS} reps; ${cpus().length} cores`);
  const dir = mkdtempSync(path.join(tmpdir(), 'aw-idx-'));
  // PostgreSQL runs as the user "postgres" when we are root: it must be able to pass through to its data.
  chmodSync(dir, 0o711);
  const db = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort(), persistent: false });
  const sql = createSql(db.url, { max: 2 });
  try {
    await migrate(sql);
    const { companyId } = await createCompany(sql, { name: 'Index bench' });
    const [{ fn }] = await sql<[{ fn: string | null }]>`
      SELECT to_regprocedure('alert_search_text(text,text,text)')::text AS fn`;
    if (!fn) await sql.unsafe(SEARCH_FN);
    const [{ table }] = await sql<[{ table: string | null }]>`SELECT to_regclass('alert_search')::text AS "table"`;
    if (!table) await sql.unsafe(SEARCH_TABLE);
    await sql`
      INSERT INTO correlation_groups (id, company_id, correlation_key, seq, workflow_id, asset_name, signature,
        host_fault, rule, first_at, last_at, alert_count)
      SELECT 'grp-' || g, ${companyId}, 'k' || g, 1, 'wf-' || g, 'a', 's', false, 'opened', now(), now(), 1
      FROM generate_series(0, ${GROUPS - 1}) AS g`;
    // VACUUM is run and timed by each run itself; autovacuum would start at moments that differ between runs.
    await sql`ALTER TABLE alerts SET (autovacuum_enabled = false)`;
    await sql`ALTER TABLE alert_search SET (autovacuum_enabled = false)`;
    const runs: Run[] = [];
    for (let rep = 1; rep <= REPS; rep++) {
      for (const layout of Object.keys(LAYOUTS)) {
        const r = await runOnce(sql, db.pid, companyId, layout, rep);
        runs.push(r);
        console.log(
          `  rep ${rep} ${LAYOUTS[layout]!.label}: insert ${f0(r.insertMs)} ms, update ${f0(r.updateMs)} ms, ` +
            `vacuum ${f0(r.vacuumMs)} ms, PG CPU ${r.cpuS.toFixed(2)} s (load ${load()})`,
        );
      }
    }
    printTable(runs);
    // What each layout indexes per alert (the last run's rows): GIN upkeep grows with the trigrams of each write.
    const [t] = await sql<[{ three: number; joined: number }]>`
      SELECT avg(cardinality(show_trgm(message)) + cardinality(show_trgm(asset_name))
                 + cardinality(show_trgm(signature)))::float8 AS three,
             avg(cardinality(show_trgm(alert_search_text(message, asset_name, signature))))::float8 AS joined
      FROM alerts`;
    console.log(
      `\nTrigrams per alert: ${t.three.toFixed(1)} in (a)'s three indexes, ${t.joined.toFixed(1)} in (b)'s one`,
    );
  } finally {
    await sql.end({ timeout: 5 }).catch(() => undefined);
    await db.stop().catch((err: unknown) => console.error(`  while stopping PostgreSQL: ${String(err)}`));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
