// A technician's silence pattern cannot stall the install. `asset =~ (x+)+y` against an asset of 32 x took the old
// backtracking engine longer than anyone waited, inside the API process that also runs the router: /healthz,
// webhooks and GraphQL stopped answering for every company, and after a restart the router claimed the same alert
// and froze again. Here the real `npm run api` process routes such alerts, before and after a restart on the same
// database, while /healthz is polled every ~20 ms; patterns RE2 cannot run in linear time are refused when saved,
// and a stored one saved before that check mutes nothing instead of breaking routing.
import { randomUUID } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { aggregationKey } from '../../domain/correlation.ts';
import { freePort } from '../../lib/temporal-dev-server.ts';
import { createCompany, createUser, TEST_ENCRYPTION_KEY, type TestCompany } from '../helpers/fixtures.ts';
import { eventually, graphql, login, postAlert, startStack, type Stack } from '../helpers/stack.ts';

/** Every /healthz answer must come within this, on a loaded 2-core CI machine (the old engine: never). */
const HEALTH_LIMIT_MS = 1_000;

interface ApiProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
}

async function startApi(): Promise<ApiProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      JWT_SECRET: 'test-secret-that-is-long-enough-for-hs256',
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      PORT: String(port),
      HOST: '127.0.0.1',
      WEBHOOK_RATE_PER_MINUTE: '0',
      // Its router starts incidents where this file's worker polls.
      TEMPORAL_TASK_QUEUE: stack.config.taskQueue,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => (output += chunk.toString());
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  running.push(child);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`api did not start: ${output}`)), 90_000);
    const onData = () => {
      if (output.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`api exited with ${code}: ${output}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child, output: () => output };
}

/** SIGTERM, as Ctrl-C does; SIGKILL if it does not end (a frozen process never runs its handler). */
async function stopApi(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Runs `run` against a fresh API process, stopped afterwards however `run` ends. */
async function withApi(run: (api: ApiProcess) => Promise<void>): Promise<void> {
  const api = await startApi();
  try {
    await run(api);
  } finally {
    await stopApi(api.child);
  }
}

/**
 * Polls /healthz every ~20 ms until stopped, keeping each answer's latency. `during` fails the work it wraps as soon
 * as an answer is late or missing, rather than after that work's own timeout (a frozen process answers nothing).
 */
function watchHealth(url: string) {
  const latencies: number[] = [];
  const failures: string[] = [];
  let stopped = false;
  let fail: (err: Error) => void = () => {};
  const broken = new Promise<never>((_, reject) => (fail = reject));
  broken.catch(() => {});
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      try {
        const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(3 * HEALTH_LIMIT_MS) });
        await res.text();
        if (res.status !== 200) failures.push(`status ${res.status}`);
      } catch (err) {
        failures.push((err as Error).message);
      }
      const took = performance.now() - started;
      latencies.push(took);
      if (failures.length || took >= HEALTH_LIMIT_MS) {
        fail(new Error(`/healthz answered late or not at all (${took.toFixed(0)} ms): ${failures.join('; ')}`));
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    during<T>(work: Promise<T>): Promise<T> {
      return Promise.race([work, broken]);
    },
    async stop(what: string) {
      stopped = true;
      await loop;
      const max = Math.max(...latencies);
      console.log(`[silence-redos] ${what}: ${latencies.length} /healthz answers, max latency ${max.toFixed(1)} ms`);
      expect(failures).toEqual([]);
      expect(latencies.length).toBeGreaterThan(0);
      expect(max).toBeLessThan(HEALTH_LIMIT_MS);
    },
  };
}

let stack: Stack;
const running: ChildProcess[] = [];
beforeAll(async () => {
  // The worker that runs incidents (and an API with a small silence ceiling); the API processes route.
  stack = await startStack({ startRouter: false, env: { MAX_ACTIVE_SILENCES: '2' } });
});
afterAll(async () => {
  await Promise.all(running.map(stopApi));
  await stack?.stop();
});

const CREATE = 'mutation($i:SilenceInput!){ createSilence(input:$i) { id state } }';

async function technician(url: string, company: TestCompany): Promise<string> {
  const u = await createUser(stack.sql, 'technician', [company.companyId]);
  return login(url, u.email, u.password);
}

async function silence(url: string, token: string, companyId: string, value: string) {
  return graphql<{ createSilence: { id: string; state: string } }>(
    url,
    CREATE,
    {
      i: {
        companyId,
        matchers: [{ field: 'asset', op: '=~', value }],
        durationMinutes: 60,
        comment: 'Noisy x hosts',
      },
    },
    token,
  );
}

async function post(url: string, company: TestCompany, asset: string): Promise<string> {
  const res = await postAlert(url, company.apiKey, {
    asset_name: asset,
    signature: 'redos_probe',
    severity: 'high',
    // Its own message: the same body twice within the dedup window is one delivery.
    message: `probe ${randomUUID()}`,
    tool_source: 'Prometheus',
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { alert_id: string }).alert_id;
}

/** An alert stored and claimed by a router that then stopped: its lease over, `claims` claims on record. */
async function leftClaimed(companyId: string, asset: string, claims = 1): Promise<string> {
  const id = randomUUID();
  await stack.sql`
    INSERT INTO alerts (id, company_id, delivery_id, asset_name, signature, aggregation_key, severity, message,
      tool_source, received_at, route_attempts, route_next_at)
    VALUES (${id}, ${companyId}, ${id}, ${asset}, 'redos_probe', ${aggregationKey(asset, 'redos_probe')}, 'high', 'm',
      'Prometheus', now(), ${claims}, now())`;
  return id;
}

interface Fate {
  muted: unknown;
  incidentId: string | null;
  deadLettered: boolean;
  routeError: string | null;
}

async function fates(ids: string[]): Promise<Fate[]> {
  return eventually(
    async () => {
      const rows = await stack.sql<
        {
          id: string;
          muted_by: unknown;
          incident_id: string | null;
          routed_at: string | null;
          dead_lettered_at: string | null;
          route_error: string | null;
        }[]
      >`SELECT id, muted_by, incident_id, routed_at, dead_lettered_at, route_error FROM alerts WHERE id = ANY(${ids})`;
      const settled = rows.filter((a) => a.dead_lettered_at || (a.routed_at && (a.muted_by || a.incident_id)));
      if (settled.length < ids.length) return undefined;
      return ids.map((id) => {
        const a = rows.find((r) => r.id === id)!;
        return {
          muted: a.muted_by,
          incidentId: a.incident_id,
          deadLettered: a.dead_lettered_at !== null,
          routeError: a.route_error,
        };
      });
    },
    `alerts ${ids.join(', ')} to be muted, join an incident or be dead-lettered`,
  );
}

describe('a catastrophic silence pattern', () => {
  let company: TestCompany;
  let silenceId: string;

  it('is accepted, mutes in linear time while /healthz keeps answering, and routes the alerts it does not match', async () => {
    await withApi(async (api) => {
      company = await createCompany(stack.sql);
      const token = await technician(api.url, company);
      const saved = await silence(api.url, token, company.companyId, '(x+)+y');
      // RE2 runs it in linear time: nothing to refuse.
      expect(saved.errors).toBeUndefined();
      expect(saved.data!.createSilence.state).toBe('active');
      silenceId = saved.data!.createSilence.id;

      const health = watchHealth(api.url);
      // x…x is what made the old engine backtrack forever (it does not match, so it pages); x…xy matches (muted).
      const [x32, x32y, x255, x255y] = await health.during(
        (async () => {
          const ids = [];
          for (const n of [32, 255]) {
            ids.push(await post(api.url, company, 'x'.repeat(n)));
            ids.push(await post(api.url, company, `${'x'.repeat(n - 1)}y`));
          }
          return fates(ids);
        })(),
      );
      await health.stop('first process');
      for (const f of [x32y, x255y])
        expect(f).toMatchObject({ muted: { kind: 'silence', id: silenceId }, incidentId: null });
      for (const f of [x32, x255]) expect(f).toMatchObject({ muted: null, incidentId: expect.any(String) });
    });
  }, 180_000);

  it('does the same after a restart on the same database, parking an alert its routers kept stopping on', async () => {
    // What the stopped process left claimed, as after Ctrl-C in the middle of a pass.
    const x32 = await leftClaimed(company.companyId, 'x'.repeat(32));
    const x32y = await leftClaimed(company.companyId, `${'x'.repeat(31)}y`);
    // Claimed 20 times with nothing recorded: every router that took it stopped.
    const worn = await leftClaimed(company.companyId, `${'x'.repeat(30)}yy`, 20);
    await withApi(async (api) => {
      const health = watchHealth(api.url);
      const [a, b, c, d, e] = await health.during(
        (async () => {
          const x255 = await post(api.url, company, 'x'.repeat(255));
          const x255y = await post(api.url, company, `${'x'.repeat(254)}y`);
          return fates([x32, x32y, x255, x255y, worn]);
        })(),
      );
      await health.stop('after the restart');
      for (const f of [b, d]) expect(f).toMatchObject({ muted: { kind: 'silence', id: silenceId }, incidentId: null });
      for (const f of [a, c]) expect(f).toMatchObject({ muted: null, incidentId: expect.any(String) });
      expect(e).toMatchObject({
        deadLettered: true,
        routeError: expect.stringMatching(/never finished: claimed 21 times/),
      });
    });
  }, 180_000);
});

describe('a large pass', () => {
  it('hands the event loop back while judging 400 alerts against a thousand silences', async () => {
    const company = await createCompany(stack.sql);
    // 999 costly silences, none of which matches (no literal lets RE2 skip the 1,000-character label), and the one
    // that mutes, oldest, so that the router (newest first) checks it last: about 400,000 regex matches.
    const catchAll = randomUUID();
    await stack.sql`
      INSERT INTO silences (id, company_id, matchers, starts_at, ends_at, comment, created_by, created_at)
      SELECT CASE WHEN i = 0 THEN ${catchAll} ELSE gen_random_uuid()::text END, ${company.companyId},
        CASE WHEN i = 0 THEN jsonb_build_array(jsonb_build_object('field', 'asset', 'op', '=~', 'value', 'bulk-.*'))
          ELSE jsonb_build_array(jsonb_build_object('field', 'label:probe', 'op', '=~',
            'value', '(x+)+[^x]{' || (i % 100 + 1) || '}(z|w)' || i)) END,
        now() - interval '1 hour', now() + interval '1 hour', 'bulk', 'test', now() - interval '1 hour' + i * interval '1 ms'
      FROM generate_series(0, 999) i`;
    await stack.sql`
      INSERT INTO alerts (id, company_id, delivery_id, asset_name, signature, aggregation_key, severity, message,
        tool_source, received_at, labels)
      SELECT id, ${company.companyId}, id, 'bulk-' || i, 'redos_probe', 'bulk-' || i || '|redos_probe', 'high', 'm',
        'Prometheus', now(), jsonb_build_object('probe', repeat('x', 1000))
      FROM (SELECT gen_random_uuid()::text AS id, i FROM generate_series(1, 400) i) a`;
    await withApi(async (api) => {
      const health = watchHealth(api.url);
      const muted = await health.during(
        eventually(
          async () => {
            const [r] = await stack.sql<{ muted: number }[]>`
              SELECT count(*) FILTER (WHERE muted_by->>'id' = ${catchAll} AND routed_at IS NOT NULL)::int AS muted
              FROM alerts WHERE company_id = ${company.companyId}`;
            return r!.muted === 400 && r!.muted;
          },
          'all 400 alerts to be muted',
          120_000,
        ),
      );
      await health.stop('a pass of 400 alerts × 1,000 silences');
      expect(muted).toBe(400);
    });
  }, 240_000);
});

describe('patterns RE2 cannot run in linear time', () => {
  it('are refused when saved, naming the matcher', async () => {
    const company = await createCompany(stack.sql);
    const r = await graphql(
      stack.url,
      CREATE,
      {
        i: {
          companyId: company.companyId,
          matchers: [
            { field: 'asset', op: '=~', value: 'srv-(?=db).*' },
            { field: 'signature', op: '!~', value: '(disk)_\\1' },
            { field: 'tool', op: '=~', value: '.{0,1000}' },
          ],
          durationMinutes: 60,
          comment: 'x',
        },
      },
      await technician(stack.url, company),
    );
    expect(r.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [
        { field: 'matchers.0.value', message: expect.stringMatching(/^uses a lookahead/) },
        { field: 'matchers.1.value', message: expect.stringMatching(/^uses a backreference/) },
        { field: 'matchers.2.value', message: expect.stringMatching(/^is too costly to match/) },
      ],
    });
    const [n] = await stack.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM silences WHERE company_id = ${company.companyId}`;
    expect(n!.n).toBe(0);
  });

  it('in a row saved before the check mute nothing, show as invalid, and leave routing working', async () => {
    const company = await createCompany(stack.sql);
    const legacyId = randomUUID();
    const fineId = randomUUID();
    for (const [id, value] of [
      [legacyId, 'legacy-(?=db)db'],
      [fineId, 'legacy-ok'],
    ]) {
      await stack.sql`
        INSERT INTO silences (id, company_id, matchers, starts_at, ends_at, comment, created_by)
        VALUES (${id!}, ${company.companyId}, ${stack.sql.json([{ field: 'asset', op: '=~', value: value! }])},
          now() - interval '1 minute', now() + interval '1 hour', 'from before RE2', 'legacy@example.com')`;
    }
    await withApi(async (api) => {
      const health = watchHealth(api.url);
      const [looked, fine] = await health.during(
        (async () => fates([await post(api.url, company, 'legacy-db'), await post(api.url, company, 'legacy-ok')]))(),
      );
      await health.stop('with a legacy lookahead row');
      // The lookahead silence would have muted legacy-db; it mutes nothing now, and the alert pages.
      expect(looked).toMatchObject({ muted: null, incidentId: expect.any(String), deadLettered: false });
      expect(fine).toMatchObject({ muted: { kind: 'silence', id: fineId }, incidentId: null });

      const listed = await graphql<{ company: { silences: Array<{ id: string; invalidReason: string | null }> } }>(
        api.url,
        'query($c:ID!){ company(id:$c) { silences { id invalidReason } } }',
        { c: company.companyId },
        await technician(api.url, company),
      );
      expect(listed.errors).toBeUndefined();
      expect(new Map(listed.data!.company.silences.map((s) => [s.id, s.invalidReason]))).toEqual(
        new Map([
          [legacyId, expect.stringMatching(/^matchers\.0\.value: uses a lookahead/)],
          [fineId, null],
        ]),
      );
      // The server log says so once, for the MSP.
      await eventually(async () => api.output().includes(`silence ${legacyId} mutes nothing`), 'the router log line');
    });
  }, 180_000);
});

describe('the install ceiling on silences', () => {
  it('refuses a company more active silences than MAX_ACTIVE_SILENCES, with a clear error', async () => {
    const company = await createCompany(stack.sql);
    const token = await technician(stack.url, company);
    const first = await silence(stack.url, token, company.companyId, 'a.*');
    expect(first.errors).toBeUndefined();
    expect((await silence(stack.url, token, company.companyId, 'b.*')).errors).toBeUndefined();
    const third = await silence(stack.url, token, company.companyId, 'c.*');
    expect(third.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(third.errors?.[0]?.message).toMatch(/already has 2 active or pending silences.*MAX_ACTIVE_SILENCES = 2/);
    // Expiring one makes room.
    const expired = await graphql(
      stack.url,
      'mutation($id:ID!){ expireSilence(id:$id) { state } }',
      { id: first.data!.createSilence.id },
      token,
    );
    expect(expired.errors).toBeUndefined();
    expect((await silence(stack.url, token, company.companyId, 'c.*')).errors).toBeUndefined();
  });
});
