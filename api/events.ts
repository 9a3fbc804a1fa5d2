// Fans PostgreSQL NOTIFY out to GraphQL subscribers. Notifications carry only ids; the
// subscription resolver re-reads the row, scoped to the subscriber.
import { createPubSub } from 'graphql-yoga';
import type { Sql } from '../db/sql.ts';
import { INCIDENT_CHANNEL } from '../activities/incident-store.ts';

export type IncidentPubSub = ReturnType<typeof createIncidentPubSub>;

export function createIncidentPubSub() {
  return createPubSub<{ incidentUpdated: [incidentId: string] }>();
}

export async function listenForIncidentUpdates(sql: Sql, pubsub: IncidentPubSub): Promise<() => Promise<void>> {
  const sub = await sql.listen(INCIDENT_CHANNEL, (incidentId) => pubsub.publish('incidentUpdated', incidentId));
  return () => sub.unlisten();
}
