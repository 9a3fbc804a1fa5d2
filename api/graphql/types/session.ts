// Your sessions: list them (device, address, last seen), end one, end all; logout ends the current one.
import { listSessions, revokeSessions, type SessionRecord } from '../../sessions.ts';
import { builder, requireUser } from '../builder.ts';
import { actorOf, guard } from './tenant-errors.ts';
import { TenantError } from '../../tenants/errors.ts';

const SessionRef = builder.objectRef<SessionRecord & { current: boolean }>('Session').implement({
  description: 'One signed-in device. Ends after 7 days, or sooner when idle, revoked or the user is disabled.',
  fields: (t) => ({
    id: t.exposeID('id'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastSeenAt: t.expose('lastSeenAt', { type: 'DateTime' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
    ip: t.exposeString('ip', { nullable: true }),
    userAgent: t.exposeString('userAgent', { nullable: true }),
    current: t.exposeBoolean('current', { description: 'The session this request came from.' }),
  }),
});

builder.queryField('mySessions', (t) =>
  t.field({
    type: [SessionRef],
    resolve: async (_root, _args, ctx) => {
      const me = requireUser(ctx);
      return (await listSessions(ctx.sql, me.id)).map((s) => ({ ...s, current: s.id === ctx.sessionId }));
    },
  }),
);

builder.mutationField('logout', (t) =>
  t.boolean({
    description: 'Ends this session: its refresh cookie stops working and its live subscriptions end.',
    resolve: async (_root, _args, ctx) => {
      const me = requireUser(ctx);
      if (ctx.sessionId) await revokeSessions(ctx.sql, actorOf(ctx), me.id, ctx.sessionId, 'logout');
      ctx.refreshCookie?.clear();
      return true;
    },
  }),
);

builder.mutationField('logoutAll', (t) =>
  t.int({
    description: 'Ends every session of yours, this one included; returns how many ended.',
    resolve: async (_root, _args, ctx) => {
      const me = requireUser(ctx);
      const n = await revokeSessions(ctx.sql, actorOf(ctx), me.id, null, 'logout everywhere');
      ctx.refreshCookie?.clear();
      return n;
    },
  }),
);

builder.mutationField('revokeSession', (t) =>
  t.boolean({
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) =>
      guard(async () => {
        const me = requireUser(ctx);
        const n = await revokeSessions(ctx.sql, actorOf(ctx), me.id, String(id), 'revoked by its user');
        if (n === 0) throw new TenantError('NOT_FOUND', `Session ${id} not found`);
        return true;
      }),
  }),
);
