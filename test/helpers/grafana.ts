// The metric names the committed Grafana dashboard (ops/grafana/alert-whisperer.json) queries, so the tests that
// scrape the real API and worker can check every one exists (a renamed metric would leave a panel empty).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DASHBOARD = fileURLToPath(new URL('../../ops/grafana/alert-whisperer.json', import.meta.url));

interface Dashboard {
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
}

/** Every metric family a panel's PromQL names (histogram series folded to their family). */
export function dashboardMetrics(): string[] {
  const d = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  const names = new Set<string>();
  for (const p of d.panels) {
    for (const t of p.targets) {
      for (const m of t.expr.matchAll(/\b((?:aw|nodejs|process|temporal)_[a-z0-9_]+)/g)) {
        names.add(m[1]!.replace(/_(bucket|sum|count)$/, ''));
      }
    }
  }
  return [...names].sort();
}

/** The worker's families: Temporal's own and ours counted in worker/metrics.ts; the rest come from the API. */
export const isWorkerMetric = (name: string): boolean =>
  name.startsWith('temporal_') || /^aw_(activity_runs|decisions|ssm_runs|notification_failures)_total$/.test(name);
