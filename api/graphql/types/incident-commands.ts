// approveIncident, rejectIncident, acknowledgeIncident, resolveIncident: Temporal Updates on the
// incident's workflow. The workflow's validators decide (role, pending approval, already decided);
// their message reaches the caller as the GraphQL error.
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { GraphQLError } from 'graphql';
import type { UpdateDefinition } from '@temporalio/common';
import { companyScope } from '../../auth.ts';
import { fromState, getIncident } from '../../incident-queries.ts';
import { acknowledgeIncident, approveIncident, rejectIncident, resolveIncident } from '../../../workflows/messages.ts';
import type { IncidentCommand, IncidentState } from '../../../workflows/types.ts';
import { builder, requireUser, type GraphQLContext } from '../builder.ts';
import { audit } from '../../tenants/audit.ts';
import { actorOf } from './tenant-errors.ts';
import { IncidentRef } from './incident.ts';

const AUDIT_ACTIONS: Record<string, string> = {
  approveIncident: 'incident.approved',
  rejectIncident: 'incident.rejected',
  acknowledgeIncident: 'incident.acknowledged',
  resolveIncident: 'incident.resolved',
};

const CODES: Record<string, string> = {
  Forbidden: 'FORBIDDEN',
  InsufficientRole: 'FORBIDDEN',
  NoPendingApproval: 'CONFLICT',
  AlreadyDecided: 'CONFLICT',
  AlreadyResolved: 'CONFLICT',
  AlreadyAcknowledged: 'CONFLICT',
  RemediationRunning: 'CONFLICT',
  IncidentClosed: 'CONFLICT',
};

async function runCommand(
  ctx: GraphQLContext,
  id: string,
  update: UpdateDefinition<IncidentState, [IncidentCommand]>,
  comment: string | null | undefined,
) {
  const user = requireUser(ctx);
  const incident = await getIncident(ctx.sql, companyScope(user), id);
  if (!incident) throw new GraphQLError(`Incident ${id} not found`, { extensions: { code: 'NOT_FOUND' } });
  const command: IncidentCommand = {
    incidentId: incident.id,
    actor: { userId: user.id, email: user.email, role: user.role, companyIds: user.companyIds },
    ...(comment ? { comment: comment.slice(0, 2000) } : {}),
  };
  try {
    const state = await ctx.temporal.workflow.getHandle(incident.workflowId).executeUpdate(update, { args: [command] });
    // After the workflow accepted it: a refused command changed nothing and is not an action to audit.
    await audit(ctx.sql, actorOf(ctx), {
      companyId: incident.companyId,
      action: AUDIT_ACTIONS[update.name] ?? `incident.${update.name}`,
      targetType: 'incident',
      targetId: incident.id,
      data: {
        signature: incident.signature,
        assetName: incident.assetName,
        ...(comment ? { comment: comment.slice(0, 2000) } : {}),
      },
    });
    return fromState(state, incident.companyName);
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      throw new GraphQLError(err.cause.message, {
        extensions: { code: CODES[err.cause.type ?? ''] ?? 'BAD_REQUEST', reason: err.cause.type },
      });
    }
    if (err instanceof WorkflowNotFoundError) {
      throw new GraphQLError(`Incident ${id} is closed (${incident.status}); it takes no more commands`, {
        extensions: { code: 'CONFLICT' },
      });
    }
    throw err;
  }
}

const commands = { approveIncident, rejectIncident, acknowledgeIncident, resolveIncident } as const;

for (const [name, update] of Object.entries(commands)) {
  builder.mutationField(name, (t) =>
    t.field({
      type: IncidentRef,
      args: { id: t.arg.id({ required: true }), comment: t.arg.string() },
      resolve: (_root, args, ctx) => runCommand(ctx, String(args.id), update, args.comment),
    }),
  );
}
