// clientReport / clientReportCsv: one company's month, for a printable page and a spreadsheet.
import type { RecurringProblem, ReportPatches, SeverityScore } from '../../../domain/client-report.ts';
import { reportCsv } from '../../../domain/client-report.ts';
import type { ClientReport } from '../../../db/client-report.ts';
import { clientReport } from '../../client-report.ts';
import { builder, requireUser } from '../builder.ts';
import { guard } from './tenant-errors.ts';

const SeverityScoreRef = builder.objectRef<SeverityScore>('SeverityScore').implement({
  description: 'The SLA scorecard line of one severity: incidents opened that month, met and missed.',
  fields: (t) => ({
    severity: t.exposeString('severity'),
    incidents: t.exposeInt('incidents'),
    slaMet: t.exposeInt('slaMet'),
    slaMissed: t.exposeInt('slaMissed'),
  }),
});

const RecurringRef = builder.objectRef<RecurringProblem>('RecurringProblem').implement({
  description: 'A signature that opened more than one incident that month.',
  fields: (t) => ({
    signature: t.exposeString('signature'),
    incidents: t.exposeInt('incidents'),
    assets: t.exposeInt('assets', { description: 'Distinct assets it hit.' }),
    selfHealed: t.exposeInt('selfHealed'),
  }),
});

const PatchesRef = builder.objectRef<ReportPatches>('ReportPatches').implement({
  description:
    'Patch compliance as far as the month knows it: the registered instances whose last stored Patch Manager scan ' +
    'ended that month (an instance scanned again since has no figure for it).',
  fields: (t) => ({
    instancesScanned: t.exposeInt('instancesScanned'),
    compliant: t.exposeInt('compliant'),
    nonCompliant: t.exposeInt('nonCompliant'),
    criticalMissing: t.exposeInt('criticalMissing', { description: 'Critical patches missing, over those instances.' }),
    securityMissing: t.exposeInt('securityMissing', { description: 'Security patches missing, over those instances.' }),
    lastScanAt: t.expose('lastScanAt', { type: 'DateTime', description: 'When the latest of those scans ended.' }),
  }),
});

const ReportRef = builder.objectRef<ClientReport>('ClientReport').implement({
  description: 'One company, one calendar month (UTC). Ratios are fractions 0–1, null when nothing to divide.',
  fields: (t) => ({
    companyId: t.exposeID('companyId'),
    companyName: t.exposeString('companyName'),
    month: t.exposeString('month'),
    from: t.expose('from', { type: 'DateTime' }),
    to: t.expose('to', { type: 'DateTime' }),
    alerts: t.exposeInt('alerts'),
    incidents: t.exposeInt('incidents'),
    noiseReduction: t.exposeFloat('noiseReduction', { nullable: true }),
    mttaSeconds: t.exposeFloat('mttaSeconds', { nullable: true }),
    mttrSeconds: t.exposeFloat('mttrSeconds', { nullable: true }),
    selfHealed: t.exposeInt('selfHealed'),
    selfHealedShare: t.exposeFloat('selfHealedShare', { nullable: true }),
    slaCompliance: t.exposeFloat('slaCompliance', { nullable: true }),
    bySeverity: t.field({ type: [SeverityScoreRef], resolve: (r) => r.bySeverity }),
    recurring: t.field({ type: [RecurringRef], resolve: (r) => r.recurring }),
    patches: t.field({
      type: PatchesRef,
      nullable: true,
      description: 'Null when no registered instance was scanned that month as far as is stored: unknown, not 0 %.',
      resolve: (r) => r.patches,
    }),
  }),
});

builder.queryField('clientReport', (t) =>
  t.field({
    type: ReportRef,
    description:
      "A client company's monthly report: KPIs, SLA scorecard by severity, recurring problems, patch compliance where known.",
    args: {
      companyId: t.arg.id({ required: true }),
      month: t.arg.string({ required: true, description: 'YYYY-MM, UTC; at most 24 months back.' }),
    },
    resolve: (_root, a, ctx) =>
      guard(() => clientReport(ctx.sql, requireUser(ctx), { companyId: String(a.companyId), month: a.month })),
  }),
);

builder.queryField('clientReportCsv', (t) =>
  t.string({
    description: 'The same report as CSV (one section per table), formula injection neutralised.',
    args: {
      companyId: t.arg.id({ required: true }),
      month: t.arg.string({ required: true }),
    },
    resolve: (_root, a, ctx) =>
      guard(async () =>
        reportCsv(await clientReport(ctx.sql, requireUser(ctx), { companyId: String(a.companyId), month: a.month })),
      ),
  }),
);
