// The runbook library over GraphQL: members of a company read its runbooks, versions and previews; its admins and
// MSP admins save, archive and import the starter catalogue.
import { RISK_LEVELS } from '../../../domain/types.ts';
import { TEMPLATE_PLACEHOLDERS } from '../../../domain/runbook-template.ts';
import { describeTarget } from '../../../domain/runbook-targets.ts';
import { builder, requireUser } from '../builder.ts';
import { previewRunbook, type RunbookPreview } from '../../tenants/runbook-preview.ts';
import {
  archiveRunbook,
  getRunbook,
  importRunbookCatalogue,
  listRunbooks,
  RUN_STATS_DAYS,
  RUNBOOK_VERSIONS_LIMIT,
  runbookRunStats,
  runbookVersions,
  saveRunbook,
  type CatalogueImport,
  type RunbookRow,
  type RunbookRunStats,
  type RunbookVersionRecord,
  type RunbookVersionRow,
} from '../../tenants/runbooks.ts';
import type { FieldChange } from '../../../domain/runbook.ts';
import { actorOf, guard } from './tenant-errors.ts';

export const RiskLevelEnum = builder.enumType('RiskLevel', { values: RISK_LEVELS });

const ParameterRef = builder.objectRef<{ name: string; value: string }>('RunbookParameter').implement({
  fields: (t) => ({ name: t.exposeString('name'), value: t.exposeString('value') }),
});

const ChangeRef = builder.objectRef<FieldChange>('RunbookFieldChange').implement({
  description: 'One field that differs from the version before, as the text each version shows.',
  fields: (t) => ({
    field: t.exposeString('field'),
    before: t.exposeString('before'),
    after: t.exposeString('after'),
  }),
});

const VersionRef = builder.objectRef<RunbookVersionRow & { changes?: FieldChange[] }>('RunbookVersion').implement({
  description: 'An immutable version of a runbook: an edit adds one, an incident records the one it ran.',
  fields: (t) => ({
    version: t.exposeInt('version'),
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    signatures: t.exposeStringList('signatures', { description: 'Exact signatures or globs (* = any characters).' }),
    riskLevel: t.field({ type: RiskLevelEnum, resolve: (v) => v.riskLevel }),
    documentName: t.exposeString('documentName'),
    commands: t.exposeStringList('commands', {
      description: `Command templates; placeholders ${TEMPLATE_PLACEHOLDERS.join(' ')} are rendered shell-quoted.`,
    }),
    parameters: t.field({
      type: [ParameterRef],
      resolve: (v) => Object.entries(v.parameters).map(([name, value]) => ({ name, value })),
    }),
    timeoutSeconds: t.exposeInt('timeoutSeconds'),
    preCheck: t.exposeStringList('preCheck', {
      description: 'Run before the actions (same templates); a non-zero exit and nothing is changed. Empty: none.',
    }),
    postCheck: t.exposeStringList('postCheck', {
      description: 'Run after the actions; a non-zero exit and the run failed. Empty: none.',
    }),
    targetTag: t.exposeString('targetTag', {
      nullable: true,
      description:
        "Runs on every asset of the incident's company with this tag (and an instance), up to its concurrent-run " +
        "limit; null: the incident's asset.",
    }),
    createdBy: t.exposeString('createdBy'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    changes: t.field({
      type: [ChangeRef],
      description: 'What differs from the version before (empty for version 1).',
      resolve: (v) => v.changes ?? [],
    }),
  }),
});

const RunStatsRef = builder.objectRef<RunbookRunStats>('RunbookRunStats').implement({
  description: `How the runbook fared over the last ${RUN_STATS_DAYS} days, all versions together.`,
  fields: (t) => ({
    runs: t.exposeInt('runs', { description: 'Finished runs through SSM (dry runs apart).' }),
    succeeded: t.exposeInt('succeeded'),
    dryRuns: t.exposeInt('dryRuns'),
    successRate: t.exposeFloat('successRate', { nullable: true, description: 'succeeded / runs; null before a run.' }),
    medianSeconds: t.exposeFloat('medianSeconds', { nullable: true }),
    lastRunAt: t.expose('lastRunAt', { type: 'DateTime', nullable: true }),
  }),
});

const RunbookRef = builder.objectRef<RunbookRow>('Runbook').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    companyId: t.exposeID('companyId'),
    currentVersion: t.exposeInt('currentVersion'),
    current: t.field({ type: VersionRef, resolve: (r) => r.current }),
    archivedAt: t.expose('archivedAt', { type: 'DateTime', nullable: true }),
    archivedBy: t.exposeString('archivedBy', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    runStats: t.field({
      type: RunStatsRef,
      resolve: (r, _args, ctx) => runbookRunStats(ctx.sql, r.companyId, r.id),
    }),
    versions: t.field({
      type: [VersionRef],
      description: `Newest first, each with its changes; limit ${RUNBOOK_VERSIONS_LIMIT.default} by default, at most ${RUNBOOK_VERSIONS_LIMIT.max}.`,
      args: { limit: t.arg.int({ defaultValue: RUNBOOK_VERSIONS_LIMIT.default }) },
      resolve: (r, args, ctx): Promise<RunbookVersionRecord[]> =>
        runbookVersions(ctx.sql, r.id, args.limit ?? RUNBOOK_VERSIONS_LIMIT.default),
    }),
  }),
});

export const PreviewRef = builder.objectRef<RunbookPreview>('RunbookPreview').implement({
  description: 'What a run of this runbook would send for the incident, exactly; nothing is sent.',
  fields: (t) => ({
    runbookId: t.exposeID('runbookId'),
    version: t.exposeInt('version'),
    incidentId: t.exposeID('incidentId'),
    documentName: t.exposeString('documentName'),
    shell: t.exposeString('shell', { description: 'bash or powershell: how the values were quoted.' }),
    instanceIds: t.exposeStringList('instanceIds', { description: 'The instances a run would be sent to.' }),
    targetTag: t.string({ nullable: true, resolve: (p) => p.targetTag ?? null }),
    target: t.string({
      description: 'Where it runs, as a sentence.',
      resolve: (p) => p.target ?? describeTarget(null),
    }),
    commands: t.exposeStringList('commands', {
      description: 'Exactly what is sent: with a check, the wrapper script that runs it around the actions.',
    }),
    preCheck: t.stringList({
      description: 'The pre-check rendered on its own, for reading.',
      resolve: (p) => p.preCheck ?? [],
    }),
    postCheck: t.stringList({ description: 'The post-check rendered on its own.', resolve: (p) => p.postCheck ?? [] }),
    timeoutSeconds: t.exposeInt('timeoutSeconds'),
    blockedReason: t.exposeString('blockedReason', { nullable: true }),
  }),
});

const SkippedRef = builder.objectRef<CatalogueImport['skipped'][number]>('RunbookCatalogueSkip').implement({
  fields: (t) => ({ key: t.exposeString('key'), name: t.exposeString('name'), reason: t.exposeString('reason') }),
});

const ImportRef = builder.objectRef<CatalogueImport>('RunbookCatalogueImport').implement({
  fields: (t) => ({
    imported: t.field({ type: [RunbookRef], resolve: (i) => i.imported }),
    skipped: t.field({ type: [SkippedRef], resolve: (i) => i.skipped }),
  }),
});

builder.queryField('runbooks', (t) =>
  t.field({
    type: [RunbookRef],
    description: "A company's runbooks by name; archived ones only when asked (after the live ones).",
    args: { companyId: t.arg.id({ required: true }), includeArchived: t.arg.boolean({ defaultValue: false }) },
    resolve: (_r, args, ctx) =>
      guard(() => listRunbooks(ctx.sql, requireUser(ctx), String(args.companyId), args.includeArchived ?? false)),
  }),
);

builder.queryField('runbook', (t) =>
  t.field({
    type: RunbookRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, args, ctx) => guard(() => getRunbook(ctx.sql, requireUser(ctx), String(args.id))),
  }),
);

builder.queryField('runbookPreview', (t) =>
  t.field({
    type: PreviewRef,
    args: { runbookId: t.arg.id({ required: true }), incidentId: t.arg.id({ required: true }) },
    resolve: (_r, args, ctx) =>
      guard(() =>
        previewRunbook(ctx.sql, requireUser(ctx), String(args.runbookId), String(args.incidentId), {
          defaults: ctx.config.blastRadiusDefaults,
          ceilings: ctx.config.blastRadiusCeilings,
        }),
      ),
  }),
);

const ParameterInput = builder.inputType('RunbookParameterInput', {
  fields: (t) => ({ name: t.string({ required: true }), value: t.string({ required: true }) }),
});

const RunbookInput = builder.inputType('RunbookInput', {
  fields: (t) => ({
    id: t.id({ description: 'Absent: a new runbook at version 1. Present: its next version.' }),
    companyId: t.id({ required: true }),
    name: t.string({ required: true }),
    description: t.string(),
    signatures: t.stringList({ required: true }),
    riskLevel: t.field({ type: RiskLevelEnum, required: true }),
    documentName: t.string({ description: 'Default AWS-RunShellScript.' }),
    commands: t.stringList({ required: true }),
    parameters: t.field({ type: [ParameterInput] }),
    timeoutSeconds: t.int({ description: 'Default 600; 30 to 172800.' }),
    preCheck: t.stringList({ description: 'Commands run first; a non-zero exit stops the run. Absent: none.' }),
    postCheck: t.stringList({ description: 'Commands run after the actions; a non-zero exit fails the run.' }),
    targetTag: t.string({ description: "Absent, null or empty: the incident's asset. Else assets with this tag." }),
  }),
});

builder.mutationField('saveRunbook', (t) =>
  t.field({
    type: RunbookRef,
    args: { input: t.arg({ type: RunbookInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      guard(() =>
        saveRunbook(ctx.sql, requireUser(ctx), actorOf(ctx), {
          ...(input.id ? { id: String(input.id) } : {}),
          companyId: String(input.companyId),
          name: input.name,
          ...(input.description != null ? { description: input.description } : {}),
          signatures: input.signatures,
          riskLevel: input.riskLevel,
          ...(input.documentName != null ? { documentName: input.documentName } : {}),
          commands: input.commands,
          ...(input.parameters ? { parameters: input.parameters } : {}),
          ...(input.timeoutSeconds != null ? { timeoutSeconds: input.timeoutSeconds } : {}),
          ...(input.preCheck ? { preCheck: input.preCheck } : {}),
          ...(input.postCheck ? { postCheck: input.postCheck } : {}),
          ...(input.targetTag !== undefined ? { targetTag: input.targetTag } : {}),
        }),
      ),
  }),
);

builder.mutationField('archiveRunbook', (t) =>
  t.field({
    type: RunbookRef,
    description: 'Hides the runbook from decisions; its versions stay for the incidents that ran them.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => guard(() => archiveRunbook(ctx.sql, requireUser(ctx), actorOf(ctx), String(id))),
  }),
);

builder.mutationField('importRunbookCatalogue', (t) =>
  t.field({
    type: ImportRef,
    description: 'Imports the starter catalogue, or the entries named by key; entries already there are skipped.',
    args: { companyId: t.arg.id({ required: true }), names: t.arg.stringList() },
    resolve: (_r, args, ctx) =>
      guard(() =>
        importRunbookCatalogue(ctx.sql, requireUser(ctx), actorOf(ctx), String(args.companyId), args.names ?? null),
      ),
  }),
);
