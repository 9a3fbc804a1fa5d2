// "Run this runbook on this incident": the runRunbook Update on the incident's workflow. The API finds the incident
// in the caller's companies and the runbook by id; the workflow's validator decides (another company's or an
// archived runbook, a closed incident, a run already in flight), and the run goes through the approval gate.
import { selectRunbook, toRunbook } from '../../../db/runbooks.ts';
import type { CompanySettings } from '../../../domain/company-settings.ts';
import { companyScope } from '../../auth.ts';
import { fromState, getIncident } from '../../incident-queries.ts';
import { runRunbook } from '../../../workflows/messages.ts';
import type { RunRunbookCommand } from '../../../workflows/types.ts';
import { builder, requireUser } from '../builder.ts';
import { audited, commandOf, notFound, refusal } from './incident-commands.ts';
import { IncidentRef } from './incident.ts';

builder.mutationField('runRunbook', (t) =>
  t.field({
    type: IncidentRef,
    description:
      "Run a runbook of the incident's company on it. Medium and high risk wait for an approver (the company's " +
      'four-eyes setting keeps you from approving your own request); low risk runs at once.',
    args: {
      incidentId: t.arg.id({ required: true }),
      runbookId: t.arg.id({ required: true }),
      comment: t.arg.string(),
    },
    resolve: async (_root, args, ctx) => {
      const user = requireUser(ctx);
      const id = String(args.incidentId);
      const incident = await getIncident(ctx.sql, companyScope(user), id);
      if (!incident) throw notFound(id);
      const runbookId = String(args.runbookId);
      // Unscoped on purpose: the workflow refuses another company's runbook with the same words as a missing one.
      const row = await selectRunbook(ctx.sql, runbookId);
      const live = row && !row.archivedAt ? row : null;
      const [company] = await ctx.sql<{ settings: CompanySettings | null }[]>`
        SELECT settings FROM companies WHERE id = ${incident.companyId}`;
      const command: RunRunbookCommand = {
        ...commandOf(user, incident, args.comment),
        runbookId,
        runbook: live ? toRunbook(live.current) : null,
        runbookCompanyId: live?.companyId ?? null,
        fourEyes: company?.settings?.approval?.fourEyes ?? false,
      };
      return ctx.commands.run(incident.id, runRunbook.name, async () => {
        const state = await ctx.temporal.workflow
          .getHandle(incident.workflowId)
          .executeUpdate(runRunbook, { args: [command] })
          .catch((err: unknown) => {
            throw refusal(err, incident) ?? err;
          });
        await audited(ctx, 'runRunbook', incident, {
          runbookId,
          version: command.runbook?.version ?? null,
          ...(command.comment ? { comment: command.comment } : {}),
        });
        return fromState(state, incident.companyName);
      });
    },
  }),
);
