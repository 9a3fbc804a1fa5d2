// incidentWorkflow: one durable run per open incident, keyed by company + aggregation key.
// Deterministic only: every side effect goes through an activity.
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { createIncidentStoreActivities } from '../activities/incident-store.ts';
import type { createDecisionActivities } from '../activities/decision.ts';
import type { createSsmActivities } from '../activities/ssm.ts';
import { maxSeverity } from '../domain/severity.ts';
import { priorityScore } from '../domain/priority.ts';
import { slaDeadlines } from '../domain/sla.ts';
import { canApprove } from '../domain/rules.ts';
import {
  acknowledgeIncident,
  alertReceived,
  alertsReceived,
  approveIncident,
  rejectIncident,
  resolveIncident,
  sourceResolved,
  stateQuery,
} from './messages.ts';
import type {
  AlertSignal,
  IncidentCommand,
  IncidentState,
  IncidentWorkflowInput,
  SourceResolution,
  TimelineEvent,
} from './types.ts';

type StoreActivities = ReturnType<typeof createIncidentStoreActivities>;
type DecisionActivities = ReturnType<typeof createDecisionActivities>;
type SsmActivities = ReturnType<typeof createSsmActivities>;

// Writes to PostgreSQL are idempotent, so they may retry for as long as the database is away.
const store = proxyActivities<StoreActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

const decision = proxyActivities<DecisionActivities>({
  // An LLM provider may be slow; the activity falls back to rules on its own well before this.
  startToCloseTimeout: '60 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds', maximumAttempts: 5 },
});

const ssmSend = proxyActivities<Pick<SsmActivities, 'sendSsmCommand'>>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 5,
    nonRetryableErrorTypes: ['NoSsmTarget', 'InvalidSsmRequest'],
  },
});

const ssmWait = proxyActivities<Pick<SsmActivities, 'waitForSsmCommand'>>({
  // Polls GetCommandInvocation until the command ends; heartbeats tell Temporal the poller is alive.
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute', maximumAttempts: 4 },
});

const MINUTE = 60_000;

/** Redelivered alert ids are recognised among this many recent ones; older redeliveries are caught in PostgreSQL. */
const RECENT_ALERT_IDS = 200;
/** Ids a run remembers to drop redeliveries; bounded so a long-lived incident's state stays small. */
const SEEN_ALERT_IDS = 2000;
/** Distinct tools kept on the incident; a bound on state, far above any real stack. */
const MAX_TOOL_SOURCES = 20;
/** Alert ids a timeline event lists; the count says the rest. */
const EVENT_ALERT_IDS = 20;

/**
 * Returns the incident's final state, or null when every alert that started the run had already been
 * handled by an earlier incident (a redelivery after that incident closed).
 */
export async function incidentWorkflow(input: IncidentWorkflowInput): Promise<IncidentState | null> {
  const info = workflowInfo();
  const seen = new Set<string>(input.resume?.recentAlertIds ?? []);
  let pending: AlertSignal[] = [];
  // Repeats the router sent by id (no incident row existed yet): counted and linked, nothing else.
  let pendingRepeats: string[] = [];
  // Alerts that arrive once the incident has resolved open the next incident of this key.
  const late: AlertSignal[] = [];
  const lateRepeats: string[] = [];
  let ctx: Awaited<ReturnType<StoreActivities['loadIncidentContext']>> | undefined;
  let closed = false;
  let events: TimelineEvent[] = [];
  // Alert ids absorbed since the last save: each save links only these to the incident row.
  let unsavedAlertIds: string[] = [];
  // Saves in flight: a continue-as-new waits for them so no timeline event is lost.
  let saving = 0;

  /** False for an id already seen: the router delivers at least once. */
  const firstSighting = (alertId: string): boolean => {
    if (seen.has(alertId)) return false;
    seen.add(alertId);
    if (seen.size > SEEN_ALERT_IDS) seen.delete(seen.values().next().value!);
    return true;
  };
  const accept = (alert: AlertSignal): void => {
    if (firstSighting(alert.alertId)) (closed ? late : pending).push(alert);
  };
  const acceptRepeat = (alertId: string): void => {
    if (firstSighting(alertId)) (closed ? lateRepeats : pendingRepeats).push(alertId);
  };
  const hasPending = (): boolean => pending.length > 0 || pendingRepeats.length > 0;
  for (const alert of input.carriedAlerts ?? []) accept(alert);
  for (const id of input.carriedRepeatIds ?? []) acceptRepeat(id);
  setHandler(alertReceived, accept);
  setHandler(alertsReceived, (batch) => {
    for (const a of batch.alerts) accept(a);
    for (const id of batch.repeatIds) acceptRepeat(id);
  });

  let state: IncidentState | undefined = input.resume ? { ...input.resume, runId: info.runId } : undefined;
  const current = (): IncidentState => {
    if (!state) throw ApplicationFailure.nonRetryable('Incident has no alert yet', 'IncidentNotReady');
    return state;
  };
  setHandler(stateQuery, () => current());

  const now = (): string => new Date(Date.now()).toISOString();

  const event = (
    kind: string,
    message: string,
    actor: string | null = null,
    data: Record<string, unknown> | null = null,
  ): void => {
    const s = current();
    s.version += 1;
    s.updatedAt = now();
    events.push({ seq: s.version, kind, message, actor, data, createdAt: s.updatedAt });
  };

  /** Persist the state, the new timeline events and the newly joined alerts in one transaction. */
  const save = async (): Promise<void> => {
    const s = current();
    const batch = events;
    const newAlertIds = unsavedAlertIds;
    events = [];
    unsavedAlertIds = [];
    saving += 1;
    try {
      await store.saveIncident({ state: { ...s }, events: batch, newAlertIds });
    } finally {
      saving -= 1;
    }
  };

  const absorb = (alerts: AlertSignal[], repeatIds: string[] = []): void => {
    const s = current();
    for (const a of alerts) {
      s.alertCount += 1;
      s.recentAlertIds.push(a.alertId);
      unsavedAlertIds.push(a.alertId);
      s.severity = maxSeverity(s.severity, a.severity);
      if (!s.toolSources.includes(a.toolSource) && s.toolSources.length < MAX_TOOL_SOURCES)
        s.toolSources.push(a.toolSource);
    }
    s.alertCount += repeatIds.length;
    unsavedAlertIds.push(...repeatIds);
    // A firing alert after the source said everything recovered: the problem is back.
    if (alerts.length > 0 && s.sourceResolvedAt) s.sourceResolvedAt = null;
    s.recentAlertIds.splice(0, Math.max(s.recentAlertIds.length - RECENT_ALERT_IDS, 0));
    s.priorityScore = priorityScore({
      severity: s.severity,
      assetCritical: s.assetCritical,
      alertCount: s.alertCount,
      toolSourceCount: s.toolSources.length,
      ageHours: (Date.now() - Date.parse(s.createdAt)) / (60 * MINUTE),
    });
  };

  const flushAlerts = async (): Promise<void> => {
    if (!hasPending()) return;
    const batch = pending;
    const repeats = pendingRepeats;
    pending = [];
    pendingRepeats = [];
    absorb(batch, repeats);
    const n = batch.length + repeats.length;
    event('alerts_correlated', `${n} more alert(s) correlated (${current().alertCount} in total)`, null, {
      alertIds: [...batch.map((a) => a.alertId), ...repeats].slice(0, EVENT_ALERT_IDS),
      ...(n > EVENT_ALERT_IDS ? { alertCount: n } : {}),
    });
    await save();
  };

  /**
   * Wait until `done()` or the timeout, folding in alerts as they arrive. Returns whether `done()`
   * became true, or 'continue' when Temporal suggests a fresh history and it is safe to take one.
   */
  const waitFor = async (
    done: () => boolean,
    timeoutMs?: number,
    mayContinue = false,
  ): Promise<boolean | 'continue'> => {
    const until = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    for (;;) {
      const remaining = until === undefined ? undefined : Math.max(until - Date.now(), 0);
      const wake = (): boolean => done() || hasPending() || (mayContinue && workflowInfo().continueAsNewSuggested);
      if (remaining === undefined) await condition(wake);
      else await condition(wake, remaining);
      if (hasPending()) await flushAlerts();
      if (done()) return true;
      if (mayContinue && workflowInfo().continueAsNewSuggested) return 'continue';
      // A steady stream of alerts must not hold the deadline off: it ends the wait even if the last wake was an alert.
      if (until !== undefined && Date.now() >= until) return false;
    }
  };

  const escalate = async (reason: string): Promise<void> => {
    const s = current();
    s.status = 'escalated';
    s.escalated = true;
    s.escalationLevel += 1;
    s.escalationReason = reason;
    event('escalated', `Escalated to level ${s.escalationLevel}: ${reason}`);
    await save();
  };

  const resolve = async (message: string, actor: string | null, autoRemediated: boolean): Promise<void> => {
    const s = current();
    s.status = 'resolved';
    s.autoRemediated = autoRemediated;
    s.resolvedAt = now();
    event('resolved', message, actor);
    await save();
  };

  // Runs recorded before the setting existed have no such field in their context: the default applies.
  const autoResolvesAtSource = (): boolean => ctx?.autoResolveAtSource ?? true;

  // ---- open the incident ---------------------------------------------------------------
  await condition(() => state !== undefined || pending.length > 0);
  if (!state) {
    let opening: AlertSignal[] = [];
    let openingRepeats: string[] = [];
    for (;;) {
      const candidates = pending;
      const candidateRepeats = pendingRepeats;
      pending = [];
      pendingRepeats = [];
      ctx = await store.loadIncidentContext({
        companyId: input.companyId,
        assetName: input.assetName,
        alertIds: [...candidates.map((a) => a.alertId), ...candidateRepeats],
      });
      // A redelivery of an alert an earlier incident already handled must not open a second incident.
      const linked = new Set(ctx.linkedAlertIds);
      const fresh = candidates.filter((a) => !linked.has(a.alertId));
      if (fresh.length > 0) {
        // Alerts that arrived during the look-up open the incident too (saveIncident still refuses to take
        // an alert another incident owns); runs recorded before this check was added did exactly this.
        opening = [...fresh, ...pending];
        openingRepeats = [...candidateRepeats.filter((id) => !linked.has(id)), ...pendingRepeats];
        pending = [];
        pendingRepeats = [];
        break;
      }
      if (pending.length === 0) {
        closed = true;
        await condition(allHandlersFinished);
        if (late.length > 0) {
          return await continueAsNew<typeof incidentWorkflow>({
            ...input,
            carriedAlerts: late,
            carriedRepeatIds: lateRepeats,
            resume: undefined,
          });
        }
        return null;
      }
    }
    const first = opening[0]!;
    const createdAt = now();
    const deadlines = slaDeadlines(Date.parse(createdAt), first.severity, ctx.sla);
    state = {
      incidentId: uuid4(),
      companyId: input.companyId,
      workflowId: info.workflowId,
      runId: info.runId,
      aggregationKey: input.aggregationKey,
      assetName: input.assetName,
      signature: input.signature,
      severity: first.severity,
      status: 'new',
      priorityScore: 0,
      assetCritical: ctx.assetCritical,
      alertCount: 0,
      recentAlertIds: [],
      toolSources: [],
      decision: null,
      approval: null,
      execution: null,
      acknowledgement: null,
      autoRemediated: false,
      escalated: false,
      escalationLevel: 0,
      escalationReason: null,
      slaResponseDeadline: new Date(deadlines.responseDeadline).toISOString(),
      slaResolutionDeadline: new Date(deadlines.resolutionDeadline).toISOString(),
      slaBreached: false,
      slaResponseBreached: false,
      slaResolutionBreached: false,
      createdAt,
      updatedAt: createdAt,
      resolvedAt: null,
      version: 0,
    };
    absorb(opening, openingRepeats);
    const n = opening.length + openingRepeats.length;
    event('created', `Incident opened on ${input.assetName} for "${input.signature}" from ${n} alert(s)`, null, {
      alertIds: [...opening.map((a) => a.alertId), ...openingRepeats].slice(0, EVENT_ALERT_IDS),
      ...(n > EVENT_ALERT_IDS ? { alertCount: n } : {}),
    });
    await save();
  } else {
    ctx = await store.loadIncidentContext({ companyId: input.companyId, assetName: input.assetName, alertIds: [] });
    // The row learns the new run id, so "Open in Temporal Web" leads to the live run.
    event('continued', 'Continued in a fresh workflow run to keep the history short');
    await save();
  }

  // ---- commands from people -------------------------------------------------------------
  const mayActOn = (cmd: IncidentCommand): void => {
    const s = current();
    if (cmd.incidentId !== s.incidentId) {
      throw ApplicationFailure.nonRetryable(
        'That incident is closed; a newer incident of the same alert is open',
        'IncidentClosed',
      );
    }
    if (cmd.actor.role !== 'msp_admin' && !cmd.actor.companyIds.includes(s.companyId)) {
      throw ApplicationFailure.nonRetryable('You do not have access to this incident', 'Forbidden');
    }
  };
  const validateApprovalDecision = (cmd: IncidentCommand): void => {
    mayActOn(cmd);
    const s = current();
    if (!s.approval || s.status !== 'awaiting_approval') {
      throw ApplicationFailure.nonRetryable(
        `Incident is ${s.status}; there is no approval pending`,
        'NoPendingApproval',
      );
    }
    if (s.approval.status !== 'pending') {
      throw ApplicationFailure.nonRetryable(
        `Approval was already ${s.approval.status} by ${s.approval.decidedBy ?? 'the timeout'}`,
        'AlreadyDecided',
      );
    }
    // The timer may not have fired yet (a worker outage, a busy activation): the deadline itself decides.
    if (Date.now() >= Date.parse(s.approval.deadline)) {
      throw ApplicationFailure.nonRetryable(
        `The approval deadline (${s.approval.deadline}) has passed`,
        'ApprovalExpired',
      );
    }
    if (!canApprove(cmd.actor.role, s.approval.riskLevel)) {
      throw ApplicationFailure.nonRetryable(
        `A ${cmd.actor.role} may not approve a ${s.approval.riskLevel}-risk runbook`,
        'InsufficientRole',
      );
    }
  };
  const decide =
    (status: 'approved' | 'rejected') =>
    (cmd: IncidentCommand): IncidentState => {
      const s = current();
      const approval = s.approval!;
      approval.status = status;
      approval.decidedBy = cmd.actor.email;
      approval.decidedAt = now();
      approval.comment = cmd.comment ?? null;
      event(status, `Runbook ${status} by ${cmd.actor.email}${cmd.comment ? `: ${cmd.comment}` : ''}`, cmd.actor.email);
      return s;
    };
  setHandler(approveIncident, decide('approved'), { validator: validateApprovalDecision });
  setHandler(sourceResolved, async (r: SourceResolution) => {
    const s = current();
    // A resolution meant for an earlier incident of this key, or one already recorded, changes nothing.
    if (r.incidentId !== s.incidentId || s.status === 'resolved' || s.sourceResolvedAt) return;
    s.sourceResolvedAt = r.resolvedAt;
    if (autoResolvesAtSource() && s.status !== 'remediating') {
      await resolve('Resolved: every alert recovered at its source', null, false);
    } else {
      const why =
        s.status === 'remediating'
          ? 'the runbook in flight finishes first'
          : 'this company resolves such incidents by hand';
      event('resolved_at_source', `Every alert recovered at its source; ${why}`);
      await save();
    }
  });
  setHandler(rejectIncident, decide('rejected'), { validator: validateApprovalDecision });
  setHandler(
    acknowledgeIncident,
    async (cmd) => {
      const s = current();
      s.acknowledgement = { by: cmd.actor.email, at: now() };
      event(
        'acknowledged',
        `Acknowledged by ${cmd.actor.email}${cmd.comment ? `: ${cmd.comment}` : ''}`,
        cmd.actor.email,
      );
      await save();
      return s;
    },
    {
      validator: (cmd) => {
        mayActOn(cmd);
        const s = current();
        if (s.status === 'resolved')
          throw ApplicationFailure.nonRetryable('Incident is already resolved', 'AlreadyResolved');
        if (s.acknowledgement)
          throw ApplicationFailure.nonRetryable(
            `Already acknowledged by ${s.acknowledgement.by}`,
            'AlreadyAcknowledged',
          );
      },
    },
  );
  setHandler(
    resolveIncident,
    async (cmd) => {
      await resolve(`Resolved by ${cmd.actor.email}${cmd.comment ? `: ${cmd.comment}` : ''}`, cmd.actor.email, false);
      return current();
    },
    {
      validator: (cmd) => {
        mayActOn(cmd);
        const s = current();
        if (s.status === 'resolved')
          throw ApplicationFailure.nonRetryable('Incident is already resolved', 'AlreadyResolved');
        if (s.status === 'remediating') {
          throw ApplicationFailure.nonRetryable(
            'A runbook is running; wait for its result before resolving by hand',
            'RemediationRunning',
          );
        }
      },
    },
  );

  // ---- SLA clock, alongside everything else ---------------------------------------------
  const responded = (): boolean => {
    const s = current();
    return (
      s.acknowledgement !== null ||
      s.status === 'remediating' ||
      s.status === 'resolved' ||
      (s.approval !== null && s.approval.status !== 'pending' && s.approval.status !== 'expired')
    );
  };
  const breachSla = async (which: 'Response' | 'Resolution', deadline: string): Promise<void> => {
    const s = current();
    s.slaBreached = true;
    s.escalated = true;
    s.escalationLevel += 1;
    s.escalationReason = `${which} SLA breached`;
    event('sla_breached', `${which} SLA breached (deadline ${deadline}); escalated to level ${s.escalationLevel}`);
    await save();
  };
  const watchSla = async (): Promise<void> => {
    const s = current();
    const untilMs = (iso: string): number => Math.max(Date.parse(iso) - Date.now(), 0);
    if (!s.slaResponseBreached && !(await condition(() => responded(), untilMs(s.slaResponseDeadline)))) {
      s.slaResponseBreached = true;
      await breachSla('Response', s.slaResponseDeadline);
    }
    if (
      !s.slaResolutionBreached &&
      !(await condition(() => s.status === 'resolved', untilMs(s.slaResolutionDeadline)))
    ) {
      s.slaResolutionBreached = true;
      await breachSla('Resolution', s.slaResolutionDeadline);
    }
  };
  const sla = watchSla();

  // ---- gather, decide, approve, remediate ----------------------------------------------
  if (current().status === 'new') {
    // Like Alertmanager's group_wait: let a burst settle so the decision sees the whole incident.
    await waitFor(() => current().status !== 'new', ctx.groupWaitSeconds * 1000);
  }
  if (current().status === 'new') {
    const s = current();
    let d: Awaited<ReturnType<DecisionActivities['decideIncident']>>;
    try {
      d = await decision.decideIncident({
        companyId: s.companyId,
        incidentId: s.incidentId,
        assetName: s.assetName,
        signature: s.signature,
        severity: s.severity,
        alertCount: s.alertCount,
      });
    } catch (err) {
      // Without a decision a person must take over; an incident must never sit in "new" unseen.
      const cause = err instanceof ActivityFailure && err.cause ? err.cause.message : String(err);
      d = {
        action: 'escalate',
        runbook: null,
        reasoning: `No decision could be made (${cause}); a technician must investigate.`,
        source: 'rules',
        confidence: 0,
      };
    }
    s.decision = d;
    event('decided', d.reasoning, null, { action: d.action, source: d.source, runbook: d.runbook?.name ?? null });
    if (s.status !== 'new') {
      // A person resolved the incident while the decision was being made: record it, act on nothing.
      await save();
    } else if (d.action === 'escalate' || !d.runbook) {
      await escalate(d.reasoning);
    } else if (d.action === 'request_approval') {
      const requestedAt = now();
      s.status = 'awaiting_approval';
      s.approval = {
        status: 'pending',
        riskLevel: d.runbook.riskLevel,
        requestedAt,
        deadline: new Date(Date.parse(requestedAt) + ctx.approvalTimeoutSeconds * 1000).toISOString(),
        decidedBy: null,
        decidedAt: null,
        comment: null,
      };
      event(
        'approval_requested',
        `Approval requested for ${d.runbook.riskLevel}-risk runbook "${d.runbook.name}" (expires ${s.approval.deadline})`,
      );
      await save();
    } else {
      s.status = 'remediating';
      await save();
    }
  }

  for (;;) {
    const s = current();
    if (s.status === 'resolved') break;
    if (s.status === 'escalated' && s.sourceResolvedAt && autoResolvesAtSource()) {
      // The source recovered while a runbook ran and the runbook then failed: nothing is left to fix.
      await resolve('Resolved: every alert had recovered at its source', null, false);
      continue;
    }
    if (s.status === 'awaiting_approval') {
      const approval = s.approval!;
      const outcome = await waitFor(
        () => approval.status !== 'pending' || current().status !== 'awaiting_approval',
        Math.max(Date.parse(approval.deadline) - Date.now(), 0),
        true,
      );
      if (outcome === 'continue')
        return await continueWithFreshHistory(input, current(), pending, pendingRepeats, () => saving === 0);
      if (current().status !== 'awaiting_approval') continue; // resolved by hand meanwhile
      if (outcome === false) {
        approval.status = 'expired';
        event(
          'approval_expired',
          `No decision within the approval timeout (${Math.round(ctx.approvalTimeoutSeconds / 60)} min)`,
        );
        await escalate('Approval timed out');
      } else if (approval.status === 'rejected') {
        await escalate(`Runbook rejected by ${approval.decidedBy ?? 'an approver'}`);
      } else {
        s.status = 'remediating';
        await save();
      }
      continue;
    }
    if (s.status === 'remediating') {
      await remediate(s);
      continue;
    }
    // Escalated (or new after a resume): a person owns it now; wait for resolveIncident.
    const outcome = await waitFor(() => current().status === 'resolved', undefined, true);
    if (outcome === 'continue')
      return await continueWithFreshHistory(input, current(), pending, pendingRepeats, () => saving === 0);
  }

  async function remediate(s: IncidentState): Promise<void> {
    const runbook = s.decision?.runbook;
    if (!runbook) {
      await escalate('No runbook to run');
      return;
    }
    const attempt = (s.execution?.attempt ?? 0) + 1;
    try {
      const ref = await ssmSend.sendSsmCommand({
        companyId: s.companyId,
        incidentId: s.incidentId,
        attempt,
        assetName: s.assetName,
        runbook,
      });
      s.execution = { ...ref, status: 'InProgress', output: null, error: null, finishedAt: null };
      event(
        'remediation_started',
        `${ref.executor === 'dry_run' ? 'DRY RUN: would send' : 'Sent'} ${ref.documentName} to ${ref.instanceIds.join(', ')} (${ref.commands.length} command(s))`,
        null,
        { commandId: ref.commandId, executor: ref.executor, commands: ref.commands },
      );
      await save();
      const result = await ssmWait.waitForSsmCommand({ companyId: s.companyId, incidentId: s.incidentId, ref });
      s.execution = {
        ...s.execution,
        status: result.status,
        output: result.output,
        error: result.error,
        finishedAt: result.finishedAt,
      };
      event('remediation_finished', `Runbook "${runbook.name}" finished: ${result.status}`, null, {
        status: result.status,
      });
      // Alerts that came in while the runbook ran belong to the problem it just fixed.
      if (hasPending()) await flushAlerts();
      if (result.status === 'Success') {
        await resolve(
          `${ref.executor === 'dry_run' ? 'Resolved by dry-run runbook' : 'Auto-remediated by runbook'} "${runbook.name}"`,
          null,
          true,
        );
      } else {
        await escalate(
          `Runbook "${runbook.name}" ended ${result.status}: ${(result.error || result.output).slice(0, 500)}`,
        );
      }
    } catch (err) {
      const cause = err instanceof ActivityFailure && err.cause ? err.cause.message : String(err);
      log.warn('Remediation failed', { incidentId: s.incidentId, cause });
      if (s.execution) s.execution = { ...s.execution, status: 'Failed', error: cause, finishedAt: now() };
      await escalate(`Remediation could not run: ${cause}`);
    }
  }

  // ---- close -------------------------------------------------------------------------------
  closed = true;
  await sla;
  await condition(allHandlersFinished);
  if (late.length > 0 || pending.length > 0 || lateRepeats.length > 0 || pendingRepeats.length > 0) {
    // The same key fired again after resolution: that is a new incident, in a new run of this workflow ID.
    return await continueAsNew<typeof incidentWorkflow>({
      ...input,
      carriedAlerts: [...pending, ...late],
      carriedRepeatIds: [...pendingRepeats, ...lateRepeats],
      resume: undefined,
    });
  }
  return current();
}

async function continueWithFreshHistory(
  input: IncidentWorkflowInput,
  state: IncidentState,
  pending: AlertSignal[],
  pendingRepeats: string[],
  savesDone: () => boolean,
): Promise<never> {
  await condition(() => allHandlersFinished() && savesDone());
  return await continueAsNew<typeof incidentWorkflow>({
    ...input,
    carriedAlerts: pending,
    carriedRepeatIds: pendingRepeats,
    resume: state,
  });
}
