// Silences and muted alerts over GraphQL: every member of a company may read, create and expire its silences.
import { builder, requireUser } from '../builder.ts';
import {
  createSilence,
  expireSilence,
  listMutedAlerts,
  listSilences,
  type MutedAlertRecord,
  type SilenceRecord,
} from '../../tenants/silences.ts';
import type { Matcher } from '../../../domain/silences.ts';
import { CompanyRef } from './company.ts';
import { actorOf, guard } from './tenant-errors.ts';

export const MatcherRef = builder.objectRef<Matcher>('Matcher').implement({
  fields: (t) => ({
    field: t.exposeString('field', { description: 'asset, signature, tool, severity or label:<name>' }),
    op: t.exposeString('op', {
      description: '=, !=, =~ (RE2 regular expression over the whole value: no lookaround or backreferences) or !~',
    }),
    value: t.exposeString('value'),
  }),
});

const SilenceStateEnum = builder.enumType('SilenceState', { values: ['pending', 'active', 'expired'] as const });

const SilenceRef = builder.objectRef<SilenceRecord>('Silence').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    companyId: t.exposeID('companyId'),
    matchers: t.field({ type: [MatcherRef], resolve: (s) => s.matchers }),
    startsAt: t.expose('startsAt', { type: 'DateTime' }),
    endsAt: t.expose('endsAt', { type: 'DateTime' }),
    effectiveEndsAt: t.expose('effectiveEndsAt', {
      type: 'DateTime',
      description: 'When it ends or ended: its end, an early expiry, or the resolution of untilResolved.',
    }),
    comment: t.exposeString('comment'),
    createdBy: t.exposeString('createdBy'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    untilResolved: t.exposeID('untilResolved', {
      nullable: true,
      description: 'The incident whose resolution ends the silence.',
    }),
    state: t.expose('state', { type: SilenceStateEnum }),
    mutedCount: t.exposeInt('mutedCount', { description: 'Alerts it muted.' }),
    invalidReason: t.exposeString('invalidReason', {
      nullable: true,
      description:
        'Why this silence mutes nothing, naming the matcher (e.g. "matchers.0.value: uses a lookahead…"): a pattern ' +
        'saved before patterns had to run on RE2. null when it is valid. Expire it and save a supported pattern.',
    }),
  }),
});

const MutedAlertRef = builder.objectRef<MutedAlertRecord>('MutedAlert').implement({
  description: 'An alert a silence or maintenance window muted: stored and counted, but it opened no incident.',
  fields: (t) => ({
    id: t.exposeID('id'),
    assetName: t.exposeString('assetName'),
    signature: t.exposeString('signature'),
    severity: t.exposeString('severity'),
    toolSource: t.exposeString('toolSource'),
    message: t.exposeString('message'),
    receivedAt: t.expose('receivedAt', { type: 'DateTime' }),
    mutedByKind: t.string({ description: 'silence or maintenance', resolve: (a) => a.mutedBy.kind }),
    silenceId: t.id({ nullable: true, resolve: (a) => (a.mutedBy.kind === 'silence' ? a.mutedBy.id : null) }),
    maintenanceWindow: t.string({
      nullable: true,
      resolve: (a) => (a.mutedBy.kind === 'maintenance' ? a.mutedBy.name : null),
    }),
  }),
});

const MutedAlertsRef = builder.objectRef<{ total: number; alerts: MutedAlertRecord[] }>('MutedAlerts').implement({
  fields: (t) => ({
    total: t.exposeInt('total'),
    alerts: t.field({ type: [MutedAlertRef], description: 'The latest, newest first.', resolve: (m) => m.alerts }),
  }),
});

builder.objectField(CompanyRef, 'silences', (t) =>
  t.field({
    type: [SilenceRef],
    description: 'Active and pending first, then the latest expired (200 at most).',
    resolve: (c, _args, ctx) => guard(() => listSilences(ctx.sql, requireUser(ctx), c.id)),
  }),
);

builder.objectField(CompanyRef, 'mutedAlerts', (t) =>
  t.field({
    type: MutedAlertsRef,
    args: { limit: t.arg.int({ defaultValue: 100, description: '1–500' }) },
    resolve: (c, args, ctx) => guard(() => listMutedAlerts(ctx.sql, requireUser(ctx), c.id, args.limit ?? 100)),
  }),
);

export const MatcherInput = builder.inputType('MatcherInput', {
  fields: (t) => ({
    field: t.string({ required: true }),
    op: t.string({ required: true }),
    value: t.string({ required: true }),
  }),
});

const SilenceInput = builder.inputType('SilenceInput', {
  fields: (t) => ({
    companyId: t.id({ required: true }),
    matchers: t.field({ type: [MatcherInput], required: true }),
    startsAt: t.field({ type: 'DateTime', description: 'Default: now.' }),
    endsAt: t.field({ type: 'DateTime' }),
    durationMinutes: t.int({ description: 'Instead of endsAt.' }),
    comment: t.string({ required: true }),
    untilResolved: t.id({ description: 'End the silence when this incident resolves (it may also end earlier).' }),
  }),
});

builder.mutationField('createSilence', (t) =>
  t.field({
    type: SilenceRef,
    args: { input: t.arg({ type: SilenceInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      guard(() =>
        createSilence(
          ctx.sql,
          requireUser(ctx),
          actorOf(ctx),
          {
            companyId: String(input.companyId),
            matchers: input.matchers as Matcher[],
            ...(input.startsAt ? { startsAt: String(input.startsAt) } : {}),
            ...(input.endsAt ? { endsAt: String(input.endsAt) } : {}),
            ...(input.durationMinutes != null ? { durationMinutes: input.durationMinutes } : {}),
            comment: input.comment,
            ...(input.untilResolved ? { untilResolved: String(input.untilResolved) } : {}),
          },
          { maxActiveSilences: ctx.config.maxActiveSilences },
        ),
      ),
  }),
);

builder.mutationField('expireSilence', (t) =>
  t.field({
    type: SilenceRef,
    description: 'Ends the silence now; alerts from here on page as usual.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => guard(() => expireSilence(ctx.sql, requireUser(ctx), actorOf(ctx), String(id))),
  }),
);
