// correlationLab: what a proposed correlation setting would have made of a company's alerts, before it is saved.
import type { LabGroup } from '../../../domain/correlation-lab.ts';
import {
  runCorrelationLab,
  type LabInhibitedAlert,
  type LabInhibitionRule,
  type LabResult,
  type LabRunSummary,
} from '../../correlation-lab.ts';
import { builder, requireUser } from '../builder.ts';
import { SeverityEnum } from './enums.ts';
import { guard } from './tenant-errors.ts';

const LabRunRef = builder.objectRef<LabRunSummary>('CorrelationLabRun').implement({
  fields: (t) => ({
    incidentCount: t.exposeInt('incidentCount'),
    heldAlerts: t.exposeInt('heldAlerts', { description: 'Alerts in groups below the minimum count.' }),
    inhibitedAlerts: t.exposeInt('inhibitedAlerts', {
      description:
        "Alerts the company's inhibition rules held: attached to their source's incident, no group of their own.",
    }),
    noiseReduction: t.exposeFloat('noiseReduction', { description: '1 − incidents / alerts.' }),
  }),
});

const LabGroupRef = builder.objectRef<LabGroup>('CorrelationLabIncident').implement({
  fields: (t) => ({
    key: t.exposeString('key'),
    assetName: t.exposeString('asset'),
    signature: t.exposeString('signature'),
    alertCount: t.exposeInt('alertCount'),
    firstAlertAt: t.field({ type: 'DateTime', resolve: (g) => new Date(g.firstAt).toISOString() }),
    lastAlertAt: t.field({ type: 'DateTime', resolve: (g) => new Date(g.lastAt).toISOString() }),
    tools: t.exposeStringList('tools'),
    rule: t.exposeString('rule'),
  }),
});

type Diff = NonNullable<LabResult['diff']>;
const MergeRef = builder.objectRef<Diff['merges'][number]>('CorrelationLabMerge').implement({
  description: 'One proposed incident holding the alerts of several incidents that happened.',
  fields: (t) => ({ key: t.exposeString('key'), incidentIds: t.exposeIDList('incidentIds') }),
});
const SplitRef = builder.objectRef<Diff['splits'][number]>('CorrelationLabSplit').implement({
  description: 'An incident that happened whose alerts the proposal spreads over several incidents.',
  fields: (t) => ({ incidentId: t.exposeID('incidentId'), keys: t.exposeStringList('groupKeys') }),
});
const DiffRef = builder.objectRef<Diff>('CorrelationLabDiff').implement({
  fields: (t) => ({
    merges: t.field({ type: [MergeRef], resolve: (d) => d.merges.slice(0, 50) }),
    mergeCount: t.int({ resolve: (d) => d.merges.length }),
    splits: t.field({ type: [SplitRef], resolve: (d) => d.splits.slice(0, 50) }),
    splitCount: t.int({ resolve: (d) => d.splits.length }),
    unchanged: t.exposeInt('unchanged'),
  }),
});

const LabRuleRef = builder.objectRef<LabInhibitionRule>('CorrelationLabInhibitionRule').implement({
  description: "One of the company's inhibition rules and how many of the replayed alerts it held.",
  fields: (t) => ({
    ruleId: t.exposeID('ruleId'),
    name: t.exposeString('name'),
    inhibitedAlerts: t.exposeInt('inhibitedAlerts'),
    invalidReason: t.exposeString('invalidReason', { nullable: true }),
  }),
});

const LabInhibitedRef = builder.objectRef<LabInhibitedAlert>('CorrelationLabInhibitedAlert').implement({
  description: 'An alert an inhibition rule held while its source alert fired.',
  fields: (t) => ({
    alertId: t.exposeID('alertId'),
    ruleId: t.exposeID('ruleId'),
    ruleName: t.exposeString('ruleName'),
    sourceAlertId: t.exposeID('sourceAlertId'),
  }),
});

const LabResultRef = builder.objectRef<LabResult>('CorrelationLabResult').implement({
  fields: (t) => ({
    alertCount: t.exposeInt('alertCount'),
    truncated: t.exposeBoolean('truncated'),
    from: t.expose('from', { type: 'DateTime' }),
    to: t.expose('to', { type: 'DateTime' }),
    proposed: t.field({ type: LabRunRef, resolve: (r) => r.proposed }),
    current: t.field({ type: LabRunRef, description: "The company's saved setting.", resolve: (r) => r.current }),
    happenedIncidentCount: t.exposeInt('happenedIncidentCount', { nullable: true }),
    diff: t.field({ type: DiffRef, nullable: true, resolve: (r) => r.diff }),
    incidents: t.field({ type: [LabGroupRef], resolve: (r) => r.groups }),
    inhibitionRules: t.field({
      type: [LabRuleRef],
      description: "The company's inhibition rules and what each held under the proposed setting.",
      resolve: (r) => r.inhibitionRules,
    }),
    inhibitedAlerts: t.field({
      type: [LabInhibitedRef],
      description: 'The alerts they held, in event time (the first 100).',
      resolve: (r) => r.inhibited,
    }),
  }),
});

const LabAlertInput = builder.inputType('CorrelationLabAlertInput', {
  fields: (t) => ({
    id: t.string(),
    at: t.field({ type: 'DateTime', required: true }),
    asset: t.string({ required: true }),
    signature: t.string({ required: true }),
    tool: t.string({ required: true }),
    labels: t.field({ type: 'JSON' }),
    severity: t.field({ type: SeverityEnum, description: 'Default: medium.' }),
    resolvedAt: t.field({ type: 'DateTime', description: 'When it recovered; unset: still firing.' }),
  }),
});

builder.queryField('correlationLab', (t) =>
  t.field({
    type: LabResultRef,
    description:
      "Runs a company's alerts (or `alerts`) through a proposed `correlation` setting in event time and compares " +
      'the result with the saved setting and with what happened. Changes nothing.',
    args: {
      companyId: t.arg.id({ required: true }),
      settings: t.arg({ type: 'JSON', required: true, description: 'The proposed correlation settings.' }),
      from: t.arg({ type: 'DateTime', description: 'Default: 24 hours before `to`.' }),
      to: t.arg({ type: 'DateTime', description: 'Default: now.' }),
      alerts: t.arg({ type: [LabAlertInput], description: 'Try these instead of the stored alerts.' }),
    },
    resolve: (_root, args, ctx) =>
      guard(() =>
        runCorrelationLab(ctx.sql, requireUser(ctx), {
          companyId: String(args.companyId),
          settings: (args.settings ?? {}) as Record<string, unknown>,
          from: args.from ? new Date(String(args.from)).toISOString() : null,
          to: args.to ? new Date(String(args.to)).toISOString() : null,
          ...(args.alerts
            ? {
                alerts: args.alerts.map((a) => ({
                  id: a.id ?? null,
                  at: new Date(String(a.at)).toISOString(),
                  asset: a.asset,
                  signature: a.signature,
                  tool: a.tool,
                  labels: a.labels,
                  severity: a.severity ?? null,
                  resolvedAt: a.resolvedAt ? new Date(String(a.resolvedAt)).toISOString() : null,
                })),
              }
            : {}),
        }),
      ),
  }),
);
