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
    const { sql, temporal } = this.opts;
    let failure: Error | null = null;
    const count = await sql.begin(async (tx) => {
      // SKIP LOCKED lets several API processes route side by side without sending an alert twice at once.
      const alerts = await tx<UnroutedAlert[]>`
        SELECT id, company_id, asset_name, signature, aggregation_key, severity, message, tool_source, received_at
        FROM alerts WHERE routed_at IS NULL
        ORDER BY received_at, id
        LIMIT ${this.opts.batchSize ?? 100}
        FOR UPDATE SKIP LOCKED`;
      let routed = 0;
      for (const a of alerts) {
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
        try {
          await temporal.workflow.signalWithStart('incidentWorkflow', {
            workflowId: incidentWorkflowId(a.company_id, a.aggregation_key),
            taskQueue: TASK_QUEUE,
            args: [input],
            signal: alertReceived,
            signalArgs: [signal],
          });
        } catch (err) {
          const message = (err as Error).message.slice(0, 500);
          await tx`UPDATE alerts SET route_attempts = route_attempts + 1, route_error = ${message} WHERE id = ${a.id}`;
          // Keep arrival order: stop here and retry this alert first next time.
          failure = new Error(`could not route alert ${a.id}: ${message}`);
          break;
        }
        await tx`UPDATE alerts SET routed_at = now(), route_attempts = route_attempts + 1, route_error = NULL WHERE id = ${a.id}`;
        routed += 1;
      }
      return routed;
    });
    if (failure) throw failure;
    return count;
  }
}
