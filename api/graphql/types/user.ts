import { GraphQLError } from 'graphql';
import { loadUser, verifyPassword, type AuthUser } from '../../auth.ts';
import { builder } from '../builder.ts';
import { RoleEnum } from './enums.ts';

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
    accessToken: t.exposeString('accessToken'),
    user: t.field({ type: UserRef, resolve: (p) => p.user }),
  }),
});

builder.queryField('me', (t) => t.field({ type: UserRef, nullable: true, resolve: (_root, _args, ctx) => ctx.user }));

builder.mutationField('login', (t) =>
  t.field({
    type: AuthPayloadRef,
    args: { email: t.arg.string({ required: true }), password: t.arg.string({ required: true }) },
    resolve: async (_root, { email, password }, ctx) => {
      const retryAfter = ctx.loginLimiter.take(email.trim().toLowerCase());
      if (retryAfter > 0) {
        throw new GraphQLError(`Too many login attempts for this email; try again in ${retryAfter} s`, {
          extensions: { code: 'RATE_LIMITED', retryAfter },
        });
      }
      const found = await loadUser(ctx.sql, { email });
      // One message and one bcrypt comparison in both cases, so neither the answer nor its timing reveals which emails exist.
      const valid = await verifyPassword(password, found?.passwordHash ?? UNKNOWN_USER_HASH);
      if (!found || !valid) {
        throw new GraphQLError('Invalid email or password', { extensions: { code: 'UNAUTHENTICATED' } });
      }
      const { passwordHash: _omit, ...user } = found;
      return { accessToken: await ctx.tokens.sign(user.id), user };
    },
  }),
);
