import type { Decision } from '../../../domain/rules.ts';
import { builder } from '../builder.ts';
// A cycle, on purpose: incident.ts shows the current decision (DecisionRef, read lazily in its fields thunk) and the
// decision history is a field of Incident. schema.ts imports this file first, so IncidentRef is defined by the time
// the field below is added.
import { IncidentRef } from './incident.ts';

export const DecisionRef = builder.objectRef<Decision>('Decision').implement({
  description: 'What the rules (or an LLM) chose to do about the incident, and why.',
  fields: (t) => ({
    action: t.exposeString('action'),
    runbookName: t.string({ nullable: true, resolve: (d) => d.runbook?.name ?? null }),
    riskLevel: t.string({ nullable: true, resolve: (d) => d.runbook?.riskLevel ?? null }),
    reasoning: t.exposeString('reasoning'),
    source: t.exposeString('source'),
    confidence: t.exposeFloat('confidence'),
    provider: t.string({
      nullable: true,
      description: "The LLM the company's settings asked (null: rules only); `source` says who decided.",
      resolve: (d) => d.provider ?? null,
    }),
    model: t.string({ nullable: true, resolve: (d) => d.model ?? null }),
    fallbackReason: t.string({
      nullable: true,
      description: 'Why the rules decided instead of the provider.',
      resolve: (d) => d.fallbackReason ?? null,
    }),
    memoryReason: t.string({
      nullable: true,
      description: 'Why outcome memory held back an automatic run (the runbook kept failing on this asset).',
      resolve: (d) => d.memoryReason ?? null,
    }),
  }),
});

/** Decision history rows returned per request. */
export const DECISION_HISTORY_LIMIT = { default: 20, max: 100 } as const;

interface DecisionRecordRow {
  id: string;
  provider: string;
  model: string | null;
  promptVersion: string | null;
  inputDigest: string | null;
  action: string | null;
  runbookId: string | null;
  runbookName: string | null;
  source: string | null;
  confidence: number | null;
  reasoning: string | null;
  latencyMs: number | null;
  tokensIn: number | null;
  tokensOut: number | null;
  fallbackReason: string | null;
  memoryReason: string | null;
  requestedBy: string | null;
  overriddenBy: string | null;
  overriddenAt: string | null;
  override: string | null;
  createdAt: string;
}

const DecisionRecordRef = builder.objectRef<DecisionRecordRow>('DecisionRecord').implement({
  description: 'One decision made for an incident: who was asked, on what input, what came back and how long it took.',
  fields: (t) => ({
    id: t.exposeID('id'),
    provider: t.exposeString('provider', { description: 'rules, gemini or bedrock: who was asked.' }),
    model: t.exposeString('model', { nullable: true }),
    promptVersion: t.exposeString('promptVersion', { nullable: true }),
    inputDigest: t.exposeString('inputDigest', {
      nullable: true,
      description: 'sha256 of what the model was shown: equal digests, equal input.',
    }),
    action: t.exposeString('action', { nullable: true, description: 'auto_remediate, request_approval or escalate.' }),
    runbookId: t.exposeString('runbookId', { nullable: true }),
    runbookName: t.exposeString('runbookName', { nullable: true }),
    source: t.exposeString('source', {
      nullable: true,
      description: 'Who decided in the end: the rules or the model.',
    }),
    confidence: t.exposeFloat('confidence', { nullable: true }),
    reasoning: t.exposeString('reasoning', { nullable: true, description: "The model's own words, when it was used." }),
    latencyMs: t.exposeInt('latencyMs', { nullable: true }),
    tokensIn: t.exposeInt('tokensIn', { nullable: true }),
    tokensOut: t.exposeInt('tokensOut', { nullable: true }),
    fallbackReason: t.exposeString('fallbackReason', { nullable: true }),
    memoryReason: t.exposeString('memoryReason', {
      nullable: true,
      description: 'Why outcome memory held back an automatic run; `action` is then what was done instead.',
    }),
    requestedBy: t.exposeString('requestedBy', {
      nullable: true,
      description: 'Who asked for this decision (redecideIncident); null for the automation’s own.',
    }),
    overriddenBy: t.exposeString('overriddenBy', {
      nullable: true,
      description: 'Who overrode it: rejected the runbook it asked approval for, or asked for another runbook.',
    }),
    overriddenAt: t.expose('overriddenAt', { type: 'DateTime', nullable: true }),
    override: t.exposeString('override', { nullable: true, description: 'rejected or other_runbook.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.objectField(IncidentRef, 'decisions', (t) =>
  t.field({
    type: [DecisionRecordRef],
    description: 'Every decision made for the incident, newest first.',
    args: {
      limit: t.arg.int({
        defaultValue: DECISION_HISTORY_LIMIT.default,
        description: `1–${DECISION_HISTORY_LIMIT.max}`,
      }),
    },
    resolve: (i, args, ctx) => {
      const limit = Math.min(Math.max(args.limit ?? DECISION_HISTORY_LIMIT.default, 1), DECISION_HISTORY_LIMIT.max);
      // The incident was read in the caller's scope; the company id keeps the rows to that incident's tenant.
      return ctx.sql<DecisionRecordRow[]>`
        SELECT d.id, d.provider, d.model, d.prompt_version AS "promptVersion", d.input_digest AS "inputDigest",
               -- A provider's row nests the decision under "decision"; the rules' row is the decision itself.
               COALESCE(d.output->'decision', d.output)->>'action' AS action,
               COALESCE(d.output->'decision', d.output)->>'runbookId' AS "runbookId",
               COALESCE(d.output->'decision', d.output)->>'runbookName' AS "runbookName",
               COALESCE(d.output->'decision', d.output)->>'source' AS source,
               (COALESCE(d.output->'decision', d.output)->>'confidence')::float8 AS confidence,
               d.output->'answer'->>'reasoning' AS reasoning, d.latency_ms AS "latencyMs",
               d.tokens_in AS "tokensIn", d.tokens_out AS "tokensOut", d.fallback_reason AS "fallbackReason",
               d.output->>'memoryReason' AS "memoryReason", d.requested_by AS "requestedBy",
               d.overridden_by AS "overriddenBy", d.overridden_at AS "overriddenAt", d.override,
               d.created_at AS "createdAt"
          FROM decisions d
         WHERE d.incident_id = ${i.id} AND d.company_id = ${i.companyId}
         ORDER BY d.created_at DESC, d.id
         LIMIT ${limit}`;
    },
  }),
);
