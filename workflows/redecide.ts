// "Ask for a fresh decision" (the seeds' /agent/decide): the redecideIncident Update runs the decision activity
// again for an open incident with no run in flight, records the new decision (a row of its own, saying who asked),
// and when it chooses differently sends it through the same gate as the first: low risk runs, medium and high wait
// for an approver (the asker recorded, for four-eyes), an escalation leaves the incident with its people.
// The pure parts (refusal, outcome) are apart from Temporal, like manual-run.ts; registerRedecide wires the Update.
import { defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';
import { since } from './patches.ts';
import type { createDecisionActivities } from '../activities/decision.ts';
import type { Decision } from '../domain/rules.ts';
import { pagesApprovers } from './approval-paging.ts';
import { record, refuseActor, requestApproval, withComment, type Journal, type Refusal } from './incident-state.ts';
import { refuseIf } from './people-commands.ts';
import type { IncidentCommand, IncidentState } from './types.ts';

/** Histories that took a fresh decision carry this marker. */
export const REDECIDE_PATCH = 'redecide';

export interface RedecideCommand extends IncidentCommand {
  /** The company's four-eyes setting, read by the API: whoever asked may then not approve the new decision's run. */
  fourEyes: boolean;
}

export const redecideIncident = defineUpdate<IncidentState, [RedecideCommand]>('redecideIncident');

export function refuseRedecide(s: IncidentState, cmd: IncidentCommand, ready: boolean, busy: boolean): Refusal | null {
  const actor = refuseActor(s, cmd);
  if (actor) return actor;
  if (s.status === 'resolved') return { type: 'IncidentNotOpen', message: 'Incident is resolved; reopen it first' };
  if (s.status === 'remediating' || s.status === 'awaiting_approval') {
    const what = s.status === 'remediating' ? 'A runbook is running' : 'A runbook is waiting for approval';
    return { type: 'RunInFlight', message: `${what} on this incident; wait for it or decide it first` };
  }
  if (busy) return { type: 'DecisionPending', message: 'A fresh decision is being made; wait for it' };
  if (!ready || !s.decision) {
    return { type: 'DecisionPending', message: 'The incident is still being decided; try again in a moment' };
  }
  return null;
}

/** Whether two decisions choose the same thing (the reasoning and confidence may differ). */
export function sameChoice(a: Decision | null, b: Decision): boolean {
  return a !== null && a.action === b.action && (a.runbook?.id ?? null) === (b.runbook?.id ?? null);
}

export type RedecideOutcome = 'same' | 'escalate' | 'approval' | 'run';

function describe(d: Decision): string {
  if (d.action === 'escalate' || !d.runbook) return 'escalate to a technician';
  const rb = `"${d.runbook.name}"${d.runbook.version ? ` v${d.runbook.version}` : ''}`;
  return d.action === 'request_approval' ? `run ${rb} after approval` : `run ${rb}`;
}

/** Records the fresh decision; a different choice goes through the approval gate as the first one did. */
export function applyRedecision(
  s: IncidentState,
  j: Journal,
  now: string,
  d: Decision,
  cmd: RedecideCommand,
  approvalTimeoutSeconds: number,
): RedecideOutcome {
  const who = cmd.actor.email;
  const same = sameChoice(s.decision, d);
  const data = {
    decisionId: d.decisionId ?? null,
    source: d.source,
    action: d.action,
    runbookId: d.runbook?.id ?? null,
  };
  const verdict = same ? `the same choice: ${describe(d)}` : `a new choice: ${describe(d)}`;
  s.decision = d;
  record(s, j, now, 'redecided', withComment(`Fresh decision asked by ${who}: ${verdict}`, cmd), who, {
    ...data,
    changed: !same,
  });
  if (same) return 'same';
  if (d.action === 'escalate' || !d.runbook) return 'escalate';
  // A person asked for it: a run that follows is not counted as self-healed.
  s.runRequestedBy = who;
  if (d.action === 'request_approval') {
    requestApproval(s, j, now, approvalTimeoutSeconds, {
      requestedBy: { userId: cmd.actor.userId, email: who },
      fourEyes: cmd.fourEyes,
    });
    return 'approval';
  }
  s.approval = null;
  s.status = 'remediating';
  return 'run';
}

export interface RedecideDeps {
  state(): IncidentState;
  journal(): Journal;
  now(): string;
  save(): Promise<void>;
  /** The incident's context is loaded (its approval timeout is known). */
  ready(): boolean;
  approvalTimeoutSeconds(): number;
  /** Pages the approvers beside the wait (incident.ts). */
  pageApprovers(): void;
}

/** Registers the Update; the incident's main loop wakes on the status it sets (remediating, awaiting_approval). */
export function registerRedecide(deps: RedecideDeps): void {
  const decision = proxyActivities<ReturnType<typeof createDecisionActivities>>({
    // As the first decision's: the activity falls back to the rules well before this.
    startToCloseTimeout: '60 seconds',
    retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds', maximumAttempts: 3 },
  });
  let busy = false;
  setHandler(
    redecideIncident,
    async (cmd) => {
      since(REDECIDE_PATCH);
      busy = true;
      try {
        const s = deps.state();
        const d = await decision.decideIncident({
          companyId: s.companyId,
          incidentId: s.incidentId,
          assetName: s.assetName,
          signature: s.signature,
          severity: s.severity,
          alertCount: s.alertCount,
          requestedBy: cmd.actor.email,
          recordId: `dec-${s.incidentId}-v${s.version}-asked`,
        });
        // The incident may have moved on while the model answered (resolved, a run asked for by hand).
        const now = deps.state();
        const moved = refuseRedecide(now, cmd, true, false);
        let outcome: RedecideOutcome | null = null;
        if (moved) {
          const text = `Fresh decision asked by ${cmd.actor.email} not acted on: ${moved.message}`;
          record(now, deps.journal(), deps.now(), 'redecided', text, cmd.actor.email, {
            decisionId: d.decisionId ?? null,
            changed: false,
          });
        } else {
          outcome = applyRedecision(now, deps.journal(), deps.now(), d, cmd, deps.approvalTimeoutSeconds());
        }
        await deps.save();
        if (outcome === 'approval' && pagesApprovers()) deps.pageApprovers();
        return deps.state();
      } finally {
        busy = false;
      }
    },
    { validator: (cmd) => refuseIf(refuseRedecide(deps.state(), cmd, deps.ready(), busy)) },
  );
}
