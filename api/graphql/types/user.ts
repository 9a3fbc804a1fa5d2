import { GraphQLError } from 'graphql';
import { hashPassword, loadUser, verifyPassword, type AuthUser } from '../../auth.ts';
import { openSession, revokeSessions } from '../../sessions.ts';
import { audit } from '../../tenants/audit.ts';
import { checkPassword, redeemPasswordLink } from '../../tenants/people.ts';
import { builder, requireUser, type GraphQLContext } from '../builder.ts';
import { RoleEnum } from './enums.ts';
import { actorOf, guard } from './tenant-errors.ts';

// A bcrypt hash of a random string nobody knows, compared against when the email is unknown.
const UNKNOWN_USER_HASH = '$2b$10$5mw5rZ5dLRzk7JwcClEhMORSKTvmGYod/fR7H0l2SYOUUiA/t83yS';

export const UserRef = builder.objectRef<AuthUser>('User').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    email: t.exposeString('email'),
    name: t.exposeString('name'),
    role: t.expose('role', { type: RoleEnum }),
    companyIds: t.exposeIDList('companyIds'),
  }),
});

const AuthPayloadRef = builder.objectRef<{ accessToken: string; user: AuthUser }>('AuthPayload').implement({
  fields: (t) => ({
    accessToken: t.exposeString('accessToken', {
      description: 'Send as "Authorization: Bearer …"; short-lived. POST /auth/refresh with the cookie for a new one.',
    }),
    user: t.field({ type: UserRef, resolve: (p) => p.user }),
  }),
});

builder.queryField('me', (t) => t.field({ type: UserRef, nullable: true, resolve: (_root, _args, ctx) => ctx.user }));

async function signIn(ctx: GraphQLContext, user: AuthUser): Promise<{ accessToken: string; user: AuthUser }> {
  const { sessionId, refreshToken } = await openSession(ctx.sql, user.id, ctx.client);
  ctx.refreshCookie?.set(refreshToken);
  await audit(
    ctx.sql,
    { id: user.id, email: user.email, ip: ctx.client.ip },
    {
      companyId: null,
      action: 'auth.login',
      targetType: 'session',
      targetId: sessionId,
    },
  );
  return { accessToken: await ctx.tokens.sign(user.id, sessionId), user };
}

builder.mutationField('login', (t) =>
  t.field({
    type: AuthPayloadRef,
    description: 'Opens a session: returns an access token and sets the HttpOnly refresh cookie.',
    args: { email: t.arg.string({ required: true }), password: t.arg.string({ required: true }) },
    resolve: async (_root, { email, password }, ctx) => {
      // Charged now, refunded below on success: only failures count (api/login-throttle.ts).
      const refused = ctx.loginThrottle.take(email, ctx.client.ip);
      if (refused) {
        const from = refused.scope === 'account' ? 'for this email from your address' : 'from your address';
        throw new GraphQLError(`Too many login attempts ${from}; try again in ${refused.retryAfter} s`, {
          extensions: { code: 'RATE_LIMITED', retryAfter: refused.retryAfter },
        });
      }
      const found = await loadUser(ctx.sql, { email });
      // One message and one bcrypt comparison in every case, so neither the answer nor its timing reveals which
      // emails exist, which are disabled or which still wait for their invitation.
      const valid = await verifyPassword(password, found?.passwordHash ?? UNKNOWN_USER_HASH);
      if (!found || !valid || found.disabled || !found.passwordHash) {
        await audit(
          ctx.sql,
          { id: found?.id ?? null, email: email.slice(0, 254), ip: ctx.client.ip },
          {
            companyId: null,
            action: 'auth.login_failed',
            data: { reason: !found ? 'unknown email' : found.disabled ? 'disabled' : 'wrong password' },
          },
        );
        throw new GraphQLError('Invalid email or password', { extensions: { code: 'UNAUTHENTICATED' } });
      }
      const { passwordHash: _p, disabled: _d, ...user } = found;
      ctx.loginThrottle.succeeded(email, ctx.client.ip);
      return signIn(ctx, user);
    },
  }),
);

builder.mutationField('setPasswordWithLink', (t) =>
  t.field({
    type: AuthPayloadRef,
    description: 'Uses a one-time invitation or reset link to set a password, then signs in.',
    args: { token: t.arg.string({ required: true }), password: t.arg.string({ required: true }) },
    resolve: (_root, { token, password }, ctx) =>
      guard(async () => {
        const email = await redeemPasswordLink(ctx.sql, token, password, hashPassword, ctx.client.ip);
        const found = (await loadUser(ctx.sql, { email }))!;
        const { passwordHash: _p, disabled: _d, ...user } = found;
        return signIn(ctx, user);
      }),
  }),
);

builder.mutationField('changePassword', (t) =>
  t.boolean({
    description: 'Changes your password (the current one is required) and ends your other sessions.',
    args: { currentPassword: t.arg.string({ required: true }), newPassword: t.arg.string({ required: true }) },
    resolve: (_root, { currentPassword, newPassword }, ctx) =>
      guard(async () => {
        const me = requireUser(ctx);
        const found = await loadUser(ctx.sql, { id: me.id });
        if (!found?.passwordHash || !(await verifyPassword(currentPassword, found.passwordHash))) {
          throw new GraphQLError('The current password is wrong', {
            extensions: { code: 'BAD_USER_INPUT', fields: [{ field: 'currentPassword', message: 'is wrong' }] },
          });
        }
        const problems = checkPassword(newPassword, me.email);
        if (problems.length) {
          throw new GraphQLError(problems.map((p) => `${p.field}: ${p.message}`).join('; '), {
            extensions: { code: 'BAD_USER_INPUT', fields: problems.map((p) => ({ ...p, field: 'newPassword' })) },
          });
        }
        await ctx.sql`
          UPDATE users SET password_hash = ${await hashPassword(newPassword)}, password_changed_at = now(),
            updated_at = now()
          WHERE id = ${me.id}`;
        await audit(ctx.sql, actorOf(ctx), { companyId: null, action: 'user.password_changed', targetId: me.id });
        // Every other session ends: whoever knew the old password is out.
        const others = await ctx.sql<{ id: string }[]>`
          SELECT id FROM sessions WHERE user_id = ${me.id} AND revoked_at IS NULL AND id <> ${ctx.sessionId ?? ''}`;
        for (const s of others) await revokeSessions(ctx.sql, actorOf(ctx), me.id, s.id, 'password changed');
        return true;
      }),
  }),
);
