// Alerts stored with the received_at a monitoring tool would have produced minutes ago, then routed by hand: the
// correlation window, recurrence, silences and the lab are exercised in event time, without waiting.
import { randomUUID } from 'node:crypto';
import { aggregationKey } from '../../domain/correlation.ts';
import { eventually, type Stack } from './stack.ts';

const MINUTE = 60_000;

export interface StoredAlert {
  asset: string;
  signature: string;
  tool?: string;
  minutesAgo: number;
  labels?: Record<string, string>;
}

export async function storeAlerts(stack: Stack, companyId: string, alerts: StoredAlert[]): Promise<string[]> {
  const ids: string[] = [];
  for (const a of alerts) {
    const id = randomUUID();
    ids.push(id);
    await stack.sql`
      INSERT INTO alerts (id, company_id, delivery_id, asset_name, signature, aggregation_key, severity, message,
        tool_source, received_at, labels)
      VALUES (${id}, ${companyId}, ${id}, ${a.asset}, ${a.signature}, ${aggregationKey(a.asset, a.signature)}, 'high',
        ${`${a.signature} on ${a.asset}`}, ${a.tool ?? 'Prometheus'},
        ${new Date(Date.now() - a.minutesAgo * MINUTE).toISOString()}, ${stack.sql.json(a.labels ?? {})})`;
  }
  return ids;
}

/** Routes until nothing is left to claim, then waits for every routable alert to reach its incident. */
export async function routeAll(stack: Stack, ids: string[]): Promise<void> {
  while ((await stack.router.routeBatch()) > 0);
  await eventually(async () => {
    const [r] = await stack.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM alerts a JOIN correlation_groups g ON g.id = a.group_id
      WHERE a.id = ANY(${ids}) AND g.opened_at IS NOT NULL AND a.incident_id IS NULL`;
    return r!.n === 0;
  }, 'the alerts to reach their incidents');
}
