// The bell: a person's in-app notifications, their unread count, marking them read, a live stream of new ones,
// and the person's own delivery preferences.
import {
  getNotification,
  getPrefs,
  listNotifications,
  markRead,
  setPrefs,
  unreadCount,
  type NotificationPrefs,
  type NotificationRecord,
} from '../../notifications.ts';
import { liveStream } from '../live-session.ts';
import { builder, requireUser } from '../builder.ts';
import { SeverityEnum } from './enums.ts';

const NotificationRef = builder.objectRef<NotificationRecord>('Notification').implement({
  description: 'Something that needed you: an incident paged to you, by level of the escalation chain.',
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.exposeString('kind'),
    title: t.exposeString('title'),
    body: t.exposeString('body'),
    severity: t.exposeString('severity', { nullable: true }),
    companyId: t.exposeID('companyId'),
    incidentId: t.exposeID('incidentId', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    readAt: t.expose('readAt', { type: 'DateTime', nullable: true }),
  }),
});

const NotificationPrefsRef = builder.objectRef<NotificationPrefs>('NotificationPreferences').implement({
  fields: (t) => ({
    email: t.exposeBoolean('email', { description: 'Whether pages also come by email (the bell always has them).' }),
    minSeverity: t.field({
      type: SeverityEnum,
      nullable: true,
      description: 'Email only for this severity and above; null = every severity.',
      resolve: (p) => p.minSeverity,
    }),
  }),
});

builder.queryField('notifications', (t) =>
  t.field({
    type: [NotificationRef],
    description: 'Your notifications, newest first.',
    args: { unreadOnly: t.arg.boolean(), limit: t.arg.int({ description: '1–100; 20 by default.' }) },
    resolve: (_root, args, ctx) => listNotifications(ctx.sql, requireUser(ctx).id, args),
  }),
);

builder.queryField('unreadNotificationCount', (t) =>
  t.int({ resolve: (_root, _args, ctx) => unreadCount(ctx.sql, requireUser(ctx).id) }),
);

builder.queryField('myNotificationPreferences', (t) =>
  t.field({ type: NotificationPrefsRef, resolve: (_root, _args, ctx) => getPrefs(ctx.sql, requireUser(ctx).id) }),
);

builder.mutationField('markNotificationsRead', (t) =>
  t.int({
    description: 'Marks these notifications read (all of yours without `ids`); returns how many changed.',
    args: { ids: t.arg.idList() },
    resolve: (_root, args, ctx) =>
      markRead(ctx.sql, requireUser(ctx).id, args.ids ? args.ids.map(String).slice(0, 500) : null),
  }),
);

builder.mutationField('setMyNotificationPreferences', (t) =>
  t.field({
    type: NotificationPrefsRef,
    args: { email: t.arg.boolean({ required: true }), minSeverity: t.arg({ type: SeverityEnum }) },
    resolve: (_root, args, ctx) =>
      setPrefs(ctx.sql, requireUser(ctx).id, { email: args.email, minSeverity: args.minSeverity ?? null }),
  }),
);

builder.subscriptionField('notificationAdded', (t) =>
  t.field({
    type: NotificationRef,
    description: 'Each new notification of yours, as it is written.',
    subscribe: (_root, _args, ctx) => {
      requireUser(ctx);
      // Re-read as the current user: someone else's notification id yields nothing.
      return liveStream(ctx, ctx.pubsub.subscribe('notificationAdded'), (me, id: string) =>
        getNotification(ctx.sql, me.id, id),
      );
    },
    resolve: (n) => n,
  }),
);
