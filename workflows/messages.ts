// Message definitions for incidentWorkflow: the only workflow module the API imports.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  AlertBatch,
  AlertSignal,
  AbsorbCommand,
  AssignCommand,
  DetachCommand,
  MergeCommand,
  IncidentCommand,
  RunRunbookCommand,
  IncidentState,
  SourceResolution,
} from './types.ts';

/** A stored alert joins the incident. Sent by routers before alertsReceived existed; kept for runs in flight. */
export const alertReceived = defineSignal<[AlertSignal]>('alertReceived');

/** Stored alerts join the incident, coalesced per lane by the alert router (signalWithStart). */
export const alertsReceived = defineSignal<[AlertBatch]>('alertsReceived');

/** Every alert of the incident recovered at its source; the company's setting decides whether that resolves it. */
export const sourceResolved = defineSignal<[SourceResolution]>('sourceResolved');

/** An approver lets the proposed runbook run. Rejected unless an approval is pending and the role may approve this risk. */
export const approveIncident = defineUpdate<IncidentState, [IncidentCommand]>('approveIncident');

/** An approver turns the proposed runbook down; the incident goes to a technician. */
export const rejectIncident = defineUpdate<IncidentState, [IncidentCommand]>('rejectIncident');

/**
 * A person runs a runbook of the incident's company on it, through the same approval gate as the automation: a
 * medium or high-risk runbook waits for an approver, a low-risk one runs at once.
 */
export const runRunbook = defineUpdate<IncidentState, [RunRunbookCommand]>('runRunbook');

/** A technician takes the incident: stops the response SLA clock. */
export const acknowledgeIncident = defineUpdate<IncidentState, [IncidentCommand]>('acknowledgeIncident');

/** Someone is working on it (status in_progress); they become the assignee if nobody is. */
export const startIncidentWork = defineUpdate<IncidentState, [IncidentCommand]>('startIncidentWork');

/** Hands the incident to a person of its company: a technician may take it, a lead may give it to anyone. */
export const assignIncident = defineUpdate<IncidentState, [AssignCommand]>('assignIncident');

/** A technician closes an incident that automation could not; the comment is the resolution note. */
export const resolveIncident = defineUpdate<IncidentState, [IncidentCommand]>('resolveIncident');

/**
 * A resolved incident opens again. Sent with update-with-start: a closed incident's workflow starts a new run
 * from its final state (incidents.final_state) just to take this Update.
 */
export const reopenIncident = defineUpdate<IncidentState, [IncidentCommand]>('reopenIncident');

/** A person merges this incident into another: it resolves, pointing there. */
export const mergeIncident = defineUpdate<IncidentState, [MergeCommand]>('mergeIncident');

/** The incident another was merged into takes that one's alerts (already moved in PostgreSQL) into its count. */
export const absorbIncident = defineUpdate<IncidentState, [AbsorbCommand]>('absorbIncident');

/** A person split some alerts off into a new incident: they no longer count here. */
export const detachAlerts = defineUpdate<IncidentState, [DetachCommand]>('detachAlerts');

/** The live state of the incident. */
export const stateQuery = defineQuery<IncidentState>('state');
