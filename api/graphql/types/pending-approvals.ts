// The approvals queue over GraphQL: what waits for a person, soonest deadline first, within the caller's companies.
// The dashboard re-reads it on incidentUpdated, which makes it live.
import { approvalPreview, pendingApprovals, type PendingApproval } from '../../pending-approvals.ts';
import { PENDING_APPROVALS_LIMIT } from '../../incident-queries.ts';
import { builder, requireUser } from '../builder.ts';
import { IncidentRef } from './incident.ts';
import { PreviewRef, RiskLevelEnum } from './runbook.ts';

const ApprovalRunbookRef = builder.objectRef<PendingApproval['runbook']>('ApprovalRunbook').implement({
  description: 'The runbook version the incident would run.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    version: t.exposeInt('version', { nullable: true }),
    riskLevel: t.field({ type: RiskLevelEnum, resolve: (r) => r.riskLevel }),
  }),
});

const PendingApprovalRef = builder.objectRef<PendingApproval>('PendingApproval').implement({
  fields: (t) => ({
    incident: t.field({ type: IncidentRef, resolve: (p) => p.incident }),
    runbook: t.field({ type: ApprovalRunbookRef, resolve: (p) => p.runbook }),
    requestedAt: t.expose('requestedAt', { type: 'DateTime' }),
    deadline: t.expose('deadline', { type: 'DateTime', description: 'Then the incident escalates.' }),
    requestedBy: t.exposeString('requestedBy', {
      nullable: true,
      description: 'Who asked for the run by hand (MSP staff as "Name (MSP)"); null when the automation asked.',
    }),
    fourEyes: t.exposeBoolean('fourEyes', { description: 'The requester may not approve it.' }),
    mayApprove: t.exposeBoolean('mayApprove', {
      description: 'Whether you may approve it: your role for its risk, and not your own request under four-eyes.',
    }),
    preview: t.field({
      type: PreviewRef,
      description: 'Exactly what the run would send for this incident (the decided version); nothing is sent.',
      resolve: (p, _args, ctx) => approvalPreview(ctx.sql, p),
    }),
  }),
});

builder.queryField('pendingApprovals', (t) =>
  t.field({
    type: [PendingApprovalRef],
    description: `Runbooks waiting for approval in your companies, soonest deadline first; at most ${PENDING_APPROVALS_LIMIT.max}.`,
    args: { limit: t.arg.int({ defaultValue: PENDING_APPROVALS_LIMIT.default }) },
    resolve: (_r, args, ctx) => pendingApprovals(ctx.sql, requireUser(ctx), args.limit ?? undefined),
  }),
);
