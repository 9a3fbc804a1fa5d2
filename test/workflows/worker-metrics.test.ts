// The worker's Prometheus endpoint (WORKER_METRICS_ADDRESS): Temporal's own metrics and ours, counted by the
// activity interceptor as a real incident is decided and remediated (dry run) on the real stack. Runs in a process
// of its own (OWN_PROCESS in vitest.config.ts), so this file installs the Temporal Runtime with the exporter first.
import { Runtime } from '@temporalio/worker';
import parsePrometheusTextFormat, { type PromFamily } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../lib/temporal-dev-server.ts';
import { metricsExporter, outcomeOf } from '../../worker/metrics.ts';
import { createCompany } from '../helpers/fixtures.ts';
import { dashboardMetrics, isWorkerMetric } from '../helpers/grafana.ts';
import { eventually, postAlert, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
let metricsUrl: string;

beforeAll(async () => {
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  Runtime.install({
    shutdownSignals: [],
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } as never,
    telemetryOptions: {
      logging: { filter: { core: 'ERROR', other: 'ERROR' } },
      metrics: metricsExporter(`127.0.0.1:${port}`)!,
    },
  });
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

function total(families: PromFamily[], name: string, labels: Record<string, string>): number {
  const family = families.find((f) => f.name === name);
  return (family?.metrics ?? [])
    .filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
    .reduce((n, m) => n + Number(m.value), 0);
}

describe('worker metrics', () => {
  it('reads what an activity result says: the decision source, the SSM status and executor', () => {
    expect(outcomeOf('decideIncident', [], { source: 'gemini', fallbackReason: null })).toEqual({
      decision: { source: 'gemini', fallback: 'no' },
    });
    expect(outcomeOf('decideIncident', [], { source: 'rules', fallbackReason: 'timed out' })).toEqual({
      decision: { source: 'rules', fallback: 'yes' },
    });
    expect(outcomeOf('waitForSsmCommand', [{ ref: { executor: 'dry_run' } }], { status: 'Success' })).toEqual({
      ssm: { status: 'Success', executor: 'dry_run' },
    });
    expect(outcomeOf('saveIncident', [], {})).toEqual({});
    expect(() => metricsExporter('http://x')).toThrow(/host:port/);
  });

  it('exports Temporal metrics and ours after a real incident heals itself (dry run)', async () => {
    const company = await createCompany(stack.sql, { name: 'Worker Metrics Co' });
    const posted = await postAlert(stack.url, company.apiKey, {
      asset_name: 'wm-files-01',
      signature: 'disk_full',
      severity: 'high',
      message: 'disk 96% on /',
      tool_source: 'Datadog',
    });
    expect(posted.status).toBe(202);
    const families = await eventually(async () => {
      const res = await fetch(metricsUrl);
      const f = parsePrometheusTextFormat(await res.text());
      return total(f, 'aw_ssm_runs_total', { status: 'Success', executor: 'dry_run' }) >= 1 ? f : undefined;
    }, 'a dry-run SSM success in aw_ssm_runs_total');
    expect(total(families, 'aw_decisions_total', { source: 'rules', fallback: 'no' })).toBeGreaterThanOrEqual(1);
    expect(
      total(families, 'aw_activity_runs_total', { activity: 'decideIncident', outcome: 'completed' }),
    ).toBeGreaterThanOrEqual(1);
    // Every worker metric the committed Grafana dashboard charts exists; a notification failure is counted only
    // once one happens, so that one family appears with the first failure.
    const names = families.map((f) => f.name);
    const absent = dashboardMetrics().filter((m) => isWorkerMetric(m) && !names.includes(m));
    expect(absent).toEqual(['aw_notification_failures_total']);
    // Temporal's own, from the same endpoint.
    expect(families.some((f) => f.name.startsWith('temporal_'))).toBe(true);
  });
});
