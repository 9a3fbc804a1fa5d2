// The floor of a durable webhook on this machine, for bench:ingest: bare express with express.json(), as its ceiling,
// plus the least a 202 after COMMIT costs. Each request's body goes into a row of a table with one key, group
// committed as the alert writer does (one INSERT for every request waiting while the one before runs), on the same
// PostgreSQL as the service, and the 202 is sent once that INSERT committed. No key check, no validation, no
// deduplication, no index but the key, no search row, no NOTIFY, no router: what no design of the webhook can go
// below on these cores with this database. Served from the bench process, as the bare ceiling is.
import http from 'node:http';
import express from 'express';
import type { AddressInfo } from 'node:net';
import type { Sql } from '../../db/sql.ts';
import type { Job, Result } from './ingest-loadgen.ts';

interface Waiting {
  body: string;
  done: (err?: unknown) => void;
}

export async function startFloor(sql: Sql): Promise<{ url: string; close(): Promise<void> }> {
  await sql`CREATE TABLE IF NOT EXISTS bench_floor (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), body text NOT NULL)`;
  let waiting: Waiting[] = [];
  // Two commits under way at most, as the alert writer's default (api/ingest/alert-writer.ts maxInFlight).
  let inFlight = 0;
  const flush = (): void => {
    while (inFlight < 2 && waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      inFlight += 1;
      sql`INSERT INTO bench_floor (body) SELECT * FROM unnest(${batch.map((w) => w.body)}::text[])`
        .then(
          () => batch.forEach((w) => w.done()),
          (err: unknown) => batch.forEach((w) => w.done(err)),
        )
        .finally(() => {
          inFlight -= 1;
          flush();
        });
    }
  };
  const app = express();
  app.post('/floor', express.json(), (req, res) => {
    waiting.push({
      body: JSON.stringify(req.body),
      done: (err) => void (err ? res.status(503).end() : res.status(202).json({ status: 'accepted' })),
    });
    flush();
  });
  const server = http.createServer(app).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/floor`,
    async close() {
      await new Promise((r) => server.close(r));
      await sql`DROP TABLE IF EXISTS bench_floor`;
    },
  };
}

export interface PhaseTools {
  drive(job: Partial<Job> & Pick<Job, 'url' | 'kind'>): Promise<Result>;
  meter(): (gen?: Result) => string;
  report(what: string, r: Result, cpu: string): void;
}

/** The floor driven as the ceiling is: a second of warm-up, the closed loop, then the open loop at `rate`/s. */
export async function floorPhases(sql: Sql, t: PhaseTools, rate: number): Promise<{ closed: Result; open: Result }> {
  const floor = await startFloor(sql);
  try {
    await t.drive({ url: floor.url, kind: 'closed', seconds: 1 });
    let m = t.meter();
    const closed = await t.drive({ url: floor.url, kind: 'closed' });
    t.report('floor: bare express + group-committed INSERT', closed, m(closed));
    m = t.meter();
    const open = await t.drive({ url: floor.url, kind: 'open' });
    t.report(`floor, open loop ${rate}/s`, open, m(open));
    return { closed, open };
  } finally {
    await floor.close();
  }
}
