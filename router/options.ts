// What an alert router is given (router/alert-router.ts): its database and Temporal, and the knobs tests and the
// install turn.
import type { Client } from '@temporalio/client';
import type { Sql } from '../db/sql.ts';
import type { CompanyScope } from './routing/queue.ts';

export interface AlertRouterOptions {
  sql: Sql;
  temporal: Client;
  pollIntervalMs?: number;
  perCompany?: number;
  batchSize?: number;
  /** After this many failures that are the alert's own, it is dead-lettered. */
  maxAttempts?: number;
  /** First retry delay of a failed alert; doubles per attempt. */
  retryBaseMs?: number;
  /** Where incident workflows run (TEMPORAL_TASK_QUEUE); the worker polls the same queue. */
  taskQueue?: string;
  /** Silences read per company and pass: the install's MAX_ACTIVE_SILENCES (read from the environment if unset). */
  maxActiveSilences?: number;
  /** Muting time a company may spend in one pass before its other alerts wait for the next (default 250 ms). */
  mutingBudgetMs?: number;
  /**
   * ROUTER_LEASE_SECONDS: how long this router's lock session may be silent (its process hung) before PostgreSQL
   * ends it and its partitions go to another router (routing/partitions.ts).
   */
  leaseSeconds?: number;
  /** Tests: each call to Temporal's deadline (10 s), so a test of an outage waits less. */
  signalDeadlineMs?: number;
  /** Tests: claim only these companies' alerts, so a router beside others on one database leaves theirs alone. */
  companyIds?: string[];
  /** Tests: claim only the companies of this id-prefix scope (each test file's stack: test/helpers/fixtures.ts). */
  companyScope?: CompanyScope;
  /** Workflow ID of a lane. Tests swap in the unhashed form to produce IDs Temporal refuses. */
  workflowIdFor?: (companyId: string, aggregationKey: string) => string;
  /** Tests: awaited with the pass's alert ids once placed and just before signalling (a merge while in flight). */
  hold?: (stage: 'placed' | 'signalling', alertIds: string[]) => Promise<void>;
  log?: (msg: string) => void;
}
