// People over GraphQL: users, roles, memberships and on-call categories; invitations and password links.
// The link's token is returned to the admin once (and logged in development) until email is configured.
import { builder, requireUser } from '../builder.ts';
import { requireCompanyMember } from '../../tenants/access.ts';
import {
  invitePerson,
  issuePasswordLink,
  listPeople,
  setPersonDisabled,
  updatePerson,
  type PersonRecord,
} from '../../tenants/people.ts';
import { RoleEnum } from './enums.ts';
import { actorOf, guard } from './tenant-errors.ts';
import type { GraphQLContext } from '../builder.ts';

const PersonRef = builder.objectRef<PersonRecord>('Person').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    email: t.exposeString('email'),
    name: t.exposeString('name'),
    role: t.expose('role', { type: RoleEnum }),
    companyIds: t.exposeIDList('companyIds'),
    categories: t.exposeStringList('categories'),
    disabledAt: t.expose('disabledAt', { type: 'DateTime', nullable: true }),
    invitePending: t.exposeBoolean('invitePending'),
    lastSeenAt: t.expose('lastSeenAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const PasswordLinkRef = builder.objectRef<{ person: PersonRecord; url: string }>('PasswordLink').implement({
  description: 'A one-time link (72 h) to set a password; give it to the person over a channel you trust.',
  fields: (t) => ({
    person: t.field({ type: PersonRef, resolve: (p) => p.person }),
    url: t.exposeString('url'),
  }),
});

function linkUrl(ctx: GraphQLContext, token: string, email: string): string {
  const url = `${ctx.config.publicUrl}/#/set-password?token=${token}`;
  // Development has no mail: the console is where whoever runs it finds the link. Never in production logs.
  if (!ctx.config.production) console.log(`[people] password link for ${email}: ${url}`);
  return url;
}

builder.queryField('people', (t) =>
  t.field({
    type: [PersonRef],
    description: 'People of one company, or of every company you belong to (an MSP admin: everyone).',
    args: { companyId: t.arg.id() },
    resolve: (_root, args, ctx) =>
      guard(async () => {
        const me = requireUser(ctx);
        if (args.companyId) requireCompanyMember(me, String(args.companyId));
        return listPeople(ctx.sql, me, args.companyId ? String(args.companyId) : null);
      }),
  }),
);

const InviteInput = builder.inputType('InviteInput', {
  fields: (t) => ({
    email: t.string({ required: true }),
    name: t.string({ required: true }),
    role: t.field({ type: RoleEnum, required: true }),
    companyIds: t.idList({ required: true }),
    categories: t.stringList(),
  }),
});

builder.mutationField('invitePerson', (t) =>
  t.field({
    type: PasswordLinkRef,
    args: { input: t.arg({ type: InviteInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      guard(async () => {
        const me = requireUser(ctx);
        const { person, token } = await invitePerson(ctx.sql, actorOf(ctx), me, {
          ...input,
          companyIds: input.companyIds.map(String),
          categories: input.categories ?? [],
        });
        return { person, url: linkUrl(ctx, token, person.email) };
      }),
  }),
);

const UpdatePersonInput = builder.inputType('UpdatePersonInput', {
  fields: (t) => ({
    name: t.string(),
    role: t.field({ type: RoleEnum }),
    companyIds: t.idList(),
    categories: t.stringList(),
  }),
});

builder.mutationField('updatePerson', (t) =>
  t.field({
    type: PersonRef,
    description: 'Takes effect on their next request and on their live subscriptions.',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdatePersonInput, required: true }) },
    resolve: (_root, { id, input }, ctx) =>
      guard(() =>
        updatePerson(ctx.sql, actorOf(ctx), requireUser(ctx), String(id), {
          ...(input.name != null ? { name: input.name } : {}),
          ...(input.role != null ? { role: input.role } : {}),
          ...(input.companyIds != null ? { companyIds: input.companyIds.map(String) } : {}),
          ...(input.categories != null ? { categories: input.categories } : {}),
        }),
      ),
  }),
);

for (const [name, disabled] of [
  ['disablePerson', true],
  ['enablePerson', false],
] as const) {
  builder.mutationField(name, (t) =>
    t.field({
      type: PersonRef,
      description: disabled ? 'They cannot sign in, and their sessions end at once.' : 'They may sign in again.',
      args: { id: t.arg.id({ required: true }) },
      resolve: (_root, { id }, ctx) =>
        guard(() => setPersonDisabled(ctx.sql, actorOf(ctx), requireUser(ctx), String(id), disabled)),
    }),
  );
}

builder.mutationField('issuePasswordLink', (t) =>
  t.field({
    type: PasswordLinkRef,
    description: 'A new one-time link for a lost invitation or a forgotten password (earlier links stop working).',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) =>
      guard(async () => {
        const me = requireUser(ctx);
        const token = await issuePasswordLink(ctx.sql, actorOf(ctx), me, String(id));
        const { getPerson } = await import('../../tenants/people.ts');
        const person = (await getPerson(ctx.sql, String(id)))!;
        return { person, url: linkUrl(ctx, token, person.email) };
      }),
  }),
);
