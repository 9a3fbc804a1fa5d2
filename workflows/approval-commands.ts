// The approval gate's commands on an incident run: approve and reject a waiting runbook, and run a runbook by hand
// (runRunbook, manual-run.ts), which goes through the same gate. Registered before the run's first await, so an
// Update reaching a continued run while it loads is not refused for want of a handler; before the incident opens,
// their validators refuse (not ready). The main loop wakes from its wait on the status they leave.
import { setHandler } from '@temporalio/workflow';
import { since } from './patches.ts';
import { pagesApprovers } from './approval-paging.ts';
import * as T from './incident-state.ts';
import { refuseRun, requestRun } from './manual-run.ts';
import { approveIncident, rejectIncident, runRunbook } from './messages.ts';
import { refuseIf } from './people-commands.ts';
import type { IncidentCommand, IncidentState } from './types.ts';

/** Histories that took a runbook run by hand (runRunbook) carry this marker. */
const RUN_RUNBOOK_PATCH = 'run-runbook';

export function registerApprovalCommands(deps: {
  state: () => IncidentState;
  journal: () => T.Journal;
  now: () => string;
  save: () => Promise<void>;
  /** The company's approval timeout once the run has its context; undefined before. */
  approvalTimeoutSeconds: () => number | undefined;
  pageApproversBeside: () => void;
}): void {
  const { state: current } = deps;
  const decide =
    (status: 'approved' | 'rejected') =>
    (cmd: IncidentCommand): IncidentState => {
      T.decideApproval(current(), deps.journal(), deps.now(), status, cmd);
      return current();
    };
  const validateApprovalDecision =
    (status: 'approved' | 'rejected') =>
    (cmd: IncidentCommand): void =>
      refuseIf(T.refuseApprovalDecision(current(), cmd, Date.now(), status));
  setHandler(approveIncident, decide('approved'), { validator: validateApprovalDecision('approved') });
  setHandler(rejectIncident, decide('rejected'), { validator: validateApprovalDecision('rejected') });
  setHandler(
    runRunbook,
    async (cmd) => {
      since(RUN_RUNBOOK_PATCH);
      requestRun(current(), deps.journal(), deps.now(), cmd, deps.approvalTimeoutSeconds()!);
      await deps.save();
      if (current().status === 'awaiting_approval' && pagesApprovers()) deps.pageApproversBeside();
      return current();
    },
    { validator: (cmd) => refuseIf(refuseRun(current(), cmd, deps.approvalTimeoutSeconds() !== undefined)) },
  );
}
