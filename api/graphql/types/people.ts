// People over GraphQL: users, roles, memberships and on-call categories; invitations and password links.
// The link's token is returned to the admin once (and logged in development) until email is configured.
import { builder, requireUser } from '../builder.ts';
import { requireCompanyMember } from '../../tenants/access.ts';
import {
  getPerson,
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

interface PasswordLink {
  person: PersonRecord;
  url: string;
  /** Null when no SMTP is configured; otherwise whether the email went out (and why not). */
  email: { sent: boolean; error: string | null } | null;
}

const LinkEmailRef = builder.objectRef<NonNullable<PasswordLink['email']>>('LinkEmail').implement({
  fields: (t) => ({ sent: t.exposeBoolean('sent'), error: t.exposeString('error', { nullable: true }) }),
});

const PasswordLinkRef = builder.objectRef<PasswordLink>('PasswordLink').implement({
  description:
    'A one-time link (72 h) to set a password. Emailed when SMTP is configured; otherwise give it to the person ' +
    'over a channel you trust.',
  fields: (t) => ({
    person: t.field({ type: PersonRef, resolve: (p) => p.person }),
    url: t.exposeString('url'),
    email: t.field({ type: LinkEmailRef, nullable: true, resolve: (p) => p.email }),
  }),
});

/** Emails the link where SMTP is configured; in development without SMTP the console is where it shows. */
async function deliverLink(ctx: GraphQLContext, person: PersonRecord, token: string, invited: boolean) {
  const url = `${ctx.config.publicUrl}/#/set-password?token=${token}`;
  const mailer = ctx.tenants.mailer;
  if (!mailer) {
    if (!ctx.config.production) console.log(`[people] password link for ${person.email}: ${url}`);
    return { person, url, email: null };
  }
  try {
    await mailer.send({
      to: person.email,
      subject: invited ? 'You are invited to Alert Whisperer' : 'Set your Alert Whisperer password',
      text: [
        `Hello ${person.name},`,
        '',
        invited
          ? `${ctx.user?.name ?? 'An administrator'} invited you to Alert Whisperer. Set your password here:`
          : 'Set a new password for Alert Whisperer here:',
        url,
        '',
        'The link works once, for 72 hours. If you did not expect this email, ignore it.',
      ].join('\n'),
    });
    return { person, url, email: { sent: true, error: null } };
  } catch (err) {
    return { person, url, email: { sent: false, error: (err as Error).message } };
  }
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
        return deliverLink(ctx, person, token, true);
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
        const person = (await getPerson(ctx.sql, String(id)))!;
        return deliverLink(ctx, person, token, false);
      }),
  }),
);
