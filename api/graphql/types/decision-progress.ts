// decisionProgress(incidentId): a model's answer while it streams, for the incident page. Scoped like the incident:
// the id must be an incident the subscriber may see, and every update is re-read within the live user's companies.
// It answers at once with where the answer stands (if anything is streaming), then on every NOTIFY.
import { filter, pipe, Repeater } from 'graphql-yoga';
import { GraphQLError } from 'graphql';
import type { Sql } from '../../../db/sql.ts';
import { partialReasoning } from '../../../domain/decision-stream.ts';
import { companyScope } from '../../auth.ts';
import { decisionProgressFeed } from '../../decision-progress-feed.ts';
import { builder, requireUser } from '../builder.ts';
import { liveStream } from '../live-session.ts';

interface ProgressRow {
  incidentId: string;
  provider: string;
  model: string | null;
  text: string;
  done: boolean;
  startedAt: string;
  updatedAt: string;
}

const DecisionProgressRef = builder.objectRef<ProgressRow>('DecisionProgress').implement({
  description: "A model's answer for an incident while it streams; the finished decision is Incident.decisions.",
  fields: (t) => ({
    incidentId: t.exposeID('incidentId'),
    provider: t.exposeString('provider'),
    model: t.exposeString('model', { nullable: true }),
    reasoning: t.string({
      description: "The answer's reasoning as far as it has come (empty until the model reaches it).",
      resolve: (p) => partialReasoning(p.text) ?? '',
    }),
    receivedChars: t.int({ description: 'How much of the answer has arrived.', resolve: (p) => p.text.length }),
    done: t.exposeBoolean('done', { description: 'The answer is complete (or failed); the decision follows.' }),
    startedAt: t.expose('startedAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

async function readProgress(sql: Sql, scope: string[] | null, incidentId: string): Promise<ProgressRow | null> {
  const [row] = await sql<ProgressRow[]>`
    SELECT incident_id AS "incidentId", provider, model, text, done, started_at AS "startedAt",
           updated_at AS "updatedAt"
      FROM decision_progress
     WHERE incident_id = ${incidentId} ${scope === null ? sql`` : sql`AND company_id = ANY(${scope})`}`;
  return row ?? null;
}

builder.subscriptionField('decisionProgress', (t) =>
  t.field({
    type: DecisionProgressRef,
    description: "The model's reasoning while it answers for this incident (any member of the incident's company).",
    args: { incidentId: t.arg.id({ required: true }) },
    subscribe: async (_root, args, ctx) => {
      const user = requireUser(ctx);
      const incidentId = String(args.incidentId);
      // The incident row may not exist yet while its first decision streams; the progress row names the company.
      const [visible] = await ctx.sql`
        SELECT 1 FROM (
          SELECT company_id FROM incidents WHERE id = ${incidentId}
          UNION ALL SELECT company_id FROM decision_progress WHERE incident_id = ${incidentId}) c
         WHERE ${companyScope(user) === null ? ctx.sql`true` : ctx.sql`c.company_id = ANY(${companyScope(user)})`}
         LIMIT 1`;
      if (!visible) {
        throw new GraphQLError(`Incident ${incidentId} not found`, { extensions: { code: 'NOT_FOUND' } });
      }
      const feed = await decisionProgressFeed(ctx.sql);
      // The current state first (a page opened mid-answer), then every update of this incident.
      const events = Repeater.merge([
        [incidentId],
        pipe(
          feed.subscribe('progress'),
          filter((id: string) => id === incidentId),
        ),
      ]);
      return liveStream(ctx, events, (current, id: string) => readProgress(ctx.sql, companyScope(current), id));
    },
    resolve: (row) => row,
  }),
);
