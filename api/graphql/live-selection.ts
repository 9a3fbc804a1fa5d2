// What a subscription may select. A live event is one record handed to every subscriber (api/incident-feed.ts); a
// field whose resolver reads the database would run that read once per subscriber per change, and a thousand
// dashboards would turn each change into a thousand queries. Such fields are refused in subscriptions, before
// anything runs, with the query that serves them named: events carry the header, pages come by query.
import { GraphQLError, TypeInfo, visit, visitWithTypeInfo, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export const NOT_LIVE = 'FIELD_NOT_LIVE';

/** Per type, the fields that read the database for each parent, with where to read them instead. */
export const PER_SUBSCRIBER_READS: Record<string, Record<string, string>> = {
  Incident: {
    alerts: 'incident { alertsConnection }',
    alertsConnection: 'incident { alertsConnection }',
    timeline: 'incident { timelineConnection }',
    timelineConnection: 'incident { timelineConnection }',
    correlation: 'incident { correlation }',
    decisions: 'incident { decisions }',
    memory: 'incident { memory }',
    inhibitedCount: 'incident { inhibitedCount }',
  },
};

/** "Incident.timeline" for each field of `document` that reads per subscriber, in document order. */
export function perSubscriberFields(schema: GraphQLSchema, document: DocumentNode): string[] {
  const found: string[] = [];
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType()?.name;
        if (parent && PER_SUBSCRIBER_READS[parent]?.[node.name.value]) found.push(`${parent}.${node.name.value}`);
      },
    }),
  );
  return found;
}

/** Refuses subscriptions that select a per-subscriber read, naming the field and the query to use instead. */
export function useLiveSelection(): Plugin {
  return {
    onSubscribe({ args, setResultAndStopExecution }) {
      const [field] = perSubscriberFields(args.schema, args.document);
      if (!field) return;
      const [type, name] = field.split('.') as [string, string];
      setResultAndStopExecution({
        errors: [
          new GraphQLError(
            `${field} is not sent live: subscribe to the ${type.toLowerCase()}'s header and read it with ` +
              `\`${PER_SUBSCRIBER_READS[type]![name]}\` when the header changes`,
            { extensions: { code: NOT_LIVE, field } },
          ),
        ],
      });
    },
  };
}
