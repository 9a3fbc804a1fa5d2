// PostgreSQL NOTIFY channels shared by the processes: named here, in the lowest layer that sends on them, so the
// ingest path, the router and the API agree on one name without importing each other.

/** Alerts are waiting to be routed: the ingest path, a retry or a release wakes the routers (LISTEN). */
export const ALERT_CHANNEL = 'alert_stored';

/** An incident's row changed (a save, a repeat linked, a held alert attached): carries its id; readers re-read it. */
export const INCIDENT_CHANNEL = 'incident_updated';

/** A bell notification was added for a person (db/notifications.ts): carries its id; the API re-reads it. */
export const NOTIFICATION_CHANNEL = 'notification_added';
