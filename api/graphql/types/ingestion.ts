// Ingestion diagnostics over GraphQL: dead-lettered alerts (with retry) and rejected deliveries.
import { GraphQLError } from 'graphql';
import {
  deadLetteredAlerts,
  mayAdministerIngestion,
  rejectedDeliveries,
  retryDeadLettered,
  type DeadLetteredAlertRecord,
  type RejectedDeliveryRecord,
} from '../../ingest-queries.ts';
import { builder, requireUser, type GraphQLContext } from '../builder.ts';

const DeadLetteredAlertRef = builder.objectRef<DeadLetteredAlertRecord>('DeadLetteredAlert').implement({
  description: 'An alert that could not reach its incident after repeated tries; retry it once the cause is fixed.',
  fields: (t) => ({
    id: t.exposeID('id'),
    companyId: t.exposeID('companyId'),
    assetName: t.exposeString('assetName'),
    signature: t.exposeString('signature'),
    severity: t.exposeString('severity'),
    toolSource: t.exposeString('toolSource'),
    receiver: t.exposeString('receiver'),
    routeAttempts: t.exposeInt('routeAttempts'),
    routeError: t.exposeString('routeError', { nullable: true }),
    receivedAt: t.expose('receivedAt', { type: 'DateTime' }),
    deadLetteredAt: t.expose('deadLetteredAt', { type: 'DateTime' }),
  }),
});

const RejectedDeliveryRef = builder.objectRef<RejectedDeliveryRecord>('RejectedDelivery').implement({
  description: 'A webhook delivery that was refused, with why; the body is truncated and secrets are blanked out.',
  fields: (t) => ({
    id: t.exposeID('id'),
    companyId: t.exposeID('companyId'),
    receiver: t.exposeString('receiver'),
    httpStatus: t.exposeInt('httpStatus'),
    error: t.exposeString('error'),
    reason: t.exposeString('reason'),
    bodyExcerpt: t.exposeString('bodyExcerpt'),
    receivedAt: t.expose('receivedAt', { type: 'DateTime' }),
  }),
});

function requireIngestionAdmin(ctx: GraphQLContext, companyId: string): void {
  const user = requireUser(ctx);
  if (!mayAdministerIngestion(user, companyId)) {
    throw new GraphQLError('Only an admin of this company may see or retry its ingestion', {
      extensions: { code: 'FORBIDDEN' },
    });
  }
}

builder.queryField('deadLetteredAlerts', (t) =>
  t.field({
    type: [DeadLetteredAlertRef],
    args: { companyId: t.arg.id({ required: true }), limit: t.arg.int({ defaultValue: 100 }) },
    resolve: (_root, args, ctx) => {
      requireIngestionAdmin(ctx, String(args.companyId));
      return deadLetteredAlerts(ctx.sql, String(args.companyId), args.limit);
    },
  }),
);

builder.queryField('rejectedDeliveries', (t) =>
  t.field({
    type: [RejectedDeliveryRef],
    args: { companyId: t.arg.id({ required: true }), limit: t.arg.int({ defaultValue: 100 }) },
    resolve: (_root, args, ctx) => {
      requireIngestionAdmin(ctx, String(args.companyId));
      return rejectedDeliveries(ctx.sql, String(args.companyId), args.limit);
    },
  }),
);

builder.mutationField('retryDeadLetteredAlerts', (t) =>
  t.int({
    description: "Queues the named dead-lettered alerts (all of the company's when none are named) for routing again.",
    args: { companyId: t.arg.id({ required: true }), alertIds: t.arg.idList({ required: false }) },
    resolve: (_root, args, ctx) => {
      requireIngestionAdmin(ctx, String(args.companyId));
      return retryDeadLettered(ctx.sql, String(args.companyId), args.alertIds ? args.alertIds.map(String) : null);
    },
  }),
);
