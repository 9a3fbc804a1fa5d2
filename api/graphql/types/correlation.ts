import type { CorrelationReason, IncidentCorrelationRecord } from '../../correlation-queries.ts';
import { builder } from '../builder.ts';

const CorrelationReasonRef = builder.objectRef<CorrelationReason>('CorrelationReason').implement({
  description: 'One rule that brought alerts into the incident, and how many.',
  fields: (t) => ({
    rule: t.exposeString('rule', {
      description: 'opened, same_key, host_fault, recurrence or alone (domain/correlate.ts).',
    }),
    matched: t.exposeStringList('matched', {
      description: 'The fields that matched (asset, signature, tool, label:x), cross_tool, or the host fault.',
    }),
    alertCount: t.exposeInt('alertCount'),
  }),
});

export const IncidentCorrelationRef = builder.objectRef<IncidentCorrelationRecord>('IncidentCorrelation').implement({
  description: 'Why these alerts are one incident.',
  fields: (t) => ({
    key: t.exposeString('key', { description: "The correlation key: the company's key fields, joined by |." }),
    rule: t.exposeString('rule', { description: 'How it began: opened, recurrence or alone.' }),
    recurrenceOf: t.exposeID('recurrenceOf', {
      nullable: true,
      description: "The key's previous incident, when this one came back after the window closed.",
    }),
    firstAlertAt: t.expose('firstAlertAt', { type: 'DateTime' }),
    lastAlertAt: t.expose('lastAlertAt', { type: 'DateTime' }),
    reasons: t.field({ type: [CorrelationReasonRef], resolve: (c) => c.reasons }),
  }),
});
