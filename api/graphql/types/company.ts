// Companies over GraphQL: list and read within the caller's scope; create, archive and restore (MSP admin);
// rename and change settings (the company's admin). Settings are JSON checked against one schema, and a refusal
// names each bad field.
import { builder, requireUser } from '../builder.ts';
import { companyScope } from '../../auth.ts';
import { requireCompanyAdmin, requireCompanyMember, requireMspAdmin } from '../../tenants/access.ts';
import {
  createCompany,
  getCompany,
  listCompanies,
  setCompanyArchived,
  updateCompany,
  type CompanyRecord,
} from '../../tenants/companies.ts';
import { readableSettings } from '../../tenants/chat-webhooks.ts';
import { TenantError } from '../../tenants/errors.ts';
import { actorOf, guard } from './tenant-errors.ts';

export const CompanyRef = builder.objectRef<CompanyRecord>('Company');

CompanyRef.implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    settings: t.field({
      type: 'JSON',
      description: 'What this company changed from the install defaults (see the settings form for every key).',
      // Chat webhooks show a hint, never their URL (api/tenants/chat-webhooks.ts).
      resolve: (c) => readableSettings(c.settings),
    }),
    archivedAt: t.expose('archivedAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    signingSecretHint: t.exposeString('hmacSecretHint', {
      nullable: true,
      description: 'Start of the HMAC signing secret; null when generic-route deliveries need no signature.',
    }),
    previousSigningSecretExpiresAt: t.expose('hmacPreviousExpiresAt', { type: 'DateTime', nullable: true }),
  }),
});

builder.queryField('companies', (t) =>
  t.field({
    type: [CompanyRef],
    args: { includeArchived: t.arg.boolean({ defaultValue: false }) },
    resolve: (_root, args, ctx) =>
      listCompanies(ctx.sql, companyScope(requireUser(ctx)), { includeArchived: args.includeArchived ?? false }),
  }),
);

builder.queryField('company', (t) =>
  t.field({
    type: CompanyRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => getCompany(ctx.sql, companyScope(requireUser(ctx)), String(id)),
  }),
);

const CreateCompanyInput = builder.inputType('CreateCompanyInput', {
  fields: (t) => ({ name: t.string({ required: true }), settings: t.field({ type: 'JSON' }) }),
});

builder.mutationField('createCompany', (t) =>
  t.field({
    type: CompanyRef,
    args: { input: t.arg({ type: CreateCompanyInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      guard(async () => {
        requireMspAdmin(requireUser(ctx));
        return createCompany(
          ctx.sql,
          actorOf(ctx),
          { name: input.name, settings: (input.settings as Record<string, unknown> | null) ?? {} },
          ctx.tenants.secrets,
          ctx.config,
        );
      }),
  }),
);

const UpdateCompanyInput = builder.inputType('UpdateCompanyInput', {
  fields: (t) => ({
    name: t.string(),
    settings: t.field({
      type: 'JSON',
      description: 'Keys to change; a key set to null returns to the install default. Other keys stay.',
    }),
  }),
});

builder.mutationField('updateCompany', (t) =>
  t.field({
    type: CompanyRef,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateCompanyInput, required: true }) },
    resolve: (_root, { id, input }, ctx) =>
      guard(async () => {
        requireCompanyAdmin(requireUser(ctx), String(id));
        const settings = input.settings;
        if (settings !== null && settings !== undefined && (typeof settings !== 'object' || Array.isArray(settings))) {
          throw new TenantError('BAD_USER_INPUT', 'settings must be an object', [
            { field: 'settings', message: 'must be an object' },
          ]);
        }
        return updateCompany(
          ctx.sql,
          actorOf(ctx),
          String(id),
          { name: input.name ?? null, settings: (settings as Record<string, unknown> | null | undefined) ?? null },
          ctx.tenants.secrets,
          ctx.config,
        );
      }),
  }),
);

for (const [name, archived] of [
  ['archiveCompany', true],
  ['restoreCompany', false],
] as const) {
  builder.mutationField(name, (t) =>
    t.field({
      type: CompanyRef,
      description: archived
        ? 'Stops the company: its keys are refused at once. Alerts, incidents and the audit trail stay.'
        : 'Brings an archived company back; its unrevoked keys work again.',
      args: { id: t.arg.id({ required: true }) },
      resolve: (_root, { id }, ctx) =>
        guard(async () => {
          const user = requireUser(ctx);
          requireCompanyMember(user, String(id));
          requireMspAdmin(user);
          return setCompanyArchived(ctx.sql, actorOf(ctx), String(id), archived);
        }),
    }),
  );
}
