// Prometheus metrics of one API process, served at GET /metrics (prom-client's text format): its HTTP traffic by
// route and status, live GraphQL subscriptions and the Node runtime (event-loop lag, heap, CPU), plus gauges of the
// alert path read from PostgreSQL at scrape time — routing queue depth and lag, dead letters, open incidents — each
// one indexed query, so a scrape costs the same however many alerts flow. The worker's metrics (activities, SSM
// outcomes, decisions, notifications, the Temporal SDK's own) come from the worker's exporter (worker/metrics.ts).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import client from 'prom-client';
import type { Sql } from '../db/sql.ts';
import type { FeedStats } from './incident-feed.ts';

/**
 * The route label of a request: one of a fixed set, so a scanner trying random paths cannot grow the label space.
 * Webhook receivers keep their own name (their traffic is what an MSP watches); the dashboard's files are "static".
 */
export function routeLabel(method: string, path: string): string {
  const webhook =
    /^\/api\/webhooks\/(alerts|alertmanager|grafana|datadog|zabbix|cloudwatch|events\/v2|v2\/enqueue)/.exec(path);
  if (webhook) return `/api/webhooks/${webhook[1] === 'v2/enqueue' ? 'events/v2' : webhook[1]}`;
  if (path.startsWith('/api/webhooks/')) return '/api/webhooks/other';
  if (path === '/graphql') return '/graphql';
  if (path.startsWith('/api/auth/')) return '/api/auth';
  if (path === '/healthz' || path === '/readyz' || path === '/metrics') return path;
  if (path.startsWith('/api/')) return '/api/other';
  return method === 'GET' || method === 'HEAD' ? 'static' : 'other';
}

/** Whether a scrape may read the metrics (see Config.metricsToken). */
export function mayScrape(opts: { token: string | undefined; production: boolean }, auth: string, ip: string): boolean {
  if (opts.token) {
    // Compared as digests in constant time: the answer's timing says nothing about how much of a guess was right.
    const digest = (v: string) => createHash('sha256').update(v).digest();
    return timingSafeEqual(digest(auth), digest(`Bearer ${opts.token}`));
  }
  return !opts.production || ip === '127.0.0.1' || ip === '::1' || ip === '::ffff:127.0.0.1';
}

export interface ApiMetrics {
  /** Counts and times every request by route, method and status. */
  track(req: Request, res: Response, next: NextFunction): void;
  /** GET /metrics. */
  serve(req: Request, res: Response): Promise<void>;
}

export function createApiMetrics(deps: {
  sql: Sql;
  subscriptions: () => number;
  /** The live incident feed's counts (api/incident-feed.ts). */
  feed?: () => FeedStats;
}): ApiMetrics {
  const { sql } = deps;
  // A registry per server: tests run several APIs in one process, each with its own figures.
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });

  const requests = new client.Counter({
    name: 'aw_http_requests_total',
    help: 'HTTP requests answered, by route, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: 'aw_http_request_duration_seconds',
    help: 'Time from a request to its answer, by route.',
    labelNames: ['route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  new client.Gauge({
    name: 'aw_graphql_subscriptions',
    help: 'Live GraphQL subscriptions held in this process.',
    registers: [registry],
    collect() {
      this.set(deps.subscriptions());
    },
  });
  // The feed's own counts, so a dashboard can show reads per change staying flat however many screens watch.
  const feedCounters: Array<[keyof FeedStats, string, string]> = [
    ['changes', 'aw_live_incident_changes_total', 'Incident changes the live feed was told of while someone watched.'],
    ['reads', 'aw_live_incident_reads_total', 'Database reads the live feed made for them (one per batch).'],
    ['published', 'aw_live_incident_published_total', 'Incident headers the live feed published to subscribers.'],
  ];
  for (const [key, name, help] of feedCounters) {
    let seen = 0;
    new client.Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const now = deps.feed?.()[key] ?? 0;
        this.inc(Math.max(0, now - seen));
        seen = now;
      },
    });
  }
  // Served by the route queue's partial index (alerts_route_queue), as the router's own claim is.
  new client.Gauge({
    name: 'aw_route_queue_depth',
    help: 'Accepted alerts not yet routed to an incident (dead letters excluded).',
    registers: [registry],
    async collect() {
      const [r] = await sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM alerts WHERE routed_at IS NULL AND dead_lettered_at IS NULL`;
      this.set(r?.n ?? 0);
    },
  });
  new client.Gauge({
    name: 'aw_route_lag_seconds',
    help: 'Age of the oldest accepted alert still waiting to be routed (0 when none waits).',
    registers: [registry],
    async collect() {
      const [r] = await sql<{ s: number | null }[]>`
        SELECT extract(epoch FROM now() - min(received_at))::float8 AS s FROM alerts
        WHERE routed_at IS NULL AND dead_lettered_at IS NULL`;
      this.set(Math.max(r?.s ?? 0, 0));
    },
  });
  new client.Gauge({
    name: 'aw_dead_lettered_alerts',
    help: 'Alerts set aside because routing them failed for good (see deadLetteredAlerts in GraphQL).',
    registers: [registry],
    async collect() {
      const [r] = await sql<{ n: number }[]>`
        SELECT count(*)::int AS n FROM alerts WHERE dead_lettered_at IS NOT NULL`;
      this.set(r?.n ?? 0);
    },
  });
  const open = new client.Gauge({
    name: 'aw_open_incidents',
    help: 'Incidents not resolved, by status and severity.',
    labelNames: ['status', 'severity'] as const,
    registers: [registry],
    async collect() {
      const rows = await sql<{ status: string; severity: string; n: number }[]>`
        SELECT status, severity, count(*)::int AS n FROM incidents
        WHERE status <> 'resolved' AND merged_into IS NULL GROUP BY status, severity`;
      // Reset first, so a status that emptied reads 0 rather than its last count.
      open.reset();
      for (const r of rows) open.set({ status: r.status, severity: r.severity }, r.n);
    },
  });

  return {
    track(req, res, next) {
      const end = duration.startTimer();
      res.once('finish', () => {
        const route = routeLabel(req.method, req.path);
        requests.inc({ route, method: req.method, status: String(res.statusCode) });
        end({ route });
      });
      next();
    },
    async serve(_req, res) {
      try {
        const text = await registry.metrics();
        res.set('content-type', registry.contentType).send(text);
      } catch (err) {
        // A gauge's query failed (the database is away): the scrape fails rather than reading zeros.
        console.warn(`metrics: a gauge could not be read: ${(err as Error).message}`);
        res.status(503).type('text/plain').send('metrics unavailable: the database could not be read\n');
      }
    },
  };
}
