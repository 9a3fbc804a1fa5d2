// The incident's decision (after the group wait): the decision activity, or a sentence when it could not be made,
// recorded, then acted on — escalate, ask for approval, or hand the runbook to remediation. Split from
// incidentWorkflow so the workflow body reads as its phases; the activity proxies and their policies live here.
import { ActivityFailure, log, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import { since } from './patches.ts';
import type { createDecisionActivities } from '../activities/decision.ts';
import type { IncidentContext } from '../activities/incident-store.ts';
import { describeFailure } from './failures.ts';
import type { LocalSteps } from './local-steps.ts';
import * as L from './incident-lifecycle.ts';
import * as T from './incident-state.ts';
import type { IncidentState } from './types.ts';

type DecisionActivities = ReturnType<typeof createDecisionActivities>;
export type DecisionResult = Awaited<ReturnType<DecisionActivities['decideIncident']>>;

const decision = proxyActivities<DecisionActivities>({
  // An LLM provider may be slow; the activity falls back to rules on its own well before this.
  startToCloseTimeout: '60 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds', maximumAttempts: 5 },
});

// A company decided by its rules needs no LLM: a few ms of PostgreSQL (its runbooks, the asset's runs, the decision
// row), so the decision runs as a local activity (local-steps.ts) in the workflow task that asked for it, with the
// store's retries: no activity task, no workflow task to hear of it (issue 16 item 3).
const localDecision = proxyLocalActivities<DecisionActivities>({
  startToCloseTimeout: '15 seconds',
  localRetryThreshold: '1 second',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
});

/** Runs recorded before a rules-only decision ran locally took it as an activity task, after a save of its own. */
export const RULES_DECIDE_LOCALLY = 'rules-decide-locally';

/**
 * Whether this run decides as a local activity, by the rules: its context (read when it opened) says the company has
 * no LLM provider. Runs whose context predates the field take the activity, as they did.
 */
export function decidesLocally(ctx: IncidentContext): boolean {
  return ctx.decidesByRules === true && since(RULES_DECIDE_LOCALLY);
}

/**
 * Whether the decision follows the opening in the same workflow task: decided locally and no group wait. The
 * decision's save then writes the opening too, one save where two were.
 */
export function decidesAtOpening(ctx: IncidentContext): boolean {
  return ctx.groupWaitSeconds === 0 && decidesLocally(ctx);
}

export interface DecideDeps {
  state: () => IncidentState;
  journal: () => T.Journal;
  now: () => string;
  save: () => Promise<void>;
  escalate: (reason: string, detail?: string) => Promise<void>;
  approvalTimeoutSeconds: number;
  /** Pages the approvers beside the approval wait (approval-paging.ts), when this run pages them. */
  requestedApproval: () => void;
  /** Set when the decision runs locally (decidesLocally): the run's queue of local activities. */
  locally?: LocalSteps;
}

/** Decides the incident once and acts on the decision; the main loop takes it from the status this leaves. */
export async function decideIncident(deps: DecideDeps): Promise<void> {
  const s = deps.state();
  const journal = deps.journal();
  let d: DecisionResult;
  let failure: string | undefined;
  const local = deps.locally;
  try {
    const input = {
      companyId: s.companyId,
      incidentId: s.incidentId,
      assetName: s.assetName,
      signature: s.signature,
      severity: s.severity,
      alertCount: s.alertCount,
      // The same in a workflow task run again: one record per decision (activities/decision/store.ts).
      recordId: `dec-${s.incidentId}-v${s.version}`,
    };
    // Locally, the rules decide even if the company named a provider since the context was read: no LLM call may
    // hold the workflow task open.
    d = local
      ? await local.run(() => localDecision.decideIncident({ ...input, rulesOnly: true }))
      : await decision.decideIncident(input);
  } catch (err) {
    // Without a decision a person must take over; an incident must never sit in "new" unseen.
    const { text, detail: raw } = describeFailure('decide', err);
    // A local activity's failure reaches the workflow without the activity failure around it: the detail names the
    // step as an activity task's does.
    const detail = local && !(err instanceof ActivityFailure) ? `decideIncident failed — ${raw}` : raw;
    log.warn('No decision could be made', { incidentId: s.incidentId, cause: detail });
    failure = detail;
    d = {
      action: 'escalate',
      runbook: null,
      reasoning: `${text}; a technician must investigate.`,
      source: 'rules',
      confidence: 0,
    };
  }
  T.recordDecision(s, journal, deps.now(), d, failure);
  if (s.status === 'resolved' || ((d.action === 'escalate' || !d.runbook) && L.takenByPerson(s))) {
    // A person resolved the incident while the decision was being made, or already has it in hand:
    // record the decision, act on nothing.
    await deps.save();
  } else if (d.action === 'escalate' || !d.runbook) {
    await deps.escalate(d.reasoning, failure);
  } else if (d.action === 'request_approval') {
    T.requestApproval(s, journal, deps.now(), deps.approvalTimeoutSeconds);
    await deps.save();
    deps.requestedApproval();
  } else {
    s.status = 'remediating';
    await deps.save();
  }
}
