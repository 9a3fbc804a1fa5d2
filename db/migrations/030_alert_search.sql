-- Alert search off the alert row's update path (issue 16). The routing outcome UPDATE of every alert is not HOT
-- (routed_at, group_id and incident_id are indexed), so it rewrote each entry of the alerts' three trigram indexes of
-- migration 024 (asset_name, signature, message): half the table's insert + update cost. An alert's searched text
-- never changes after its insert, so it now lives in a row of its own, written once by the same statement that
-- inserts the alert (api/ingest/alert-writer.ts, db/patch-compliance.ts) and never touched by the router: the routing
-- update costs about half as much, the insert about the same (bench/RESULTS.md, test/bench/alert-indexes.ts).
-- The row holds only what searchAlerts (api/search-queries.ts) reads: the alert's id, to join back to alerts, where
-- the tenant scope, the filters and the order are applied as before, and the text.

-- The three fields joined by chr(31), the unit separator: pg_trgm makes no trigram of it and the ILIKE runs on the
-- joined text, so a search text (which never holds it; searchAlerts checks) cannot match across the end of one field
-- and the start of the next. One definition for every writer, the backfill below and the tests.
CREATE FUNCTION alert_search_text(message text, asset_name text, signature text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN message || chr(31) || asset_name || chr(31) || signature;

-- Deleting an alert (or its company) deletes its search row.
CREATE TABLE alert_search (
  alert_id text PRIMARY KEY REFERENCES alerts (id) ON DELETE CASCADE,
  body     text NOT NULL
);

INSERT INTO alert_search (alert_id, body)
SELECT id, alert_search_text(message, asset_name, signature) FROM alerts;

-- Built after the backfill: one sort instead of an insert per row.
CREATE INDEX alert_search_body_trgm ON alert_search USING gin (body gin_trgm_ops);

-- The incidents' trigram indexes stay: incidents are few and rarely written.
DROP INDEX alerts_asset_trgm;
DROP INDEX alerts_signature_trgm;
DROP INDEX alerts_message_trgm;
