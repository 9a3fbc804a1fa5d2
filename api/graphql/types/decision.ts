import type { Decision } from '../../../domain/rules.ts';
import { builder } from '../builder.ts';

export const DecisionRef = builder.objectRef<Decision>('Decision').implement({
  description: 'What the rules (or an LLM) chose to do about the incident, and why.',
  fields: (t) => ({
    action: t.exposeString('action'),
    runbookName: t.string({ nullable: true, resolve: (d) => d.runbook?.name ?? null }),
    riskLevel: t.string({ nullable: true, resolve: (d) => d.runbook?.riskLevel ?? null }),
    reasoning: t.exposeString('reasoning'),
    source: t.exposeString('source'),
    confidence: t.exposeFloat('confidence'),
  }),
});
