// The incident's decision (after the group wait): the decision activity, or a sentence when it could not be made,
// recorded, then acted on — escalate, ask for approval, or hand the runbook to remediation. Split from
// incidentWorkflow so the workflow body reads as its phases; the activity proxy and its policy live here.
import { log, proxyActivities } from '@temporalio/workflow';
import type { createDecisionActivities } from '../activities/decision.ts';
import { describeFailure } from './failures.ts';
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

export interface DecideDeps {
  state: () => IncidentState;
  journal: () => T.Journal;
  now: () => string;
  save: () => Promise<void>;
  escalate: (reason: string, detail?: string) => Promise<void>;
  approvalTimeoutSeconds: number;
  /** Pages the approvers beside the approval wait (approval-paging.ts), when this run pages them. */
  requestedApproval: () => void;
}

/** Decides the incident once and acts on the decision; the main loop takes it from the status this leaves. */
export async function decideIncident(deps: DecideDeps): Promise<void> {
  const s = deps.state();
  const journal = deps.journal();
  let d: DecisionResult;
  let failure: string | undefined;
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
    const { text, detail } = describeFailure('decide', err);
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
