// overview: the landing KPIs and charts of a period, for one company or every company the caller may see.
import { TOP_N, type CountBy, type Overview, type OverviewPoint } from '../../../db/overview.ts';
import { overview } from '../../overview.ts';
import { builder, requireUser } from '../builder.ts';
import { guard } from './tenant-errors.ts';

const CountByRef = builder.objectRef<CountBy>('CountBy').implement({
  fields: (t) => ({ key: t.exposeString('key'), count: t.exposeInt('count') }),
});

const PointRef = builder.objectRef<OverviewPoint>('OverviewPoint').implement({
  description: 'One bucket (hour or day, UTC) of the period.',
  fields: (t) => ({
    at: t.expose('at', { type: 'DateTime', description: 'Start of the bucket.' }),
    alerts: t.exposeInt('alerts', { description: 'Alerts received.' }),
    incidents: t.exposeInt('incidents', { description: 'Incidents opened.' }),
    selfHealed: t.exposeInt('selfHealed', { description: 'Incidents opened that a runbook fixed with no approval.' }),
    mttrSeconds: t.exposeFloat('mttrSeconds', {
      nullable: true,
      description: 'Mean time to resolve of the incidents resolved in the bucket.',
    }),
  }),
});

const OverviewRef = builder.objectRef<Overview>('Overview').implement({
  description:
    'KPIs of a period. Ratios are fractions 0–1, null when there was nothing to divide. Incidents merged into ' +
    'another are left out (their alerts count in the incident they joined).',
  fields: (t) => ({
    from: t.expose('from', { type: 'DateTime' }),
    to: t.expose('to', { type: 'DateTime' }),
    bucket: t.exposeString('bucket', { description: '"hour" or "day": the step of `series`.' }),
    alerts: t.exposeInt('alerts', { description: 'Alerts received in the period.' }),
    alertsMuted: t.exposeInt('alertsMuted', { description: 'Of those, muted by a silence or maintenance window.' }),
    incidents: t.exposeInt('incidents', { description: 'Incidents opened in the period.' }),
    noiseReduction: t.exposeFloat('noiseReduction', { nullable: true, description: '1 − incidents / alerts.' }),
    openBySeverity: t.field({
      type: [CountByRef],
      description: 'Incidents open now, whatever the period.',
      resolve: (o) => o.openBySeverity,
    }),
    openByStatus: t.field({ type: [CountByRef], resolve: (o) => o.openByStatus }),
    acknowledged: t.exposeInt('acknowledged', {
      description: 'Incidents opened in the period that were acknowledged.',
    }),
    mttaSeconds: t.exposeFloat('mttaSeconds', { nullable: true, description: 'Mean time from open to acknowledge.' }),
    resolved: t.exposeInt('resolved', { description: 'Incidents resolved in the period.' }),
    mttrSeconds: t.exposeFloat('mttrSeconds', { nullable: true, description: 'Mean time from open to resolved.' }),
    mttrSelfHealedSeconds: t.exposeFloat('mttrSelfHealedSeconds', { nullable: true }),
    mttrOtherSeconds: t.exposeFloat('mttrOtherSeconds', { nullable: true }),
    selfHealed: t.exposeInt('selfHealed', {
      description: 'Incidents opened in the period that a runbook fixed with no person approving it (not dry runs).',
    }),
    selfHealedShare: t.exposeFloat('selfHealedShare', { nullable: true, description: 'selfHealed / incidents.' }),
    slaMet: t.exposeInt('slaMet', { description: 'Incidents opened in the period, resolved within their SLA.' }),
    slaMissed: t.exposeInt('slaMissed', { description: 'Incidents opened in the period that breached an SLA.' }),
    slaCompliance: t.exposeFloat('slaCompliance', {
      nullable: true,
      description: 'slaMet / (slaMet + slaMissed): open incidents inside their deadlines count for neither yet.',
    }),
    decisionsBySource: t.field({
      type: [CountByRef],
      description: 'Decisions made in the period by provider; "gemini → rules" when the rules stood in.',
      resolve: (o) => o.decisionsBySource,
    }),
    topAssets: t.field({
      type: [CountByRef],
      description: `The ${TOP_N} noisiest assets.`,
      resolve: (o) => o.topAssets,
    }),
    topSignatures: t.field({ type: [CountByRef], resolve: (o) => o.topSignatures }),
    series: t.field({ type: [PointRef], resolve: (o) => o.series }),
  }),
});

builder.queryField('overview', (t) =>
  t.field({
    type: OverviewRef,
    description: 'KPIs and series of a period for one company, or every company the caller may see (MSP admins: all).',
    args: {
      companyId: t.arg.id(),
      from: t.arg({ type: 'DateTime', description: 'Default: 7 days before `to`.' }),
      to: t.arg({ type: 'DateTime', description: 'Default: now.' }),
    },
    resolve: (_root, args, ctx) =>
      guard(() =>
        overview(ctx.sql, requireUser(ctx), {
          companyId: args.companyId ? String(args.companyId) : null,
          from: args.from ? new Date(String(args.from)).toISOString() : null,
          to: args.to ? new Date(String(args.to)).toISOString() : null,
        }),
      ),
  }),
);
