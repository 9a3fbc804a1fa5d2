// The audit log over GraphQL: an MSP admin reads everything; a company admin reads their companies' entries.
import { builder, requireUser } from '../builder.ts';
import { isMspAdmin, requireCompanyAdmin } from '../../tenants/access.ts';
import { auditCsv, listAudit, type AuditFilter, type AuditRecord } from '../../tenants/audit.ts';
import type { GraphQLContext } from '../builder.ts';
import { TenantError } from '../../tenants/errors.ts';
import { guard } from './tenant-errors.ts';

const AuditEntryRef = builder.objectRef<AuditRecord>('AuditEntry').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    at: t.expose('at', { type: 'DateTime' }),
    companyId: t.exposeID('companyId', { nullable: true }),
    actorId: t.exposeID('actorId', { nullable: true }),
    actorEmail: t.exposeString('actorEmail', { nullable: true }),
    action: t.exposeString('action'),
    targetType: t.exposeString('targetType', { nullable: true }),
    targetId: t.exposeString('targetId', { nullable: true }),
    ip: t.exposeString('ip', { nullable: true }),
    data: t.field({ type: 'JSON', resolve: (e) => e.data }),
  }),
});

const filterArgs = (t: Parameters<Parameters<typeof builder.queryField>[1]>[0]) => ({
  companyId: t.arg.id(),
  action: t.arg.string({ description: 'Prefix, e.g. "key." or "auth.login_failed".' }),
  actorEmail: t.arg.string(),
  from: t.arg({ type: 'DateTime' }),
  to: t.arg({ type: 'DateTime' }),
  before: t.arg.id(),
});

interface FilterArgs {
  companyId?: string | number | null;
  action?: string | null;
  actorEmail?: string | null;
  from?: string | null;
  to?: string | null;
  before?: string | number | null;
}

/** The caller's view of the log: a company they administer, all of theirs, or (MSP admin) everything. */
function scopedFilter(ctx: GraphQLContext, args: FilterArgs, limit: number): AuditFilter {
  const me = requireUser(ctx);
  let companyIds: string[] | null;
  if (args.companyId) {
    requireCompanyAdmin(me, String(args.companyId));
    companyIds = [String(args.companyId)];
  } else if (isMspAdmin(me)) {
    companyIds = null;
  } else if (me.role === 'company_admin') {
    companyIds = me.companyIds;
  } else {
    throw new TenantError('FORBIDDEN', 'Only admins may read the audit log');
  }
  return {
    companyIds,
    action: args.action,
    actorEmail: args.actorEmail,
    from: args.from,
    to: args.to,
    before: args.before ? String(args.before) : null,
    limit,
  };
}

builder.queryField('auditLog', (t) =>
  t.field({
    type: [AuditEntryRef],
    description: 'Newest first. Page with `before` (the last id seen); auditLogCsv exports.',
    args: { ...filterArgs(t), limit: t.arg.int({ defaultValue: 100, description: 'At most 1000.' }) },
    resolve: (_root, args, ctx) => guard(() => listAudit(ctx.sql, scopedFilter(ctx, args, args.limit ?? 100))),
  }),
);

builder.queryField('auditLogCsv', (t) =>
  t.string({
    description: 'The newest 1000 matching entries as CSV (RFC 4180; cells that a spreadsheet would run are quoted).',
    args: filterArgs(t),
    resolve: (_root, args, ctx) => guard(async () => auditCsv(await listAudit(ctx.sql, scopedFilter(ctx, args, 1000)))),
  }),
);
