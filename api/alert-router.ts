// Moves stored alerts to their incident workflows. The webhook never waits on Temporal: it commits
// the row and returns; this loop picks up unrouted rows (NOTIFY wakes it, a poll backs it up) and
// signals-with-start the workflow of the alert's business key. Delivery is at least once; the
// workflow drops alert ids it has already seen. A crash or a Temporal outage only delays routing.
import type { Client } from '@temporalio/client';
import type { Sql } from '../db/sql.ts';
import { incidentWorkflowId } from '../domain/correlation.ts';
import type { Severity } from '../domain/types.ts';
import { alertReceived } from '../workflows/messages.ts';
import { TASK_QUEUE, type AlertSignal, type IncidentWorkflowInput } from '../workflows/types.ts';
import { ALERT_CHANNEL } from './webhook.ts';

/** Incident workflows signalled at once; each keeps its own alerts in order. */
const ROUTING_CONCURRENCY = 16;
const SIGNAL_DEADLINE_MS = 10_000;

interface UnroutedAlert {
  id: string;
  company_id: string;
  asset_name: string;
  signature: string;
  aggregation_key: string;
  severity: Severity;
  message: string;
  tool_source: string;
  received_at: string;
}

export interface AlertRouterOptions {
  sql: Sql;
  temporal: Client;
  batchSize?: number;
  pollIntervalMs?: number;
  log?: (msg: string) => void;
}

export class AlertRouter {
  private stopped = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private failures = 0;

  constructor(private readonly opts: AlertRouterOptions) {}

  async start(): Promise<void> {
    const sub = await this.opts.sql.listen(ALERT_CHANNEL, () => this.wake?.());
    this.unlisten = () => sub.unlisten();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await this.unlisten?.();
  }

  private async run(): Promise<void> {
    const poll = this.opts.pollIntervalMs ?? 2000;
    while (!this.stopped) {
      let routed = 0;
      try {
        routed = await this.routeBatch();
        this.failures = 0;
      } catch (err) {
        this.failures += 1;
        this.opts.log?.(`alert router: ${(err as Error).message}; retrying`);
      }
      if (this.stopped) break;
      if (routed > 0) continue; // more may be waiting
      // Back off while Temporal or PostgreSQL is unreachable; otherwise wait for NOTIFY or the poll.
      const delay = this.failures > 0 ? Math.min(poll * 2 ** this.failures, 30_000) : poll;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  /** Routes up to one batch; returns how many alerts reached their workflow. */
  async routeBatch(): Promise<number> {
    const { sql } = this.opts;
    const failures: string[] = [];
    const count = await sql.begin(async (tx) => {
      // SKIP LOCKED lets several API processes route side by side without sending an alert twice at once.
      const alerts = await tx<UnroutedAlert[]>`
        SELECT id, company_id, asset_name, signature, aggregation_key, severity, message, tool_source, received_at
        FROM alerts WHERE routed_at IS NULL
        ORDER BY received_at, id
        LIMIT ${this.opts.batchSize ?? 200}
        FOR UPDATE SKIP LOCKED`;
      if (alerts.length === 0) return 0;
      // One lane per incident workflow: alerts of one key go in arrival order, different keys in parallel.
      const lanes = new Map<string, UnroutedAlert[]>();
      for (const a of alerts) {
        const id = incidentWorkflowId(a.company_id, a.aggregation_key);
        lanes.set(id, [...(lanes.get(id) ?? []), a]);
      }
      const routed: string[] = [];
      const failed: Array<{ id: string; error: string }> = [];
      const queue = [...lanes.entries()];
      const runLane = async (): Promise<void> => {
        for (let lane = queue.shift(); lane; lane = queue.shift()) {
          const [workflowId, laneAlerts] = lane;
          for (const a of laneAlerts) {
            try {
              await this.signal(workflowId, a);
              routed.push(a.id);
            } catch (err) {
              // Keep arrival order within the key: the rest of this lane waits for the next pass.
              const error = (err as Error).message.slice(0, 500);
              failed.push({ id: a.id, error });
              failures.push(`could not route alert ${a.id}: ${error}`);
              break;
            }
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(ROUTING_CONCURRENCY, queue.length) }, runLane));
      if (routed.length > 0) {
        await tx`UPDATE alerts SET routed_at = now(), route_attempts = route_attempts + 1, route_error = NULL WHERE id = ANY(${routed})`;
      }
      for (const f of failed) {
        await tx`UPDATE alerts SET route_attempts = route_attempts + 1, route_error = ${f.error} WHERE id = ${f.id}`;
      }
      return routed.length;
    });
    if (failures.length > 0) {
      const summary = `${failures[0]}${failures.length > 1 ? ` (and ${failures.length - 1} more)` : ''}`;
      // Nothing got through: Temporal is likely away, so the loop backs off. Otherwise carry on with the rest.
      if (count === 0) throw new Error(summary);
      this.opts.log?.(`alert router: ${summary}; will retry`);
    }
    return count;
  }

  private async signal(workflowId: string, a: UnroutedAlert): Promise<void> {
    const input: IncidentWorkflowInput = {
      companyId: a.company_id,
      assetName: a.asset_name,
      signature: a.signature,
      aggregationKey: a.aggregation_key,
    };
    const signal: AlertSignal = {
      alertId: a.id,
      severity: a.severity,
      message: a.message.slice(0, 2000),
      toolSource: a.tool_source,
      receivedAt: a.received_at,
    };
    // A deadline per call: the batch holds row locks and a pool connection while it signals.
    await this.opts.temporal.connection.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () =>
      this.opts.temporal.workflow.signalWithStart('incidentWorkflow', {
        workflowId,
        taskQueue: TASK_QUEUE,
        args: [input],
        signal: alertReceived,
        signalArgs: [signal],
      }),
    );
  }
}
