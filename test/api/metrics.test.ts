// GET /metrics on the real API, read back with a Prometheus text-format parser: webhook traffic by route and status,
// the alert path's gauges from PostgreSQL, live subscriptions and the runtime; a token guards it when one is set.
import parsePrometheusTextFormat, { type PromFamily } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mayScrape, routeLabel } from '../../api/metrics.ts';
import { createCompany } from '../helpers/fixtures.ts';
import { dashboardMetrics, isWorkerMetric } from '../helpers/grafana.ts';
import { eventually, postAlert, startStack, type Stack } from '../helpers/stack.ts';

const TOKEN = 'scrape-token-for-the-metrics-test';

async function scrape(url: string, token?: string): Promise<{ status: number; families: PromFamily[] }> {
  const res = await fetch(`${url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const text = await res.text();
  return { status: res.status, families: res.ok ? parsePrometheusTextFormat(text) : [] };
}

function sample(families: PromFamily[], name: string, labels: Record<string, string> = {}): number | undefined {
  const family = families.find((f) => f.name === name);
  const m = family?.metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
  return m?.value === undefined ? undefined : Number(m.value);
}

describe('route labels and scrape access', () => {
  it('keeps the route label to a fixed set, whatever path is asked for', () => {
    expect(routeLabel('POST', '/api/webhooks/alerts')).toBe('/api/webhooks/alerts');
    expect(routeLabel('POST', '/api/webhooks/v2/enqueue')).toBe('/api/webhooks/events/v2');
    expect(routeLabel('POST', '/api/webhooks/events/v2/enqueue')).toBe('/api/webhooks/events/v2');
    expect(routeLabel('POST', '/api/webhooks/x9f3a')).toBe('/api/webhooks/other');
    expect(routeLabel('POST', '/api/auth/refresh')).toBe('/api/auth');
    expect(routeLabel('GET', '/api/nothing-here')).toBe('/api/other');
    expect(routeLabel('GET', '/assets/index-abc.js')).toBe('static');
    expect(routeLabel('PUT', '/wp-admin.php')).toBe('other');
  });

  it('wants the token when one is set, and only loopback in production without one', () => {
    expect(mayScrape({ token: 't', production: false }, 'Bearer t', '10.0.0.5')).toBe(true);
    expect(mayScrape({ token: 't', production: false }, 'Bearer x', '127.0.0.1')).toBe(false);
    expect(mayScrape({ token: undefined, production: true }, '', '10.0.0.5')).toBe(false);
    expect(mayScrape({ token: undefined, production: true }, '', '::1')).toBe(true);
    expect(mayScrape({ token: undefined, production: false }, '', '10.0.0.5')).toBe(true);
  });
});

describe('GET /metrics (real API)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { METRICS_TOKEN: TOKEN } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('is not found without the token', async () => {
    expect((await scrape(stack.url)).status).toBe(404);
    expect((await scrape(stack.url, 'wrong')).status).toBe(404);
  });

  it('counts webhook answers by route and status and shows the alert path from PostgreSQL', async () => {
    const company = await createCompany(stack.sql, { name: 'Metrics Co', runbooks: [] });
    const before = await scrape(stack.url, TOKEN);
    expect(before.status).toBe(200);
    const accepted = (f: PromFamily[]) =>
      sample(f, 'aw_http_requests_total', { route: '/api/webhooks/alerts', method: 'POST', status: '202' }) ?? 0;
    const refused = (f: PromFamily[]) =>
      sample(f, 'aw_http_requests_total', { route: '/api/webhooks/alerts', method: 'POST', status: '401' }) ?? 0;

    const posted = await postAlert(stack.url, company.apiKey, {
      asset_name: 'metrics-db-01',
      signature: 'replication_lag',
      severity: 'critical',
      message: 'replica 120 s behind',
      tool_source: 'Prometheus',
    });
    expect(posted.status).toBe(202);
    const bad = await postAlert(stack.url, 'ak_not_a_key', { asset_name: 'x', signature: 'y', severity: 'low' });
    expect(bad.status).toBe(401);

    // The incident opens (no runbook: it escalates and stays open), and the gauges read it.
    const after = await eventually(async () => {
      const s = await scrape(stack.url, TOKEN);
      const open = s.families.find((f) => f.name === 'aw_open_incidents');
      const critical = open?.metrics.filter((m) => m.labels?.severity === 'critical') ?? [];
      return critical.reduce((n, m) => n + Number(m.value), 0) >= 1 ? s : undefined;
    }, 'an open critical incident in aw_open_incidents');
    expect(accepted(after.families) - accepted(before.families)).toBe(1);
    expect(refused(after.families) - refused(before.families)).toBe(1);
    for (const name of [
      'aw_route_queue_depth',
      'aw_route_lag_seconds',
      'aw_dead_lettered_alerts',
      'aw_graphql_subscriptions',
      'aw_http_request_duration_seconds',
      'nodejs_eventloop_lag_seconds',
      'process_resident_memory_bytes',
    ]) {
      expect(after.families.map((f) => f.name)).toContain(name);
    }
    expect(sample(after.families, 'aw_route_lag_seconds')).toBeGreaterThanOrEqual(0);
    // Every API metric the committed Grafana dashboard charts exists.
    const names = after.families.map((f) => f.name);
    expect(dashboardMetrics().filter((m) => !isWorkerMetric(m) && !names.includes(m))).toEqual([]);
    expect(after.families.find((f) => f.name === 'aw_http_requests_total')?.type).toBe('COUNTER');
  });
});
