import { GraphQLError } from 'graphql';
import type { TimelineRecord } from '../../incident-queries.ts';
import { isMspAdmin } from '../../tenants/access.ts';
import { builder, requireUser } from '../builder.ts';

export const IncidentEventRef = builder.objectRef<TimelineRecord>('IncidentEvent').implement({
  fields: (t) => ({
    seq: t.exposeInt('seq'),
    kind: t.exposeString('kind'),
    message: t.exposeString('message'),
    actor: t.exposeString('actor', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

// Tenants read a failure as a sentence (domain/failure-text.ts); the raw AWS, SMTP, PostgreSQL or Temporal error
// behind it names accounts, principals, hosts and addresses, so only MSP admins may read it.
builder.queryField('incidentFailureDetail', (t) =>
  t.string({
    nullable: true,
    description:
      'MSP admins only: the raw error behind the failure a timeline event names (by its seq); null when it has none.',
    args: { incidentId: t.arg.id({ required: true }), seq: t.arg.int({ required: true }) },
    resolve: async (_root, args, ctx) => {
      if (!isMspAdmin(requireUser(ctx))) {
        throw new GraphQLError('Only an MSP admin may read the raw error behind a failure', {
          extensions: { code: 'FORBIDDEN' },
        });
      }
      const [row] = await ctx.sql<{ detail: string | null }[]>`
        SELECT data->>'internalDetail' AS detail FROM incident_events
        WHERE incident_id = ${String(args.incidentId)} AND seq = ${args.seq}`;
      return row?.detail ?? null;
    },
  }),
);
