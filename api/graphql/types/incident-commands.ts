// People's commands on an incident: Temporal Updates on its workflow. The workflow's validators decide (role,
// status, already done); their message reaches the caller as the GraphQL error, with one code per refusal type.
import {
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import { GraphQLError } from 'graphql';
import { shownAs, type NamedPerson } from '../../../domain/staff-label.ts';
import { cutText } from '../../../domain/text.ts';
import { companyScope, type AuthUser } from '../../auth.ts';
import { finalIncidentState, fromState, getIncident, type IncidentRecord } from '../../incident-queries.ts';
import {
  acknowledgeIncident,
  approveIncident,
  assignIncident,
  rejectIncident,
  reopenIncident,
  resolveIncident,
  startIncidentWork,
} from '../../../workflows/messages.ts';
import type { AssignCommand, IncidentCommand, IncidentState } from '../../../workflows/types.ts';
import { builder, requireUser, type GraphQLContext } from '../builder.ts';
import { audit } from '../../tenants/audit.ts';
import { actorOf } from './tenant-errors.ts';
import { IncidentRef } from './incident.ts';

const AUDIT_ACTIONS: Record<string, string> = {
  approveIncident: 'incident.approved',
  rejectIncident: 'incident.rejected',
  acknowledgeIncident: 'incident.acknowledged',
  startIncidentWork: 'incident.work_started',
  assignIncident: 'incident.assigned',
  resolveIncident: 'incident.resolved',
  reopenIncident: 'incident.reopened',
  mergeIncidents: 'incident.merged',
  splitIncident: 'incident.split',
  runRunbook: 'incident.runbook_requested',
};

const CODES: Record<string, string> = {
  Forbidden: 'FORBIDDEN',
  InsufficientRole: 'FORBIDDEN',
  NoPendingApproval: 'CONFLICT',
  AlreadyDecided: 'CONFLICT',
  AlreadyResolved: 'CONFLICT',
  AlreadyAcknowledged: 'CONFLICT',
  AlreadyInProgress: 'CONFLICT',
  AlreadyAssigned: 'CONFLICT',
  AutomationRunning: 'CONFLICT',
  RemediationRunning: 'CONFLICT',
  IncidentClosed: 'CONFLICT',
  IncidentClosing: 'CONFLICT',
  NotResolved: 'CONFLICT',
  FourEyes: 'FORBIDDEN',
  UnknownRunbook: 'NOT_FOUND',
  ForeignRunbook: 'NOT_FOUND',
  RunInFlight: 'CONFLICT',
  IncidentNotOpen: 'CONFLICT',
  DecisionPending: 'CONFLICT',
  SameIncident: 'BAD_USER_INPUT',
  InvalidSplit: 'BAD_USER_INPUT',
};

const NOTE_MAX = 2000;

export function notFound(id: string): GraphQLError {
  return new GraphQLError(`Incident ${id} not found`, { extensions: { code: 'NOT_FOUND' } });
}

/**
 * The actor's `email` is the identity the workflow writes into the incident (timeline, acknowledgement, assignee,
 * approval), which the tenant reads and which pages, emails and chat messages repeat: for MSP staff it is their
 * label, never their address (domain/staff-label.ts). Decisions use `userId` and `role` only.
 */
export function commandOf(
  user: AuthUser,
  incident: IncidentRecord,
  comment: string | null | undefined,
): IncidentCommand {
  return {
    incidentId: incident.id,
    actor: { userId: user.id, email: shownAs(user), role: user.role, companyIds: user.companyIds },
    ...(comment ? { comment: cutText(comment, NOTE_MAX) } : {}),
  };
}

/** Maps a refused Update to its code; anything else is not a refusal and goes up as it is. */
export function refusal(err: unknown, incident: IncidentRecord): GraphQLError | null {
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    return new GraphQLError(err.cause.message, {
      extensions: { code: CODES[err.cause.type ?? ''] ?? 'BAD_REQUEST', reason: err.cause.type },
    });
  }
  if (err instanceof WorkflowNotFoundError) {
    return new GraphQLError(`Incident ${incident.id} is closed (${incident.status}); it takes no more commands`, {
      extensions: { code: 'CONFLICT' },
    });
  }
  return null;
}

export async function audited(
  ctx: GraphQLContext,
  name: string,
  incident: IncidentRecord,
  data: Record<string, unknown>,
): Promise<void> {
  // After the workflow accepted it: a refused command changed nothing and is not an action to audit.
  const line = auditLine(ctx, name, incident, data);
  await audit(ctx.sql, line.actor, line.entry);
}

/** The audit line of a command on an incident: who, from where, and what (written by `audited`, or with a merge). */
export function auditLine(ctx: GraphQLContext, name: string, incident: IncidentRecord, data: Record<string, unknown>) {
  return {
    actor: actorOf(ctx),
    entry: {
      companyId: incident.companyId,
      action: AUDIT_ACTIONS[name] ?? `incident.${name}`,
      targetType: 'incident',
      targetId: incident.id,
      data: { signature: incident.signature, assetName: incident.assetName, ...data },
    },
  };
}

async function runCommand<C extends IncidentCommand>(
  ctx: GraphQLContext,
  id: string,
  update: UpdateDefinition<IncidentState, [C]>,
  build: (user: AuthUser, incident: IncidentRecord) => Promise<C>,
) {
  const user = requireUser(ctx);
  const incident = await getIncident(ctx.sql, companyScope(user), id);
  if (!incident) throw notFound(id);
  const command = await build(user, incident);
  return ctx.commands.run(incident.id, update.name, async () => {
    let state: IncidentState;
    try {
      state = await ctx.temporal.workflow.getHandle(incident.workflowId).executeUpdate(update, { args: [command] });
    } catch (err) {
      throw refusal(err, incident) ?? err;
    }
    const { comment, assignee } = command as Partial<AssignCommand>;
    await audited(ctx, update.name, incident, { ...(comment ? { comment } : {}), ...(assignee ? { assignee } : {}) });
    return fromState(state, incident.companyName);
  });
}

/**
 * The person to assign: active, and a member of the incident's company (an MSP admin is a member of all). Named
 * as the tenant may read them, like the actor.
 */
async function assigneeOf(ctx: GraphQLContext, incident: IncidentRecord, userId: string) {
  const [person] = await ctx.sql<(NamedPerson & { userId: string })[]>`
    SELECT u.id AS "userId", u.email, u.name, u.role FROM users u
    WHERE u.id = ${userId} AND u.disabled_at IS NULL
      AND (u.role = 'msp_admin'
        OR EXISTS (SELECT 1 FROM user_companies m WHERE m.user_id = u.id AND m.company_id = ${incident.companyId}))`;
  if (!person) {
    throw new GraphQLError(`No active member of ${incident.companyName} has the id ${userId}`, {
      extensions: { code: 'BAD_USER_INPUT', field: 'userId' },
    });
  }
  return { userId: person.userId, email: shownAs(person) };
}

/**
 * A resolved incident's workflow run has ended: update-with-start begins a run from the state it resolved with,
 * whose validator decides like any other; a run still open (closing, or a newer incident of the key) takes the
 * Update itself. A run caught closing is asked once more a moment later.
 */
async function reopen(ctx: GraphQLContext, id: string, comment: string | null | undefined) {
  const user = requireUser(ctx);
  const scope = companyScope(user);
  const incident = await getIncident(ctx.sql, scope, id);
  if (!incident) throw notFound(id);
  const final = await finalIncidentState(ctx.sql, scope, id);
  if (incident.status !== 'resolved' || !final) {
    throw new GraphQLError(`Incident is ${incident.status}, not resolved`, {
      extensions: { code: 'CONFLICT', reason: 'NotResolved' },
    });
  }
  const command = commandOf(user, incident, comment);
  let from: IncidentState = final;
  return ctx.commands.run(incident.id, reopenIncident.name, async () => {
    for (let attempt = 1; ; attempt += 1) {
      // Read again before each try: a run caught closing may have saved a later state since, and the reopened run
      // should carry on from it. (Its line numbers are safe either way: the run starts above the stored version,
      // workflows/incident-open.ts startAboveStored.)
      if (attempt > 1) from = (await finalIncidentState(ctx.sql, scope, id)) ?? from;
      let state: IncidentState;
      try {
        state = await updateWithStart(ctx.temporal, ctx.config.taskQueue, incident, from, command);
      } catch (err) {
        const closing = err instanceof WorkflowUpdateFailedError && (err.cause as ApplicationFailure)?.type;
        if (closing === 'IncidentClosing' && attempt < 3) {
          await new Promise((r) => setTimeout(r, 500 * attempt));
          continue;
        }
        throw refusal(err, incident) ?? err;
      }
      await audited(ctx, 'reopenIncident', incident, comment ? { comment: command.comment } : {});
      return fromState(state, incident.companyName);
    }
  });
}

function updateWithStart(
  temporal: Client,
  taskQueue: string,
  incident: IncidentRecord,
  final: IncidentState,
  cmd: IncidentCommand,
) {
  const start = new WithStartWorkflowOperation('incidentWorkflow', {
    workflowId: incident.workflowId,
    taskQueue,
    workflowIdConflictPolicy: 'USE_EXISTING',
    args: [
      {
        companyId: incident.companyId,
        assetName: incident.assetName,
        signature: incident.signature,
        aggregationKey: incident.aggregationKey,
        resume: final,
      },
    ],
  });
  return temporal.workflow.executeUpdateWithStart(reopenIncident, { args: [cmd], startWorkflowOperation: start });
}

const plain = { approveIncident, rejectIncident, acknowledgeIncident, startIncidentWork } as const;
for (const [name, update] of Object.entries(plain)) {
  builder.mutationField(name, (t) =>
    t.field({
      type: IncidentRef,
      args: { id: t.arg.id({ required: true }), comment: t.arg.string() },
      resolve: (_root, args, ctx) =>
        runCommand(ctx, String(args.id), update, async (user, incident) => commandOf(user, incident, args.comment)),
    }),
  );
}

builder.mutationField('resolveIncident', (t) =>
  t.field({
    type: IncidentRef,
    description: 'Close an incident by hand; `comment` is the resolution note shown on the incident.',
    args: { id: t.arg.id({ required: true }), comment: t.arg.string() },
    resolve: (_root, args, ctx) =>
      runCommand(ctx, String(args.id), resolveIncident, async (user, incident) =>
        commandOf(user, incident, args.comment),
      ),
  }),
);

builder.mutationField('assignIncident', (t) =>
  t.field({
    type: IncidentRef,
    description: 'Hand the incident to a member of its company. A technician may only take it themselves.',
    args: { id: t.arg.id({ required: true }), userId: t.arg.id({ required: true }), comment: t.arg.string() },
    resolve: (_root, args, ctx) =>
      runCommand(ctx, String(args.id), assignIncident, async (user, incident) => ({
        ...commandOf(user, incident, args.comment),
        assignee: await assigneeOf(ctx, incident, String(args.userId)),
      })),
  }),
);

builder.mutationField('reopenIncident', (t) =>
  t.field({
    type: IncidentRef,
    description: 'Open a resolved incident again (the problem came back, or the fix did not hold).',
    args: { id: t.arg.id({ required: true }), comment: t.arg.string() },
    resolve: (_root, args, ctx) => reopen(ctx, String(args.id), args.comment),
  }),
);
