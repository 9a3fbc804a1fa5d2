import { canApprove } from '../../../domain/rules.ts';
import { responded, SLA_STATUSES, slaStatus } from '../../../domain/sla.ts';
import { companyScope } from '../../auth.ts';
import { isUnreadable, type FeedItem } from '../../incident-feed.ts';
import { liveStream } from '../live-session.ts';
import {
  getIncident,
  incidentAlerts,
  incidentTimeline,
  listIncidents,
  TIMELINE_LIMIT,
  type IncidentRecord,
} from '../../incident-queries.ts';
import { builder, requireUser } from '../builder.ts';
import { incidentCorrelation } from '../../correlation-queries.ts';
import { AlertRef } from './alert.ts';
import { IncidentCorrelationRef } from './correlation.ts';
import { ApprovalRef } from './approval.ts';
import { DecisionRef } from './decision.ts';
import { IncidentStatusEnum, SeverityEnum } from './enums.ts';
import { ExecutionRef } from './execution.ts';
import { IncidentEventRef } from './incident-event.ts';

const AssignmentRef = builder.objectRef<NonNullable<IncidentRecord['assignee']>>('Assignment').implement({
  description: 'Who owns the incident, since when, and who gave it to them (null: the rotation or the chain).',
  fields: (t) => ({
    userId: t.exposeID('userId'),
    email: t.exposeString('email', {
      description: 'How the assignee is shown to the tenant: a company person by address, MSP staff as "Name (MSP)".',
    }),
    at: t.expose('at', { type: 'DateTime' }),
    by: t.exposeString('by', { nullable: true, description: 'Who assigned it, shown the same way as `email`.' }),
  }),
});

const SlaStatusEnum = builder.enumType('SlaStatus', {
  description: 'ok, at_risk (under a quarter of the window left), breached; met once resolved in time.',
  values: SLA_STATUSES,
});

/** The SLA clock as people see it now: response until someone responds, then resolution. */
function slaOf(i: IncidentRecord) {
  return slaStatus(
    {
      createdAt: i.createdAt,
      responded: responded({
        acknowledged: i.acknowledgedBy !== null,
        status: i.status,
        approvalStatus: i.approval?.status ?? null,
      }),
      resolved: i.status === 'resolved',
      breached: i.slaBreached,
      responseDeadline: i.slaResponseDeadline,
      resolutionDeadline: i.slaResolutionDeadline,
    },
    Date.now(),
  );
}

export const IncidentRef = builder.objectRef<IncidentRecord>('Incident').implement({
  description: "One correlation group's alerts (see `correlation`), handled by one incidentWorkflow run.",
  fields: (t) => ({
    id: t.exposeID('id'),
    companyId: t.exposeID('companyId'),
    companyName: t.exposeString('companyName'),
    status: t.expose('status', { type: IncidentStatusEnum }),
    severity: t.expose('severity', { type: SeverityEnum }),
    signature: t.exposeString('signature'),
    assetName: t.exposeString('assetName'),
    aggregationKey: t.exposeString('aggregationKey'),
    alertCount: t.exposeInt('alertCount'),
    priorityScore: t.exposeInt('priorityScore'),
    toolSources: t.exposeStringList('toolSources'),
    autoRemediated: t.exposeBoolean('autoRemediated'),
    escalated: t.exposeBoolean('escalated'),
    escalationReason: t.exposeString('escalationReason', { nullable: true }),
    slaResponseDeadline: t.expose('slaResponseDeadline', { type: 'DateTime' }),
    slaResolutionDeadline: t.expose('slaResolutionDeadline', { type: 'DateTime' }),
    slaBreached: t.exposeBoolean('slaBreached'),
    slaStatus: t.field({ type: SlaStatusEnum, resolve: (i) => slaOf(i).status }),
    slaDeadline: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'The deadline that counts now; null once resolved.',
      resolve: (i) => slaOf(i).deadline,
    }),
    slaSecondsLeft: t.int({
      nullable: true,
      description: 'Seconds to slaDeadline (negative once past).',
      resolve: (i) => {
        const left = slaOf(i).msLeft;
        return left === null ? null : Math.round(left / 1000);
      },
    }),
    category: t.exposeString('category', { nullable: true, description: 'Which on-call rotation it pages.' }),
    sourceResolvedAt: t.expose('sourceResolvedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When every alert of the incident had recovered at its source.',
    }),
    approvalDeadline: t.expose('approvalDeadline', { type: 'DateTime', nullable: true }),
    acknowledgedBy: t.exposeString('acknowledgedBy', {
      nullable: true,
      description: 'Who acknowledged it: a company person by address, MSP staff as "Name (MSP)".',
    }),
    acknowledgedAt: t.expose('acknowledgedAt', { type: 'DateTime', nullable: true }),
    assignee: t.field({ type: AssignmentRef, nullable: true, resolve: (i) => i.assignee }),
    resolutionNote: t.exposeString('resolutionNote', {
      nullable: true,
      description: 'What the person who resolved it wrote.',
    }),
    reopenCount: t.exposeInt('reopenCount'),
    escalationLevel: t.exposeInt('escalationLevel'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    resolvedAt: t.expose('resolvedAt', { type: 'DateTime', nullable: true }),
    workflowId: t.exposeString('workflowId'),
    runId: t.exposeString('runId'),
    temporalUrl: t.string({
      description: "This incident's run in Temporal Web.",
      resolve: (i, _args, ctx) =>
        `${ctx.config.temporalUiUrl}/namespaces/${encodeURIComponent(ctx.config.temporalNamespace)}/workflows/${encodeURIComponent(i.workflowId)}/${encodeURIComponent(i.runId)}/history`,
    }),
    decision: t.field({ type: DecisionRef, nullable: true, resolve: (i) => i.decision }),
    approval: t.field({ type: ApprovalRef, nullable: true, resolve: (i) => i.approval }),
    execution: t.field({ type: ExecutionRef, nullable: true, resolve: (i) => i.execution }),
    alerts: t.field({
      type: [AlertRef],
      description: 'The latest alerts (alertCount says how many there are in all), oldest first.',
      args: { limit: t.arg.int({ defaultValue: 100, description: '1–500' }) },
      resolve: (i, args, ctx) => incidentAlerts(ctx.sql, i.id, args.limit ?? 100),
    }),
    correlation: t.field({
      type: IncidentCorrelationRef,
      nullable: true,
      description: 'Why its alerts are together; null for incidents opened before correlation groups.',
      resolve: (i, _args, ctx) => incidentCorrelation(ctx.sql, i),
    }),
    timeline: t.field({
      type: [IncidentEventRef],
      description: 'The latest events, oldest first.',
      args: {
        limit: t.arg.int({ defaultValue: TIMELINE_LIMIT.default, description: `1–${TIMELINE_LIMIT.max}` }),
      },
      resolve: (i, args, ctx) => incidentTimeline(ctx.sql, i.id, args.limit ?? TIMELINE_LIMIT.default),
    }),
    viewerCanApprove: t.boolean({
      description: 'Whether the signed-in user may approve or reject the pending runbook.',
      resolve: (i, _args, ctx) =>
        Boolean(
          ctx.user &&
          i.status === 'awaiting_approval' &&
          i.approval?.status === 'pending' &&
          canApprove(ctx.user.role, i.approval.riskLevel),
        ),
    }),
  }),
});

builder.queryField('incidents', (t) =>
  t.field({
    type: [IncidentRef],
    args: {
      status: t.arg({ type: IncidentStatusEnum }),
      severity: t.arg({ type: SeverityEnum }),
      assignedToMe: t.arg.boolean({ description: "Only the signed-in user's incidents." }),
      limit: t.arg.int({ description: 'At most 500; 100 by default.' }),
    },
    resolve: (_root, args, ctx) => {
      const user = requireUser(ctx);
      return listIncidents(ctx.sql, companyScope(user), { ...args, assigneeId: args.assignedToMe ? user.id : null });
    },
  }),
);

builder.queryField('incident', (t) =>
  t.field({
    type: IncidentRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => getIncident(ctx.sql, companyScope(requireUser(ctx)), String(id)),
  }),
);

/** Whether a user whose companies are `scope` (null: every company) may see `incident`. */
function visible(scope: string[] | null, incident: { companyId: string }): boolean {
  return scope === null || scope.includes(incident.companyId);
}

builder.subscriptionField('incidentUpdated', (t) =>
  t.field({
    type: IncidentRef,
    description:
      "Every change to an incident the subscriber may see, as the incident's header; pass `id` to follow one " +
      'incident. Its alerts, timeline, correlation, decisions and memory are not sent live: read them by query.',
    args: { id: t.arg.id() },
    subscribe: (_root, args, ctx) => {
      const only = args.id ? String(args.id) : null;
      // The feed reads each change once for every subscriber (api/incident-feed.ts) and hands it to those following
      // this incident or watching its company, by the scope of the live user (kept current on every re-check). The
      // scope is checked again here against that user, so a revoked session, user or membership stops or narrows
      // the stream at once and a change never leaks another company's incident.
      const watcher = { scope: companyScope(requireUser(ctx)) };
      return liveStream(
        ctx,
        ctx.incidentFeed.subscribe({ incidentId: only, scope: () => watcher.scope }),
        async (current, item: FeedItem) => {
          if (!visible(companyScope(current), item)) return null;
          // Thrown here it ends this stream with the masked "Unexpected error.", as the subscriber's own read would.
          if (isUnreadable(item)) throw item.error;
          return item;
        },
        (current) => (watcher.scope = companyScope(current)),
      );
    },
    resolve: (record) => record,
  }),
);
