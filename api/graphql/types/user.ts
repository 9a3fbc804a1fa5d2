import { GraphQLError } from 'graphql';
import { loadUser, verifyPassword, type AuthUser } from '../../auth.ts';
import { builder } from '../builder.ts';
import { RoleEnum } from './enums.ts';

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
      const found = await loadUser(ctx.sql, { email });
      // One message for both cases, so the endpoint does not reveal which emails exist.
      if (!found || !(await verifyPassword(password, found.passwordHash))) {
        throw new GraphQLError('Invalid email or password', { extensions: { code: 'UNAUTHENTICATED' } });
      }
      const { passwordHash: _omit, ...user } = found;
      return { accessToken: await ctx.tokens.sign(user.id), user };
    },
  }),
);
