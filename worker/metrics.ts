// The worker's metrics: Temporal's own (task slots, poll and schedule-to-start latencies, activity and workflow task
// outcomes) and ours, counted as activities finish — decisions by source and fallback, SSM runs by final status,
// activity failures, notification failures — all exported by the Temporal Runtime's Prometheus endpoint
// (WORKER_METRICS_ADDRESS), so the worker serves one /metrics without an HTTP server of its own. Counted in an
// activity interceptor, so the activities themselves stay free of metrics code.
import type { ActivityExecuteInput, ActivityInterceptorsFactory, MetricsExporterConfig } from '@temporalio/worker';
import { Runtime } from '@temporalio/worker';
import type { MetricCounter, MetricMeter } from '@temporalio/common';

/** WORKER_METRICS_ADDRESS ("127.0.0.1:9464"): where Prometheus scrapes the worker; unset, nothing is exported. */
export function metricsExporter(address: string | undefined): MetricsExporterConfig | undefined {
  if (!address) return undefined;
  if (!/^[\w.:[\]-]+:\d{1,5}$/.test(address)) {
    throw new Error(`WORKER_METRICS_ADDRESS must be host:port such as 127.0.0.1:9464, got "${address.slice(0, 100)}"`);
  }
  return { prometheus: { bindAddress: address, countersTotalSuffix: true, useSecondsForDurations: true } };
}

// The activities that page people (email, chat, the bell): their failures are what an operator alerts on.
const NOTIFYING = new Set(['notifyEscalation', 'pageInApp', 'notifyApprovers']);

interface Counters {
  runs: MetricCounter;
  decisions: MetricCounter;
  ssm: MetricCounter;
  notificationFailures: MetricCounter;
}

let counters: Counters | null = null;
function countersOf(meter: MetricMeter): Counters {
  counters ??= {
    runs: meter.createCounter('aw_activity_runs', undefined, 'Activity attempts by type and outcome.'),
    decisions: meter.createCounter('aw_decisions', undefined, 'Decisions made, by source and whether rules stood in.'),
    ssm: meter.createCounter('aw_ssm_runs', undefined, 'Remediation runs that ended, by SSM status and executor.'),
    notificationFailures: meter.createCounter(
      'aw_notification_failures',
      undefined,
      'Notification activity attempts that failed (Temporal retries them).',
    ),
  };
  return counters;
}

/** What an activity's result says beyond success: the decision's source, the SSM run's status. */
export function outcomeOf(
  activity: string,
  args: unknown[],
  result: unknown,
): { decision?: { source: string; fallback: string }; ssm?: { status: string; executor: string } } {
  if (activity === 'decideIncident') {
    const d = result as { source?: unknown; fallbackReason?: unknown } | null;
    return { decision: { source: String(d?.source ?? 'unknown'), fallback: d?.fallbackReason ? 'yes' : 'no' } };
  }
  if (activity === 'waitForSsmCommand') {
    const r = result as { status?: unknown } | null;
    const input = args[0] as { ref?: { executor?: unknown } } | undefined;
    return { ssm: { status: String(r?.status ?? 'unknown'), executor: String(input?.ref?.executor ?? 'ssm') } };
  }
  return {};
}

export const metricsInterceptor: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input: ActivityExecuteInput, next) {
      const c = countersOf(Runtime.instance().metricMeter);
      const activity = ctx.info.activityType;
      try {
        const result = await next(input);
        c.runs.add(1, { activity, outcome: 'completed' });
        const o = outcomeOf(activity, input.args, result);
        if (o.decision) c.decisions.add(1, o.decision);
        if (o.ssm) c.ssm.add(1, o.ssm);
        return result;
      } catch (err) {
        c.runs.add(1, { activity, outcome: 'failed' });
        if (NOTIFYING.has(activity)) c.notificationFailures.add(1, { activity });
        throw err;
      }
    },
  },
});
