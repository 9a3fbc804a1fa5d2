// "Ask for a fresh decision": the redecideIncident Update on the incident's workflow (workflows/redecide.ts). Any
// member of the incident's company may ask; the workflow's validator refuses while a run is in flight, the incident
// is closed or still being decided. The new decision is a row of its own naming the asker, and a different choice
// goes through the same approval gate as the first.
import type { CompanySettings } from '../../../domain/company-settings.ts';
import { companyScope } from '../../auth.ts';
import { fromState, getIncident } from '../../incident-queries.ts';
import { redecideIncident, type RedecideCommand } from '../../../workflows/redecide.ts';
import { builder, requireUser } from '../builder.ts';
import { audited, commandOf, notFound, refusal } from './incident-commands.ts';
import { IncidentRef } from './incident.ts';

builder.mutationField('redecideIncident', (t) =>
  t.field({
    type: IncidentRef,
    description:
      "Decide the incident again with the company's current provider, runbooks and memory. Refused while a runbook " +
      'runs or waits for approval. A different choice runs (low risk) or waits for an approver, as the first did.',
    args: { incidentId: t.arg.id({ required: true }), comment: t.arg.string() },
    resolve: async (_root, args, ctx) => {
      const user = requireUser(ctx);
      const id = String(args.incidentId);
      const incident = await getIncident(ctx.sql, companyScope(user), id);
      if (!incident) throw notFound(id);
      const [company] = await ctx.sql<{ settings: CompanySettings | null }[]>`
        SELECT settings FROM companies WHERE id = ${incident.companyId}`;
      const command: RedecideCommand = {
        ...commandOf(user, incident, args.comment),
        fourEyes: company?.settings?.approval?.fourEyes ?? false,
      };
      return ctx.commands.run(incident.id, redecideIncident.name, async () => {
        const state = await ctx.temporal.workflow
          .getHandle(incident.workflowId)
          .executeUpdate(redecideIncident, { args: [command] })
          .catch((err: unknown) => {
            throw refusal(err, incident) ?? err;
          });
        await audited(ctx, 'redecideIncident', incident, {
          decisionId: state.decision?.decisionId ?? null,
          action: state.decision?.action ?? null,
          ...(command.comment ? { comment: command.comment } : {}),
        });
        return fromState(state, incident.companyName);
      });
    },
  }),
);
