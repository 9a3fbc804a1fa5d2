// On-call rotations over GraphQL: members read them and who is on call now; company admins edit them.
import type { OnCallLayer } from '../../../domain/on-call.ts';
import { builder, requireUser } from '../builder.ts';
import {
  addOverride,
  deleteSchedule,
  listSchedules,
  removeOverride,
  saveSchedule,
  type OverrideRecord,
  type ScheduleRecord,
} from '../../tenants/on-call.ts';
import { CompanyRef } from './company.ts';
import { actorOf, guard } from './tenant-errors.ts';

const LayerRef = builder.objectRef<OnCallLayer>('OnCallLayer').implement({
  description: 'People taking turns: the first from startDate, each for rotationDays, handing off at handoffTime.',
  fields: (t) => ({
    userIds: t.exposeIDList('userIds'),
    rotationDays: t.exposeInt('rotationDays'),
    handoffTime: t.exposeString('handoffTime', { description: "HH:MM in the company's time zone." }),
    startDate: t.exposeString('startDate'),
  }),
});

const OverrideRef = builder.objectRef<OverrideRecord>('OnCallOverride').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    userId: t.exposeID('userId'),
    userEmail: t.exposeString('userEmail'),
    layer: t.exposeInt('layer'),
    startsAt: t.expose('startsAt', { type: 'DateTime' }),
    endsAt: t.expose('endsAt', { type: 'DateTime' }),
    createdBy: t.exposeString('createdBy', { nullable: true }),
  }),
});

const OnCallNowRef = builder.objectRef<ScheduleRecord['onCallNow'][number]>('OnCallNow').implement({
  fields: (t) => ({
    layer: t.exposeInt('layer', { description: '0 primary, 1 backup.' }),
    userId: t.exposeID('userId'),
    email: t.exposeString('email', { nullable: true }),
    active: t.exposeBoolean('active', {
      description: 'False when they were disabled or left the company: the pager skips them for the next in line.',
    }),
  }),
});

const ScheduleRef = builder.objectRef<ScheduleRecord>('OnCallSchedule').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    companyId: t.exposeID('companyId'),
    name: t.exposeString('name'),
    category: t.exposeString('category', {
      nullable: true,
      description: 'Incidents of this category page it; null: every category without a schedule of its own.',
    }),
    layers: t.field({ type: [LayerRef], description: 'Primary first, then the backup.', resolve: (s) => s.layers }),
    overrides: t.field({ type: [OverrideRef], description: 'Current and coming ones.', resolve: (s) => s.overrides }),
    onCallNow: t.field({ type: [OnCallNowRef], resolve: (s) => s.onCallNow }),
  }),
});

builder.objectField(CompanyRef, 'onCallSchedules', (t) =>
  t.field({
    type: [ScheduleRef],
    resolve: (c, _args, ctx) => guard(() => listSchedules(ctx.sql, requireUser(ctx), c.id)),
  }),
);

const LayerInput = builder.inputType('OnCallLayerInput', {
  fields: (t) => ({
    userIds: t.idList({ required: true }),
    rotationDays: t.int({ required: true }),
    handoffTime: t.string({ required: true }),
    startDate: t.string({ required: true }),
  }),
});

const ScheduleInput = builder.inputType('OnCallScheduleInput', {
  fields: (t) => ({
    companyId: t.id({ required: true }),
    name: t.string({ required: true }),
    category: t.string(),
    layers: t.field({ type: [LayerInput], required: true }),
  }),
});

builder.mutationField('saveOnCallSchedule', (t) =>
  t.field({
    type: ScheduleRef,
    description: 'Creates a schedule, or replaces the one with `id`. Company admins only.',
    args: { id: t.arg.id(), input: t.arg({ type: ScheduleInput, required: true }) },
    resolve: (_root, { id, input }, ctx) =>
      guard(() =>
        saveSchedule(
          ctx.sql,
          requireUser(ctx),
          actorOf(ctx),
          {
            companyId: String(input.companyId),
            name: input.name,
            category: input.category ?? null,
            layers: input.layers.map((l) => ({ ...l, userIds: l.userIds.map(String) })),
          },
          id ? String(id) : null,
        ),
      ),
  }),
);

builder.mutationField('deleteOnCallSchedule', (t) =>
  t.boolean({
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => guard(() => deleteSchedule(ctx.sql, requireUser(ctx), actorOf(ctx), String(id))),
  }),
);

const OverrideInput = builder.inputType('OnCallOverrideInput', {
  fields: (t) => ({
    scheduleId: t.id({ required: true }),
    userId: t.id({ required: true }),
    layer: t.int({ description: '0 primary (default), 1 backup.' }),
    startsAt: t.field({ type: 'DateTime', required: true }),
    endsAt: t.field({ type: 'DateTime', required: true }),
  }),
});

builder.mutationField('addOnCallOverride', (t) =>
  t.field({
    type: ScheduleRef,
    args: { input: t.arg({ type: OverrideInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      guard(() =>
        addOverride(ctx.sql, requireUser(ctx), actorOf(ctx), {
          scheduleId: String(input.scheduleId),
          userId: String(input.userId),
          ...(input.layer != null ? { layer: input.layer } : {}),
          startsAt: new Date(String(input.startsAt)).toISOString(),
          endsAt: new Date(String(input.endsAt)).toISOString(),
        }),
      ),
  }),
);

builder.mutationField('removeOnCallOverride', (t) =>
  t.field({
    type: ScheduleRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => guard(() => removeOverride(ctx.sql, requireUser(ctx), actorOf(ctx), String(id))),
  }),
);
