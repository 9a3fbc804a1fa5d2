// PostgreSQL NOTIFY channels shared by the processes: named here, in the lowest layer that sends on them, so the
// ingest path, the router and the API agree on one name without importing each other.

/** Alerts are waiting to be routed: the ingest path, a retry or a release wakes the routers (LISTEN). */
export const ALERT_CHANNEL = 'alert_stored';
