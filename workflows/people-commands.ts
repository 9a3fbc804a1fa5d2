// The Updates people send an open incident, each a pure transition (incident-lifecycle.ts) behind its validator,
// saved before the caller gets the new state.
import type { UpdateDefinition } from '@temporalio/common';
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import * as L from './incident-lifecycle.ts';
import type { Journal, Refusal } from './incident-state.ts';
import {
  absorbIncident,
  acknowledgeIncident,
  assignIncident,
  detachAlerts,
  mergeIncident,
  resolveIncident,
  startIncidentWork,
} from './messages.ts';
import type { IncidentCommand, IncidentState } from './types.ts';

export interface CommandDeps {
  state: () => IncidentState;
  journal: () => Journal;
  now: () => string;
  save: () => Promise<void>;
}

/** Raises a validator's refusal as the typed failure the API maps to a code. */
export function refuseIf(refusal: Refusal | null): void {
  if (refusal) throw ApplicationFailure.nonRetryable(refusal.message, refusal.type);
}

function command<C extends IncidentCommand>(
  d: CommandDeps,
  update: UpdateDefinition<IncidentState, [C]>,
  apply: (s: IncidentState, j: Journal, now: string, cmd: C) => void,
  refuse: (s: IncidentState, cmd: C) => Refusal | null,
): void {
  setHandler(
    update,
    async (cmd: C) => {
      apply(d.state(), d.journal(), d.now(), cmd);
      await d.save();
      return d.state();
    },
    { validator: (cmd: C) => refuseIf(refuse(d.state(), cmd)) },
  );
}

export function registerPeopleCommands(d: CommandDeps): void {
  command(d, acknowledgeIncident, L.acknowledge, L.refuseAcknowledge);
  command(d, startIncidentWork, L.startWork, L.refuseStartWork);
  command(d, assignIncident, L.assign, L.refuseAssign);
  command(d, resolveIncident, L.resolveByHand, L.refuseResolve);
  command(d, mergeIncident, L.mergeInto, L.refuseMerge);
  command(d, absorbIncident, L.absorbMerged, L.refuseAbsorb);
  command(d, detachAlerts, L.detach, L.refuseDetach);
}
