// Inhibition rules over GraphQL (domain/inhibition.ts): company admins and MSP admins write them, every member
// reads them; an alert shows the inhibition that held it, an incident how many alerts it holds so.
import {
  inhibitedCounts,
  createInhibitionRule,
  deleteInhibitionRule,
  listInhibitionRules,
} from '../../tenants/inhibition.ts';
import type { InhibitionRuleRecord } from '../../tenants/inhibition.ts';
import type { AlertRecord } from '../../incident-queries.ts';
import type { Matcher } from '../../../domain/silences.ts';
import { maxInhibitionRules } from '../../../lib/config.ts';
import { builder, requireUser, type GraphQLContext } from '../builder.ts';
import { AlertRef } from './alert.ts';
import { CompanyRef } from './company.ts';
import { IncidentRef } from './incident.ts';
import { MatcherInput, MatcherRef } from './silence.ts';
import { actorOf, guard } from './tenant-errors.ts';

const InhibitionRuleRef = builder.objectRef<InhibitionRuleRecord>('InhibitionRule').implement({
  description:
    'While an alert matching sourceMatchers fires, alerts matching targetMatchers whose `equal` fields hold the same ' +
    'values are inhibited: stored and attached to the source alert’s incident, paging nobody ' +
    '(Alertmanager semantics).',
  fields: (t) => ({
    id: t.exposeID('id'),
    companyId: t.exposeID('companyId'),
    name: t.exposeString('name'),
    sourceMatchers: t.field({ type: [MatcherRef], resolve: (r) => r.sourceMatchers }),
    targetMatchers: t.field({ type: [MatcherRef], resolve: (r) => r.targetMatchers }),
    equal: t.exposeStringList('equal', {
      description: 'Matcher fields (asset, signature, tool, severity, label:<name>); missing on both counts as equal.',
    }),
    comment: t.exposeString('comment'),
    createdBy: t.exposeString('createdBy'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    inhibitedCount: t.exposeInt('inhibitedCount', { description: 'Alerts it inhibited, released or not.' }),
    invalidReason: t.exposeString('invalidReason', {
      nullable: true,
      description: 'Why it inhibits nothing, naming the field (e.g. "sourceMatchers.0.value: …"); null when valid.',
    }),
  }),
});

type AlertInhibition = NonNullable<AlertRecord['inhibitedBy']> & { releasedAt: string | null };

const AlertInhibitionRef = builder.objectRef<AlertInhibition>('AlertInhibition').implement({
  description: 'The rule and the firing source alert that inhibited this alert.',
  fields: (t) => ({
    ruleId: t.exposeID('ruleId'),
    ruleName: t.exposeString('ruleName'),
    sourceAlertId: t.exposeID('sourceAlertId'),
    releasedAt: t.expose('releasedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When its source (or the incident it was attached to) resolved and it was routed afresh.',
    }),
  }),
});

builder.objectField(CompanyRef, 'inhibitionRules', (t) =>
  t.field({
    type: [InhibitionRuleRef],
    description: 'Oldest first, the order the router asks them in.',
    resolve: (c, _args, ctx) => guard(() => listInhibitionRules(ctx.sql, requireUser(ctx), c.id)),
  }),
);

builder.objectField(AlertRef, 'inhibition', (t) =>
  t.field({
    type: AlertInhibitionRef,
    nullable: true,
    description: 'The inhibition that held it (kept once released); null when it was never inhibited.',
    resolve: (a) => (a.inhibitedBy ? { ...a.inhibitedBy, releasedAt: a.inhibitionReleasedAt ?? null } : null),
  }),
);

/** One count query for every incident of a response, however many ask (a page of incidents is one statement). */
const pendingCounts = new WeakMap<GraphQLContext, { ids: Set<string>; counts: Promise<Map<string, number>> }>();

function inhibitedCountOf(ctx: GraphQLContext, incidentId: string): Promise<number> {
  let batch = pendingCounts.get(ctx);
  if (!batch) {
    const ids = new Set<string>();
    // The siblings of a list resolve in one tick: gather their ids, then read once.
    const counts = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      pendingCounts.delete(ctx);
      return inhibitedCounts(ctx.sql, [...ids]);
    });
    pendingCounts.set(ctx, (batch = { ids, counts }));
  }
  batch.ids.add(incidentId);
  return batch.counts.then((m) => m.get(incidentId) ?? 0);
}

builder.objectField(IncidentRef, 'inhibitedCount', (t) =>
  t.int({
    description: 'Alerts attached to it by an inhibition rule and not released: they paged nobody.',
    resolve: (i, _args, ctx) => inhibitedCountOf(ctx, i.id),
  }),
);

const InhibitionRuleInput = builder.inputType('InhibitionRuleInput', {
  fields: (t) => ({
    companyId: t.id({ required: true }),
    name: t.string({ required: true }),
    sourceMatchers: t.field({ type: [MatcherInput], required: true }),
    targetMatchers: t.field({ type: [MatcherInput], required: true }),
    equal: t.stringList({ required: true }),
    comment: t.string(),
  }),
});

builder.mutationField('createInhibitionRule', (t) =>
  t.field({
    type: InhibitionRuleRef,
    description: 'A company admin of that company or an MSP admin; audited.',
    args: { input: t.arg({ type: InhibitionRuleInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      guard(() =>
        createInhibitionRule(
          ctx.sql,
          requireUser(ctx),
          actorOf(ctx),
          {
            companyId: String(input.companyId),
            name: input.name,
            sourceMatchers: input.sourceMatchers as Matcher[],
            targetMatchers: input.targetMatchers as Matcher[],
            equal: input.equal,
            ...(input.comment != null ? { comment: input.comment } : {}),
          },
          { maxInhibitionRules: maxInhibitionRules() },
        ),
      ),
  }),
);

builder.mutationField('deleteInhibitionRule', (t) =>
  t.boolean({
    description: 'Deletes the rule; the alerts it still inhibits are routed afresh. Audited.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) =>
      guard(() => deleteInhibitionRule(ctx.sql, requireUser(ctx), actorOf(ctx), String(id))),
  }),
);
