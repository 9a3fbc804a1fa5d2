// Incident.memory: what runbooks did before for the incident's company, signature and asset (issue 14, item 3),
// the line approvers read beside a decision. The incident was read in the caller's scope (incident-queries.ts), and
// the memory is read for that incident's company only.
import { loadOutcomeMemory } from '../../../db/outcome-memory.ts';
import type { ApprovalAnswer, OutcomeMemory, OutcomeRun, OutcomeTally } from '../../../domain/outcome-memory.ts';
import { succeeded } from '../../../domain/outcome-memory.ts';
import { builder } from '../builder.ts';
// A cycle, on purpose (as decision.ts): schema.ts imports this file after incident.ts, so IncidentRef exists.
import { IncidentRef } from './incident.ts';

const TallyRef = builder.objectRef<OutcomeTally>('OutcomeTally').implement({
  description: 'Incidents counted by their latest SSM run (at most the last 10), and how many that run fixed.',
  fields: (t) => ({
    incidents: t.exposeInt('incidents'),
    fixed: t.exposeInt('fixed'),
    medianSecondsToResolve: t.exposeFloat('medianSecondsToResolve', {
      nullable: true,
      description: 'From the incident opening to its resolution, over the fixed ones.',
    }),
  }),
});

const RunRef = builder.objectRef<OutcomeRun>('OutcomeRun').implement({
  description: 'One finished SSM run of a runbook for an earlier incident.',
  fields: (t) => ({
    incidentId: t.exposeID('incidentId'),
    attempt: t.exposeInt('attempt'),
    runbookId: t.exposeString('runbookId', { nullable: true }),
    runbookName: t.exposeString('runbookName', { nullable: true }),
    runbookVersion: t.exposeInt('runbookVersion', { nullable: true }),
    status: t.exposeString('status', { description: "SSM's final status: Success, Failed, TimedOut…" }),
    succeeded: t.boolean({ resolve: (r) => succeeded(r) }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime' }),
    secondsToResolve: t.exposeFloat('secondsToResolve', { nullable: true }),
    approvedBy: t.exposeString('approvedBy', {
      nullable: true,
      description: 'Who approved the run (a company person by address, MSP staff as "Name (MSP)"); null: unattended.',
    }),
  }),
});

const AnswersRef = builder.objectRef<OutcomeMemory['approvals']>('OutcomeApprovals').implement({
  description: "The client's latest incidents of the signature whose runbook an approver answered (at most 10).",
  fields: (t) => ({ answered: t.exposeInt('answered'), rejected: t.exposeInt('rejected') }),
});

const OverrideRef = builder.objectRef<ApprovalAnswer>('OutcomeOverride').implement({
  description: 'An earlier incident whose proposed runbook an approver rejected: a person overriding the decision.',
  fields: (t) => ({
    incidentId: t.exposeID('incidentId'),
    assetName: t.exposeString('assetName'),
    runbookName: t.exposeString('runbookName', { nullable: true }),
    runbookVersion: t.exposeInt('runbookVersion', { nullable: true }),
    decidedBy: t.exposeString('decidedBy', {
      nullable: true,
      description: 'A company person by address, MSP staff as "Name (MSP)".',
    }),
    decidedAt: t.expose('decidedAt', { type: 'DateTime', nullable: true }),
    comment: t.exposeString('comment', { nullable: true }),
  }),
});

const MemoryRef = builder.objectRef<OutcomeMemory>('OutcomeMemory').implement({
  description: "Past outcomes of runbooks on the company's incidents of this signature, and on this asset.",
  fields: (t) => ({
    sentence: t.exposeString('sentence', {
      description: 'e.g. "Fixed 9 of the last 10 disk_full incidents for this client, median 42 s".',
    }),
    company: t.field({ type: TallyRef, resolve: (m) => m.company }),
    asset: t.field({ type: TallyRef, resolve: (m) => m.asset }),
    recent: t.field({
      type: [RunRef],
      description: 'The latest runs on this asset for the signature, newest first (at most 5).',
      resolve: (m) => m.recent,
    }),
    approvals: t.field({ type: AnswersRef, resolve: (m) => m.approvals }),
    overrides: t.field({
      type: [OverrideRef],
      description: 'The rejections among those answers, newest first (at most 5).',
      resolve: (m) => m.overrides,
    }),
  }),
});

builder.objectField(IncidentRef, 'memory', (t) =>
  t.field({
    type: MemoryRef,
    description: 'What runbooks did before for this company, signature and asset; this incident apart.',
    resolve: (i, _args, ctx) =>
      loadOutcomeMemory(ctx.sql, {
        companyId: i.companyId,
        signature: i.signature,
        assetName: i.assetName,
        incidentId: i.id,
      }),
  }),
);
